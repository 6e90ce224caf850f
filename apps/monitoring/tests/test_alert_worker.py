"""Alerts delivered by a real Celery worker: a webhook that answers 500 and then 200 is tried
again after the backoff and delivered; one that never answers is cut off at the deadline on
every try, marked failed with the reason, and the worker goes on with other work; and a rule
that fires reaches its owner on the notifications socket, by e-mail and on a signed webhook.

The worker is its own process: outbound requests to 127.0.0.1 are allowed there by the staff
allow-list, the backoff and the deadline are short, and its mail lands in files read here."""

from __future__ import annotations

import json
import socket
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import api_token_create
from apps.core.tasks import health_ping_task
from apps.monitoring.models import AlertDelivery
from sloughgpt_site.asgi import application
from tests.http_receiver import http_receiver
from tests.processes import celery_worker

from .drift_factories import model_version
from .test_alerts import create_rule, served, signed_with

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.slow]
BACKOFF_S = 1
DEADLINE_S = 2
WAIT_S = 60  # for the worker to finish a delivery on a busy machine


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def alert_worker(tmp_path, mail_dir, settings):
    """A worker on the `default` queue that may call 127.0.0.1, waits BACKOFF_S (doubling)
    between a webhook's tries, gives each DEADLINE_S, and writes its mail to `mail_dir`."""
    from sloughgpt_site.celery import app

    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # so rules on the receivers may be saved
    app.control.purge()
    env = {"SLOUGHGPT_OUTBOUND_ALLOW": "127.0.0.1/32", "SLOUGHGPT_WEBHOOK_BACKOFF_S": str(BACKOFF_S),
           "SLOUGHGPT_WEBHOOK_ATTEMPTS": "2", "SLOUGHGPT_OUTBOUND_TIMEOUT_S": str(DEADLINE_S),
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "EMAIL_FILE_PATH": str(mail_dir)}
    with celery_worker(Path(settings.MEDIA_ROOT).parent, tmp_path / "worker.log", queues="default",
                       extra_env=env) as process:
        yield process


def _fire(django_capture_on_commit_callbacks) -> None:
    """One evaluation pass here; its deliveries go to the worker through the real broker."""
    from apps.monitoring.alert_evaluate import alerts_evaluate

    with django_capture_on_commit_callbacks(execute=True):
        alerts_evaluate()


def _settled(rule_id: int, channel: str) -> AlertDelivery:
    """The rule's delivery on `channel` once the worker is done with it."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        delivery = AlertDelivery.objects.filter(event__rule_id=rule_id, channel=channel).first()
        if delivery is not None and delivery.status != AlertDelivery.Status.PENDING:
            return delivery
        time.sleep(0.1)
    raise AssertionError(f"the {channel} delivery of rule {rule_id} is still pending")


def test_a_webhook_answering_500_then_200_is_retried_after_the_backoff_and_delivered(
        make_user, api_client_for, alert_worker, django_capture_on_commit_callbacks):
    # given a rule whose webhook answers 500 once, then 200
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    with http_receiver(500, 200) as receiver:
        rule = create_rule(api_client_for(owner), name="busy", model_version=version.pk, series="requests",
                           threshold=2, notify_portal=False, webhook_url=receiver.url)
        # when it fires
        _fire(django_capture_on_commit_callbacks)
        delivery = _settled(rule["id"], "webhook")
    # then the worker tried twice, the second time after the backoff, and it was delivered
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    tries = list(delivery.attempt_log.order_by("number"))
    assert [(t.number, t.ok, t.status_code) for t in tries] == [(1, False, 500), (2, True, 200)]
    assert (tries[1].at - tries[0].at).total_seconds() >= BACKOFF_S
    assert len(receiver.requests) == 2
    assert all(signed_with(request, rule["webhook_secret"]) for request in receiver.requests)
    assert len({request.headers["X-SloughGPT-Delivery"] for request in receiver.requests}) == 1


def test_a_webhook_that_never_answers_is_failed_with_the_reason_and_the_worker_goes_on(
        make_user, api_client_for, alert_worker, django_capture_on_commit_callbacks):
    # given a rule whose webhook accepts the connection and never answers
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        rule = create_rule(api_client_for(owner), name="busy", model_version=version.pk, series="requests",
                           threshold=2, notify_portal=False, webhook_url=url)
        # when it fires
        _fire(django_capture_on_commit_callbacks)
        delivery = _settled(rule["id"], "webhook")
        # then every try was cut off, the delivery failed saying why, and the worker still
        # takes the next task
        pinged = health_ping_task.delay("after").get(timeout=WAIT_S)
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == f"127.0.0.1 did not answer within {DEADLINE_S} s"
    assert [(t.ok, t.status_code) for t in delivery.attempt_log.order_by("number")] == [(False, None)] * 2
    assert pinged["echo"] == "after"


def test_a_firing_rule_reaches_the_socket_the_mailbox_and_a_signed_webhook(
        make_user, api_client_for, alert_worker, mail_dir, django_capture_on_commit_callbacks):
    # given a rule with every channel, and its owner's notifications socket open
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    secret = api_token_create(user=owner, name="socket").secret
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost"),
               (b"authorization", f"Bearer {secret}".encode())]

    async def heard_while(action) -> dict:
        # One event loop for the socket's whole life: the consumer runs on it.
        notifications = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, _ = await notifications.connect()
        assert connected
        try:
            await sync_to_async(action)()
            return await notifications.receive_json_from(timeout=WAIT_S)
        finally:
            await notifications.disconnect()

    with http_receiver(200) as receiver:
        rule = create_rule(api_client_for(owner), name="busy", model_version=version.pk, series="requests",
                           threshold=2, notify_portal=True, notify_email=True, webhook_url=receiver.url)
        # when it fires
        heard = async_to_sync(heard_while)(lambda: _fire(django_capture_on_commit_callbacks))
        deliveries = {channel: _settled(rule["id"], channel) for channel in ("portal", "email", "webhook")}
    # then the socket heard it, the owner got the e-mail, and the webhook a signed payload
    assert {channel: d.status for channel, d in deliveries.items()} == dict.fromkeys(deliveries, "delivered")
    assert heard["type"] == "alert.fired" and heard["rule"]["id"] == rule["id"] and heard["value"] == 3
    [mail_file] = list(mail_dir.iterdir())
    message = message_from_bytes(mail_file.read_bytes())
    assert message["To"] == owner.email and "busy: firing" in message["Subject"]
    [request] = receiver.requests
    assert signed_with(request, rule["webhook_secret"])
    assert json.loads(request.body)["rule"]["id"] == rule["id"]
