"""Leases: the one rule that keeps a long task (a training run, a personality application or
evaluation) to one live execution. One UPDATE takes a row for an execution unless another
live one holds it; the holder beats `heartbeat_at`; a row whose heartbeat is older than
LEASE_TIMEOUT belongs to an execution that died, so a redelivered task (acks_late after a
lost worker) takes it over while a duplicate of a live one does nothing. Rows carry
`status`, `lease_owner` and `heartbeat_at`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

# A lease older than this belongs to an execution that died without telling anyone.
LEASE_TIMEOUT = timedelta(seconds=90)


def lease_expired_before() -> datetime:
    """Heartbeats older than this are a dead execution's."""
    return timezone.now() - LEASE_TIMEOUT


def lease_take(model: type[models.Model], pk: int, execution_id: str, *, statuses: Sequence[str],
               where: Q | None = None) -> bool:
    """Takes row `pk` for this execution while its status is one of `statuses` (and the row
    matches `where`, if given). One UPDATE, so two workers racing for a row cannot both win."""
    now = timezone.now()
    taken = model.objects.filter(
        Q(pk=pk), Q(status__in=list(statuses)), where or Q(),
        Q(lease_owner="") | Q(lease_owner=execution_id) | Q(heartbeat_at__lt=now - LEASE_TIMEOUT),
    ).update(lease_owner=execution_id, heartbeat_at=now)
    return taken == 1


@contextmanager
def heartbeat(model: type[models.Model], pk: int, execution_id: str, *, every_s: float) -> Iterator[None]:
    """Beats the row's heartbeat every `every_s` seconds while the block runs (for work that
    has no callbacks of its own). A failed beat (the database restarting, a dropped
    connection) is logged and the next one reconnects: a thread that died on one error would
    let a live execution's lease expire and a redelivery run the same work twice."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every_s):
                try:
                    model.objects.filter(pk=pk, lease_owner=execution_id).update(heartbeat_at=timezone.now())
                except Exception:
                    logger.warning("heartbeat of %s %s failed; retrying", model.__name__, pk, exc_info=True)
                    connection.close()  # the next beat opens a fresh one
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
