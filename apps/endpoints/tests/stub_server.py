"""A small OpenAI-shaped server on 127.0.0.1 for tests of what goes wrong with a remote
endpoint: `GET /v1/models` answers `models_body` with `models_status`, `POST
/v1/chat/completions` answers with `stream` (bytes are sent, a number pauses that many
seconds; a pause ends early when the server stops, so a test never waits on it), its
headers sent after `head_delay` seconds. It records each request's path, headers and body."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sse(*texts: str, usage: dict | None = None) -> list[bytes]:
    """A well-formed chat completion stream of `texts`, then a finish, usage and [DONE]."""
    chunks = [{"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]} for text in texts]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage is not None:
        chunks.append({"choices": [], "usage": usage})
    return [f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks] + [b"data: [DONE]\n\n"]


@dataclass
class Stub:
    port: int = 0
    models_body: bytes = b'{"object": "list", "data": [{"id": "stub-model", "object": "model"}]}'
    models_status: int = 200
    head_delay: float = 0.0
    stream: list = field(default_factory=lambda: sse("Hello", " there"))
    requests: list[tuple[str, dict, bytes]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@contextmanager
def stub_server(**options) -> Iterator[Stub]:
    stub = Stub(**options)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            stub.requests.append((self.path, dict(self.headers), self.rfile.read(length)))

        def do_GET(self):
            self._record()
            self.send_response(stub.models_status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(stub.models_body)))
            self.end_headers()
            self.wfile.write(stub.models_body)

        def do_POST(self):
            self._record()
            if stub.head_delay and stub.stopped.wait(stub.head_delay):
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for step in stub.stream:
                    if isinstance(step, bytes):
                        self.wfile.write(step)
                        self.wfile.flush()
                    elif stub.stopped.wait(step):
                        return
            except OSError:  # the client hung up
                pass
            self.close_connection = True

        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.stopped.set()
        server.shutdown()
        server.server_close()
