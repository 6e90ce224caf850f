"""Python client for SloughGPT experiment tracking, for training scripts anywhere:

    from sloughgpt.client import Client

    client = Client()  # SLOUGHGPT_URL and SLOUGHGPT_API_TOKEN from the environment
    with client.start_run("tiny-gpt", "baseline", params={"lr": 3e-4}) as run:
        for step in range(1000):
            run.log_metrics({"loss": loss, "lr": lr}, step=step)
        run.log_artifact("checkpoints/last.sou")

Metrics are buffered and sent in batches by a background thread (when `batch_size` points
wait or every `flush_interval` seconds), so logging never waits on the network. Requests are
retried with exponential backoff on connection errors, 5xx and 429 (honouring Retry-After),
never on other 4xx: those are mistakes a retry would only repeat."""

from __future__ import annotations

import logging
import math
import operator
import os
import threading
import time
import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

import requests

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8000"
MAX_POINTS_PER_REQUEST = 10_000
MAX_KEY_LENGTH = 250


class ApiError(Exception):
    """The server refused a request (4xx), or kept failing after every retry (5xx/429)."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}

    @classmethod
    def from_response(cls, response: requests.Response) -> ApiError:
        try:
            error = response.json()["error"]
            return cls(
                response.status_code,
                error.get("code", "error"),
                error.get("message", ""),
                error.get("fields"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls(response.status_code, "error", response.text[:500])


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8  # tries in all, the first included: rides out a server restart
    backoff: float = 0.5  # seconds before the first retry; doubles after each
    max_backoff: float = 30.0  # no single wait is longer, however many retries

    def delay(self, retry: int) -> float:
        return min(self.max_backoff, self.backoff * 2**retry)


def _retry_after(response: requests.Response) -> float | None:
    """Seconds the server asked us to wait (a number or an HTTP date), or None."""
    header = response.headers.get("Retry-After")
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class _MultipartBody:
    """A multipart/form-data body read from disk as it is sent: requests would otherwise
    read the whole file into memory. Its length is known, so no chunked encoding is needed."""

    def __init__(self, fields: dict[str, str], file_field: str, path: Path):
        self.boundary = uuid.uuid4().hex
        head = b""
        for name, value in fields.items():
            head += (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n"
            ).encode()
        filename = path.name.replace('"', "_")
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self._parts: list[bytes | Path] = [head, path, f"\r\n--{self.boundary}--\r\n".encode()]
        self._length = len(head) + path.stat().st_size + len(self._parts[2])
        self._index = 0
        self._current: BinaryIO | None = None
        self._offset = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        size = self._length if size is None or size < 0 else size
        out = b""
        while len(out) < size and self._index < len(self._parts):
            part = self._parts[self._index]
            if isinstance(part, bytes):
                chunk = part[self._offset : self._offset + size - len(out)]
                self._offset += len(chunk)
                done = self._offset >= len(part)
            else:
                self._current = self._current or part.open("rb")
                chunk = self._current.read(size - len(out))
                done = not chunk
                if done:
                    self._current.close()
                    self._current = None
            out += chunk
            if done:
                self._index, self._offset = self._index + 1, 0
        return out


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    description: str = ""


class Client:
    """One authenticated connection to a SloughGPT server."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy = RetryPolicy(),
    ):
        self.base_url = (base_url or os.environ.get("SLOUGHGPT_URL") or DEFAULT_URL).rstrip("/")
        token = token or os.environ.get("SLOUGHGPT_API_TOKEN")
        if not token:
            raise ValueError(
                "No API token: pass token=... or set SLOUGHGPT_API_TOKEN "
                "(create one under Settings -> API tokens)."
            )
        self.timeout = timeout
        self.retry = retry
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "User-Agent": "sloughgpt-client"}
        )

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """`method /api/v1/<path>`, retried per the policy; ApiError when it fails for good.
        A body given as `body_factory` is rebuilt for every attempt (a stream reads once)."""
        url = f"{self.base_url}/api/v1/{path.lstrip('/')}"
        body_factory = kwargs.pop("body_factory", None)
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            if body_factory is not None:
                kwargs.update(body_factory())
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if last:
                    raise
                wait = self.retry.delay(attempt)
                log.warning("%s %s failed (%s); retrying in %.1fs", method, url, exc, wait)
            else:
                if response.status_code < 400:
                    return response
                if response.status_code != 429 and response.status_code < 500 or last:
                    raise ApiError.from_response(response)
                wait = _retry_after(response)
                wait = (
                    self.retry.delay(attempt) if wait is None else min(wait, self.retry.max_backoff)
                )
                log.warning(
                    "%s %s answered %s; retrying in %.1fs", method, url, response.status_code, wait
                )
            time.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def create_experiment(
        self, name: str, description: str = "", *, exist_ok: bool = True
    ) -> Experiment:
        """A new experiment, or (with exist_ok) the one that already has this name."""
        try:
            body = self.request(
                "POST", "experiments/", json={"name": name, "description": description}
            ).json()
        except ApiError as exc:
            if not (exist_ok and exc.status == 400 and "name" in exc.fields):
                raise
            found = self.request("GET", "experiments/", params={"name": name.strip()}).json()[
                "results"
            ]
            if not found:
                raise
            body = found[0]
        return Experiment(id=body["id"], name=body["name"], description=body["description"])

    def start_run(
        self,
        experiment: Experiment | int | str,
        name: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        notes: str = "",
        batch_size: int = 1000,
        flush_interval: float = 2.0,
    ) -> Run:
        """A running run in `experiment` (an Experiment, its id, or a name, created if new)."""
        if isinstance(experiment, str):
            experiment = self.create_experiment(experiment)
        experiment_id = experiment.id if isinstance(experiment, Experiment) else int(experiment)
        body = self.request(
            "POST",
            f"experiments/{experiment_id}/runs/",
            json={
                "name": name or time.strftime("run-%Y%m%d-%H%M%S"),
                "params": params or {},
                "tags": tags or {},
                "notes": notes,
                "status": "running",
            },
        ).json()
        return Run(self, body, batch_size=batch_size, flush_interval=flush_interval)

    def sweep_agent(self, sweep_id: int, function, *, count: int | None = None) -> int:
        """Runs `function(trial)` for each trial of the external sweep until it takes no more
        (see sloughgpt.sweep); returns how many ran."""
        from .sweep import run_agent

        return run_agent(self, sweep_id, function, count=count)

    def search_runs(
        self, experiment_id: int, *, filter: str = "", order_by: str = ""
    ) -> list[dict]:
        """Every run of the experiment matching the search language (see the API docs)."""
        runs, page = [], 1
        while True:
            body = self.request(
                "GET",
                f"experiments/{experiment_id}/runs/",
                params={"filter": filter, "order_by": order_by, "page": page, "page_size": 500},
            ).json()
            runs.extend(body["results"])
            if not body["next"]:
                return runs
            page += 1

    def upload_artifact(self, run_id: int, path: str | os.PathLike, name: str | None = None) -> dict:
        """Uploads a file to a run (streamed from disk); `name` defaults to the file's name
        and may be a relative path such as "checkpoints/best.sou". Returns its id, size and
        sha256."""
        source = Path(path)
        if not source.is_file():
            raise FileNotFoundError(f"no such file: {source}")

        def body() -> dict:
            multipart = _MultipartBody({"path": name or source.name}, "file", source)
            return {"data": multipart, "headers": {"Content-Type": multipart.content_type}}

        return self.request("POST", f"runs/{run_id}/artifacts/", body_factory=body).json()


def _check_point(key: str, value, step) -> dict:
    """The point as JSON, or ValueError at the call site rather than a 400 later."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"metric key must be a non-empty string of at most {MAX_KEY_LENGTH} characters"
        )
    # float() would accept "1.0" and True; the server refuses both, so refuse them here.
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"metric {key!r}: {value!r} is not a number")
    try:
        number = float(value)  # numpy and torch scalars too
    except (TypeError, ValueError):
        raise ValueError(f"metric {key!r}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"metric {key!r} at step {step}: {number} is not finite")
    try:
        whole = operator.index(step)
    except TypeError:
        raise ValueError(f"metric {key!r}: step must be a whole number, not {step!r}") from None
    if whole < 0:
        raise ValueError(f"metric {key!r}: step must be >= 0, not {whole}")
    return {"key": key, "value": number, "step": whole, "timestamp": time.time()}


class Run:
    """A run being logged. Use it as a context manager, or call finish()."""

    def __init__(self, client: Client, body: dict, *, batch_size: int, flush_interval: float):
        self.client = client
        self.id: int = body["id"]
        self.name: str = body["name"]
        self.experiment_id: int = body["experiment"]
        self.batch_size = max(1, min(batch_size, MAX_POINTS_PER_REQUEST))
        self.flush_interval = flush_interval
        self._buffer: list[dict] = []
        self._buffer_lock = threading.Lock()
        # One batch in flight at a time, so points arrive in the order they were logged.
        self._send_lock = threading.Lock()
        self._unsent: tuple[list[dict], str] | None = None  # (points, idempotency key) not yet stored
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._error: ApiError | None = None
        self._finished = False
        self._thread = threading.Thread(
            target=self._flush_loop, name=f"sloughgpt-run-{self.id}", daemon=True
        )
        self._thread.start()

    # -- metrics --

    def log_metric(self, key: str, value: float, step: int) -> None:
        self._append([_check_point(key, value, step)])

    def log_metrics(self, values: dict[str, float], step: int) -> None:
        self._append([_check_point(key, value, step) for key, value in values.items()])

    def _append(self, points: list[dict]) -> None:
        self._raise_refused()
        with self._buffer_lock:
            self._buffer.extend(points)
            full = len(self._buffer) >= self.batch_size
        if full:
            self._wake.set()

    def _raise_refused(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _send_pending(self) -> None:
        with self._send_lock:
            while True:
                if self._unsent is None:
                    with self._buffer_lock:
                        batch = self._buffer[: self.batch_size]
                        del self._buffer[: self.batch_size]
                    if not batch:
                        return
                    # The batch keeps its key until the server has it, so a resend after a
                    # lost answer is stored once (the server answers it with the first count).
                    self._unsent = (batch, uuid.uuid4().hex)
                batch, key = self._unsent
                try:
                    self.client.request("POST", f"runs/{self.id}/metrics/",
                                        json={"metrics": batch}, headers={"Idempotency-Key": key})
                except ApiError as exc:
                    if exc.status < 500 and exc.status != 429:
                        self._unsent = None  # the server refused these points; resending cannot help
                    raise
                self._unsent = None

    def _flush_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self._send_pending()
            except ApiError as exc:
                if exc.status < 500 and exc.status != 429:
                    self._error = exc
                log.warning("sending metrics of run %s failed: %s", self.id, exc)
            except (requests.ConnectionError, requests.Timeout) as exc:
                # The points stay buffered; the next interval tries again.
                log.warning("sending metrics of run %s failed: %s", self.id, exc)

    def flush(self) -> None:
        """Sends every buffered point now; raises what the server refused."""
        self._raise_refused()
        self._send_pending()

    # -- everything else --

    def log_params(self, params: dict[str, Any]) -> None:
        self.client.request("POST", f"runs/{self.id}/params/", json={"params": params})

    def set_tags(self, tags: dict[str, str | None]) -> None:
        """Sets these tags (None removes one); other tags stay."""
        self.client.request("PATCH", f"runs/{self.id}/", json={"tags": tags})

    def log_artifact(self, path: str | os.PathLike, name: str | None = None) -> dict:
        """Uploads a file (see Client.upload_artifact)."""
        return self.client.upload_artifact(self.id, path, name)

    def finish(self, status: str = "finished") -> None:
        """Flushes the remaining points and records the final status."""
        if self._finished:
            return
        self._stopping.set()
        self._wake.set()
        self._thread.join()
        try:
            self.flush()
        finally:
            self._finished = True
            self.client.request("PATCH", f"runs/{self.id}/", json={"status": status})

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is KeyboardInterrupt:
            self.finish("cancelled")
        else:
            self.finish("failed" if exc_type is not None else "finished")
