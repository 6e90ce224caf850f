"""Where dataset files live: `datasets/<owner>/<version>/<file>` keys of the storage layer
(apps.core.storage), built only from ids we generated and checked to stay under the owner's
prefix. Their bytes count against the dataset's account (apps.quotas.storage)."""

from __future__ import annotations

from pathlib import Path

from apps.core import storage as core_storage
from apps.core.archives import ArchiveError
from apps.core.files import remove_tree  # noqa: F401 (the storage layer's, for its callers)

KIND = "datasets"
# What a dataset zip may contribute: the formats the data loader reads.
DATASET_SUFFIXES = frozenset({".txt", ".jsonl", ".json", ".csv"})


class StorageError(ArchiveError):
    """A file the user sent cannot be stored; the message says why."""


def owner_root(owner_id: int) -> Path:
    return core_storage.owned_path(KIND, owner_id)


def version_dir(owner_id: int, version_id: int) -> Path:
    """The version's local folder (its file on the local backend; on S3 what workers
    extract or derive from it)."""
    return core_storage.owned_path(KIND, owner_id, version_id)


def version_file_key(owner_id: int, version_id: int, filename: str) -> str:
    """The stored object of the uploaded file (`filename` was checked to be a plain name)."""
    return core_storage.owned_key(KIND, owner_id, version_id, name=filename)
