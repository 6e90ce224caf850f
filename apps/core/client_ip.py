"""The client's address as every rate limit sees it (allauth's limits then count an IPv6
address by its network, see apps.accounts.login_throttle). Without trusted proxies it is the
connection's address, whatever X-Forwarded-For a client sends. Behind
SLOUGHGPT_TRUSTED_PROXY_COUNT proxies it is the N-th entry from the right of X-Forwarded-For:
each proxy appends the address it received from, so that entry was written by the outermost
trusted proxy and everything left of it may be forged. The REST API has no throttles yet; DRF's
NUM_PROXIES is set from the same setting, so that any added later pick this same entry and one
client counts as one address everywhere."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    trusted = settings.SLOUGHGPT_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if trusted and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        # Fewer entries than proxies: the leftmost is the nearest to the client we have.
        return hops[-min(trusted, len(hops))]
    return request.META.get("REMOTE_ADDR", "")
