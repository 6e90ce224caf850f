"""Training on S3 (a real moto server) on a real Celery worker: checkpoints reach the bucket
as they are saved, so a run (of one process, or of two under torchrun) whose training
processes are killed mid-run resumes from the newest checkpoint stored, not from the
beginning, even though the killed execution never got to store its run folder and the worker
keeps no copy of it."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from apps.training import services
from apps.training.checkpoint_store import INDEX
from apps.training.models import TrainingRun
from tests.processes import celery_worker

from .factories import tiny_config, valid_dataset_version

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _wait_for(fetch, done, what: str, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last seen: {value}")


def _stored_step(s3_storage, key: str) -> int:
    """The step of the run's `last` checkpoint stored in the bucket (0 while none is)."""
    try:
        body = s3_storage.server.client().get_object(Bucket=s3_storage.name, Key=key)["Body"].read()
    except s3_storage.server.client().exceptions.NoSuchKey:
        return 0
    return json.loads(body).get("last", {}).get("step", 0)


def _resumed_at(training_run: TrainingRun) -> list[str]:
    """The engine's "resuming from <checkpoint> at step N" lines."""
    return [line for line in training_run.log_lines.values_list("line", flat=True)
            if line.startswith("resuming from") and " at step " in line]


@pytest.mark.parametrize("processes", [1, 2])
def test_a_run_killed_after_its_second_checkpoint_resumes_from_it(transactional_db, tmp_path, settings,
                                                                   s3_storage, make_user, processes):
    # given a worker with its own root on the bucket, and a long run checkpointing every 10
    # steps, in one process or in two (whose checkpoints hold sharded state)
    from sloughgpt_site.celery import app

    settings.MEDIA_ROOT = tmp_path / "web" / "media"
    app.control.purge()
    user = make_user()
    version = valid_dataset_version(user)
    worker_root = tmp_path / "worker"
    with celery_worker(worker_root, tmp_path / "worker.log", queues="default,train",
                       extra_env=s3_storage.server.environment(s3_storage.name)) as worker:
        created = services.training_run_create(
            user=user, dataset_version_id=version.pk,
            config=tiny_config(max_iters=5000, eval_interval=10, log_interval=5), nproc_per_node=processes)
        index_key = f"training/{user.pk}/{created.pk}/{INDEX}"
        _wait_for(lambda: _stored_step(s3_storage, index_key), lambda step: step >= 20,
                  "the run's 2nd checkpoint in the bucket")
        # when its training processes are killed (as under the OOM killer), before it could
        # store its run folder
        training = psutil.Process(worker.pid).children(recursive=True)
        for child in training:
            os.kill(child.pid, signal.SIGKILL)
        psutil.wait_procs(training)
        stored = _stored_step(s3_storage, index_key)
        # then the task is redelivered and the run resumes from the checkpoint the bucket holds
        resumed = _wait_for(lambda: TrainingRun.objects.get(pk=created.pk),
                            lambda run: _resumed_at(run), "the resume")
        services.training_run_cancel(user=user, training_run_id=created.pk)
        ended = _wait_for(lambda: TrainingRun.objects.get(pk=created.pk),
                          lambda run: run.status in ("finished", "failed", "cancelled"), "the cancel")
    assert ended.status == "cancelled", ended.error
    assert resumed.attempts == 2
    assert stored >= 20
    assert _resumed_at(ended)[0].endswith(f"at step {stored}")
    # and the worker kept nothing of the run once it ended
    assert not [path for path in Path(worker_root).rglob("media/training/**/*") if path.is_file()]
