"""Small builders for quota tests."""

from __future__ import annotations

from apps.quotas.models import AccountQuota, Plan


def override(*, user=None, team=None, plan: Plan | None = None, **limits) -> AccountQuota:
    """Puts the account on `plan` (if given) and overrides the named limits."""
    quota, _ = AccountQuota.objects.update_or_create(user=user, team=team, defaults={"plan": plan, **limits})
    return quota
