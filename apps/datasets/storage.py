"""Where dataset files live on disk: paths built only from ids we generated, checked to stay
under the owner's root, and the storage quota."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import F

from apps.core.archives import ArchiveError
from apps.core.files import remove_tree  # noqa: F401 (the storage layer's, for its callers)

from .models import StorageUsage

# What a dataset zip may contribute: the formats the data loader reads.
DATASET_SUFFIXES = frozenset({".txt", ".jsonl", ".json", ".csv"})


class StorageError(ArchiveError):
    """A file the user sent cannot be stored; the message says why."""


class QuotaExceeded(StorageError):
    pass


def owner_root(owner_id: int) -> Path:
    return (Path(settings.MEDIA_ROOT) / "datasets" / str(int(owner_id))).resolve()


def version_dir(owner_id: int, version_id: int) -> Path:
    root = owner_root(owner_id)
    path = (root / str(int(version_id))).resolve()
    if root not in path.parents:
        raise StorageError("refusing a path outside the owner's storage")
    return path


def _ensure_usage_row(owner_id: int) -> None:
    StorageUsage.objects.get_or_create(
        owner_id=owner_id, defaults={"quota_bytes": settings.SLOUGHGPT_STORAGE_QUOTA_BYTES}
    )


def quota_reserve(*, owner_id: int, nbytes: int) -> None:
    """Counts `nbytes` against the owner's quota, or raises QuotaExceeded; atomic."""
    _ensure_usage_row(owner_id)
    # One conditional UPDATE: the check and the increment cannot interleave with another's.
    updated = StorageUsage.objects.filter(
        owner_id=owner_id, used_bytes__lte=F("quota_bytes") - nbytes
    ).update(used_bytes=F("used_bytes") + nbytes)
    if not updated:
        usage = StorageUsage.objects.get(owner_id=owner_id)
        raise QuotaExceeded(
            f"storage quota exceeded: {usage.used_bytes} of {usage.quota_bytes} bytes used, "
            f"this upload needs {nbytes}"
        )


def quota_release(*, owner_id: int, nbytes: int) -> None:
    StorageUsage.objects.filter(owner_id=owner_id).update(used_bytes=F("used_bytes") - nbytes)


