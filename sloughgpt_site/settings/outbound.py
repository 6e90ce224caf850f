"""Outbound requests to URLs users give (apps.core.outbound): what staff allow beyond the
public internet, and the limits every such request runs under."""

from .env import env_int, env_list

# Host names and networks (CIDRs) a user-given URL may reach although they are not public,
# e.g. "hooks.internal.example,10.20.0.0/16". Empty: only public addresses.
SLOUGHGPT_OUTBOUND_ALLOW = env_list("SLOUGHGPT_OUTBOUND_ALLOW", [])
# Seconds one request may take in all (connecting, sending, reading the answer).
SLOUGHGPT_OUTBOUND_TIMEOUT_S = env_int("SLOUGHGPT_OUTBOUND_TIMEOUT_S", 10)
# The largest response body read; a larger one fails the request.
SLOUGHGPT_OUTBOUND_MAX_RESPONSE_BYTES = env_int("SLOUGHGPT_OUTBOUND_MAX_RESPONSE_BYTES", 1024 * 1024)
# Alert webhooks (apps.monitoring.alert_delivery): tries per notice, and the wait before the
# second try, doubling before each later one (30 s, 60 s, 120 s, 240 s by default).
SLOUGHGPT_WEBHOOK_ATTEMPTS = env_int("SLOUGHGPT_WEBHOOK_ATTEMPTS", 5)
SLOUGHGPT_WEBHOOK_BACKOFF_S = env_int("SLOUGHGPT_WEBHOOK_BACKOFF_S", 30)
# Ports a user-given URL may name; a host or network in SLOUGHGPT_OUTBOUND_ALLOW may use any.
SLOUGHGPT_OUTBOUND_PORTS = [int(port) for port in env_list("SLOUGHGPT_OUTBOUND_PORTS", ["80", "443"])]
# Alert rules one user may have, and the least time between an alert resolving and the same
# rule firing again (a flapping series sends a notice pair per cooldown, not per pass).
SLOUGHGPT_ALERT_RULES_MAX = env_int("SLOUGHGPT_ALERT_RULES_MAX", 50)
SLOUGHGPT_ALERT_REFIRE_COOLDOWN_S = env_int("SLOUGHGPT_ALERT_REFIRE_COOLDOWN_S", 600)
# Remote OpenAI-compatible endpoints (apps.endpoints): how many one user may register, and
# the limits a streamed reply from one runs under: the whole reply, the longest wait for the
# next complete line (the headers, then each line of the stream: a server dripping bytes
# without completing lines counts as silent), and the most bytes read.
SLOUGHGPT_ENDPOINTS_MAX = env_int("SLOUGHGPT_ENDPOINTS_MAX", 20)
SLOUGHGPT_REMOTE_TIMEOUT_S = env_int("SLOUGHGPT_REMOTE_TIMEOUT_S", 600)
SLOUGHGPT_REMOTE_IDLE_S = env_int("SLOUGHGPT_REMOTE_IDLE_S", 60)
SLOUGHGPT_REMOTE_MAX_BYTES = env_int("SLOUGHGPT_REMOTE_MAX_BYTES", 16 * 1024 * 1024)
# Replies from remote endpoints that may stream at once, per user and for the whole site
# (apps.endpoints.slots): each holds an inference worker thread (INFERENCE_CONCURRENCY, 8 by
# default) while the remote answers, so the site cap keeps threads free for local models.
# Over a cap a reply fails at once, asking to try again.
SLOUGHGPT_REMOTE_MAX_PER_USER = env_int("SLOUGHGPT_REMOTE_MAX_PER_USER", 2)
SLOUGHGPT_REMOTE_MAX_IN_FLIGHT = env_int("SLOUGHGPT_REMOTE_MAX_IN_FLIGHT", 4)
# The seconds a remote teacher (persona distillation, apps.personalities) has for all its
# answers together: the distillation holds a training slot while it waits.
SLOUGHGPT_REMOTE_TEACHER_TIMEOUT_S = env_int("SLOUGHGPT_REMOTE_TEACHER_TIMEOUT_S", 1800)
