"""Talking to a remote OpenAI-compatible server through apps.core.outbound (so its base URL
passes the SSRF checks before every request): list its models (`GET {base}/models`) and
stream a chat completion (`POST {base}/chat/completions` with `stream: true`, its server-sent
events parsed as they arrive). Knows nothing of the database: callers pass the base URL and
the opened key. Everything that goes wrong raises `RemoteError` saying why in the user's
terms; `field` names the endpoint's field the problem is with ("base_url" or "api_key")."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings

from apps.core.outbound import OutboundError, OutboundStream, outbound_request, outbound_stream

MAX_MODELS = 500
MAX_MODEL_ID_CHARS = 200
# The standard sampling fields every OpenAI-compatible server takes, and extensions (vLLM,
# llama.cpp, Ollama and SloughGPT take them; OpenAI refuses them) sent only when set.
STANDARD_SETTINGS = ("temperature", "top_p", "seed", "stop")
EXTENSION_SETTINGS = ("top_k", "min_p", "repetition_penalty")
STOP_POLL_S = 0.25  # how soon a stop hangs up on a streaming server


class RemoteError(Exception):
    def __init__(self, message: str, *, field: str = "base_url", status: int | None = None):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


@dataclass(frozen=True)
class Piece:
    """One event of a streamed completion: text, and at the end a finish reason and usage."""

    text: str = ""
    finish_reason: str | None = None
    usage: dict | None = None


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _headers(api_key: str) -> dict[str, str]:
    headers = {"Accept": "application/json, text/event-stream", "User-Agent": "SloughGPT"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def _refusal(status: int, body: bytes) -> RemoteError:
    """The error for a non-2xx answer: the server's own message when it sent one."""
    detail = ""
    try:
        error = json.loads(body).get("error")
        detail = error.get("message", "") if isinstance(error, dict) else str(error or "")
    except (ValueError, AttributeError):
        pass
    detail = f": {detail[:300]}" if detail else ""
    field = "api_key" if status in (401, 403) else "base_url"
    return RemoteError(f"the endpoint answered HTTP {status}{detail}", field=field, status=status)


def models_fetch(base_url: str, api_key: str) -> list[str]:
    """The model ids the server lists, sorted; RemoteError when it cannot be asked or does
    not answer with an OpenAI model list."""
    try:
        response = outbound_request("GET", _url(base_url, "/models"), headers=_headers(api_key))
    except OutboundError as exc:
        raise RemoteError(str(exc)) from None
    if response.status != 200:
        raise _refusal(response.status, response.body)
    try:
        data = json.loads(response.body)["data"]
        ids = [entry["id"] for entry in data]
    except (ValueError, KeyError, TypeError):
        raise RemoteError("the endpoint's answer to GET /models is not an OpenAI model list") from None
    if not all(isinstance(i, str) and 0 < len(i) <= MAX_MODEL_ID_CHARS and i.isprintable() for i in ids):
        raise RemoteError(f"the endpoint lists a model id that is not text of 1 to {MAX_MODEL_ID_CHARS} characters")
    if len(ids) > MAX_MODELS:
        raise RemoteError(f"the endpoint lists {len(ids)} models; at most {MAX_MODELS} are kept")
    return sorted(set(ids))


def _body(model: str, messages: list[dict], sampling: dict, max_tokens: int) -> bytes:
    body = {"model": model, "messages": messages, "stream": True, "max_tokens": max_tokens,
            "stream_options": {"include_usage": True}}
    for key in (*STANDARD_SETTINGS, *EXTENSION_SETTINGS):
        if sampling.get(key) is not None:
            body[key] = sampling[key]
    return json.dumps(body).encode()


def _piece(data: str) -> Piece:
    """The piece one `data:` line carries; RemoteError for anything that is not a chat
    completion chunk (or an error the server streamed)."""
    try:
        event = json.loads(data)
    except ValueError:
        raise RemoteError(f"the endpoint streamed something that is not JSON: {data[:80]!r}") from None
    if not isinstance(event, dict):
        raise RemoteError(f"the endpoint streamed something that is not a completion chunk: {data[:80]!r}")
    if "error" in event:
        error = event["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise RemoteError(f"the endpoint failed: {str(message)[:300]}")
    choices, usage = event.get("choices"), event.get("usage")
    if not isinstance(choices, list) or (usage is not None and not isinstance(usage, dict)):
        raise RemoteError(f"the endpoint streamed something that is not a completion chunk: {data[:80]!r}")
    if not choices:
        return Piece(usage=usage)
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta")
    text = delta.get("content") if isinstance(delta, dict) else None
    if not isinstance(delta, dict) or not isinstance(text, str | None):
        raise RemoteError(f"the endpoint streamed something that is not a completion chunk: {data[:80]!r}")
    finish = choice.get("finish_reason")
    return Piece(text=text or "", finish_reason=finish if isinstance(finish, str) else None, usage=usage)


@contextmanager
def _hang_up_when(answer: OutboundStream, should_stop: Callable[[], bool]) -> Iterator[None]:
    """Ask `should_stop` every STOP_POLL_S while the block runs, and hang up once it says so:
    a stop must not wait for a server that has gone quiet to send its next piece."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(STOP_POLL_S):
            if should_stop():
                answer.abort()
                return

    watcher = threading.Thread(target=watch, name="remote-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def chat_stream(base_url: str, api_key: str, *, model: str, messages: list[dict], sampling: dict,
                max_tokens: int, should_stop: Callable[[], bool]) -> Iterator[Piece]:
    """The completion of `messages` by `model`, piece by piece as the server streams it. Ends
    at the server's `[DONE]`, or early once `should_stop` says so (asked every STOP_POLL_S,
    also while the server is silent); a stream that ends without it, sends something else
    than completion chunks, goes quiet for SLOUGHGPT_REMOTE_IDLE_S or runs past
    SLOUGHGPT_REMOTE_TIMEOUT_S raises RemoteError (the text before it was yielded)."""
    request = _body(model, messages, sampling, max_tokens)
    headers = {**_headers(api_key), "Content-Type": "application/json"}
    try:
        with outbound_stream("POST", _url(base_url, "/chat/completions"), body=request, headers=headers,
                             timeout_s=settings.SLOUGHGPT_REMOTE_TIMEOUT_S, idle_s=settings.SLOUGHGPT_REMOTE_IDLE_S,
                             max_bytes=settings.SLOUGHGPT_REMOTE_MAX_BYTES) as answer, \
                _hang_up_when(answer, should_stop):
            if answer.status != 200:
                raise _refusal(answer.status, answer.read())
            for line in answer.lines():
                if not line or line.startswith((":", "event:", "id:", "retry:")):
                    continue  # SSE's separators, comments and fields we need not read
                if not line.startswith("data:"):
                    raise RemoteError(f"the endpoint streamed something that is not server-sent events: "
                                      f"{line[:80]!r}")
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                yield _piece(data)
            if answer.aborted:
                return
    except OutboundError as exc:
        raise RemoteError(str(exc)) from None
    raise RemoteError("the endpoint ended the answer without finishing it")
