"""Chat and inference settings, each read from Django settings with its default here, so a
deployment only sets what it changes."""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # Tokens per day and generations at once are each user's plan's (apps.quotas.limits).
    # Tokens reserved from the daily quota when a request names no max_tokens.
    "SLOUGHGPT_CHAT_DEFAULT_RESERVE_TOKENS": 1024,
    # A generation's concurrency slot is freed after this long even if its worker died.
    "SLOUGHGPT_CHAT_GENERATION_TIMEOUT_S": 900,
    # Streamed text is sent to clients in batches at most this often (after the first token),
    # times the number of replies a worker is streaming, up to SLOUGHGPT_CHAT_FLUSH_MAX_MS:
    # each batch costs a channel-layer send per reply, CPU the model needs when many run.
    "SLOUGHGPT_CHAT_FLUSH_MS": 40,
    "SLOUGHGPT_CHAT_FLUSH_MAX_MS": 150,
    # Document chunks put into the prompt when a conversation has collections attached.
    "SLOUGHGPT_CHAT_RAG_CHUNKS": 4,
    # Bytes of loaded models (weights + full KV cache) one inference worker keeps.
    "SLOUGHGPT_INFERENCE_MEMORY_BYTES": 8 * 1024**3,
    # Requests one model decodes together in a worker (match the worker's thread count).
    "SLOUGHGPT_INFERENCE_MAX_BATCH": 8,
    # "cuda", "cpu", or empty for CUDA when available.
    "SLOUGHGPT_INFERENCE_DEVICE": "",
    # How long an API request waits for a worker to start its generation.
    "SLOUGHGPT_INFERENCE_START_TIMEOUT_S": 120,
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])
