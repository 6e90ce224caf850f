"""Where the feature store and recipe runs keep files: paths built only from ids, under the
owner's dataset root (apps.datasets.storage). A version's features live in its own folder,
so they count against its account and go when it goes (apps.quotas.stored)."""

from __future__ import annotations

from pathlib import Path

from apps.datasets import storage as dataset_storage
from apps.datasets.models import DatasetVersion

from .models import RecipeRun


def features_dir(version: DatasetVersion) -> Path:
    return dataset_storage.version_dir(version.owner_id, version.pk) / "features"


def features_path(version: DatasetVersion, group: str) -> Path:
    from ml.data.features.registry import GROUPS

    if group not in GROUPS:  # a group name is one of ours, never a path piece someone sent
        raise ValueError(f"unknown feature group {group!r}")
    return features_dir(version) / f"{group}.parquet"


def run_work_dir(run: RecipeRun) -> Path:
    """Where a run writes its outputs before they become dataset versions."""
    root = dataset_storage.owner_root(run.owner_id)
    path = (root / ".recipe-runs" / str(int(run.pk))).resolve()
    if root not in path.parents:
        raise dataset_storage.StorageError("refusing a path outside the owner's storage")
    return path
