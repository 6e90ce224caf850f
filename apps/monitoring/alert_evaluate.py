"""Evaluating alert rules: each pass reads every enabled rule's value, opens an `AlertEvent`
when its condition starts holding and resolves it when it stops, and queues a delivery of
each change on each of the rule's channels (apps.monitoring.alert_delivery). A rule that keeps
holding keeps its one open event (a database constraint), so it notifies once; a rule with
no value this time (no traffic in the window, no drift check yet, an unlimited quota) keeps
the state it had, and says why in `last_note`. A rule that resolved fires again only after
SLOUGHGPT_ALERT_REFIRE_COOLDOWN_S, so a flapping series cannot turn it into a stream of
notices (a webhook amplifier).

Passes run every EVALUATE_EVERY_S while any rule is enabled, as one self-scheduling chain
(apps.core.periodic): started when a rule is saved, when a worker starts and by the drift
and feature tasks (a watchdog). A rule whose evaluation fails is logged, says so in its
`last_note`, and the pass goes on with the others."""

from __future__ import annotations

import logging
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound

from apps.core.access import access_queryset
from apps.core.periodic import periodic_schedule
from apps.quotas.accounts import account_for_user
from apps.quotas.selectors import usage_list
from apps.registry.models import ModelVersion

from .alert_rules import watched
from .models import AlertDelivery, AlertEvent, AlertRule
from .selectors import series

logger = logging.getLogger(__name__)

EVALUATE_EVERY_S = 60
PASS_KEY = "monitoring:alerts-pass-scheduled"
WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


@dataclass(frozen=True)
class Reading:
    """A rule's value now and whether its condition holds; `holds` None: no value (`note` says why)."""

    value: float | None
    holds: bool | None
    note: str = ""


def _compared(rule: AlertRule, value: float | None, missing: str) -> Reading:
    if value is None:
        return Reading(None, None, missing)
    return Reading(value, COMPARE[rule.comparison](value, rule.threshold))


def _series_reading(rule: AlertRule, name: str, now: datetime) -> Reading:
    try:
        points = series(user=rule.owner, model_version_id=rule.model_version_id, name=name,
                        granularity=rule.window, start=now - WINDOWS[rule.window], end=now)
    except NotFound:  # a site-wide rule whose owner is no longer staff
        return Reading(None, None, "you can no longer read this series")
    values = [value for _, value in points if value is not None]
    return _compared(rule, values[-1] if values else None, f"no data in the last {rule.window}")


def _drift_reading(rule: AlertRule, kind: str) -> Reading:
    from .drift import latest

    result = latest(rule.model_version_id, kind)
    if result is None:
        return Reading(None, None, "no drift check yet")
    if result.status != "ok":
        return Reading(None, None, result.message or "the last drift check had too little traffic")
    return Reading(result.statistic, bool(result.drifted))


def _quota_reading(rule: AlertRule, limit: str) -> Reading:
    usage = next(u for u in usage_list(account_for_user(rule.owner)) if u.name == limit)
    if usage.limit is None:
        return Reading(None, None, "this limit is unlimited on your plan")
    percent = 100.0 * usage.used / usage.limit if usage.limit else (100.0 if usage.used else 0.0)
    return _compared(rule, percent, "")


def alert_rule_read(rule: AlertRule, *, now: datetime) -> Reading:
    """The rule's value now. The owner must still be able to read the version it watches
    (a share can end): otherwise there is no value."""
    if rule.model_version_id is not None and not access_queryset(
            ModelVersion, user=rule.owner).filter(pk=rule.model_version_id).exists():
        return Reading(None, None, "you can no longer read this model version")
    what = watched(rule.series)
    if what.kind == "drift":
        return _drift_reading(rule, what.name)
    if what.kind == "quota":
        return _quota_reading(rule, what.name)
    return _series_reading(rule, what.name, now)


def _describe(rule: AlertRule, reading: Reading) -> str:
    what = watched(rule.series)
    subject = f"{rule.series} on {rule.model_version}" if rule.model_version_id else rule.series
    if what.kind == "drift":
        return f"{subject}: drift detected (statistic {reading.value:.4g})"
    unit = "% used" if what.kind == "quota" else ""
    sign = AlertRule.Comparison(rule.comparison).label
    return f"{subject} is {reading.value:.4g}{unit} ({sign} {rule.threshold:g})"


def _deliveries_queue(rule: AlertRule, event: AlertEvent, notice: str) -> None:
    from .tasks import alert_delivery_task

    channels = [channel for channel, wanted in ((AlertDelivery.Channel.PORTAL, rule.notify_portal),
                                                (AlertDelivery.Channel.EMAIL, rule.notify_email and rule.owner.email),
                                                (AlertDelivery.Channel.WEBHOOK, rule.webhook_url)) if wanted]
    for channel in channels:
        delivery = AlertDelivery.objects.create(event=event, channel=channel, notice=notice)
        transaction.on_commit(lambda pk=delivery.pk: alert_delivery_task.delay(pk))


def _cooling_down(rule: AlertRule, now: datetime) -> bool:
    """Whether the rule resolved too recently to fire again (a series flapping around its
    threshold would otherwise send a notice pair every pass)."""
    cooldown = timedelta(seconds=settings.SLOUGHGPT_ALERT_REFIRE_COOLDOWN_S)
    return rule.events.filter(resolved_at__gt=now - cooldown).exists()


@transaction.atomic
def alert_rule_evaluate(*, rule_id: int, now: datetime | None = None) -> AlertEvent | None:
    """Evaluates one rule; returns the event it opened or resolved, if any. The rule's row is
    locked, so two passes never fire it twice; one a pass holds is skipped by the other."""
    now = now or timezone.now()
    rule = (AlertRule.objects.select_for_update(skip_locked=True, of=("self",)).select_related("owner", "model_version")
            .filter(pk=rule_id, enabled=True).first())
    if rule is None:
        return None
    reading = alert_rule_read(rule, now=now)
    rule.last_evaluated_at, rule.last_value, rule.last_note = now, reading.value, reading.note
    rule.save(update_fields=["last_evaluated_at", "last_value", "last_note"])
    open_event = rule.events.filter(resolved_at__isnull=True).first()
    if reading.holds and open_event is None and _cooling_down(rule, now):
        rule.last_note = "holds again soon after it resolved: it fires once its cooldown is over"
        rule.save(update_fields=["last_note"])
        return None
    if reading.holds and open_event is None:
        event = AlertEvent.objects.create(rule=rule, fired_at=now, value=reading.value,
                                          message=_describe(rule, reading)[:500])
        _deliveries_queue(rule, event, AlertDelivery.Notice.FIRED)
        return event
    if reading.holds is False and open_event is not None:
        open_event.resolved_at = now
        open_event.save(update_fields=["resolved_at"])
        _deliveries_queue(rule, open_event, AlertDelivery.Notice.RESOLVED)
        return open_event
    return None


def alerts_evaluate(*, now: datetime | None = None) -> list[int]:
    """One pass over every enabled rule; returns the ids of the events it opened or resolved.
    A rule that fails (a bug, its series' data) is logged and noted on the rule; the others
    are still evaluated."""
    now = now or timezone.now()
    changed = []
    for rule_id in AlertRule.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True):
        try:
            event = alert_rule_evaluate(rule_id=rule_id, now=now)
        except Exception as exc:
            logger.exception("alert rule %s could not be evaluated", rule_id)
            AlertRule.objects.filter(pk=rule_id).update(
                last_evaluated_at=now, last_value=None,
                last_note=f"could not be evaluated ({type(exc).__name__}); the site's staff can see why in its logs")
            continue
        if event is not None:
            changed.append(event.pk)
    return changed


def alerts_evaluate_schedule() -> None:
    """Queues the next pass while any rule is enabled, unless one is already waiting."""
    from .tasks import alerts_evaluate_task

    if AlertRule.objects.filter(enabled=True).exists():
        periodic_schedule(alerts_evaluate_task, key=PASS_KEY, every_s=EVALUATE_EVERY_S)
