"""The inference worker's side of generation: one process-wide `ModelCache` (memory budget
from settings, least recently used out), so every request for a model shares one engine and
its continuous-batching scheduler, and `run_generation`, which drains one request's deltas
into batched sends while watching for a stop request.

Serve it with a thread-pool Celery worker on the `inference` queue:
    celery -A sloughgpt_site worker -Q inference --pool threads --concurrency 8
Each thread waits on its own request while the engine's scheduler decodes them together."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from apps.monitoring import metrics_inference

from .conf import setting


@functools.cache
def model_cache():
    from ml.infer.cache import ModelCache

    return ModelCache(setting("SLOUGHGPT_INFERENCE_MEMORY_BYTES"),
                      on_event=metrics_inference.model_cache_event)


def engine_for(path: Path, *, model_version_id: int):
    """The loaded engine for a `.sou` file of model version `model_version_id`, shared by
    every thread of this process."""
    metrics_inference.engine_requested(path, model_version_id=model_version_id)
    return model_cache().get(path, device=setting("SLOUGHGPT_INFERENCE_DEVICE") or None,
                             max_batch=setting("SLOUGHGPT_INFERENCE_MAX_BATCH"))


@dataclass
class GenerationResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop", "length", or "cancelled" (a stop request)
    ttft_ms: float | None  # from `requested_at` to the first token
    tokens_per_s: float | None  # decode rate after the first token
    # Wall-clock times (time.time()) of the trace's engine hops (apps.monitoring records them).
    submitted_at: float | None = None  # the request went to the engine
    first_token_at: float | None = None
    last_token_at: float | None = None


def run_generation(engine, request, *, requested_at: float, on_text: Callable[[str], None],
                   should_stop: Callable[[], bool], batch_s: float,
                   model_version_id: int | None = None) -> GenerationResult:
    """Submit `request` and stream its text through `on_text`: the first text at once (a
    token may add none yet: part of a character, or a possible stop string held back), then
    batches at most every `batch_s` seconds (0: every token's text). `should_stop` is checked
    at each batch; a stop cancels the request, and the text made so far is returned.
    `requested_at` is the wall-clock time (time.time()) the user asked. Given the engine's
    `model_version_id`, the generation is counted in its inference metrics."""
    submitted_at = time.time()
    stream = engine.submit(request)
    parts: list[str] = []
    pending = ""
    tokens, finish = 0, None
    first = last = None
    last_flush = time.monotonic()
    try:
        for delta in stream:
            now = time.monotonic()
            if first is None:
                first, ttft_wall = now, time.time()
                if model_version_id is not None:
                    metrics_inference.first_token(engine, model_version_id=model_version_id)
            last = now
            tokens = delta.token_count
            # PostgreSQL text cannot hold NUL, and a model may well emit that byte.
            pending += delta.text.replace("\x00", "\ufffd")
            if delta.finish_reason is not None:
                finish = delta.finish_reason
                break
            if (pending and not parts) or now - last_flush >= batch_s:
                if pending:
                    on_text(pending)
                    parts.append(pending)
                    pending = ""
                last_flush = now
                if should_stop():
                    finish = "cancelled"
                    break
    except BaseException:
        # A failed generation reports no end, but its KV cache is released all the same.
        stream.cancel()
        if model_version_id is not None:
            metrics_inference.kv_cache_update(engine, model_version_id=model_version_id)
        raise
    finally:
        stream.cancel()  # frees the batch slot at once when we leave early
    if pending:
        on_text(pending)
        parts.append(pending)
    rate = None
    if first is not None and tokens > 1 and last > first:
        rate = (tokens - 1) / (last - first)
    result = GenerationResult(
        text="".join(parts),
        prompt_tokens=len(request.prompt_ids),
        completion_tokens=tokens,
        finish_reason=finish or "cancelled",
        ttft_ms=None if first is None else max(0.0, (ttft_wall - requested_at) * 1000),
        tokens_per_s=rate,
        submitted_at=submitted_at,
        first_token_at=None if first is None else ttft_wall,
        # From the monotonic clock, so a token costs no second clock read.
        last_token_at=None if first is None else ttft_wall + (last - first),
    )
    if model_version_id is not None:
        metrics_inference.generation_finished(engine, result, model_version_id=model_version_id)
    return result
