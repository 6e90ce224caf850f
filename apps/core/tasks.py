"""Platform tasks: a health round trip through the broker, a worker and its database; and
the periodic sweep of abandoned upload bodies (apps.core.storage.staging_sweep)."""

import logging
import socket

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import connection

from .periodic import periodic_run, periodic_schedule

logger = logging.getLogger(__name__)

STAGING_SWEEP_KEY = "core:staging-sweep"


@shared_task(name="core.health_ping_task")
def health_ping_task(payload: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (database_session,) = cursor.fetchone()
    return {"echo": payload, "worker_host": socket.gethostname(),
            "database_session": database_session}


@shared_task(bind=True, name="core.staging_sweep_task", ignore_result=True)
def staging_sweep_task(self) -> None:
    """Delete the staging objects of uploads whose process died, then queue the next sweep
    (even when this one failed); a stray copy of a sweep does nothing (apps.core.periodic)."""
    periodic_run(key=STAGING_SWEEP_KEY, task_id=self.request.id, work=_staging_sweep,
                 schedule=staging_sweep_schedule)


def _staging_sweep() -> None:
    from .storage import staging_sweep

    if swept := staging_sweep(older_than_s=settings.SLOUGHGPT_STAGING_MAX_AGE_S):
        logger.info("deleted %d abandoned upload bodies", swept)


def staging_sweep_schedule() -> None:
    """Queues the next sweep unless one is already waiting: one chain of sweeps."""
    periodic_schedule(staging_sweep_task, key=STAGING_SWEEP_KEY, every_s=settings.SLOUGHGPT_STAGING_SWEEP_EVERY_S)


@worker_ready.connect
def _staging_sweeps_start(**kwargs) -> None:
    # No beat process: the first worker to start begins the chain of sweeps.
    staging_sweep_schedule()
