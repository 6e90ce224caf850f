"""Reads of alert rules and their events: a user's own only (rules are never shared), so
another user's id answers 404."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from apps.core.selectors import owned_get, owned_queryset

from .models import AlertDelivery, AlertEvent, AlertRule


def alert_rule_list(*, user) -> QuerySet[AlertRule]:
    """The user's rules, each with `firing`: whether it has an open event."""
    open_events = AlertEvent.objects.filter(rule=OuterRef("pk"), resolved_at__isnull=True)
    return (owned_queryset(AlertRule, user=user).select_related("model_version__registered_model")
            .annotate(firing=Exists(open_events)))


def alert_rule_get(*, user, rule_id, for_update: bool = False) -> AlertRule:
    if for_update:
        return owned_get(AlertRule.objects.select_for_update(), user=user, pk=rule_id)
    return owned_get(alert_rule_list(user=user), user=user, pk=rule_id)


def alert_event_list(*, user, rule_id=None) -> QuerySet[AlertEvent]:
    """The user's rules' events, newest first, each with its deliveries; of one rule if
    `rule_id` is given (404 if it is not theirs)."""
    events = AlertEvent.objects.filter(rule__owner=user) if user.is_authenticated else AlertEvent.objects.none()
    if rule_id is not None:
        events = events.filter(rule=alert_rule_get(user=user, rule_id=rule_id))
    return events.select_related("rule").prefetch_related(
        Prefetch("deliveries", queryset=AlertDelivery.objects.order_by("id")))
