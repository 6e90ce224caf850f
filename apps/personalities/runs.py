"""What applications and evaluations share as they run: their status, the heartbeat period
of their leases (apps.core.leases), and the one write they make, which lands only while the
execution that wrote it still holds the row's lease (`row.lease_owner`), so a stale execution
whose lease a redelivery took over cannot overwrite the live one's progress or result."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils import timezone

from .models import RunStatus

Status = RunStatus
# The harness and ml's apply steps have no callbacks, so a thread beats the lease this often.
HEARTBEAT_EVERY_S = 15.0


class LeaseLost(Exception):
    """Another execution took this row over: this one stops without writing."""


def leased_update(row: models.Model, *, publish: Callable[[models.Model], None], **fields) -> None:
    """Writes `fields` on `row` (and the instance) while its lease is `row.lease_owner`'s,
    then publishes the row; raises LeaseLost when another execution holds it."""
    written = type(row).objects.filter(pk=row.pk, lease_owner=row.lease_owner).update(
        **fields, updated_at=timezone.now())
    if not written:
        raise LeaseLost(f"{type(row).__name__} {row.pk} is held by another execution")
    for name, value in fields.items():
        setattr(row, name, value)
    publish(row)
