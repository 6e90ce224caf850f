"""Fair scheduling on a real Celery worker with one training slot: a user who queued ten runs
does not make another user's run wait behind all of them, and the worker measures the CPU
time each run uses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import transaction

from apps.training import services
from apps.training.models import TrainingRun

from .factories import tiny_config, valid_dataset_version

pytestmark = [pytest.mark.worker, pytest.mark.slow]


@pytest.fixture
def one_slot_worker(transactional_db, tmp_path, settings):
    """A worker process with one slot, consuming `default` (the dispatcher's safety net)
    and `train`; this process dispatches with one slot too."""
    from sloughgpt_site.celery import app
    from tests.processes import celery_worker

    settings.SLOUGHGPT_TRAIN_SLOTS = 1
    app.control.purge()  # tasks of earlier tests, whose rows are gone
    with celery_worker(Path(settings.MEDIA_ROOT).parent, tmp_path / "worker.log", queues="default,train",
                       concurrency=1, extra_env={"SLOUGHGPT_TRAIN_SLOTS": "1"}) as process:
        yield process


def _wait_until_ended(training_run: TrainingRun, timeout: float = 240) -> TrainingRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        training_run.refresh_from_db()
        if training_run.status in ("finished", "failed", "cancelled"):
            return training_run
        time.sleep(0.5)
    raise AssertionError(f"run {training_run.pk} is still {training_run.status}")


def test_a_users_run_starts_next_after_another_users_first_of_ten(one_slot_worker, make_user):
    # given user A queues ten tiny runs and then user B one, all at once
    a, b = make_user(), make_user()
    version_a, version_b = valid_dataset_version(a), valid_dataset_version(b)
    with transaction.atomic():
        a_runs = [services.training_run_create(user=a, dataset_version_id=version_a.pk,
                                               config=tiny_config(max_iters=2)) for _ in range(10)]
        b_run = services.training_run_create(user=b, dataset_version_id=version_b.pk,
                                             config=tiny_config(max_iters=2))
    # when B's run has trained
    b_run = _wait_until_ended(b_run)
    # then it started right after A's first, before any other of A's
    started = list(TrainingRun.objects.filter(run__started_at__isnull=False)
                   .order_by("run__started_at").values_list("pk", flat=True))
    assert started[:2] == [a_runs[0].pk, b_run.pk]
    assert b_run.status == "finished"
    # and the worker measured the CPU time it trained for
    assert b_run.cpu_seconds > 0 and b_run.gpu_seconds == 0
