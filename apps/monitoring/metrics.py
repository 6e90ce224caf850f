"""Every Prometheus metric the product exports, in one place (served at /metrics by
`metrics_view`). Names follow Prometheus conventions: a `sloughgpt_` prefix, base units
(seconds, bytes) in the name, `_total` on counters.

Processes share them through prometheus-client's multi-process mode: PROMETHEUS_MULTIPROC_DIR
must be in the environment before prometheus_client is first imported (devservices, `make run`
and the test process spawners set it under var/); each process then writes its values to files
there and /metrics adds them up. Without it, each process keeps its own values in the default
registry (a single-process test client, a shell).

Labels stay bounded: an HTTP route is its URL pattern, never the raw path; a model version is
its id. Recording can be switched off with SLOUGHGPT_METRICS_ENABLED=0 (`enabled()`), which
the overhead benchmark uses to compare.

Every recording site goes through `recorder`: metrics never fail the work they measure (a
reply, a request, a refusal) when their folder is unwritable or its disk is full."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured
from prometheus_client import Counter, Gauge, Histogram

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def multiprocess_dir_check() -> None:
    """A PROMETHEUS_MULTIPROC_DIR that is not a writable folder stops the process at start with
    a message naming it (prometheus-client would otherwise fail at the first value it writes)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path and not (os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)):
        raise ImproperlyConfigured(
            f"PROMETHEUS_MULTIPROC_DIR={path!r} is not a writable folder: create it, writable by "
            "the web and every worker process, or unset the variable (each process then counts "
            "on its own).")


# Before the first metric is made: metrics without labels write to the folder at once.
multiprocess_dir_check()

# Fast requests need fine low buckets; long tasks need hours. The per-model-version histograms
# keep few buckets: each bucket is a series per version and per process, and a scrape reads
# them all (benchmarks/monitoring_overhead.py).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
TTFT_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)
RATE_BUCKETS = (5, 10, 20, 50, 100, 200, 500, 1000, 5000)
RATIO_BUCKETS = (0.25, 0.5, 0.75, 1.0)
STEP_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@functools.cache
def enabled() -> bool:
    """Whether this process records metrics (read once; settings.SLOUGHGPT_METRICS_ENABLED)."""
    from django.conf import settings

    return settings.SLOUGHGPT_METRICS_ENABLED


# Recorders that failed once in this process: later failures are not logged again (a full
# disk would otherwise log at every request).
_failed: set[str] = set()


def recorder(func: Callable[P, R]) -> Callable[P, R | None]:
    """`func`, a function that records metrics, run only while `enabled()` and never raising:
    an error (an unwritable metrics folder, a full disk) is logged the first time it happens
    in this process and otherwise ignored; the call then returns None."""

    @functools.wraps(func)
    def recording(*args: P.args, **kwargs: P.kwargs) -> R | None:
        if not enabled():
            return None
        try:
            return func(*args, **kwargs)
        except Exception:  # noqa: BLE001 - a metric must never fail what it measures
            if func.__qualname__ not in _failed:
                _failed.add(func.__qualname__)
                logger.exception("metrics: %s failed; later failures of it are not logged",
                                 func.__qualname__)
            return None

    return recording


# -- HTTP and WebSockets (web process) ----------------------------------------------------------
HTTP_REQUESTS = Counter(
    "sloughgpt_http_requests_total", "HTTP requests answered, by method, URL pattern and status.",
    ["method", "route", "status"])
HTTP_REQUEST_DURATION = Histogram(
    "sloughgpt_http_request_duration_seconds", "Time to answer an HTTP request (until the "
    "response object is ready; a streamed body's time is not included).",
    ["method", "route"], buckets=LATENCY_BUCKETS)
WEBSOCKET_CONNECTIONS = Gauge(
    "sloughgpt_websocket_connections", "WebSocket connections open now, by consumer.",
    ["consumer"], multiprocess_mode="livesum")

# -- Celery (every worker process; queue lengths are read by the web process at scrape time) ---
CELERY_TASKS = Counter(
    "sloughgpt_celery_tasks_total", "Celery tasks by name and state: started, then success, "
    "failure, retry or another final state.", ["task", "state"])
CELERY_TASK_DURATION = Histogram(
    "sloughgpt_celery_task_duration_seconds", "Time a Celery task ran, by name.", ["task"],
    buckets=TASK_BUCKETS)

# -- inference (inference workers), by model version id -----------------------------------------
INFERENCE_TIME_TO_FIRST_TOKEN = Histogram(
    "sloughgpt_inference_time_to_first_token_seconds", "From the user's request to the first "
    "generated token.", ["model_version"], buckets=TTFT_BUCKETS)
INFERENCE_TOKENS_PER_SECOND = Histogram(
    "sloughgpt_inference_generated_tokens_per_second", "Decode rate of a generation after its "
    "first token.", ["model_version"], buckets=RATE_BUCKETS)
INFERENCE_PROMPT_TOKENS = Counter(
    "sloughgpt_inference_prompt_tokens_total", "Prompt tokens of served generations.",
    ["model_version"])
INFERENCE_COMPLETION_TOKENS = Counter(
    "sloughgpt_inference_completion_tokens_total", "Tokens generated.", ["model_version"])
INFERENCE_BATCH_OCCUPANCY = Histogram(
    "sloughgpt_inference_batch_occupancy_ratio", "Share of the engine's batch slots in use when "
    "a generation got its first token.", ["model_version"], buckets=RATIO_BUCKETS)
INFERENCE_KV_CACHE_USED = Gauge(
    "sloughgpt_inference_kv_cache_used_bytes", "KV-cache bytes the running generations hold.",
    ["model_version"], multiprocess_mode="livesum")
INFERENCE_KV_CACHE_ALLOCATED = Gauge(
    "sloughgpt_inference_kv_cache_allocated_bytes", "KV-cache bytes allocated by loaded engines.",
    ["model_version"], multiprocess_mode="livesum")
MODEL_CACHE_EVENTS = Counter(
    "sloughgpt_inference_model_cache_events_total", "Inference workers' model cache: hit (an "
    "engine already loaded), load, evict (unloaded for memory or a newer file).",
    ["model_version", "event"])

# -- training (train workers) -------------------------------------------------------------------
TRAINING_ACTIVE_RUNS = Gauge(
    "sloughgpt_training_active_runs", "Training runs executing now.", multiprocess_mode="livesum")
TRAINING_STEP_DURATION = Histogram(
    "sloughgpt_training_step_duration_seconds", "Mean time of an optimizer step between two "
    "metric reports.", buckets=STEP_BUCKETS)
TRAINING_TOKENS_PER_SECOND = Gauge(
    "sloughgpt_training_tokens_per_second", "Training throughput of the runs executing now "
    "(summed over workers).", multiprocess_mode="livesum")

# -- quotas (any process that refuses) ----------------------------------------------------------
QUOTA_REFUSALS = Counter(
    "sloughgpt_quota_refusals_total", "Requests refused by a quota, by the limit that refused.",
    ["limit"])


@recorder
def quota_refusal_count(limit: str) -> None:
    QUOTA_REFUSALS.labels(limit).inc()
