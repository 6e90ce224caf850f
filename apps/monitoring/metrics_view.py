"""GET /metrics: the Prometheus text format of every process's metrics (all of
PROMETHEUS_MULTIPROC_DIR when it is set, else this process's) and the Celery queue lengths.
No session: a scraper sends `Authorization: Bearer <SLOUGHGPT_METRICS_TOKEN>`, or scrapes from
an address in SLOUGHGPT_METRICS_ALLOW_NETWORKS; anyone else gets a 403."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from apps.core.client_ip import client_ip

from .metrics_celery import QueueLengthCollector

REFUSED = "Scraping /metrics needs the metrics token (Authorization: Bearer) or an allowed network.\n"


@functools.cache
def _allowed_networks() -> tuple:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False)
                     for cidr in settings.SLOUGHGPT_METRICS_ALLOW_NETWORKS)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SLOUGHGPT_METRICS_ALLOW_NETWORKS: {exc}") from exc


def scrape_allowed(request) -> bool:
    """The request carries the metrics token (compared in constant time) or comes from an
    allowed network (the client address as apps.core.client_ip reads it behind proxies)."""
    token = settings.SLOUGHGPT_METRICS_TOKEN
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks())


class _Scrape:
    """What one scrape reads: each collector's families in turn (generate_latest only asks for
    `collect()`)."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def _collectors() -> list:
    queues = QueueLengthCollector(settings.CELERY_BROKER_URL,
                                  [queue.name for queue in settings.CELERY_TASK_QUEUES])
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        from prometheus_client.multiprocess import MultiProcessCollector

        return [MultiProcessCollector(None, path=path), queues]
    return [REGISTRY, queues]


@require_GET
def metrics(request):
    if not scrape_allowed(request):
        return HttpResponseForbidden(REFUSED, content_type="text/plain")
    return HttpResponse(generate_latest(_Scrape(*_collectors())), content_type=CONTENT_TYPE_LATEST)
