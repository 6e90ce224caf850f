"""Which execution imports a version (an upload's conversion or a hub pull): one live one at
a time through the lease every long task takes (apps.core.leases), and a bounded number of
them. A worker killed mid-import (the OOM killer on a big model, the hard time limit) has its
message redelivered (acks_late, reject_on_worker_lost); each delivery counts an attempt, and
the one after IMPORT_ATTEMPTS fails the version with the reason instead of running again."""

from __future__ import annotations

from django.db.models import F

from apps.core.leases import lease_take

from .models import ModelVersion

IMPORT_ATTEMPTS = 3
HEARTBEAT_EVERY_S = 15.0  # well inside LEASE_TIMEOUT, for a conversion that reports nothing


def import_take(*, version_id: int, execution_id: str) -> ModelVersion | None:
    """The version, taken for this execution with this attempt counted, or None when there is
    nothing for it to do (gone, no longer importing, or held by another live execution)."""
    if not lease_take(ModelVersion, version_id, execution_id, statuses=[ModelVersion.Status.IMPORTING]):
        return None
    ModelVersion.objects.filter(pk=version_id, lease_owner=execution_id).update(attempts=F("attempts") + 1)
    return ModelVersion.objects.select_related("registered_model").filter(pk=version_id).first()


def attempts_spent(version: ModelVersion) -> str:
    """Why the version fails without running again, or "" while it may still run."""
    if version.attempts <= IMPORT_ATTEMPTS:
        return ""
    return f"the worker stopped while importing ({IMPORT_ATTEMPTS} times)"


def import_finish(version: ModelVersion, execution_id: str, **fields) -> bool:
    """Moves the version out of importing with `fields`, if this execution still holds it.
    Call inside a transaction: the UPDATE locks the row, so what the caller charges or removes
    next cannot interleave with a delete or another execution."""
    return ModelVersion.objects.filter(
        pk=version.pk, status=ModelVersion.Status.IMPORTING, lease_owner=execution_id,
    ).update(lease_owner="", **fields) == 1
