"""Staff changes to an account's quota: its plan and per-limit overrides, each recorded in the
audit log ("quota.override")."""

from __future__ import annotations

from django.db import transaction

from apps.teams.audit import audit_record
from apps.teams.models import Team

from .accounts import Account
from .models import LIMIT_FIELDS, AccountQuota, Plan


def _state(quota: AccountQuota | None) -> dict:
    if quota is None:
        return {"plan": None, **dict.fromkeys(LIMIT_FIELDS)}
    return {"plan": quota.plan.name if quota.plan else None, **{name: getattr(quota, name) for name in LIMIT_FIELDS}}


def quota_change_record(*, actor, holder, before: dict, after: dict) -> None:
    """One audit event for a change of an account's plan or overrides (the staff API and the
    admin both record through here)."""
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before.get(key) != after[key]}
    if changed:
        audit_record(actor=actor, action="quota.override", target=holder,
                     team=holder if isinstance(holder, Team) else None, details=changed)


@transaction.atomic
def account_quota_set(*, actor, account: Account, holder, plan: Plan | None, overrides: dict) -> AccountQuota:
    """Puts the account on `plan` (None: the default plan) with these overrides (a limit left
    out or None follows the plan)."""
    quota = AccountQuota.objects.select_for_update().filter(**account.lookup()).first()
    before = _state(quota)
    values = {"plan": plan, **{name: overrides.get(name) for name in LIMIT_FIELDS}}
    quota, _ = AccountQuota.objects.update_or_create(**account.lookup(), defaults=values)
    quota_change_record(actor=actor, holder=holder, before=before, after=_state(quota))
    return quota
