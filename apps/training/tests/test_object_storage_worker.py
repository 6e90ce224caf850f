"""Training on S3 (a real moto server) on real Celery workers: checkpoints reach the bucket
as they are saved, so a run (of one process, or of two under torchrun) whose training
processes are killed mid-run resumes from the newest checkpoint stored, not from the
beginning, even though the killed execution never got to store its run folder and the worker
keeps no copy of it. Two nodes on two workers that share only the bucket train together,
also when a process dies and every node starts again from the stored checkpoint, and learn
what one process does."""

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
from .test_processes_worker import _config, _one_process_run, _points, _wait_until_ended

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


@pytest.mark.parametrize("exit_at", [0, 7])
def test_two_nodes_with_no_shared_disk_learn_what_one_process_does(transactional_db, tmp_path, settings,
                                                                    s3_storage, make_user, monkeypatch, exit_at):
    # given two train workers with roots of their own on the bucket, each a node; with
    # `exit_at`, the last process exits abruptly before that step the first time round
    from sloughgpt_site.celery import app

    settings.MEDIA_ROOT = tmp_path / "web" / "media"
    app.control.purge()
    user = make_user()
    version = valid_dataset_version(user)
    env = {**s3_storage.server.environment(s3_storage.name), "SLOUGHGPT_TRAIN_NODE_ADDR": "127.0.0.1",
           **({"SLOUGHGPT_TEST_EXIT_AT_STEP": str(exit_at)} if exit_at else {})}
    max_iters = 9 if exit_at else 6
    with (celery_worker(tmp_path / "first", tmp_path / "first.log", queues="default,train", extra_env=env),
          celery_worker(tmp_path / "second", tmp_path / "second.log", queues="train", extra_env=env)):
        # when a run asks for 2 nodes of 1 process
        created = services.training_run_create(user=user, dataset_version_id=version.pk,
                                               config=_config(max_iters), nnodes=2)
        two = _wait_until_ended(created.pk)
        _wait_for(lambda: TrainingRun.objects.get(pk=created.pk).node_status,
                  lambda nodes: nodes.get("1") not in (None, "training"), "node 1 to end")
    # then both nodes trained together to the end (starting again once from the last stored
    # checkpoint after a process died)
    assert two.status == "finished", two.error
    assert two.step == max_iters and two.attempts == 1
    if exit_at:
        lines = list(two.log_lines.values_list("line", flat=True))
        assert any("starts again from the last checkpoint" in line for line in lines), "\n".join(lines)
        assert [line for line in lines if line.startswith("resuming from")][-1].endswith(("at step 3", "at step 6"))
    # and learned what one process with double accumulation learns
    one = _one_process_run(user, version, monkeypatch, max_iters=max_iters)
    assert _points(two, "val_loss")[max_iters] == pytest.approx(_points(one, "val_loss")[max_iters], abs=1e-4)
    # and neither host kept the run's folder
    for host in ("first", "second"):
        assert not [path for path in (tmp_path / host).rglob("media/training/**/*") if path.is_file()]


def test_two_nodes_whose_rank_zero_runs_on_the_second_store_the_run_at_its_last_step(
        transactional_db, tmp_path, settings, s3_storage, make_user):
    # given two train workers with roots of their own on the bucket, the second at an
    # address c10d ranks first, so global rank 0 (which saves and stores the checkpoints)
    # runs on node 1's host, not on node 0's, whose worker publishes the run folder
    from sloughgpt_site.celery import app

    settings.MEDIA_ROOT = tmp_path / "web" / "media"
    app.control.purge()
    user = make_user()
    version = valid_dataset_version(user)
    bucket = s3_storage.server.environment(s3_storage.name)
    max_iters = 6
    with celery_worker(tmp_path / "first", tmp_path / "first.log", queues="default,train",
                       extra_env={**bucket, "SLOUGHGPT_TRAIN_NODE_ADDR": "127.0.0.2"}):
        # when a run asks for 2 nodes of 1 process, node 0 taken by the first worker
        created = services.training_run_create(user=user, dataset_version_id=version.pk,
                                               config=_config(max_iters), nnodes=2)
        _wait_for(lambda: TrainingRun.objects.get(pk=created.pk).rdzv_endpoint, bool, "node 0's rendezvous")
        with celery_worker(tmp_path / "second", tmp_path / "second.log", queues="train",
                           extra_env={**bucket, "SLOUGHGPT_TRAIN_NODE_ADDR": "127.0.0.1"}):
            two = _wait_until_ended(created.pk)
            _wait_for(lambda: TrainingRun.objects.get(pk=created.pk).node_status,
                      lambda nodes: nodes.get("1") not in (None, "training"), "node 1 to end")
    # then the run finished at its last step, and the run folder in the bucket holds that
    # step's checkpoint (the one rank 0 saved on the other host), not node 0's empty copy
    assert two.status == "finished", two.error
    assert two.step == max_iters
    state = s3_storage.server.client().get_object(
        Bucket=s3_storage.name, Key=f"training/{user.pk}/{created.pk}/last/trainer_state.json")["Body"].read()
    assert json.loads(state)["step"] == max_iters


def test_a_run_deleted_after_its_worker_was_lost_gives_back_only_what_it_was_charged(
        transactional_db, tmp_path, settings, s3_storage, make_user):
    # given a worker with its own root on the bucket, and a run whose first checkpoint reached
    # the bucket as it was saved
    from apps.experiments.services import run_delete
    from apps.quotas.accounts import account_of
    from apps.quotas.storage import storage_totals, storage_used
    from sloughgpt_site.celery import app

    settings.MEDIA_ROOT = tmp_path / "web" / "media"
    app.control.purge()
    user = make_user()
    version = valid_dataset_version(user)
    with celery_worker(tmp_path / "worker", tmp_path / "worker.log", queues="default,train",
                       extra_env=s3_storage.server.environment(s3_storage.name)) as worker:
        created = services.training_run_create(user=user, dataset_version_id=version.pk,
                                               config=tiny_config(max_iters=5000, eval_interval=10, log_interval=5))
        _wait_for(lambda: _stored_step(s3_storage, f"training/{user.pk}/{created.pk}/{INDEX}"),
                  lambda step: step >= 10, "the run's 1st checkpoint in the bucket")
        # when the worker's host is lost (every process of it killed at once) and the run
        # deleted, never resumed
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    run_delete(user=user, run_id=created.run_id)
    # then the account is still charged at least what its files take (its dataset's): what
    # the lost execution stored was charged as it was stored, so the delete gave back no
    # more than that
    account = account_of(version)
    assert storage_used(account) >= storage_totals()[account] > 0
