"""Alert rules through the API: a rule fires once while its condition holds and resolves when
it stops; its owner hears of it in the portal, by e-mail and on a signed webhook (a real
receiver on 127.0.0.1, allowed by the staff allow-list); a failing webhook is tried again
and then marked failed; private webhook URLs are refused when saved and when sent."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core import mail
from django.utils import timezone

from apps.core.notifications import user_group
from apps.monitoring.alert_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER
from apps.monitoring.alert_evaluate import alerts_evaluate
from apps.monitoring.models import AlertDelivery, AlertEvent, DriftResult
from apps.monitoring.records import inference_record_write
from apps.monitoring.tasks import alert_delivery_task
from tests.http_receiver import http_receiver

from .drift_factories import model_version

pytestmark = pytest.mark.django_db
RULES = "/api/v1/alerts/rules/"


@pytest.fixture
def deliver_in_process(monkeypatch):
    """Deliveries run here as a worker runs them (retries included, without the waits)."""
    monkeypatch.setattr(alert_delivery_task, "delay", lambda pk: alert_delivery_task.apply((pk,)))


@pytest.fixture
def loopback_allowed(settings):
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    settings.SLOUGHGPT_WEBHOOK_ATTEMPTS = 3


def served(version, *, ok: int = 0, failed: int = 0) -> None:
    """Generations of `version` served now: `ok` that ended, `failed` that raised."""
    for n in range(ok + failed):
        inference_record_write(source="v1", model_version_id=version.pk, user_id=version.owner_id, result=None,
                               error=RuntimeError("engine died") if n < failed else None,
                               received_at=timezone.now())


def evaluate(django_capture_on_commit_callbacks) -> None:
    """One evaluation pass, its deliveries made once it commits."""
    with django_capture_on_commit_callbacks(execute=True):
        alerts_evaluate()


def heard_in_portal(user, action) -> dict:
    """What the user's notifications socket hears while `action` runs (through the real
    channel layer, as the socket would)."""

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(user_group(user.pk), channel)
        await sync_to_async(action)()
        return (await asyncio.wait_for(layer.receive(channel), timeout=30))["event"]

    return async_to_sync(listen)()


def create_rule(client, **fields):
    response = client.post(RULES, fields, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_error_rate_rule_fires_once_while_it_holds_and_resolves_when_it_stops(
        make_user, api_client_for, deliver_in_process, django_capture_on_commit_callbacks):
    # given a version whose requests this hour all failed, and a rule on its error rate
    owner = make_user()
    version = model_version(owner)
    served(version, failed=2)
    client = api_client_for(owner)
    rule = create_rule(client, name="errors", model_version=version.pk, series="error_rate", comparison="gte",
                       threshold=0.5, notify_portal=True, notify_email=True)
    # when two passes see it holding
    heard = heard_in_portal(owner, lambda: evaluate(django_capture_on_commit_callbacks))
    evaluate(django_capture_on_commit_callbacks)
    # then one event, told once in the portal and once by e-mail
    events = client.get("/api/v1/alerts/events/", {"rule": rule["id"]}).json()["results"]
    assert len(events) == 1 and events[0]["resolved_at"] is None
    assert "error_rate" in events[0]["message"] and events[0]["value"] == 1.0
    assert {(d["channel"], d["status"]) for d in events[0]["deliveries"]} == {("portal", "delivered"),
                                                                              ("email", "delivered")}
    assert heard["type"] == "alert.fired" and heard["rule"]["id"] == rule["id"]
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "errors: firing" in mail.outbox[0].subject
    assert client.get(f"{RULES}{rule['id']}/").json()["firing"] is True

    # when enough requests succeed to bring the rate under the threshold
    served(version, ok=3)
    heard = heard_in_portal(owner, lambda: evaluate(django_capture_on_commit_callbacks))
    # then the event is resolved, and that is told too
    event = AlertEvent.objects.get(rule_id=rule["id"])
    assert event.resolved_at is not None
    assert heard["type"] == "alert.resolved"
    assert len(mail.outbox) == 2 and "errors: resolved" in mail.outbox[1].subject
    assert client.get(f"{RULES}{rule['id']}/").json()["firing"] is False


def test_a_webhook_gets_a_signed_payload_that_verifies(
        make_user, api_client_for, deliver_in_process, loopback_allowed, django_capture_on_commit_callbacks):
    # given a rule with a webhook on a real local receiver
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    with http_receiver(200) as receiver:
        rule = create_rule(api_client_for(owner), name="busy", model_version=version.pk, series="requests",
                           threshold=2, notify_portal=False, webhook_url=receiver.url)
        # when it fires
        evaluate(django_capture_on_commit_callbacks)
    # then the receiver got one POST whose signature verifies with the rule's secret
    [request] = receiver.requests
    assert signed_with(request, rule["webhook_secret"])
    payload = json.loads(request.body)
    assert payload["type"] == "alert.fired" and payload["rule"]["id"] == rule["id"] and payload["value"] == 3
    delivery = AlertDelivery.objects.get(event__rule_id=rule["id"])
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def signed_with(request, secret: str) -> bool:
    timestamp, body = request.headers[TIMESTAMP_HEADER], request.body
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers[SIGNATURE_HEADER], f"sha256={expected}")


def test_the_webhook_secret_is_shown_once_and_never_read_back(make_user, api_client_for, loopback_allowed):
    # given a rule made without a webhook
    owner = make_user()
    client = api_client_for(owner)
    rule = create_rule(client, name="quiet", model_version=model_version(owner).pk, series="requests")
    # when a webhook is set on it, and the rule is then changed again, listed and opened
    with http_receiver(200) as receiver:
        first = client.patch(f"{RULES}{rule['id']}/", {"webhook_url": receiver.url}, format="json").json()
    again = client.patch(f"{RULES}{rule['id']}/", {"threshold": 5}, format="json").json()
    listed = client.get(RULES).json()["results"][0]
    detail = client.get(f"{RULES}{rule['id']}/").json()
    # then only the change that set the webhook showed its secret
    assert rule["webhook_secret"] is None and len(first["webhook_secret"]) == 64
    assert again["webhook_secret"] is None
    assert "webhook_secret" not in listed and "webhook_secret" not in detail
    assert first["webhook_secret"] not in json.dumps([listed, detail])
    assert detail["webhook_url"] == receiver.url


def test_a_rotated_secret_signs_the_next_delivery_and_only_the_owner_may_rotate(
        make_user, api_client_for, deliver_in_process, loopback_allowed, django_capture_on_commit_callbacks):
    # given a rule with a webhook, whose secret its owner kept from the create response
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    client = api_client_for(owner)
    with http_receiver(200) as receiver:
        rule = create_rule(client, name="busy", model_version=version.pk, series="requests", threshold=2,
                           notify_portal=False, webhook_url=receiver.url)
        # when another user tries to rotate it, then its owner does, and it fires
        stranger = api_client_for(make_user()).post(f"{RULES}{rule['id']}/rotate-secret/")
        rotated = client.post(f"{RULES}{rule['id']}/rotate-secret/")
        evaluate(django_capture_on_commit_callbacks)
    # then the stranger was told there is no such rule; the owner got a new secret, once
    assert stranger.status_code == 404
    assert rotated.status_code == 200
    new_secret = rotated.json()["webhook_secret"]
    assert len(new_secret) == 64 and new_secret != rule["webhook_secret"]
    assert new_secret not in client.get(f"{RULES}{rule['id']}/").content.decode()
    # and the delivery is signed with the new secret, not the old one
    [request] = receiver.requests
    assert signed_with(request, new_secret) and not signed_with(request, rule["webhook_secret"])


def test_rotating_the_secret_of_a_rule_without_a_webhook_is_a_400_naming_webhook_url(make_user, api_client_for):
    # given
    owner = make_user()
    client = api_client_for(owner)
    rule = create_rule(client, name="quiet", model_version=model_version(owner).pk, series="requests")
    # when
    response = client.post(f"{RULES}{rule['id']}/rotate-secret/")
    # then
    assert response.status_code == 400 and "webhook_url" in response.json()["error"]["fields"]


def test_a_webhook_answering_500_is_tried_again_then_failed_and_the_rest_still_arrives(
        make_user, api_client_for, deliver_in_process, loopback_allowed, django_capture_on_commit_callbacks):
    # given a receiver that always answers 500
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    with http_receiver(500) as receiver:
        client = api_client_for(owner)
        rule = create_rule(client, name="busy", model_version=version.pk, series="requests", threshold=1,
                           notify_portal=True, webhook_url=receiver.url)
        # when the rule fires
        evaluate(django_capture_on_commit_callbacks)
    # then the webhook was tried SLOUGHGPT_WEBHOOK_ATTEMPTS times, each try stored, then failed
    assert len(receiver.requests) == 3
    webhook = AlertDelivery.objects.get(event__rule_id=rule["id"], channel="webhook")
    assert (webhook.status, webhook.attempts) == ("failed", 3)
    assert [(a.number, a.ok, a.status_code) for a in webhook.attempt_log.all()] == [(1, False, 500), (2, False, 500),
                                                                                    (3, False, 500)]
    # and the events list says so, beside the portal notice that arrived
    [event] = client.get("/api/v1/alerts/events/").json()["results"]
    assert {(d["channel"], d["status"], d["last_error"]) for d in event["deliveries"]} == {
        ("portal", "delivered", ""), ("webhook", "failed", "the webhook answered 500")}


@pytest.mark.parametrize(("url", "why"), [
    ("http://10.0.0.5/hook", "address 10.0.0.5 is private"),
    ("http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is link-local"),
    ("http://127.0.0.1:9/hook", "address 127.0.0.1 is loopback"),
    ("ftp://example.com/hook", "only http and https URLs are allowed"),
])
def test_a_private_webhook_url_is_refused_when_saved(url, why, make_user, api_client_for):
    # given no allowance beyond the public internet
    owner = make_user()
    version = model_version(owner)
    # when
    response = api_client_for(owner).post(RULES, {"name": "x", "model_version": version.pk, "series": "requests",
                                                  "webhook_url": url}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"webhook_url": [f"refused: {why}"]}


def test_a_webhook_url_refused_by_the_time_it_is_sent_fails_without_a_connection(
        make_user, api_client_for, deliver_in_process, loopback_allowed, settings,
        django_capture_on_commit_callbacks):
    # given a rule saved while staff allowed its receiver, then the allowance withdrawn
    owner = make_user()
    version = model_version(owner)
    served(version, ok=2)
    with http_receiver(200) as receiver:
        rule = create_rule(api_client_for(owner), name="x", model_version=version.pk, series="requests",
                           threshold=1, notify_portal=False, webhook_url=receiver.url)
        settings.SLOUGHGPT_OUTBOUND_ALLOW = []
        # when it fires
        evaluate(django_capture_on_commit_callbacks)
    # then nothing was sent, and the delivery failed at once saying why
    assert receiver.requests == []
    delivery = AlertDelivery.objects.get(event__rule_id=rule["id"])
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "refused: address 127.0.0.1 is loopback"


def test_a_rule_on_a_series_that_does_not_exist_is_a_400_naming_series(make_user, api_client_for):
    owner = make_user()
    version = model_version(owner)
    response = api_client_for(owner).post(RULES, {"name": "x", "model_version": version.pk, "series": "vibes"},
                                          format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["series"]


def test_a_rule_on_someone_elses_model_version_is_not_found(make_user, api_client_for):
    stranger_version = model_version(make_user())
    response = api_client_for(make_user()).post(
        RULES, {"name": "x", "model_version": stranger_version.pk, "series": "requests"}, format="json")
    assert response.status_code == 404


def test_a_drift_rule_fires_when_the_latest_check_drifted_and_not_before(
        make_user, api_client_for, deliver_in_process, django_capture_on_commit_callbacks):
    # given a drift rule on a version whose latest prompt check found no drift
    owner = make_user()
    version = model_version(owner)
    now = timezone.now()

    def checked(drifted: bool):
        DriftResult.objects.create(model_version=version, kind="prompt", window_start=now, window_end=timezone.now(),
                                   statistic=0.3 if drifted else 0.01, p_value=0.001 if drifted else 0.6,
                                   threshold=0.01, drifted=drifted, status="ok", n_reference=60, n_window=60)

    checked(False)
    rule = create_rule(api_client_for(owner), name="prompts moved", model_version=version.pk, series="drift:prompt")
    evaluate(django_capture_on_commit_callbacks)
    assert not AlertEvent.objects.filter(rule_id=rule["id"]).exists()
    # when the next check drifted
    checked(True)
    evaluate(django_capture_on_commit_callbacks)
    # then it fired, saying so
    event = AlertEvent.objects.get(rule_id=rule["id"])
    assert "drift detected" in event.message and event.resolved_at is None


def test_a_quota_rule_fires_when_the_owner_has_used_most_of_a_limit(
        make_user, api_client_for, deliver_in_process, django_capture_on_commit_callbacks):
    from apps.chat.quotas import quota_acquire, quota_release
    from apps.quotas.limits import limits_invalidate
    from apps.quotas.models import AccountQuota

    # given a user allowed 100 generated tokens a day who has used 95 of them
    owner = make_user()
    AccountQuota.objects.create(user=owner, chat_tokens_per_day=100)
    limits_invalidate()
    quota_release(quota_acquire(user_id=owner.pk, want_tokens=95), used_tokens=95)
    rule = create_rule(api_client_for(owner), name="tokens", series="quota:chat_tokens_per_day", threshold=90)
    # when
    evaluate(django_capture_on_commit_callbacks)
    # then
    event = AlertEvent.objects.get(rule_id=rule["id"])
    assert event.value == 95.0 and "95% used (>= 90)" in event.message


def test_a_rule_that_fails_to_evaluate_is_noted_and_the_others_still_fire(
        make_user, api_client_for, deliver_in_process, monkeypatch, django_capture_on_commit_callbacks):
    from apps.monitoring import alert_evaluate

    # given two rules that hold, the first of which cannot be read
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    client = api_client_for(owner)
    broken = create_rule(client, name="broken", model_version=version.pk, series="requests", threshold=1)
    working = create_rule(client, name="working", model_version=version.pk, series="requests", threshold=1)
    read = alert_evaluate.alert_rule_read

    def read_or_fail(rule, **kwargs):
        if rule.pk == broken["id"]:
            raise ZeroDivisionError("a bug")
        return read(rule, **kwargs)

    monkeypatch.setattr(alert_evaluate, "alert_rule_read", read_or_fail)
    # when a pass runs
    evaluate(django_capture_on_commit_callbacks)
    # then the working rule fired, and the broken one says it could not be evaluated
    assert AlertEvent.objects.filter(rule_id=working["id"]).count() == 1
    assert not AlertEvent.objects.filter(rule_id=broken["id"]).exists()
    assert "could not be evaluated" in client.get(f"{RULES}{broken['id']}/").json()["last_note"]


@pytest.mark.parametrize("name", ["two\nlines", "bcc\r\nBcc: x@example.com"])
def test_a_rule_name_with_a_line_break_is_a_400_naming_name(name, make_user, api_client_for):
    owner = make_user()
    version = model_version(owner)
    response = api_client_for(owner).post(RULES, {"name": name, "model_version": version.pk, "series": "requests"},
                                          format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["name"]


def test_a_portal_notice_whose_channel_layer_fails_is_tried_again_not_left_pending(
        make_user, api_client_for, deliver_in_process, monkeypatch, django_capture_on_commit_callbacks):
    from redis.exceptions import ConnectionError as RedisConnectionError

    # given a channel layer that cannot reach Redis
    owner = make_user()
    version = model_version(owner)
    served(version, ok=2)
    rule = create_rule(api_client_for(owner), name="x", model_version=version.pk, series="requests", threshold=1)

    async def down(group, message):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(get_channel_layer(), "group_send", down)
    # when the rule fires
    evaluate(django_capture_on_commit_callbacks)
    # then the portal notice was tried, failed, and says why (not "pending" forever)
    delivery = AlertDelivery.objects.get(event__rule_id=rule["id"], channel="portal")
    assert delivery.status == "failed" and delivery.attempts == 3
    assert "Redis is down" in delivery.last_error


def test_a_user_may_have_only_so_many_rules(make_user, api_client_for, settings):
    # given a cap of two rules
    settings.SLOUGHGPT_ALERT_RULES_MAX = 2
    owner = make_user()
    version = model_version(owner)
    client = api_client_for(owner)
    for n in range(2):
        create_rule(client, name=f"rule {n}", model_version=version.pk, series="requests", threshold=1)
    # when a third is made
    response = client.post(RULES, {"name": "third", "model_version": version.pk, "series": "requests"},
                           format="json")
    # then it is refused, saying why
    assert response.status_code == 400
    assert "2 alert rules" in json.dumps(response.json())


def test_a_rule_that_resolved_does_not_fire_again_within_its_cooldown(
        make_user, api_client_for, deliver_in_process, settings, django_capture_on_commit_callbacks):
    # given a rule that fired and resolved (its series crossed the threshold and back)
    owner = make_user()
    version = model_version(owner)
    served(version, failed=2)
    client = api_client_for(owner)
    rule = create_rule(client, name="flappy", model_version=version.pk, series="error_rate", threshold=0.5)
    evaluate(django_capture_on_commit_callbacks)
    served(version, ok=3)
    evaluate(django_capture_on_commit_callbacks)
    # when the series crosses again at once
    served(version, failed=4)
    evaluate(django_capture_on_commit_callbacks)
    # then no second event (and no second pair of notices) while it cools down
    assert AlertEvent.objects.filter(rule_id=rule["id"]).count() == 1
    assert "cooldown" in client.get(f"{RULES}{rule['id']}/").json()["last_note"]
    # and once the cooldown is over it fires again
    settings.SLOUGHGPT_ALERT_REFIRE_COOLDOWN_S = 0
    evaluate(django_capture_on_commit_callbacks)
    assert AlertEvent.objects.filter(rule_id=rule["id"]).count() == 2
