"""Where dataset files live on disk: paths built only from ids we generated, checked to stay
under the owner's root. Their bytes count against the dataset's account (apps.quotas.storage)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from apps.core.archives import ArchiveError
from apps.core.files import remove_tree  # noqa: F401 (the storage layer's, for its callers)

# What a dataset zip may contribute: the formats the data loader reads.
DATASET_SUFFIXES = frozenset({".txt", ".jsonl", ".json", ".csv"})


class StorageError(ArchiveError):
    """A file the user sent cannot be stored; the message says why."""


def owner_root(owner_id: int) -> Path:
    return (Path(settings.MEDIA_ROOT) / "datasets" / str(int(owner_id))).resolve()


def version_dir(owner_id: int, version_id: int) -> Path:
    root = owner_root(owner_id)
    path = (root / str(int(version_id))).resolve()
    if root not in path.parents:
        raise StorageError("refusing a path outside the owner's storage")
    return path
