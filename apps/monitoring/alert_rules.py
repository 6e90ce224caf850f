"""Alert rules: creating, changing and deleting them, each checked as it is saved.

What a rule watches (`series`) is one of

- a series of `apps.monitoring.selectors` (requests, error_rate, latency_p95_ms,
  drift_prompt_p_value, ...), for one model version the owner may read, or site-wide for
  staff; its value is the series' latest value in the rule's window (this hour's or this
  day's bucket, or the one before where this one has none yet), compared with `threshold`;
- "drift:<kind>" (a `DriftKind`) for a model version: holds while the version's latest drift
  check of that kind found drift;
- "quota:<limit>" (a limit of apps.quotas): the owner's percent used of that limit, compared
  with `threshold` (e.g. >= 90).

A webhook URL passes apps.core.outbound's checks when saved (and again at each delivery); the
rule gets its own signing secret when a webhook is set on it (a rule whose webhook is removed
loses its secret) or when its owner rotates it. The secret is shown once, by the request that
made it, and never read back. Rules are their owner's alone."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.exceptions import ValidationError

from apps.core.access import access_get
from apps.core.outbound import OutboundError, outbound_check
from apps.quotas.selectors import WHAT_COUNTS
from apps.registry.models import ModelVersion

from .models import AlertRule, DriftKind
from .selectors import SERIES_NAMES, drift_series_names

DRIFT_PREFIX = "drift:"
QUOTA_PREFIX = "quota:"
# Fields a rule's owner sets; everything else is the evaluator's.
EDITABLE = ("name", "model_version", "series", "comparison", "threshold", "window", "enabled",
            "notify_portal", "notify_email", "webhook_url")


@dataclass(frozen=True)
class Watched:
    """What a rule's `series` names: its kind ("series", "drift" or "quota") and the name
    within it."""

    kind: str
    name: str


def _selector_series() -> list[str]:
    return [*SERIES_NAMES, *drift_series_names()]


def series_choices() -> list[str]:
    """Every value `series` may take, for the rule form."""
    return [*_selector_series(), *(f"{DRIFT_PREFIX}{kind}" for kind in DriftKind.values),
            *(f"{QUOTA_PREFIX}{name}" for name in WHAT_COUNTS)]


def watched(series: str) -> Watched:
    """What `series` names, or a 400 naming `series`."""
    if series in _selector_series():
        return Watched("series", series)
    if series.startswith(DRIFT_PREFIX) and series.removeprefix(DRIFT_PREFIX) in DriftKind.values:
        return Watched("drift", series.removeprefix(DRIFT_PREFIX))
    if series.startswith(QUOTA_PREFIX) and series.removeprefix(QUOTA_PREFIX) in WHAT_COUNTS:
        return Watched("quota", series.removeprefix(QUOTA_PREFIX))
    raise ValidationError({"series": [
        f"no series {series!r}: one of {', '.join(SERIES_NAMES)}, drift_<kind>_statistic / _p_value,"
        f" {DRIFT_PREFIX}<{'|'.join(DriftKind.values)}> or {QUOTA_PREFIX}<{'|'.join(WHAT_COUNTS)}>"]})


def _check(rule: AlertRule, *, user) -> None:
    """Raises a 400 naming the field a rule's settings are wrong in."""
    if any(unicodedata.category(char) == "Cc" for char in rule.name):
        # The name goes into e-mail subjects, where a line break is refused.
        raise ValidationError({"name": ["a name is one line, without control characters"]})
    what = watched(rule.series)
    if what.kind == "quota" and rule.model_version_id is not None:
        raise ValidationError({"model_version": ["a quota rule watches your account: leave the model version out"]})
    if what.kind == "drift" and rule.model_version_id is None:
        raise ValidationError({"model_version": ["a drift rule watches one model version: name it"]})
    if what.kind == "series" and rule.model_version_id is None and not user.is_staff:
        raise ValidationError({"model_version": ["name one of your model versions (site-wide series are staff's)"]})
    if rule.webhook_url:
        try:
            outbound_check(rule.webhook_url)
        except OutboundError as exc:
            raise ValidationError({"webhook_url": [f"refused: {exc}"]}) from None
    if not (rule.notify_portal or rule.notify_email or rule.webhook_url):
        raise ValidationError({"notify_portal": ["choose at least one way to be told: portal, e-mail or webhook"]})


def _apply(rule: AlertRule, *, user, changes: dict) -> str | None:
    """Sets `changes` on `rule` and checks it; returns the webhook secret it was given, if any."""
    for field, value in changes.items():
        if field not in EDITABLE:
            raise TypeError(field)
        if field == "model_version":
            # An input: reading the version is enough to watch it; others' ids are a 404.
            value = None if value is None else access_get(ModelVersion, user=user, pk=value)
        setattr(rule, field, value)
    _check(rule, user=user)
    if not rule.webhook_url:
        rule.webhook_secret = ""
    elif not rule.webhook_secret:
        rule.webhook_secret = secrets.token_hex(32)
        return rule.webhook_secret
    return None


@transaction.atomic
def alert_rule_create(*, user, **fields) -> AlertRule:
    """The new rule; its `webhook_secret` (if it has a webhook) is the one to show once."""
    from .alert_evaluate import alerts_evaluate_schedule

    # The owner's row is locked, so two requests at once cannot both pass the cap.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if AlertRule.objects.filter(owner=user).count() >= settings.SLOUGHGPT_ALERT_RULES_MAX:
        raise ValidationError({"non_field_errors": [
            f"you have {settings.SLOUGHGPT_ALERT_RULES_MAX} alert rules, the most allowed: delete one first"]})
    rule = AlertRule(owner=user)
    _apply(rule, user=user, changes=fields)
    rule.save()
    transaction.on_commit(alerts_evaluate_schedule)
    return rule


@transaction.atomic
def alert_rule_update(*, user, rule_id, **changes) -> str | None:
    """Changes the rule; returns the webhook secret it got if this change gave it its webhook
    (to be shown once), else None."""
    from .alert_evaluate import alerts_evaluate_schedule
    from .alert_selectors import alert_rule_get

    rule = alert_rule_get(user=user, rule_id=rule_id, for_update=True)
    new_secret = _apply(rule, user=user, changes=changes)
    rule.save()
    transaction.on_commit(alerts_evaluate_schedule)
    return new_secret


@transaction.atomic
def alert_rule_rotate_secret(*, user, rule_id) -> str:
    """Gives the rule's webhook a new signing secret, returned to be shown once; the old one
    signs nothing from now on (a delivery reads the rule's secret when it is sent)."""
    from .alert_selectors import alert_rule_get

    rule = alert_rule_get(user=user, rule_id=rule_id, for_update=True)
    if not rule.webhook_url:
        raise ValidationError({"webhook_url": ["this rule has no webhook to sign for: set a webhook URL first"]})
    rule.webhook_secret = secrets.token_hex(32)
    rule.save(update_fields=["webhook_secret", "updated_at"])
    return rule.webhook_secret


@transaction.atomic
def alert_rule_delete(*, user, rule_id) -> None:
    from .alert_selectors import alert_rule_get

    alert_rule_get(user=user, rule_id=rule_id).delete()
