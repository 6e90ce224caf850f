"""GET /metrics: the Prometheus text format of every process's metrics (all of
PROMETHEUS_MULTIPROC_DIR when it is set, else this process's) and the Celery queue lengths.
No session: a scraper sends `Authorization: Bearer <SLOUGHGPT_METRICS_TOKEN>`, or scrapes from
an address in SLOUGHGPT_METRICS_ALLOW_NETWORKS (empty by default); anyone else gets a 403.

A request that came through a proxy (X-Forwarded-For) while no proxies are trusted
(SLOUGHGPT_TRUSTED_PROXY_COUNT=0) is never let in by its network: its connection's address is
the proxy's, which may well be on an allowed network (a reverse proxy on the same host).

Each scrape first forgets the live gauges (open sockets, running training, KV cache) of
processes that died without saying so (a SIGKILLed worker child): their pids are checked on
this machine, so the folder must be local to it (README). The folder is added up by
`metrics_merge.FolderMerge`, which keeps what it parsed between scrapes."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from apps.core.client_ip import client_ip

from .metrics_celery import QueueLengthCollector
from .metrics_merge import folder_merge

REFUSED = "Scraping /metrics needs the metrics token (Authorization: Bearer) or an allowed network.\n"


@functools.lru_cache(maxsize=4)
def _allowed_networks(cidrs: tuple[str, ...]) -> tuple:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SLOUGHGPT_METRICS_ALLOW_NETWORKS: {exc}") from exc


def scrape_allowed(request) -> bool:
    """The request carries the metrics token (compared in constant time) or comes from an
    allowed network (the client address as apps.core.client_ip reads it behind trusted
    proxies; never through an untrusted one)."""
    token = settings.SLOUGHGPT_METRICS_TOKEN
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    if "HTTP_X_FORWARDED_FOR" in request.META and not settings.SLOUGHGPT_TRUSTED_PROXY_COUNT:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network
               for network in _allowed_networks(tuple(settings.SLOUGHGPT_METRICS_ALLOW_NETWORKS)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def dead_processes_forget(path: str) -> None:
    """Drop the live gauge files (gauge_live*_<pid>.db) of processes no longer running on this
    machine; their counters and histograms stay, as Prometheus expects of a total."""
    from prometheus_client import multiprocess

    pids = set()
    for file in Path(path).glob("gauge_live*_*.db"):
        pid = file.stem.rpartition("_")[2]
        if pid.isdigit():
            pids.add(int(pid))
    for pid in pids - {os.getpid()}:
        if not _alive(pid):
            try:
                multiprocess.mark_process_dead(pid, path)
            except FileNotFoundError:  # a scrape beside this one removed it first
                pass


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
        dead_processes_forget(path)
        return [folder_merge(path), queues]
    return [REGISTRY, queues]


@require_GET
def metrics(request):
    if not scrape_allowed(request):
        return HttpResponseForbidden(REFUSED, content_type="text/plain")
    return HttpResponse(generate_latest(_Scrape(*_collectors())), content_type=CONTENT_TYPE_LATEST)
