"""Inference metrics, recorded by the inference worker (apps.chat.inference) per model version:
the model cache's hits, loads and evictions, and for each generation its time to first token,
decode rate, tokens, the batch's occupancy when it started and the engine's KV-cache use.
Each is a `recorder`: none can fail a generation or a model load."""

from __future__ import annotations

from pathlib import Path

from .metrics import (
    INFERENCE_BATCH_OCCUPANCY,
    INFERENCE_COMPLETION_TOKENS,
    INFERENCE_KV_CACHE_ALLOCATED,
    INFERENCE_KV_CACHE_USED,
    INFERENCE_PROMPT_TOKENS,
    INFERENCE_TIME_TO_FIRST_TOKEN,
    INFERENCE_TOKENS_PER_SECOND,
    MODEL_CACHE_EVENTS,
    recorder,
)

# The model cache knows files; their model versions are learnt as engines are asked for.
_version_of_path: dict[str, str] = {}


@recorder
def engine_requested(path: Path, *, model_version_id: int) -> None:
    """Remember whose file `path` is, so the cache's events for it carry its version."""
    _version_of_path[str(Path(path).resolve())] = str(model_version_id)


@recorder
def model_cache_event(kind: str, path: str) -> None:
    """`ModelCache`'s on_event: "hit", "load" or "evict" of a resolved file path."""
    version = _version_of_path.get(path, "unknown")
    MODEL_CACHE_EVENTS.labels(version, kind).inc()
    if kind == "evict":
        INFERENCE_KV_CACHE_USED.labels(version).set(0)
        INFERENCE_KV_CACHE_ALLOCATED.labels(version).set(0)


def _kv_cache_record(engine, version: str):
    usage = engine.scheduler.usage()
    per_position = engine.kv_bytes_per_position
    INFERENCE_KV_CACHE_USED.labels(version).set(usage.cached_positions * per_position)
    INFERENCE_KV_CACHE_ALLOCATED.labels(version).set(usage.allocated_positions * per_position)
    return usage


@recorder
def kv_cache_update(engine, *, model_version_id: int) -> None:
    """The engine's KV-cache use now: after a generation that failed (one that ends otherwise
    is counted by `generation_finished`)."""
    _kv_cache_record(engine, str(model_version_id))


@recorder
def first_token(engine, *, model_version_id: int) -> None:
    """At a generation's first token: how full the batch it joined is, and the KV cache."""
    version = str(model_version_id)
    usage = _kv_cache_record(engine, version)
    INFERENCE_BATCH_OCCUPANCY.labels(version).observe(usage.sequences / usage.max_batch)


@recorder
def generation_finished(engine, result, *, model_version_id: int) -> None:
    """A generation's `GenerationResult` (apps.chat.inference) once it ended, however it ended."""
    version = str(model_version_id)
    if result.ttft_ms is not None:
        INFERENCE_TIME_TO_FIRST_TOKEN.labels(version).observe(result.ttft_ms / 1000)
    if result.tokens_per_s is not None:
        INFERENCE_TOKENS_PER_SECOND.labels(version).observe(result.tokens_per_s)
    INFERENCE_PROMPT_TOKENS.labels(version).inc(result.prompt_tokens)
    INFERENCE_COMPLETION_TOKENS.labels(version).inc(result.completion_tokens)
    _kv_cache_record(engine, version)
