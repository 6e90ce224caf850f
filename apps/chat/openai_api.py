"""The OpenAI-compatible API under /v1 (the official `openai` client works unchanged):
`GET /v1/models`, `GET /v1/models/<name>`, `POST /v1/chat/completions`,
`POST /v1/completions` (streamed as server-sent events or whole) and `POST /v1/embeddings`.
Chat completions take two extension fields: `personality`, a personality's id, or a name (one
of the caller's own, else a built-in such as "sage"), whose prompt and sampling defaults the
reply then has; and `sloughgpt`: {"collections": [ids], "retrieval_mode": "hybrid" | "graph" |
"hybrid+graph"}, documents to ground the reply in, whose citations come back in the
response's own `sloughgpt` field (the last chunk's, when streamed).

Callers authenticate with a personal API token (`Authorization: Bearer sg_...`); models are
the ready model versions the caller can read (their own, their teams' and those shared with
them; `owned_by` says "you" or "shared") by name (`NAME`, `NAME:1.2.0`, `NAME:1.2.0:Q8_0`),
and the models of the caller's remote endpoints (apps.endpoints) as
`remote/<endpoint name>/<model id>` (`owned_by` "remote"): chat completions with those are
proxied to the endpoint, streamed or whole, with the caller's quota (its failures are 502s
with code `remote_failed`); text completions are refused for them.
Errors use OpenAI's shape: {"error": {"message", "type", "param", "code"}}.

Completions run on the inference workers, like chat: the view starts one with
`completions.completion_start` (a quota lease, then `completion_inference_task`) and reads
the worker's events from a per-request Redis list. So
API and chat requests for the same model share one engine and batch together on the GPU
worker, the web process never loads a model, and quotas hold across both. Embeddings are a
small bounded forward pass and run in the web process's thread pool.

Database reads go through sync_to_async's per-request thread, so Django closes their
connections when the request ends; starting a completion (its database reads, quota step
and Celery publish), Redis and embedding calls use the shared pool, so one request's start
never waits behind another's."""

from __future__ import annotations

import base64
import functools
import json
import time
from collections.abc import AsyncIterator

import numpy as np
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.core.exceptions import RequestDataTooBig
from django.db import connections
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed

from apps.accounts.services import api_token_check
from apps.core.parsers import JSONInputError, json_loads
from apps.endpoints.selectors import remote_model_list
from apps.quotas.ratelimit import api_request_count
from apps.rag.models import GROUNDING_MODES
from apps.registry.selectors import served_model_names

from . import redis_state
from .completions import completion_start
from .conf import setting
from .ids import api_generation_id
from .openai_errors import OpenAIError
from .realtime import reply_key

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
EMBEDDING_ALIASES = {EMBEDDING_MODEL, f"sentence-transformers/{EMBEDDING_MODEL}"}
MAX_EMBEDDING_INPUTS = 2048
MAX_STOP_SEQUENCES = 4
MAX_COLLECTIONS = 20  # as a conversation's
DELTA_TIMEOUT_S = 300  # a decode step never takes this long; a silent worker has died
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def openai_endpoint(*methods: str):
    """An async, CSRF-exempt (token-only) view whose failures come back in OpenAI's shape."""

    def decorate(view):
        @functools.wraps(view)
        async def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return OpenAIError(405, f"{request.method} is not allowed here; use "
                                        f"{' or '.join(methods)}").response()
            try:
                user = await _authenticate(request)
                await _count_request(request, user)
                return await view(request, user, *args, **kwargs)
            except OpenAIError as exc:
                return exc.response()

        return csrf_exempt(wrapper)

    return decorate


async def _authenticate(request):
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise OpenAIError(401, "Send your SloughGPT API token as 'Authorization: Bearer <token>'.",
                          code="invalid_api_key")
    try:
        return await sync_to_async(api_token_check)(raw=raw.strip())
    except AuthenticationFailed as exc:
        raise OpenAIError(401, str(exc.detail), code="invalid_api_key") from None


async def _count_request(request, user) -> None:
    """The account's API requests per minute (apps.quotas.ratelimit); its middleware adds the
    X-RateLimit headers to the response."""
    window = await sync_to_async(api_request_count)(user)
    request.api_rate_window = window
    if window is not None and not window.allowed:
        raise OpenAIError(429, window.message(), type="requests", code="rate_limit_exceeded",
                          headers={"Retry-After": str(window.retry_after())})


# -- request parsing -----------------------------------------------------------------------------
def _body(request) -> dict:
    try:
        data = json_loads(request.body or b"null")
    except RequestDataTooBig:
        raise OpenAIError(413, "The request body is larger than the server accepts.") from None
    except JSONInputError as exc:
        raise OpenAIError(400, exc.message, param=exc.field) from None
    if not isinstance(data, dict):
        raise OpenAIError(400, "The body must be a JSON object.")
    return data


def _number(data: dict, name: str, low: float, high: float, *, integer: bool = False,
            low_open: bool = False):
    value = data.get(name)
    if value is None:
        return None
    kind = int if integer else (int, float)
    if not isinstance(value, kind) or isinstance(value, bool) or not (
            (value > low if low_open else value >= low) and value <= high):
        what = "an integer" if integer else "a number"
        bound = f"({low}" if low_open else f"[{low}"
        raise OpenAIError(400, f"'{name}' must be {what} in {bound}, {high}], got {value!r}.",
                          param=name)
    return value


def _refuse(data: dict, name: str, allowed, why: str) -> None:
    if name in data and data[name] not in allowed:
        raise OpenAIError(400, f"'{name}' is not supported: {why}.", param=name)


def _settings(data: dict) -> dict:
    """Sampling settings, validated; None for ones left to the model file."""
    _refuse(data, "n", (None, 1), "this server returns one choice (n=1)")
    _refuse(data, "logprobs", (None, False, 0), "log probabilities are not returned")
    _refuse(data, "best_of", (None, 1), "use n=1")
    _refuse(data, "echo", (None, False), "the prompt is not echoed")
    _refuse(data, "suffix", (None, ""), "insertion is not supported")
    _refuse(data, "tools", (None, []), "tool calls are not supported")
    for penalty in ("presence_penalty", "frequency_penalty"):
        _refuse(data, penalty, (None, 0, 0.0), "use repetition_penalty instead")
    stop = data.get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if stop is not None and (not isinstance(stop, list) or len(stop) > MAX_STOP_SEQUENCES
                             or not all(isinstance(s, str) and s for s in stop)):
        raise OpenAIError(400, f"'stop' must be a string or a list of up to {MAX_STOP_SEQUENCES} "
                               "non-empty strings.", param="stop")
    max_tokens = _number(data, "max_tokens", 1, 1 << 20, integer=True)
    if max_tokens is None:
        max_tokens = _number(data, "max_completion_tokens", 1, 1 << 20, integer=True)
    return {
        "temperature": _number(data, "temperature", 0, 2),
        "top_p": _number(data, "top_p", 0, 1, low_open=True),
        "top_k": _number(data, "top_k", 0, 1000, integer=True),
        "min_p": _number(data, "min_p", 0, 1),
        "repetition_penalty": _number(data, "repetition_penalty", 0, 10, low_open=True),
        "seed": _number(data, "seed", -(1 << 63), (1 << 63) - 1, integer=True),
        "stop": stop,
        "max_tokens": max_tokens,
    }


def _model_name(data: dict) -> str:
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise OpenAIError(400, "'model' is required: the name of one of your models "
                               "(GET /v1/models lists them).", param="model")
    return model.strip()


def _content(content, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(
                    part.get("text"), str):
                raise OpenAIError(400, "Only text content parts are supported.",
                                  param=f"messages[{index}].content")
            parts.append(part["text"])
        return "".join(parts)
    raise OpenAIError(400, "A message's content must be a string or a list of text parts.",
                      param=f"messages[{index}].content")


def _messages(data: dict) -> list[dict]:
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise OpenAIError(400, "'messages' must be a non-empty list.", param="messages")
    parsed = []
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise OpenAIError(400, f"The role must be one of {', '.join(ROLES)}, got {role!r}.",
                              param=f"messages[{index}].role")
        parsed.append({"role": ROLES[role], "content": _content(message.get("content"), index)})
    return parsed


def _prompt(data: dict) -> str:
    prompt = data.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str) or not prompt:
        raise OpenAIError(400, "'prompt' must be a non-empty string (one prompt per request).",
                          param="prompt")
    return prompt


def _personality(data: dict) -> int | str | None:
    personality = data.get("personality")
    if personality is None or (isinstance(personality, int) and not isinstance(personality, bool)
                               and 0 < personality < 1 << 63):
        return personality
    if isinstance(personality, str) and personality.strip():
        return personality.strip()
    raise OpenAIError(400, "'personality' must be a personality's id or name (GET "
                           "/api/v1/personalities/ lists yours and the built-ins).", param="personality")


def _retrieval(data: dict) -> dict | None:
    """The `sloughgpt` extension: {"collection_ids", "mode"}, or None when absent."""
    extension = data.get("sloughgpt")
    if extension is None:
        return None
    if not isinstance(extension, dict) or set(extension) - {"collections", "retrieval_mode"}:
        raise OpenAIError(400, "'sloughgpt' must be an object with 'collections' and optionally "
                               "'retrieval_mode'.", param="sloughgpt")
    collections = extension.get("collections")
    if not isinstance(collections, list) or not 0 < len(collections) <= MAX_COLLECTIONS or not all(
            isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk < 1 << 63 for pk in collections):
        raise OpenAIError(400, f"'sloughgpt.collections' must be a list of 1 to {MAX_COLLECTIONS} "
                               "collection ids.", param="sloughgpt.collections")
    mode = extension.get("retrieval_mode", "hybrid")
    if mode not in GROUNDING_MODES:
        raise OpenAIError(400, f"'sloughgpt.retrieval_mode' must be one of {', '.join(GROUNDING_MODES)}.",
                          param="sloughgpt.retrieval_mode")
    return {"collection_ids": list(dict.fromkeys(collections)), "mode": mode}


def _extension(done: dict) -> dict:
    """The response's `sloughgpt` field: the citations of the sources the reply was given."""
    return {"sloughgpt": {"citations": done["citations"]}} if "citations" in done else {}


# -- running a completion on a worker -------------------------------------------------------------
class _Replies:
    """Reads one request's events from its Redis list; one connection per event loop."""

    def __init__(self, request_id: str):
        self.request_id = request_id
        self.finished = False

    async def __aenter__(self):
        self.client = aioredis.Redis.from_url(redis_state.redis_url())
        return self

    async def __aexit__(self, *exc_info):
        await self.client.aclose()

    async def next(self, timeout: float) -> dict:
        item = await self.client.blpop([reply_key(self.request_id)], timeout=timeout)
        if item is None:
            raise TimeoutError
        event = json.loads(item[1])
        self.finished = event["type"] in ("done", "error")
        return event


def _error_event(event: dict) -> OpenAIError:
    status = event.get("status") or 500
    kind = "invalid_request_error" if status < 500 else "server_error"
    return OpenAIError(status, event["message"], type=kind, param=event.get("param"),
                       code=event.get("code"))


def _completion_start(**kwargs) -> str:
    # On a thread of its own (not the one shared sync thread, where every request's start
    # would queue behind the others' quota step and Celery publish), which keeps no
    # database connection once the start is done: Django closes only the shared thread's.
    try:
        return completion_start(**kwargs)
    finally:
        connections.close_all()


async def _start(user, name: str, prompt: dict, settings: dict, param: str,
                 personality: int | str | None = None, retrieval: dict | None = None) -> tuple[str, dict]:
    """Start the generation (completions.completion_start); returns (request id, the
    worker's "start" event)."""
    request_id = await sync_to_async(_completion_start, thread_sensitive=False)(
        user=user, name=name, prompt=prompt, settings=settings, param=param,
        personality=personality, retrieval=retrieval)
    async with _Replies(request_id) as replies:
        try:
            first = await replies.next(setting("SLOUGHGPT_INFERENCE_START_TIMEOUT_S"))
        except TimeoutError:
            redis_state.stop_request(api_generation_id(request_id))
            raise OpenAIError(503, "No inference worker started the request in time; try again.",
                              type="server_error", code="no_worker") from None
    if first["type"] == "error":
        raise _error_event(first)
    return request_id, first


async def _events(request_id: str) -> AsyncIterator[dict]:
    """The events after "start", ending with "done" or "error". Leaving early (the client
    went away) asks the worker to stop."""
    async with _Replies(request_id) as replies:
        try:
            while not replies.finished:
                try:
                    yield await replies.next(DELTA_TIMEOUT_S)
                except TimeoutError:
                    yield {"type": "error", "status": 504, "code": "worker_timeout", "param": None,
                           "message": "the inference worker stopped answering"}
                    return
        finally:
            if not replies.finished:
                redis_state.stop_request(api_generation_id(request_id))


def _sse(data) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream_response(chunks: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must pass each event on at once
    return response


async def _collect(request_id: str) -> tuple[str, dict]:
    """(the whole text, the "done" event) of a non-streamed request."""
    parts = []
    async for event in _events(request_id):
        if event["type"] == "delta":
            parts.append(event["text"])
        elif event["type"] == "error":
            raise _error_event(event)
        else:
            return "".join(parts), event
    raise OpenAIError(500, "the generation ended without a result", type="server_error")


def _include_usage(data: dict) -> bool:
    options = data.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


# -- endpoints ------------------------------------------------------------------------------------
@openai_endpoint("POST")
async def chat_completions(request, user):
    data = _body(request)
    name, messages, settings = _model_name(data), _messages(data), _settings(data)
    request_id, _ = await _start(user, name, {"messages": messages}, settings, "messages",
                                 _personality(data), _retrieval(data))
    completion_id, created = f"chatcmpl-{request_id}", int(time.time())

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                "model": name, "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    if not data.get("stream"):
        text, done = await _collect(request_id)
        return JsonResponse({
            "id": completion_id, "object": "chat.completion", "created": created, "model": name,
            "system_fingerprint": None, "usage": done["usage"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "logprobs": None, "finish_reason": done["finish_reason"]}],
            **_extension(done),
        })

    async def chunks():
        yield _sse(chunk({"role": "assistant", "content": ""}))
        async for event in _events(request_id):
            if event["type"] == "delta":
                yield _sse(chunk({"content": event["text"]}))
            elif event["type"] == "done":
                yield _sse({**chunk({}, event["finish_reason"]), **_extension(event)})
                if _include_usage(data):
                    yield _sse({**chunk({}), "choices": [], "usage": event["usage"]})
            else:
                yield _sse(json.loads(_error_event(event).response().content))
        yield "data: [DONE]\n\n"

    return _stream_response(chunks())


@openai_endpoint("POST")
async def completions(request, user):
    data = _body(request)
    name, prompt, settings = _model_name(data), _prompt(data), _settings(data)
    request_id, _ = await _start(user, name, {"prompt": prompt}, settings, "prompt")
    completion_id, created = f"cmpl-{request_id}", int(time.time())

    def body(text: str, finish: str | None) -> dict:
        return {"id": completion_id, "object": "text_completion", "created": created,
                "model": name, "system_fingerprint": None,
                "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]}

    if not data.get("stream"):
        text, done = await _collect(request_id)
        return JsonResponse({**body(text, done["finish_reason"]), "usage": done["usage"]})

    async def chunks():
        async for event in _events(request_id):
            if event["type"] == "delta":
                yield _sse(body(event["text"], None))
            elif event["type"] == "done":
                yield _sse(body("", event["finish_reason"]))
                if _include_usage(data):
                    yield _sse({**body("", None), "choices": [], "usage": event["usage"]})
            else:
                yield _sse(json.loads(_error_event(event).response().content))
        yield "data: [DONE]\n\n"

    return _stream_response(chunks())


def _model_entries(user) -> list[dict]:
    entries = [{"id": entry["id"], "object": "model", "created": int(entry["created"].timestamp()),
                "owned_by": "you" if entry["version"].access_role == "owner" else "shared"}
               for entry in served_model_names(user=user)]
    entries += [{"id": remote.id, "object": "model", "created": int(remote.endpoint.created_at.timestamp()),
                 "owned_by": "remote"} for remote in remote_model_list(user=user)]
    entries.append({"id": EMBEDDING_MODEL, "object": "model", "created": 0, "owned_by": "sloughgpt"})
    return entries


@openai_endpoint("GET")
async def models(request, user):
    data = await sync_to_async(_model_entries)(user)
    return JsonResponse({"object": "list", "data": data})


@openai_endpoint("GET")
async def model_detail(request, user, model: str):
    entries = await sync_to_async(_model_entries)(user)
    for entry in entries:
        if entry["id"] == model:
            return JsonResponse(entry)
    raise OpenAIError(404, f"The model '{model}' does not exist.", param="model",
                      code="model_not_found")


@functools.cache
def _embedding_tokenizer():
    from transformers import AutoTokenizer

    from ml.personality.embeddings import model_dir

    return AutoTokenizer.from_pretrained(model_dir())


def _embed(texts: list[str]) -> tuple[np.ndarray, int]:
    from ml.personality.embeddings import MAX_TOKENS, embed

    tokens = sum(min(MAX_TOKENS, len(ids)) for ids in _embedding_tokenizer()(texts)["input_ids"])
    return embed(texts), tokens


@openai_endpoint("POST")
async def embeddings(request, user):
    data = _body(request)
    name = _model_name(data)
    if name not in EMBEDDING_ALIASES:
        raise OpenAIError(404, f"The embedding model '{name}' does not exist; use "
                               f"'{EMBEDDING_MODEL}'.", param="model", code="model_not_found")
    texts = data.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if (not isinstance(texts, list) or not texts or len(texts) > MAX_EMBEDDING_INPUTS
            or not all(isinstance(t, str) and t for t in texts)):
        raise OpenAIError(400, f"'input' must be a non-empty string or a list of up to "
                               f"{MAX_EMBEDDING_INPUTS} non-empty strings.", param="input")
    encoding = data.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise OpenAIError(400, "'encoding_format' must be 'float' or 'base64'.",
                          param="encoding_format")
    _refuse(data, "dimensions", (None, 384), "all-MiniLM-L6-v2 has 384 dimensions")
    vectors, tokens = await sync_to_async(_embed, thread_sensitive=False)(texts)

    def encode(vector: np.ndarray):
        if encoding == "base64":  # little-endian float32, as OpenAI sends it
            return base64.b64encode(vector.astype("<f4").tobytes()).decode()
        return vector.tolist()

    return JsonResponse({
        "object": "list", "model": name,
        "data": [{"object": "embedding", "index": i, "embedding": encode(v)}
                 for i, v in enumerate(vectors)],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })
