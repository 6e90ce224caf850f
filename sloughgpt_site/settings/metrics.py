"""Prometheus metrics (apps.monitoring.metrics, served at /metrics): whether processes record
them, and who may scrape them. PROMETHEUS_MULTIPROC_DIR, which makes every process count, is
an environment variable read by prometheus-client itself (see README)."""

from .env import env_bool, env_list, env_str

# Off: nothing is recorded (the overhead benchmark compares both); /metrics still answers.
SLOUGHGPT_METRICS_ENABLED = env_bool("SLOUGHGPT_METRICS_ENABLED", True)
# A scraper that sends `Authorization: Bearer <this>` may read /metrics from anywhere; empty:
# no token is accepted.
SLOUGHGPT_METRICS_TOKEN = env_str("SLOUGHGPT_METRICS_TOKEN", "")
# Client addresses (apps.core.client_ip, CIDR) that may scrape without the token. Empty by
# default: behind a reverse proxy on the same host every visitor comes from 127.0.0.1. A request
# with X-Forwarded-For is never let in by its network unless SLOUGHGPT_TRUSTED_PROXY_COUNT is set.
SLOUGHGPT_METRICS_ALLOW_NETWORKS = env_list("SLOUGHGPT_METRICS_ALLOW_NETWORKS", [])
