"""Per-user generation quotas, enforced atomically in Redis by one Lua script: at most the
user's plan's `concurrent_generations` at once (apps.quotas.limits; a sorted set of leases,
each with a deadline, so a worker that dies cannot hold a slot forever) and its
`chat_tokens_per_day` generated tokens per UTC day (tokens are reserved before generating and the unused part given
back after, so concurrent requests can never overspend)."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from apps.quotas.accounts import Account
from apps.quotas.errors import QuotaExceeded
from apps.quotas.limits import limits_for

from . import redis_state
from .conf import setting

# Returns {granted tokens, 0} or {-1, 0} (too many running) or {-2, 0} (daily tokens spent).
_ACQUIRE = """
local now, deadline, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local max_active, want, limit = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= max_active then return {-1, 0} end
local left = limit - tonumber(redis.call('GET', KEYS[2]) or '0')
if left <= 0 then return {-2, 0} end
local grant = math.min(want, left)
redis.call('INCRBY', KEYS[2], grant)
redis.call('EXPIREAT', KEYS[2], ARGV[7])
redis.call('ZADD', KEYS[1], deadline, member)
redis.call('EXPIRE', KEYS[1], ARGV[8])
return {grant, 0}
"""
# Frees the slot and gives back reserved tokens that were not generated.
_RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 and tonumber(ARGV[2]) > 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[2]) end
end
return 0
"""
RETRY_BUSY_S = 2  # a running generation usually ends within seconds
UNLIMITED = 2**53  # what the script compares with for a limit the plan leaves open (None)


@dataclass(frozen=True)
class Lease:
    """One running generation's slot and its reserved tokens."""

    user_id: int
    member: str
    day: str  # the UTC day the tokens were reserved on (YYYYMMDD)
    tokens: int

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Lease | None:
        return cls(**data) if data else None


def _active_key(user_id: int) -> str:
    return redis_state.key("active", user_id)


def _tokens_key(user_id: int, day: str) -> str:
    return redis_state.key("tokens", user_id, day)


def _next_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def quota_acquire(*, user_id: int, want_tokens: int | None) -> Lease:
    """Take a generation slot and reserve up to `want_tokens` (the default reserve when None);
    the lease may grant fewer tokens than wanted when the day's quota runs low."""
    now = datetime.now(UTC)
    reset = _next_midnight(now)
    day = now.strftime("%Y%m%d")
    member = uuid.uuid4().hex
    timeout = setting("SLOUGHGPT_CHAT_GENERATION_TIMEOUT_S")
    want = want_tokens or setting("SLOUGHGPT_CHAT_DEFAULT_RESERVE_TOKENS")
    limits = limits_for(Account(user_id=user_id))
    limit = UNLIMITED if limits.chat_tokens_per_day is None else limits.chat_tokens_per_day
    max_active = UNLIMITED if limits.concurrent_generations is None else limits.concurrent_generations
    granted, _ = redis_state.client().eval(
        _ACQUIRE, 2, _active_key(user_id), _tokens_key(user_id, day),
        time.time(), time.time() + timeout, member, max_active, want, limit,
        int(reset.timestamp()) + 3600, timeout,
    )
    if granted == -1:
        raise QuotaExceeded(
            f"You already have {max_active} generations running; wait for one to finish.",
            RETRY_BUSY_S, now + timedelta(seconds=RETRY_BUSY_S), limit="concurrent_generations",
        )
    if granted == -2:
        retry = max(1, int((reset - now).total_seconds()))
        raise QuotaExceeded(
            f"You have used your {limit} generated tokens for today; the quota resets at "
            f"{reset.isoformat()}.",
            retry, reset, limit="chat_tokens_per_day",
        )
    return Lease(user_id=user_id, member=member, day=day, tokens=int(granted))


def generation_lost_before() -> datetime:
    """A generation queued before this has outlived its lease's deadline: no generation runs
    that long, so its task was lost (never enqueued, or dropped) and nothing will finish it."""
    return datetime.now(UTC) - timedelta(seconds=setting("SLOUGHGPT_CHAT_GENERATION_TIMEOUT_S"))


def quota_release(lease: Lease | None, *, used_tokens: int) -> None:
    """Free the slot and give back the reserved tokens that were not generated. Releasing
    twice gives nothing back twice."""
    if lease is None:
        return
    unused = max(0, lease.tokens - used_tokens)
    redis_state.client().eval(
        _RELEASE, 2, _active_key(lease.user_id), _tokens_key(lease.user_id, lease.day),
        lease.member, unused,
    )


def quota_status(*, user_id: int) -> dict:
    """What the user has left, for the quota endpoint."""
    now = datetime.now(UTC)
    client = redis_state.client()
    client.zremrangebyscore(_active_key(user_id), "-inf", time.time())
    used = int(client.get(_tokens_key(user_id, now.strftime("%Y%m%d"))) or 0)
    limits = limits_for(Account(user_id=user_id))
    return {
        "tokens_per_day": limits.chat_tokens_per_day,  # None: unlimited
        "tokens_used_today": used,
        "resets_at": _next_midnight(now),
        "max_concurrent": limits.concurrent_generations,
        "running": client.zcard(_active_key(user_id)),
    }
