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
the overhead benchmark uses to compare."""

from __future__ import annotations

import functools

from prometheus_client import Counter, Gauge, Histogram

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
