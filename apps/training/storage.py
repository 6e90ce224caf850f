"""Where a training run's files live: MEDIA_ROOT/training/<owner>/<training run>/, its
checkpoints, logs and the fine-tune's pinned base, built only from ids and checked to stay
under the owner's root (apps.core.storage's one rule). On S3 this folder is the worker's
working copy: each checkpoint is stored in the bucket as it is saved
(apps.training.checkpoint_store), and the whole folder under the same key when the execution
ends."""

from __future__ import annotations

from pathlib import Path

from apps.core.storage import owned_path

KIND = "training"


def run_dir(owner_id: int, training_run_id: int) -> Path:
    return owned_path(KIND, owner_id, int(training_run_id))


def training_run_dir(training_run) -> Path:
    return run_dir(training_run.owner_id, training_run.pk)
