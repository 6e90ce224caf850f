"""Where a training run's files live: MEDIA_ROOT/training/<owner>/<training run>/, its
checkpoints, logs and the fine-tune's pinned base, built only from ids and checked to stay
under the owner's root (apps.core.storage's one rule). On S3 this folder is the worker's
working copy; the execution stores it in the bucket under the same key when it ends."""

from __future__ import annotations

from pathlib import Path

from apps.core.storage import owned_path

KIND = "training"


def run_dir(owner_id: int, training_run_id: int) -> Path:
    return owned_path(KIND, owner_id, int(training_run_id))


def training_run_dir(training_run) -> Path:
    return run_dir(training_run.owner_id, training_run.pk)
