"""Starting an OpenAI-compatible completion (/v1/chat/completions and /v1/completions): the
service behind the /v1 views. It resolves the caller's model by name and the personality the
request names, takes a quota lease and enqueues the generation on the inference queue; the
view then reads the worker's events (openai_api.py). Failures are `OpenAIError`s, in the shape
/v1 answers with."""

from __future__ import annotations

import time
import uuid

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound

from apps.endpoints.selectors import PREFIX as REMOTE_PREFIX
from apps.endpoints.selectors import RemoteModel, remote_model_resolve
from apps.registry.selectors import model_resolve

from .openai_errors import OpenAIError
from .quotas import QuotaExceeded, quota_acquire, quota_release
from .services import personality_version_choose
from .tasks import completion_inference_task


def _personality_version_id(user, personality: int | str) -> int:
    """The version a request's personality speaks as; OpenAI's shape for unknown ones."""
    try:
        return personality_version_choose(user=user, personality=personality).pk
    except NotFound as exc:
        raise OpenAIError(404, str(exc.detail), param="personality",
                          code="personality_not_found") from None
    except ValidationError as exc:
        raise OpenAIError(400, exc.messages[0], param="personality") from None


def _check_collections(user, collection_ids: list[int]) -> None:
    """Each collection is one the user can read, else /v1's 404."""
    from apps.rag.retrieval import readable_collection_ids

    try:
        readable_collection_ids(user=user, collection_ids=collection_ids)
    except NotFound as exc:
        raise OpenAIError(404, str(exc.detail), param="sloughgpt.collections", code="collection_not_found") from None


def _remote_model(user, name: str, prompt: dict) -> RemoteModel:
    """The user's remote model `name` (remote/<endpoint>/<model>), for a chat completion."""
    try:
        model = remote_model_resolve(user=user, name=name)
    except NotFound as exc:
        raise OpenAIError(404, str(exc.detail), param="model", code="model_not_found") from None
    if "messages" not in prompt:
        raise OpenAIError(400, "Remote models answer chat completions only: use /v1/chat/completions.",
                          param="model")
    return model


def completion_start(*, user, name: str, prompt: dict, settings: dict, param: str,
                     personality: int | str | None = None, retrieval: dict | None = None) -> str:
    """Enqueue the generation of `prompt` ({"messages": [...]} or {"prompt": "..."}) by the
    model `name` the user can read (NAME, NAME:VERSION or NAME:VERSION:QTYPE, or one of their
    remote models, remote/<endpoint>/<model>) with sampling `settings`
    (None for the file's defaults), grounded in `retrieval` ({"collection_ids", "mode"}) when
    given; returns the request id its events are read by."""
    model = _remote_model(user, name, prompt) if name.startswith(REMOTE_PREFIX) else None
    if model is not None:
        target = {"model_version_id": None, "remote_endpoint_id": model.endpoint.pk, "remote_model": model.model}
    else:
        try:
            version, _ = model_resolve(user=user, name=name)
        except NotFound as exc:
            raise OpenAIError(404, f"The model '{name}' does not exist or is not ready: {exc.detail}",
                              param="model", code="model_not_found") from None
        target = {"model_version_id": version.pk}
    if personality is not None:
        prompt = {**prompt, "personality_version_id": _personality_version_id(user, personality)}
    if retrieval is not None:
        _check_collections(user, retrieval["collection_ids"])
        prompt = {**prompt, "retrieval": retrieval}
    try:
        lease = quota_acquire(user_id=user.pk, want_tokens=settings["max_tokens"])
    except QuotaExceeded as exc:
        raise OpenAIError(429, exc.message, type="rate_limit_error", code="quota_exceeded",
                          headers={"Retry-After": str(exc.retry_after)}) from None
    request_id = uuid.uuid4().hex
    parts = name.split(":")
    payload = {
        "request_id": request_id, "user_id": user.pk, "model": name, **target,
        "qtype": parts[2] if len(parts) > 2 and model is None else None, "param": param,
        "settings": {k: v for k, v in settings.items() if v is not None},
        "lease": lease.to_dict(), "requested_at": time.time(), **prompt,
    }
    try:
        completion_inference_task.delay({**payload, "queued_at": time.time()})
    except Exception:
        quota_release(lease, used_tokens=0)
        raise
    return request_id
