"""Where the feature store and recipe runs keep files: paths built only from ids, under the
owner's dataset root (apps.datasets.storage). A version's features live in its own folder,
so they count against its account and go when it goes (apps.quotas.stored). A run's work
folder is charged to its owner while it grows."""

from __future__ import annotations

from pathlib import Path

from apps.core.storage import owned_path
from apps.datasets import storage as dataset_storage
from apps.datasets.models import DatasetVersion
from apps.quotas.accounts import Account
from apps.quotas.storage import storage_charge, storage_release
from apps.quotas.stored import disk_bytes

from .models import RecipeRun


def features_dir(version: DatasetVersion) -> Path:
    return dataset_storage.version_dir(version.owner_id, version.pk) / "features"


def features_path(version: DatasetVersion, group: str) -> Path:
    from ml.data.features.registry import GROUPS

    if group not in GROUPS:  # a group name is one of ours, never a path piece someone sent
        raise ValueError(f"unknown feature group {group!r}")
    return features_dir(version) / f"{group}.parquet"


# What one row of a feature takes in its file at most, by type, before Parquet compresses it
# (a string feature holds a short code: a language, a cluster's key).
FEATURE_ROW_BYTES = {"int": 8, "float": 8, "str": 32}


def features_size_estimate(version: DatasetVersion, groups: list[str]) -> int:
    """About how many bytes materializing `groups` over `version` writes: its records times
    the width of every feature (a vector's, 4 bytes a dimension)."""
    from ml.data.features.registry import FEATURES, GROUPS

    features = [FEATURES[name] for group in groups for name in GROUPS[group]]
    width = sum(4 * (f.dim or 1) if f.dtype == "vector" else FEATURE_ROW_BYTES[f.dtype] for f in features)
    return int((version.report or {}).get("records") or 0) * width


def run_work_dir(run: RecipeRun) -> Path:
    """Where a run writes its outputs before they become dataset versions."""
    return owned_path(dataset_storage.KIND, run.owner_id, ".recipe-runs", run.pk)


class WorkCharge:
    """A run's work folder, charged to `account` as it grows (at most `step` bytes behind
    what is on disk), so a run that outgrows the quota stops with StorageQuotaExceeded
    instead of filling the disk first. `release` gives the charge back once the files go
    (or become dataset versions, which are charged as uploads)."""

    def __init__(self, account: Account, path: Path, *, step: int):
        self.account, self.path, self.step, self.charged = account, path, step, 0

    def check(self, *, exact: bool = False) -> None:
        grown = disk_bytes(self.path) - self.charged
        if grown > 0 and (exact or grown >= self.step):
            storage_charge(self.account, grown)
            self.charged += grown

    def release(self) -> None:
        storage_release(self.account, self.charged)
        self.charged = 0
