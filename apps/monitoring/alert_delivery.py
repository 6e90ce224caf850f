"""Delivering an alert event's notices (fired, resolved) on each channel of its rule: the
portal (the user's notifications socket, an "alert.fired" / "alert.resolved" event), e-mail,
and a webhook.

A webhook gets the event as JSON, POSTed through apps.core.outbound (its URL is checked
again before each try), signed so the receiver can tell it came from us and is fresh:

    X-SloughGPT-Timestamp: <unix seconds>
    X-SloughGPT-Signature: sha256=<hex HMAC-SHA256(rule's webhook secret, "<timestamp>.<body>")>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
constant time, and refuses a timestamp older than a few minutes (a replay).
`X-SloughGPT-Delivery` names the delivery, the same on every try, so a receiver can drop a
repeat.

Each try is stored (`AlertDeliveryAttempt`). A try that fails (a timeout, an answer that is
not 2xx, a redirect) is tried again after a backoff that doubles, up to
SLOUGHGPT_WEBHOOK_ATTEMPTS tries (OTHER_CHANNEL_ATTEMPTS for the portal and e-mail); then
the delivery is failed. A URL the outbound rules now refuse fails at once. The Celery task
only waits between tries as a countdown, never in a worker, and each try is bounded by the
outbound deadline. A try is claimed in one short transaction, made with no transaction open
(no row stays locked while a webhook answers slowly), and its outcome stored in another;
whatever a channel raises fails that try, never leaves the delivery pending."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.notifications import notify_user_now
from apps.core.outbound import OutboundError, OutboundRefused, outbound_request

from .models import AlertDelivery, AlertDeliveryAttempt, AlertEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-SloughGPT-Signature"
TIMESTAMP_HEADER = "X-SloughGPT-Timestamp"
DELIVERY_HEADER = "X-SloughGPT-Delivery"
# A webhook's answer is read only to see its status.
_ANSWER_BYTES = 64 * 1024
# Tries of a portal or e-mail notice: only a hiccup of Redis or the mail server fails one.
OTHER_CHANNEL_ATTEMPTS = 3


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for this body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_payload(event: AlertEvent, notice: str) -> dict:
    """What every channel says about an event: JSON-safe."""
    rule = event.rule
    return {
        "type": f"alert.{notice}",
        "event_id": event.pk,
        "rule": {"id": rule.pk, "name": rule.name, "series": rule.series, "model_version_id": rule.model_version_id,
                 "comparison": rule.comparison, "threshold": rule.threshold, "window": rule.window},
        "value": event.value,
        "message": event.message,
        "fired_at": event.fired_at.isoformat(),
        "resolved_at": event.resolved_at.isoformat() if event.resolved_at else None,
    }


def _webhook(delivery: AlertDelivery, payload: dict) -> int:
    """POSTs the signed payload; returns the answer's status or raises OutboundError."""
    rule = delivery.event.rule
    body = json.dumps({**payload, "delivery_id": delivery.pk}, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    response = outbound_request("POST", rule.webhook_url, body=body, max_response_bytes=_ANSWER_BYTES, headers={
        "Content-Type": "application/json", "User-Agent": "SloughGPT-Alerts",
        TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(rule.webhook_secret, timestamp, body),
        DELIVERY_HEADER: str(delivery.pk)})
    return response.status


def _email(delivery: AlertDelivery, payload: dict) -> None:
    rule = delivery.event.rule
    state = "firing" if delivery.notice == AlertDelivery.Notice.FIRED else "resolved"
    send_mail(f"[SloughGPT] {rule.name}: {state}",
              f"{payload['message']}\n\nRule: {rule.name} ({rule.series})\nFired at: {payload['fired_at']}\n"
              + (f"Resolved at: {payload['resolved_at']}\n" if payload["resolved_at"] else ""),
              settings.DEFAULT_FROM_EMAIL, [rule.owner.email])


def _try(delivery: AlertDelivery) -> tuple[bool, int | None, str, bool]:
    """One try: (ok, HTTP status, error, worth trying again)."""
    payload = event_payload(delivery.event, delivery.notice)
    try:
        if delivery.channel == AlertDelivery.Channel.PORTAL:
            notify_user_now(user_id=delivery.event.rule.owner_id, event=payload)
        elif delivery.channel == AlertDelivery.Channel.EMAIL:
            _email(delivery, payload)
        else:
            status = _webhook(delivery, payload)
            if 200 <= status < 300:
                return True, status, "", False
            return False, status, f"the webhook answered {status}", True
    except OutboundRefused as exc:
        return False, None, f"refused: {exc}", False
    except OutboundError as exc:
        return False, None, str(exc), True
    except Exception as exc:  # the mail server, Redis behind the channel layer: maybe a hiccup
        logger.warning("alert delivery %s failed on %s", delivery.pk, delivery.channel, exc_info=True)
        return False, None, f"{type(exc).__name__}: {exc}", True
    return True, None, "", False


def backoff_s(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones."""
    return settings.SLOUGHGPT_WEBHOOK_BACKOFF_S * 2 ** (attempts - 1)


def _claim(delivery_id: int) -> AlertDelivery | None:
    """Counts the next try of a pending delivery and returns it (its `attempts` is this try's
    number), or None when it is done. One conditional UPDATE: of two copies of the task that
    read the same count, one claims the try and the other does nothing."""
    delivery = AlertDelivery.objects.select_related("event__rule__owner").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != AlertDelivery.Status.PENDING:
        return None
    claimed = AlertDelivery.objects.filter(pk=delivery_id, status=AlertDelivery.Status.PENDING,
                                           attempts=delivery.attempts).update(attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery.attempts += 1
    return delivery


def alert_delivery_attempt(*, delivery_id: int) -> int | None:
    """Makes the delivery's next try and stores it; returns the seconds to wait before the
    one after, or None when the delivery is done (delivered or failed). A delivery already
    done (a redelivered task) is left as it is."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    ok, status_code, error, again = _try(delivery)
    retry = not ok and again and delivery.attempts < _attempts_allowed(delivery)
    with transaction.atomic():
        AlertDeliveryAttempt.objects.create(delivery_id=delivery.pk, number=delivery.attempts, ok=ok,
                                            status_code=status_code, error=error[:500])
        changes = {"last_error": error[:500]}
        if ok:
            changes.update(status=AlertDelivery.Status.DELIVERED, delivered_at=timezone.now())
        elif not retry:
            changes["status"] = AlertDelivery.Status.FAILED
        AlertDelivery.objects.filter(pk=delivery.pk, status=AlertDelivery.Status.PENDING).update(**changes)
    return backoff_s(delivery.attempts) if retry else None


def _attempts_allowed(delivery: AlertDelivery) -> int:
    return (settings.SLOUGHGPT_WEBHOOK_ATTEMPTS if delivery.channel == AlertDelivery.Channel.WEBHOOK
            else OTHER_CHANNEL_ATTEMPTS)
