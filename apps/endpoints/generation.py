"""Generating with a remote model, for every part that generates (chat replies, /v1
completions, arena sides, persona distillation's teacher: `remote_teacher`): the endpoint's key is opened here,
just before the request, and the remote's stream becomes the same `GenerationResult` a local
engine's does, with text passed to `on_text` as it arrives.

Token counts (for quotas and the reply's usage): an estimate of one token per four
characters, at least one per streamed piece, or the usage the endpoint reports at the end of
its stream (we ask for it with `stream_options.include_usage`) when that is more: a remote
reporting fewer tokens than it visibly streamed would let its replies escape the quota. A server that
ignores max_tokens is cut off ("length") once it clearly streamed more (more pieces than
tokens granted, or twice their estimate).

It returns apps.chat's `GenerationResult` (so callers treat remote and local replies alike)
while apps.chat calls in here: the two apps import each other on purpose, and this module
imports only apps.chat's leaf modules (inference, conf, redis_state), never its services."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext

from django.conf import settings

from apps.chat.inference import GenerationResult
from apps.core.sealed import SealError, unseal

from .client import STANDARD_SETTINGS, RemoteError, chat_stream
from .models import RemoteEndpoint
from .slots import remote_slot


def estimate_tokens(text: str) -> int:
    """Tokens in `text` by the rule of thumb for English BPE vocabularies (about four
    characters a token): used where the endpoint does not count them."""
    return math.ceil(len(text) / 4)


def endpoint_key(endpoint: RemoteEndpoint) -> str:
    """The endpoint's API key, opened; RemoteError naming `api_key` when it no longer opens."""
    if not endpoint.api_key_sealed:
        return ""
    try:
        return unseal(endpoint.api_key_sealed)
    except SealError as exc:
        raise RemoteError(f"the API key of endpoint {endpoint.name} {exc}", field="api_key") from None


def remote_sampling(defaults: dict, chosen: dict) -> dict:
    """The sampling sent to a remote model: what the user or request `chosen` (their own
    choice, so extensions such as top_k go too), over the standard fields of a
    personality's `defaults` (its extensions would make a strict server such as OpenAI's
    refuse the request)."""
    return {**{key: value for key, value in defaults.items() if key in (*STANDARD_SETTINGS, "max_tokens")},
            **{key: value for key, value in chosen.items() if value is not None}}


def remote_request_settings(defaults: dict, chosen: dict, lease) -> tuple[dict, int]:
    """(sampling, max_tokens) of a remote request, the same for chat, /v1 and arena sides:
    `remote_sampling` of a personality's `defaults` and what was `chosen`; max_tokens as
    chosen, else the personality's, else SLOUGHGPT_CHAT_DEFAULT_RESERVE_TOKENS, capped by
    the quota `lease`'s tokens (when there is one)."""
    from apps.chat.conf import setting

    sampling = remote_sampling(defaults, chosen)
    max_tokens = sampling.pop("max_tokens", None) or setting("SLOUGHGPT_CHAT_DEFAULT_RESERVE_TOKENS")
    return sampling, min(max_tokens, lease.tokens) if lease is not None else max_tokens


def _finish(reason: str | None) -> str:
    return "length" if reason == "length" else "stop"


def remote_generate(endpoint: RemoteEndpoint, model: str, messages: list[dict], *, sampling: dict,
                    max_tokens: int, requested_at: float, on_text: Callable[[str], None],
                    should_stop: Callable[[], bool], slot: bool = True) -> GenerationResult:
    """Stream `messages` answered by `model` of `endpoint` through `on_text`, holding one of
    its owner's remote reply slots (apps.endpoints.slots; `slot=False` for work off the
    inference queue); `should_stop` is asked a few times a second (a stop hangs up, even
    before the server answers or while it is silent, and keeps the text so far, "cancelled").
    RemoteError when the endpoint fails (RemoteBusy when no slot is free); the text streamed
    until then is in its `partial`."""
    with remote_slot(endpoint.owner_id) if slot else nullcontext():
        return _streamed(endpoint, model, messages, sampling=sampling, max_tokens=max_tokens,
                         requested_at=requested_at, on_text=on_text, should_stop=should_stop)


def _streamed(endpoint: RemoteEndpoint, model: str, messages: list[dict], *, sampling: dict, max_tokens: int,
              requested_at: float, on_text: Callable[[str], None], should_stop: Callable[[], bool]) -> GenerationResult:
    submitted_at = time.time()
    parts: list[str] = []
    pieces, usage, finish = 0, None, None
    first = last = None
    prompt_estimate = estimate_tokens("".join(m["content"] for m in messages))
    try:
        for piece in chat_stream(endpoint.base_url, endpoint_key(endpoint), model=model, messages=messages,
                                 sampling=sampling, max_tokens=max_tokens, should_stop=should_stop):
            usage = piece.usage or usage
            if piece.text:
                now = time.time()
                first, last = first or now, now
                text = piece.text.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
                parts.append(text)
                pieces += 1
                on_text(text)
            finish = piece.finish_reason or finish
            if pieces > max_tokens or estimate_tokens("".join(parts)) > 2 * max_tokens:
                finish = "length"  # a server ignoring max_tokens: stop reading past the grant
                break
        else:
            if finish is None and should_stop():  # the stream ended early because of it
                finish = "cancelled"
    except RemoteError as exc:
        exc.partial = "".join(parts)
        raise
    text = "".join(parts)
    completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
    prompt = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    estimate = max(pieces, estimate_tokens(text))
    completion = max(completion, estimate) if isinstance(completion, int) else estimate
    if not isinstance(prompt, int) or prompt < 0:
        prompt = prompt_estimate
    rate = (pieces - 1) / (last - first) if first is not None and pieces > 1 and last > first else None
    return GenerationResult(
        text=text, prompt_tokens=prompt, completion_tokens=completion,
        finish_reason="cancelled" if finish == "cancelled" else _finish(finish),
        ttft_ms=None if first is None else max(0.0, (first - requested_at) * 1000), tokens_per_s=rate,
        submitted_at=submitted_at, first_token_at=first, last_token_at=last)


def remote_teacher(endpoint: RemoteEndpoint, model: str, *,
                   should_stop: Callable[[], bool]) -> Callable[[list[list[dict]], int], list[str]]:
    """An answer function for persona distillation (ml.personality.distill.AnswerFn): each
    conversation answered in turn by the remote model, greedily (temperature 0) as the model
    itself would answer. All the answers together get SLOUGHGPT_REMOTE_TEACHER_TIMEOUT_S from
    now (the distillation holds a training slot meanwhile), and `should_stop` is asked before
    each prompt. A failure, the deadline or a stop raises RemoteError, which fails the
    distillation."""
    limit_s = settings.SLOUGHGPT_REMOTE_TEACHER_TIMEOUT_S
    ends_at = time.monotonic() + limit_s

    def late() -> bool:
        return time.monotonic() >= ends_at

    def answer(conversations: list[list[dict]], max_tokens: int) -> list[str]:
        answers = []
        for messages in conversations:
            if should_stop():
                raise RemoteError("the distillation was stopped while the teacher answered")
            result = remote_generate(endpoint, model, messages, sampling={"temperature": 0.0}, max_tokens=max_tokens,
                                     requested_at=time.time(), on_text=lambda text: None, should_stop=late,
                                     slot=False)
            if late():
                raise RemoteError(f"the teacher did not answer all {len(conversations)} prompts within "
                                  f"{limit_s} s (SLOUGHGPT_REMOTE_TEACHER_TIMEOUT_S)")
            answers.append(result.text.strip())
        return answers

    return answer
