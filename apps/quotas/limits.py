"""What an account may use: its plan's limits (the default plan unless staff assigned
another), then the account's own overrides. None means unlimited.

Every API request reads its account's limits (the request throttle), so they are cached in
Redis; any change to a plan or an override bumps a version that every cached entry carries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .accounts import Account
from .models import DEFAULT_PLAN_NAME, LIMIT_FIELDS, AccountQuota, Plan

CACHE_TTL_S = 300
_VERSION_KEY = "quotas:limits-version"


@dataclass(frozen=True)
class Limits:
    storage_bytes: int | None
    compute_seconds_per_month: int | None
    concurrent_runs: int | None
    chat_tokens_per_day: int | None
    concurrent_generations: int | None
    api_requests_per_minute: int | None


assert tuple(f.name for f in fields(Limits)) == LIMIT_FIELDS


def default_plan_values() -> dict:
    """The default plan's limits as the deployment's settings give them (settings/product.py):
    the values the default plan is created with."""
    return {
        "storage_bytes": settings.SLOUGHGPT_STORAGE_QUOTA_BYTES,
        "compute_seconds_per_month": settings.SLOUGHGPT_COMPUTE_SECONDS_PER_MONTH,
        "concurrent_runs": settings.SLOUGHGPT_CONCURRENT_RUNS,
        "chat_tokens_per_day": settings.SLOUGHGPT_CHAT_TOKENS_PER_DAY,
        "concurrent_generations": settings.SLOUGHGPT_CHAT_MAX_CONCURRENT,
        "api_requests_per_minute": settings.SLOUGHGPT_API_REQUESTS_PER_MINUTE,
    }


def default_plan() -> Plan:
    """The plan accounts are on unless staff chose another (created from settings if a
    database was emptied of it)."""
    plan = Plan.objects.filter(is_default=True).first()
    if plan is None:
        plan, _ = Plan.objects.get_or_create(
            name=DEFAULT_PLAN_NAME, defaults={"is_default": True, **default_plan_values()})
    return plan


def limits_invalidate() -> None:
    """Forget every cached account's limits (after a plan or an override changed)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)


def _compute(account: Account) -> Limits:
    quota = AccountQuota.objects.select_related("plan").filter(**account.lookup()).first()
    plan = quota.plan if quota is not None and quota.plan is not None else default_plan()
    values = {name: getattr(plan, name) for name in LIMIT_FIELDS}
    if quota is not None:
        values.update({name: getattr(quota, name) for name in LIMIT_FIELDS if getattr(quota, name) is not None})
    return Limits(**values)


def limits_for(account: Account) -> Limits:
    """The limits in force for `account`."""
    key = f"quotas:limits:{cache.get(_VERSION_KEY, 0)}:{account.key}"
    cached = cache.get(key)
    if cached is not None:
        return Limits(**cached)
    limits = _compute(account)
    cache.set(key, asdict(limits), timeout=CACHE_TTL_S)
    return limits


def invalidate_on_commit(**_kwargs) -> None:
    # Now, for this transaction's own later reads, and again at commit, in case another
    # process cached the old limits in between.
    limits_invalidate()
    transaction.on_commit(limits_invalidate)
