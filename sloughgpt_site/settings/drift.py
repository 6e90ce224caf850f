"""Drift detection (apps.monitoring.drift): how often the periodic pass looks for versions
due a check, and how long a version's "check now" waits before it may be asked again."""

from .env import env_int

# Seconds between drift passes (each checks the versions whose last check is a window old).
SLOUGHGPT_DRIFT_PASS_EVERY_S = env_int("SLOUGHGPT_DRIFT_PASS_EVERY_S", 3600)
# Seconds after a check was asked for before another of the same version is taken: a check
# reads a week of traffic, so asking again at once would only queue the same work twice.
SLOUGHGPT_DRIFT_CHECK_COOLDOWN_S = env_int("SLOUGHGPT_DRIFT_CHECK_COOLDOWN_S", 300)
