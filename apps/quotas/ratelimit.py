"""API requests per minute, per account: a fixed one-minute window counted with one atomic
Redis INCR (in a MULTI with its EXPIRE), so concurrent requests can never count twice or
lose a count. `/api/v1` and MLflow's `/api/2.0` count through `ApiRequestThrottle` (DRF;
MLflow's views answer in MLflow's error shape), `/v1` through the OpenAI-compatible views'
wrapper; all answer 429 with Retry-After when the window is spent,
and every counted response carries X-RateLimit-Limit, -Remaining and -Reset (the epoch
second the window ends). Only signed-in requests count: sign-in, `/healthz` and pages are
never limited here (sign-in has its own limits, apps.accounts.login_throttle)."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from sloughgpt_site.settings.env import redis_db_url

from .accounts import account_for_user
from .errors import QuotaExceeded
from .limits import limits_for

WINDOW_S = 60
CACHE_DB = 1  # the cache's database: counters expire by themselves, like the cache's entries
# Routes that only say who is signed in: the browser app asks before anything else.
EXEMPT_ROUTES = frozenset({"me"})
# The DRF APIs the throttle counts: ours and the MLflow-compatible one.
COUNTED_PREFIXES = ("/api/v1/", "/api/2.0/")


@functools.cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(redis_db_url(settings.REDIS_URL, CACHE_DB))


@dataclass(frozen=True)
class RateWindow:
    limit: int
    count: int
    reset: int  # epoch second the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    def retry_after(self) -> int:
        return max(1, self.reset - int(time.time()))

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(max(0, self.limit - self.count)),
                "X-RateLimit-Reset": str(self.reset)}

    def message(self) -> str:
        return (f"You have made {self.limit} API requests this minute, your plan's limit; "
                f"try again in {self.retry_after()} seconds.")


def api_request_count(user) -> RateWindow | None:
    """Counts one request of `user`'s account; None when its plan sets no limit."""
    account = account_for_user(user)
    limit = limits_for(account).api_requests_per_minute
    if limit is None:
        return None
    window = int(time.time()) // WINDOW_S
    key = _key(account, window)
    pipe = _client().pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, WINDOW_S * 2)
    count, _ = pipe.execute()
    return RateWindow(limit=limit, count=int(count), reset=(window + 1) * WINDOW_S)


def api_requests_this_minute(account) -> int:
    """Requests counted in the current window, without counting one."""
    return int(_client().get(_key(account, int(time.time()) // WINDOW_S)) or 0)


def _key(account, window: int) -> str:
    return f"sloughgpt:quotas:requests:{account.key}:{window}"


def api_request_counted(request) -> RateWindow | None:
    """The window this request was counted in, for the response headers."""
    return getattr(request, "api_rate_window", None)


class ApiRequestThrottle(BaseThrottle):
    """DRF's throttle for /api/v1 and /api/2.0: the account's requests per minute."""

    def allow_request(self, request, view) -> bool:
        match = request._request.resolver_match
        if (not request.user.is_authenticated or not request.path.startswith(COUNTED_PREFIXES)
                or (match is not None and match.url_name in EXEMPT_ROUTES)):
            return True
        window = api_request_count(request.user)
        request._request.api_rate_window = window
        if window is not None and not window.allowed:
            raise QuotaExceeded(window.message(), window.retry_after(),
                                datetime.fromtimestamp(window.reset, UTC), limit="api_requests_per_minute")
        return True


class RateLimitHeadersMiddleware:
    """Adds X-RateLimit-* to responses of counted requests (allowed or refused)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        window = api_request_counted(request)
        if window is not None:
            for name, value in window.headers().items():
                response[name] = value
        return response
