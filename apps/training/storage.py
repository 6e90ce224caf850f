"""Where a training run's files live: MEDIA_ROOT/training/<owner>/<training run>/, its
checkpoints, logs and the fine-tune's pinned base, built only from ids."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def run_dir(owner_id: int, training_run_id: int) -> Path:
    root = (Path(settings.MEDIA_ROOT) / "training" / str(int(owner_id))).resolve()
    return root / str(int(training_run_id))


def training_run_dir(training_run) -> Path:
    return run_dir(training_run.owner_id, training_run.pk)
