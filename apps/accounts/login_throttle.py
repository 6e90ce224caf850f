"""Failed-login limits shared by every password login (the site's sign-in page and the
admin's), from ACCOUNT_RATE_LIMITS and counted in the Redis cache: allauth's `login_failed`
rates per account and client address (`key`) and per address over all accounts (`ip`), and
`login_failed_account`, a looser one per account over all addresses. An address is counted as
allauth counts it: IPv6 by its network (ALLAUTH_RATE_LIMIT_IPV6_PREFIX, a /64 by default),
since one client may hold every address of its network. Also how long a client must wait once
one of allauth's limits is reached, for the Retry-After header of every 429 the account pages
send."""

from __future__ import annotations

import math
import time

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.core.internal.ratelimit import (
    Rate,
    RateLimitUsage,
    clear,
    consume,
    get_cache_key,
    get_ip,
    get_rates,
)
from django.core.cache import cache
from django.http import HttpRequest

APP = "allauth.account"
LOGIN_FAILED = "login_failed"
LOGIN_FAILED_ACCOUNT = "login_failed_account"  # ours: one account over every address
RATE_LIMITED = "too_many_login_attempts"  # allauth's error code when a login limit is spent


def _account(login: str) -> str:
    return login.strip().lower()


def login_key(request: HttpRequest, login: str) -> str:
    """One account from one address (an IPv6 network): its failures lock only that pair."""
    return f"{get_ip(request)}:{_account(login)}"


def _keyed_limits(request: HttpRequest, login: str) -> list[tuple[str, str]]:
    return [(LOGIN_FAILED, login_key(request, login)), (LOGIN_FAILED_ACCOUNT, _account(login))]


def login_attempt_begin(request: HttpRequest, *, login: str) -> RateLimitUsage:
    """Count a login attempt as failed until `rollback()` is called on what this returns (a
    successful login gives it back); a ValidationError coded RATE_LIMITED when a limit is spent."""
    counted = RateLimitUsage(usage=[])
    for action, key in _keyed_limits(request, login):
        usage = consume(request, app=APP, action=action, key=key)
        if not usage:
            counted.rollback()  # the per-account limit refused: no attempt was made
            raise get_adapter(request).validation_error(RATE_LIMITED)
        counted.usage.extend(usage.usage)
    return counted


def login_failures_clear(request: HttpRequest, *, login: str) -> None:
    """Forget an account's failures (after its password was reset through its mailbox): those
    from this address, and those from everywhere that may have locked the owner out."""
    for action, key in _keyed_limits(request, login):
        clear(request, app=APP, action=action, key=key)


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
    waits = [_wait(request, action=action, rate=rate, key=key)
             for action, key in _keyed_limits(request, login)
             for rate in get_rates(app=APP, action=action)]
    return _seconds(max(waits, default=0))


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
