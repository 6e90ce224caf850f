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
