"""Leases for the long personality tasks (applications and evaluations): one UPDATE takes a
row for an execution unless another live one holds it, and a thread beats its heartbeat
while ml works without callbacks, so a redelivered task (acks_late after a lost worker)
takes over a dead execution's row and a duplicate of a live one does nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

# A lease older than this belongs to an execution that died without telling anyone.
LEASE_TIMEOUT = timedelta(seconds=90)
HEARTBEAT_EVERY_S = 15.0


def lease_take(model: type[models.Model], pk: int, execution_id: str, *, statuses: list[str]) -> bool:
    """Takes row `pk` for this execution while its status is one of `statuses`."""
    now = timezone.now()
    taken = model.objects.filter(
        Q(pk=pk), Q(status__in=statuses),
        Q(lease_owner="") | Q(lease_owner=execution_id) | Q(heartbeat_at__lt=now - LEASE_TIMEOUT),
    ).update(lease_owner=execution_id, heartbeat_at=now)
    return taken == 1


@contextmanager
def heartbeat(model: type[models.Model], pk: int, execution_id: str) -> Iterator[None]:
    """Beats the row's heartbeat every HEARTBEAT_EVERY_S while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_EVERY_S):
                model.objects.filter(pk=pk, lease_owner=execution_id).update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
