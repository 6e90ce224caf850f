"""Talking to a remote OpenAI-compatible server through apps.core.outbound (so its base URL
passes the SSRF checks before every request): list its models (`GET {base}/models`) and
stream a chat completion (`POST {base}/chat/completions` with `stream: true`, its server-sent
events parsed as they arrive). Knows nothing of the database: callers pass the base URL and
the opened key. Everything that goes wrong raises `RemoteError` saying why in the user's
terms; `field` names the endpoint's field the problem is with ("base_url" or "api_key").

What a remote says in an error is shown to the user and stored (a failed reply, an
endpoint's last error), so only a short excerpt of it is kept, with the key and anything
shaped like a credential taken out (`_excerpt`): some gateways echo the key they refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings

from apps.core.outbound import OutboundError, OutboundStopped, outbound_request, outbound_stream

MAX_MODELS = 500
MAX_MODEL_ID_CHARS = 200
# The standard sampling fields every OpenAI-compatible server takes, and extensions (vLLM,
# llama.cpp, Ollama and SloughGPT take them; OpenAI refuses them) sent only when set.
STANDARD_SETTINGS = ("temperature", "top_p", "seed", "stop")
EXTENSION_SETTINGS = ("top_k", "min_p", "repetition_penalty")
EXCERPT_CHARS = 120  # how much of a remote's own error text is kept
# What looks like a credential in a remote's text: "Bearer <token>", "Authorization: <...>",
# and the key shapes OpenAI-compatible servers hand out ("sk-...", "key-...", "hf_...").
CREDENTIAL = re.compile(r"(?i)(bearer\s+|authorization[\"']?\s*[:=]\s*[\"']?)\S+"
                        r"|\b(?:sk|key|token|api|hf|gsk|pk)[-_][A-Za-z0-9_\-.]{6,}")


class RemoteError(Exception):
    """Why a remote endpoint could not be used; `partial` is the text it had streamed before
    (set by the generation that read it)."""

    def __init__(self, message: str, *, field: str = "base_url", partial: str = ""):
        super().__init__(message)
        self.message, self.field, self.partial = message, field, partial


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


def _excerpt(text, api_key: str) -> str:
    """A short, printable excerpt of what a remote said, without the key or anything shaped
    like a credential (whatever JSON type the remote sent)."""
    text = str(text)
    if api_key:
        text = text.replace(api_key, "[key]")
    text = CREDENTIAL.sub(lambda match: (match.group(1) or "") + "[redacted]", text)
    text = "".join(char if char.isprintable() else " " for char in text)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _refusal(status: int, body: bytes, api_key: str) -> RemoteError:
    """The error for a non-2xx answer: an excerpt of the server's own message when it sent one."""
    detail = ""
    try:
        error = json.loads(body).get("error")
        detail = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        pass
    detail = f": {_excerpt(detail, api_key)}" if detail else ""
    field = "api_key" if status in (401, 403) else "base_url"
    return RemoteError(f"the endpoint answered HTTP {status}{detail}", field=field)


def models_fetch(base_url: str, api_key: str) -> list[str]:
    """The model ids the server lists, sorted; RemoteError when it cannot be asked or does
    not answer with an OpenAI model list."""
    try:
        response = outbound_request("GET", _url(base_url, "/models"), headers=_headers(api_key))
    except OutboundError as exc:
        raise RemoteError(str(exc)) from None
    if response.status != 200:
        raise _refusal(response.status, response.body, api_key)
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


def _piece(data: str, api_key: str) -> Piece:
    """The piece one `data:` line carries; RemoteError for anything that is not a chat
    completion chunk (or an error the server streamed)."""
    not_chunk = f"the endpoint streamed something that is not a completion chunk: {_excerpt(data, api_key)!r}"
    try:
        event = json.loads(data)
    except ValueError:
        raise RemoteError(f"the endpoint streamed something that is not JSON: {_excerpt(data, api_key)!r}") from None
    if not isinstance(event, dict):
        raise RemoteError(not_chunk)
    if "error" in event:
        error = event["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise RemoteError(f"the endpoint failed: {_excerpt(message, api_key)}")
    choices, usage = event.get("choices"), event.get("usage")
    if not isinstance(choices, list) or (usage is not None and not isinstance(usage, dict)):
        raise RemoteError(not_chunk)
    if not choices:
        return Piece(usage=usage)
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta")
    text = delta.get("content") if isinstance(delta, dict) else None
    if not isinstance(delta, dict) or not isinstance(text, str | None):
        raise RemoteError(not_chunk)
    finish = choice.get("finish_reason")
    return Piece(text=text or "", finish_reason=finish if isinstance(finish, str) else None, usage=usage)


def chat_stream(base_url: str, api_key: str, *, model: str, messages: list[dict], sampling: dict,
                max_tokens: int, should_stop: Callable[[], bool]) -> Iterator[Piece]:
    """The completion of `messages` by `model`, piece by piece as the server streams it. Ends
    at the server's `[DONE]`, or early once `should_stop` says so (asked a few times a
    second from before the request is sent, also while the server is silent); a stream that
    ends without it, sends something else than completion chunks, completes no line for
    SLOUGHGPT_REMOTE_IDLE_S or runs past
    SLOUGHGPT_REMOTE_TIMEOUT_S raises RemoteError (the text before it was yielded)."""
    request = _body(model, messages, sampling, max_tokens)
    headers = {**_headers(api_key), "Content-Type": "application/json"}
    try:
        with outbound_stream("POST", _url(base_url, "/chat/completions"), body=request, headers=headers,
                             timeout_s=settings.SLOUGHGPT_REMOTE_TIMEOUT_S, idle_s=settings.SLOUGHGPT_REMOTE_IDLE_S,
                             max_bytes=settings.SLOUGHGPT_REMOTE_MAX_BYTES, should_stop=should_stop) as answer:
            if answer.status != 200:
                raise _refusal(answer.status, answer.read(), api_key)
            for line in answer.lines():
                if not line or line.startswith((":", "event:", "id:", "retry:")):
                    continue  # SSE's separators, comments and fields we need not read
                if not line.startswith("data:"):
                    raise RemoteError(f"the endpoint streamed something that is not server-sent events: "
                                      f"{_excerpt(line, api_key)!r}")
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                yield _piece(data, api_key)
            if answer.aborted:
                return
    except OutboundStopped:
        return  # stopped before the server answered: an empty, cancelled reply
    except OutboundError as exc:
        raise RemoteError(str(exc)) from None
    raise RemoteError("the endpoint ended the answer without finishing it")
