"""A stand-in for the Hugging Face Hub on 127.0.0.1, serving repos from folders in the shape
`huggingface_hub` reads (this machine cannot reach the real Hub):

- `GET /api/models/{repo}` and `/api/models/{repo}/revision/{rev}`: id, sha, gated,
  cardData.license and siblings with sizes (LFS entries with sha256 for weight files);
- `HEAD`/`GET /{repo}/resolve/{rev}/{file}`: X-Repo-Commit, ETag (the LFS sha256 for weight
  files, a git-style blob id for others), X-Linked-Size / X-Linked-Etag for LFS files,
  Content-Length, and Range (206 with Content-Range);
- errors as the Hub sends them, with its X-Error-Code header: RepoNotFound (404),
  RevisionNotFound, EntryNotFound, and GatedRepo (401 without a token, 403 with a wrong one;
  model info stays public, as on the Hub);
- `cut_after`: responses that would pass that byte of a file end there (one starting past it
  sends nothing) and the connection closes, `cuts` times or always (None), to test resuming
  and failing downloads.

It records the Authorization headers and Range requests it saw and the bytes it served per
file, and shuts itself down after `lifetime_s` whatever the test does."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".gguf", ".safetensors", ".bin")
CHUNK = 256 * 1024


@dataclass
class StandInRepo:
    repo_id: str
    folder: Path
    license: str = "apache-2.0"
    token: str | None = None  # set: the repo is gated and this token may read it
    names_commit: bool = True  # False: model info without its "sha", as some mirrors answer

    @property
    def commit(self) -> str:
        return hashlib.sha1(f"commit of {self.repo_id}".encode()).hexdigest()

    def files(self) -> dict[str, Path]:
        return {p.relative_to(self.folder).as_posix(): p for p in sorted(self.folder.rglob("*")) if p.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class StandIn:
    port: int = 0
    repos: dict[str, StandInRepo] = field(default_factory=dict)
    cut_after: int | None = None
    cuts: int | None = None  # how many more responses to cut; None = every one
    authorizations: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    served: Counter = field(default_factory=Counter)  # file name -> bytes of its content sent
    _hashes: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, repo: StandInRepo) -> StandInRepo:
        self.repos[repo.repo_id] = repo
        return repo

    def weight_bytes_served(self) -> int:
        return sum(n for name, n in self.served.items() if name.endswith(LFS_SUFFIXES))

    def sha256(self, path: Path) -> str:
        key = (path, path.stat().st_mtime_ns)
        if key not in self._hashes:
            self._hashes[key] = _sha256(path)
        return self._hashes[key]

    def etag(self, path: Path) -> str:
        if path.name.endswith(LFS_SUFFIXES):
            return self.sha256(path)
        data = path.read_bytes()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    def info(self, repo: StandInRepo) -> dict:
        siblings = []
        for name, path in repo.files().items():
            size = path.stat().st_size
            entry = {"rfilename": name, "size": size, "blobId": self.etag(path)}
            if name.endswith(LFS_SUFFIXES):
                entry["lfs"] = {"size": size, "sha256": self.sha256(path), "pointerSize": 134}
            siblings.append(entry)
        return {"_id": repo.commit[:24], "id": repo.repo_id, "modelId": repo.repo_id,
                **({"sha": repo.commit} if repo.names_commit else {}), "private": False, "gated": "manual" if repo.token else False, "disabled": False,
                "tags": [], "cardData": {"license": repo.license}, "siblings": siblings}


MODEL_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+(?:/[^/]+)??)(?:/revision/(?P<rev>[^/]+))?$")
RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def _handler(hub: StandIn):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _error(self, status: int, code: str, repo: StandInRepo | None = None) -> None:
            body = json.dumps({"error": code}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", code)
            if repo is not None:
                self.send_header("X-Repo-Commit", repo.commit)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _repo(self, repo_id: str, revision: str | None) -> StandInRepo | None:
            repo = hub.repos.get(unquote(repo_id))
            if repo is None:
                self._error(404, "RepoNotFound")
                return None
            if revision is not None and unquote(revision) not in ("main", repo.commit):
                self._error(404, "RevisionNotFound", repo)
                return None
            return repo

        def do_GET(self):
            auth = self.headers.get("Authorization")
            if auth:
                hub.authorizations.append(auth)
            path = urlsplit(self.path).path
            if match := MODEL_INFO.match(path):
                repo = self._repo(match["repo"], match["rev"])
                if repo is not None:
                    self._json(hub.info(repo))
                return
            if match := RESOLVE.match(path):
                repo = self._repo(match["repo"], match["rev"])
                if repo is not None:
                    self._resolve(repo, unquote(match["file"]), auth)
                return
            self._error(404, "RepoNotFound")

        do_HEAD = do_GET

        def _json(self, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _resolve(self, repo: StandInRepo, name: str, auth: str | None) -> None:
            if repo.token is not None:
                if auth is None:
                    return self._error(401, "GatedRepo", repo)
                if auth != f"Bearer {repo.token}":
                    return self._error(403, "GatedRepo", repo)
            path = repo.files().get(name)
            if path is None:
                return self._error(404, "EntryNotFound", repo)
            size = path.stat().st_size
            start, end = 0, size - 1
            requested = self.headers.get("Range")
            if requested and (match := RANGE.match(requested)):
                hub.ranges.append(requested)
                start = int(match[1])
                end = min(int(match[2]), size - 1) if match[2] else size - 1
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
            self.send_response(206 if requested else 200)
            etag = hub.etag(path)
            self.send_header("X-Repo-Commit", repo.commit)
            self.send_header("ETag", f'"{etag}"')
            if name.endswith(LFS_SUFFIXES):
                self.send_header("X-Linked-Size", str(size))
                self.send_header("X-Linked-Etag", f'"{etag}"')
            self.send_header("Accept-Ranges", "bytes")
            if requested:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(end - start + 1))
            self.end_headers()
            if self.command == "HEAD":
                return None
            self._send_file(path, name, start, end)
            return None

        def _send_file(self, path: Path, name: str, start: int, end: int) -> None:
            stop = end + 1
            cut = hub.cut_after is not None and hub.cut_after < stop and hub.cuts != 0
            if cut:
                stop = max(start, hub.cut_after)
                if hub.cuts is not None:
                    hub.cuts -= 1
            with path.open("rb") as source:
                source.seek(start)
                position = start
                while position < stop:
                    chunk = source.read(min(CHUNK, stop - position))
                    self.wfile.write(chunk)
                    hub.served[name] += len(chunk)
                    position += len(chunk)
            if cut:  # the rest never comes: the client sees the connection close mid-body
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)

    return Handler


@contextmanager
def hub_stand_in(*repos: StandInRepo, lifetime_s: float = 300) -> Iterator[StandIn]:
    """The stand-in serving `repos` (more may be added), stopped on exit or after `lifetime_s`."""
    hub = StandIn()
    for repo in repos:
        hub.add(repo)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    server.daemon_threads = True
    hub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = threading.Timer(lifetime_s, server.shutdown)
    deadline.daemon = True
    deadline.start()
    try:
        yield hub
    finally:
        deadline.cancel()
        server.shutdown()
        server.server_close()
