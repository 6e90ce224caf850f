"""Failed-login limits shared by every password login (the site's sign-in page and the
admin's): allauth's `login_failed` rates from ACCOUNT_RATE_LIMITS, counted in the Redis cache,
per account and client address (`key`) and per address over all accounts (`ip`). Also how
long a client must wait once one of allauth's limits is reached, for the Retry-After header
of every 429 the account pages send."""

from __future__ import annotations

import math
import time

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.core.internal.ratelimit import Rate, RateLimitUsage, consume, get_cache_key, get_rates
from django.core.cache import cache
from django.http import HttpRequest

from apps.core.client_ip import client_ip

APP = "allauth.account"
LOGIN_FAILED = "login_failed"
RATE_LIMITED = "too_many_login_attempts"  # allauth's error code when login_failed is spent


def login_key(request: HttpRequest, login: str) -> str:
    """One account from one address: its failures lock only that pair."""
    return f"{client_ip(request)}:{login.strip().lower()}"


def login_attempt_begin(request: HttpRequest, *, login: str) -> RateLimitUsage:
    """Count a login attempt as failed until `rollback()` is called on what this returns (a
    successful login gives it back); a ValidationError coded RATE_LIMITED when a limit is spent."""
    usage = consume(request, app=APP, action=LOGIN_FAILED, key=login_key(request, login))
    if not usage:
        raise get_adapter(request).validation_error(RATE_LIMITED)
    return usage


def _wait(request: HttpRequest, *, action: str, rate: Rate, key: str | None) -> float:
    """Seconds until `rate` allows one more attempt (0 when it does now)."""
    history = cache.get(get_cache_key(request, app=APP, action=action, rate=rate, key=key), [])
    now = time.time()
    recent = [stamp for stamp in history if stamp > now - rate.duration]  # newest first
    if len(recent) < rate.amount:
        return 0
    return recent[rate.amount - 1] + rate.duration - now


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


def login_retry_after(request: HttpRequest, *, login: str) -> int:
    """Seconds until `login` may be tried again from this client."""
    key = login_key(request, login)
    rates = get_rates(app=APP, action=LOGIN_FAILED)
    return _seconds(max((_wait(request, action=LOGIN_FAILED, rate=r, key=key) for r in rates),
                        default=0))


def account_retry_after(request: HttpRequest) -> int:
    """Seconds until the allauth limit that refused this request lifts, when only the request
    is known (sign-up, password reset, email confirmation...): exact for limits per address;
    for a limit per key or user, which this cannot see, the longest such window, by when it has
    surely lifted."""
    rates = [(action, rate) for action in app_settings.RATE_LIMITS
             for rate in get_rates(app=APP, action=action)]
    waits = [_wait(request, action=action, rate=rate, key=None)
             for action, rate in rates if rate.per == "ip"]
    if any(waits):
        return _seconds(max(waits))
    return _seconds(max((rate.duration for _, rate in rates if rate.per != "ip"), default=1))
