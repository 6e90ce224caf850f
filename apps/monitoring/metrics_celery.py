"""Celery metrics: tasks by name and state with their durations (signal handlers, connected by
`sloughgpt_site.celery` in every process that runs tasks), queue lengths read from the broker
when /metrics is scraped (`QueueLengthCollector`, in the web process), and a worker child's
live gauges dropped when it exits."""

from __future__ import annotations

import logging
import os
import time
from urllib.parse import urlsplit

from celery.signals import task_postrun, task_prerun, worker_process_shutdown, worker_shutdown
from prometheus_client.core import GaugeMetricFamily

from .metrics import CELERY_TASK_DURATION, CELERY_TASKS, recorder

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's prioritised messages in lists beside it, named
# queue + this separator + the priority step (priority 0 is the queue's own list).
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)
# Broker URLs whose queues are Redis lists (kombu's Redis transport).
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})

# task id -> perf_counter at its start, for the tasks running in this process (threads too).
_started: dict[str, float] = {}


@task_prerun.connect
@recorder
def _task_started(task_id=None, task=None, **kwargs):
    _started[task_id] = time.perf_counter()
    CELERY_TASKS.labels(task.name, "started").inc()


@task_postrun.connect
@recorder
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is not None:
        CELERY_TASKS.labels(task.name, (state or "unknown").lower()).inc()
        CELERY_TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)


@worker_process_shutdown.connect
def _pool_process_gone(pid=None, **kwargs):
    _mark_dead(pid or os.getpid())


@worker_shutdown.connect
def _worker_gone(**kwargs):
    _mark_dead(os.getpid())


def _mark_dead(pid: int) -> None:
    # Its "live" gauges (connections, runs, KV cache) stop counting; counters stay.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


class QueueLengthCollector:
    """sloughgpt_celery_queue_length{queue}: messages waiting in each Celery queue, read from
    the Redis broker (LLEN) at scrape time, within a second. A broker that does not answer, or
    one that is not Redis (whose queues this cannot read), leaves the metric out rather than
    failing the scrape."""

    def __init__(self, broker_url: str, queues: list[str]):
        self.broker_url, self.queues = broker_url, queues

    def collect(self):
        import redis

        if urlsplit(self.broker_url).scheme not in REDIS_SCHEMES:
            return
        family = GaugeMetricFamily("sloughgpt_celery_queue_length",
                                   "Messages waiting in a Celery queue.", labels=["queue"])
        client = None
        try:
            client = redis.Redis.from_url(self.broker_url, socket_timeout=1, socket_connect_timeout=1)
            with client.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    pipe.llen(queue)
                    for step in PRIORITY_STEPS:
                        pipe.llen(f"{queue}{PRIORITY_SEPARATOR}{step}")
                lengths = pipe.execute()
        except (redis.RedisError, OSError, ValueError):
            logger.warning("queue lengths could not be read from the broker", exc_info=True)
            return
        finally:
            if client is not None:
                client.close()
        per_queue = len(PRIORITY_STEPS) + 1
        for index, queue in enumerate(self.queues):
            family.add_metric([queue], sum(lengths[index * per_queue:(index + 1) * per_queue]))
        yield family
