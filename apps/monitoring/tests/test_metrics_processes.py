"""/metrics over processes' lives: the live gauges of a process killed without a clean exit
stop counting at the next scrape (its counters stay), and queue lengths are left out, not an
error, when the broker is not Redis or does not answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from apps.monitoring.metrics_celery import QueueLengthCollector

from .scrape import scrape, value

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
# A process that counts an open socket and a request, then waits to be killed.
WRITER = """
import os, sys, django
django.setup()
from apps.monitoring.metrics import HTTP_REQUESTS, WEBSOCKET_CONNECTIONS
WEBSOCKET_CONNECTIONS.labels("KilledConsumer").inc()
HTTP_REQUESTS.labels("GET", "/killed/", "200").inc()
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not os.environ.get("PROMETHEUS_MULTIPROC_DIR"), reason="needs the multi-process folder")
def test_a_killed_process_s_open_sockets_stop_counting_and_its_requests_stay(client):
    # given a process that opened a socket and answered a request
    writer = subprocess.Popen([sys.executable, "-c", WRITER], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, DJANGO_SETTINGS_MODULE="sloughgpt_site.settings.test"))
    try:
        assert writer.stdout.readline().strip() == "ready"
        alive = scrape(client)
    finally:
        # when it is killed without a clean exit
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    dead = scrape(client)
    # then its socket was counted while it lived and is not after; its request still is
    assert value(alive, "sloughgpt_websocket_connections", consumer="KilledConsumer") == 1
    assert value(dead, "sloughgpt_websocket_connections", consumer="KilledConsumer") == 0
    assert value(dead, "sloughgpt_http_requests_total", route="/killed/") >= 1


@pytest.mark.parametrize("broker", ["amqp://guest@localhost:5672//", "redis://127.0.0.1:1/0"])
def test_queue_lengths_are_left_out_when_the_broker_cannot_be_read(client, settings, broker):
    # given a broker that is not Redis, or a Redis nobody listens on
    settings.CELERY_BROKER_URL = broker
    # when /metrics is scraped
    samples = scrape(client)
    # then the scrape answers, without queue lengths
    assert any(name.startswith("sloughgpt_") for name, _, _ in samples)
    assert value(samples, "sloughgpt_celery_queue_length") == 0
    assert list(QueueLengthCollector(broker, ["default"]).collect()) == []
