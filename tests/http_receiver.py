"""A real HTTP server on 127.0.0.1 in a thread, for tests of outbound requests (webhooks): it
records every request it gets and answers each with the next of the statuses it was given
(the last one repeating)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    statuses: list[int]
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b"ok"
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def next_status(self) -> int:
        return self.statuses[min(len(self.requests) - 1, len(self.statuses) - 1)]


@contextmanager
def http_receiver(*statuses: int, headers: dict[str, str] | None = None, body: bytes = b"ok") -> Iterator[Receiver]:
    """A receiver answering `statuses` in turn (200 if none given)."""
    receiver = Receiver(port=0, statuses=list(statuses) or [200], answer_headers=headers or {}, answer_body=body)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            receiver.requests.append(Received(self.command, self.path, dict(self.headers), self.rfile.read(length)))
            self.send_response(receiver.next_status())
            for name, value in receiver.answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.answer_body)))
            self.end_headers()
            self.wfile.write(receiver.answer_body)

        do_GET = do_POST

        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
