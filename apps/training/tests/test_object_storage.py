"""Training runs with files in S3 (a real moto server): an execution stores the run's folder
in the bucket when it ends (keeping no copy, nor the checkpoints it stored as it saved them),
and a later execution on a worker without that folder continues from the checkpoint stored
there, even when the execution before it died while storing the folder. A zip dataset's
files are fetched and checked once per execution, and a stored copy that fails its check
fails the run, naming the file. The lease is beaten while the bucket stores, and an execution
another took over stops, leaving what the other stored. (A run killed mid-run:
test_object_storage_worker.py.)"""

from __future__ import annotations

import io
import json
import threading
import time
from collections import Counter

import pytest

from apps.core import file_cache
from apps.core import storage as core_storage
from apps.datasets import services as dataset_services
from apps.datasets.tests.factories import zip_of
from apps.training import checkpoint_store, launch, services
from apps.training.models import TrainingLogLine, TrainingRun
from apps.training.storage import training_run_dir

from .factories import TEXT, tiny_config, valid_dataset_version

# Committed: the thread storing checkpoints charges them from a connection of its own.
pytestmark = pytest.mark.django_db(transaction=True)


def _host(settings, tmp_path, name: str) -> None:
    """This process now stands for a worker host with an empty disk of its own."""
    settings.MEDIA_ROOT = tmp_path / name / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / name / "cache")


def test_a_run_resumed_on_another_worker_continues_from_the_stored_checkpoint(
        make_user, settings, tmp_path, s3_storage):
    # given a run that trained 10 steps on one worker, resumed for 10 more
    owner, run = _trained_on_first_host(make_user, settings, tmp_path)
    services.training_run_resume(user=owner, training_run_id=run.pk, extra_steps=10)
    # when another worker, which holds none of its files, takes it
    _host(settings, tmp_path, "second")
    status = services.training_run_execute(training_run_id=run.pk, execution_id="second")
    # then it picked up the first worker's checkpoint from the bucket and trained to step 20
    run.refresh_from_db()
    assert status == "finished", run.error
    assert run.step == 20
    lines = list(TrainingLogLine.objects.filter(training_run=run).values_list("line", flat=True))
    assert any("resuming from the last checkpoint (attempt 2)" in line for line in lines)
    assert any(key.startswith(f"training/{owner.pk}/{run.pk}/last/") for key in s3_storage.keys())
    # and neither worker keeps the run's folder once its execution ended
    for host in ("first", "second"):
        assert not [p for p in (tmp_path / host / "media").rglob("training/**/*") if p.is_file()]
    # nor does the bucket keep the checkpoints stored while it trained besides its folder's
    assert not [key for key in s3_storage.keys() if f"/{checkpoint_store.SAVED}/" in key
                or key.endswith(checkpoint_store.INDEX)]


def test_a_worker_resuming_a_run_again_takes_the_bucket_checkpoint_not_its_own_old_copy(
        make_user, settings, tmp_path, s3_storage):
    # given a run trained to step 10 on the first worker, which kept a stale copy of the
    # run's folder (as an execution that failed there leaves it), then to step 20 elsewhere
    owner, run = _trained_on_first_host(make_user, settings, tmp_path)
    file_cache.fetched_tree(training_run_dir(run))  # the step-10 folder, kept on this disk
    services.training_run_resume(user=owner, training_run_id=run.pk, extra_steps=10)
    _host(settings, tmp_path, "second")
    services.training_run_execute(training_run_id=run.pk, execution_id="second")
    services.training_run_resume(user=owner, training_run_id=run.pk, extra_steps=10)
    # when the first worker takes the run again
    _host(settings, tmp_path, "first")
    status = services.training_run_execute(training_run_id=run.pk, execution_id="third")
    # then it continued from the bucket's step 20, not from the copy it kept
    run.refresh_from_db()
    assert status == "finished", run.error
    assert run.step == 30
    resumed = [line for line in TrainingLogLine.objects.filter(training_run=run).values_list("line", flat=True)
               if "resuming from" in line and " at step " in line]
    assert resumed[-1].endswith("at step 20"), resumed


def _trained_on_first_host(make_user, settings, tmp_path, **config):
    """(owner, run): a run trained to step 10 on the host "first"."""
    _host(settings, tmp_path, "first")
    owner = make_user()
    run = services.training_run_create(user=owner, dataset_version_id=valid_dataset_version(owner).pk,
                                       config=tiny_config(max_iters=10, **config))
    services.training_run_execute(training_run_id=run.pk, execution_id="first")
    return owner, run


class _Killed(BaseException):
    """The worker process dying (not an error the execution handles)."""


def _died_storing_its_folder(make_user, settings, tmp_path, monkeypatch, **config):
    """(owner, run): a run trained to step 10 on one worker, resumed to 20 on a second that
    stored its checkpoints as it saved them and died while storing its run folder at the end."""
    owner, run = _trained_on_first_host(make_user, settings, tmp_path, **config)
    services.training_run_resume(user=owner, training_run_id=run.pk, extra_steps=10)
    _host(settings, tmp_path, "second")
    publish, stored = core_storage.publish, iter(range(1000))

    def dying_after_one_file(path, **kwargs):
        if threading.current_thread() is threading.main_thread() and next(stored) >= 1:
            raise _Killed
        publish(path, **kwargs)

    monkeypatch.setattr(core_storage, "publish", dying_after_one_file)
    with pytest.raises(_Killed):
        services.training_run_execute(training_run_id=run.pk, execution_id="second")
    monkeypatch.setattr(core_storage, "publish", publish)
    return owner, run


def test_a_run_whose_worker_died_storing_its_folder_resumes_from_the_stored_checkpoint(
        make_user, settings, tmp_path, s3_storage, monkeypatch):
    # given a run trained to step 10, resumed to 20 on a worker that died while storing its
    # run folder at the end (after its checkpoints had been stored as they were saved)
    owner, run = _died_storing_its_folder(make_user, settings, tmp_path, monkeypatch)
    # when its task is redelivered to a worker with an empty disk
    _host(settings, tmp_path, "third")
    status = services.training_run_execute(training_run_id=run.pk, execution_id="second")
    # then it resumed from the step-20 checkpoint, not failing on the half-stored folder
    run.refresh_from_db()
    assert status == "finished", run.error
    assert run.step == 20
    resumed = [line for line in TrainingLogLine.objects.filter(training_run=run).values_list("line", flat=True)
               if line.startswith("resuming from") and " at step " in line]
    assert resumed[-1].endswith("at step 20"), resumed


def _zip_version(owner):
    """A validated zip dataset version of two files, `acts/one.txt` and `two.txt`."""
    dataset = dataset_services.dataset_create(user=owner, name="hamlet")
    body = zip_of({"acts/one.txt": TEXT.encode(), "two.txt": TEXT.encode()})
    version, _ = dataset_services.dataset_version_upload(
        user=owner, dataset_id=dataset.pk, stream=io.BytesIO(body), filename="hamlet.zip", content_length=len(body))
    return dataset_services.dataset_version_validate(version_id=version.pk)


def test_a_run_on_a_zip_dataset_checks_each_of_its_files_at_most_once(
        make_user, settings, tmp_path, s3_storage, monkeypatch):
    # given a run on a zip dataset, logging as it trains, taken by a worker with an empty disk
    _host(settings, tmp_path, "web")
    owner = make_user()
    run = services.training_run_create(user=owner, dataset_version_id=_zip_version(owner).pk,
                                       config=tiny_config(max_iters=10, log_interval=1))
    _host(settings, tmp_path, "trainer")
    file_sha256, hashed = core_storage.file_sha256, Counter()

    def counted(path, *args, **kwargs):
        hashed[str(path)] += 1
        return file_sha256(path, *args, **kwargs)

    monkeypatch.setattr(core_storage, "file_sha256", counted)
    # when it executes
    status = services.training_run_execute(training_run_id=run.pk, execution_id="trainer")
    # then it trained, having read (and hashed) each of the dataset's files at most once
    run.refresh_from_db()
    assert status == "finished", run.error
    assert TrainingLogLine.objects.filter(training_run=run).count() >= 10
    data = {path: count for path, count in hashed.items() if "/extracted/" in path}
    assert all(count <= 1 for count in data.values()), data


def test_a_zip_dataset_file_whose_stored_copy_fails_its_checksum_fails_the_run_naming_it(
        make_user, settings, tmp_path, s3_storage):
    # given a run on a zip dataset whose stored `two.txt` no longer matches the folder's manifest
    _host(settings, tmp_path, "web")
    owner = make_user()
    version = _zip_version(owner)
    run = services.training_run_create(user=owner, dataset_version_id=version.pk, config=tiny_config(max_iters=5))
    s3_storage.server.client().put_object(
        Bucket=s3_storage.name, Key=f"datasets/{owner.pk}/{version.pk}/extracted/two.txt", Body=b"changed")
    # when a worker with an empty disk takes it
    _host(settings, tmp_path, "trainer")
    status = services.training_run_execute(training_run_id=run.pk, execution_id="trainer")
    # then the run failed (not left queued to fail alike again), saying which file and why
    run.refresh_from_db()
    assert status == run.status == "failed"
    assert "two.txt" in run.error and "checksum" in run.error, run.error
    assert not run.lease_owner


def test_the_lease_is_beaten_while_an_execution_stores_its_folder(make_user, settings, tmp_path, s3_storage,
                                                                  monkeypatch):
    # given a run on a worker whose bucket is slow to store its one checkpoint (saved as
    # training ends, so the execution waits for it) and its run folder at the end
    _host(settings, tmp_path, "trainer")
    owner = make_user()
    run = services.training_run_create(user=owner, dataset_version_id=valid_dataset_version(owner).pk,
                                       config=tiny_config(max_iters=5))
    monkeypatch.setattr(services, "HEARTBEAT_EVERY_S", 0.05)
    out_dir = training_run_dir(run)
    publish_tree, beaten = core_storage.publish_tree, {}

    def slow_publish_tree(path):
        started = TrainingRun.objects.get(pk=run.pk).heartbeat_at
        deadline = time.monotonic() + 20
        while TrainingRun.objects.get(pk=run.pk).heartbeat_at == started and time.monotonic() < deadline:
            time.sleep(0.05)
        what = "folder" if path == out_dir else path.parent.name
        beaten[what] = TrainingRun.objects.get(pk=run.pk).heartbeat_at != started
        publish_tree(path)

    monkeypatch.setattr(core_storage, "publish_tree", slow_publish_tree)
    # when it executes
    status = services.training_run_execute(training_run_id=run.pk, execution_id="trainer")
    # then it finished, its lease beaten while the checkpoint and the folder were being
    # stored (no other worker could count it dead and take it)
    assert status == "finished"
    assert beaten == {checkpoint_store.SAVED: True, "folder": True}


def test_an_execution_taken_over_mid_run_stops_and_leaves_the_other_ones_stored_checkpoints(
        make_user, settings, tmp_path, s3_storage, monkeypatch):
    # given a run executing on a worker, taken over at step 8 by another execution (this one
    # counted dead), which has stored a checkpoint of its own
    _host(settings, tmp_path, "first")
    owner = make_user()
    run = services.training_run_create(user=owner, dataset_version_id=valid_dataset_version(owner).pk,
                                       config=tiny_config(max_iters=30, eval_interval=100, log_interval=1))
    monkeypatch.setattr(services, "HEARTBEAT_EVERY_S", 0)
    out_dir = training_run_dir(run)
    others = {"last": {"folder": "last-" + "0" * 32, "step": 40}}
    on_metrics = services._Reporter.on_metrics

    def taken_over_at_step_8(reporter, step, values):
        on_metrics(reporter, step, values)
        if step == 8:
            TrainingRun.objects.filter(pk=run.pk).update(lease_owner="second")
            core_storage.put_bytes(core_storage.key_of(out_dir / checkpoint_store.INDEX), json.dumps(others).encode())
            core_storage.put_bytes(core_storage.key_of(out_dir / checkpoint_store.SAVED / others["last"]["folder"]
                                                       / "trainer_state.json"), b'{"step": 40}')

    monkeypatch.setattr(services._Reporter, "on_metrics", taken_over_at_step_8)
    # when the first execution goes on
    status = services.training_run_execute(training_run_id=run.pk, execution_id="first")
    # then it stopped at its next step, leaving the run to the other execution, whose index
    # and checkpoint are still in the bucket
    run.refresh_from_db()
    assert status == run.status == "running"
    assert run.lease_owner == "second" and run.step < 30
    assert checkpoint_store.index_read(out_dir) == others
    assert any(f"/{others['last']['folder']}/" in key for key in s3_storage.keys())


def test_a_run_on_a_zip_dataset_leaves_no_copy_of_it_on_the_worker_outside_its_cache(
        make_user, settings, tmp_path, s3_storage):
    # given a run on a zip dataset, taken by a worker with an empty disk
    _host(settings, tmp_path, "web")
    owner = make_user()
    run = services.training_run_create(user=owner, dataset_version_id=_zip_version(owner).pk,
                                       config=tiny_config(max_iters=3))
    _host(settings, tmp_path, "trainer")
    # when it executes
    status = services.training_run_execute(training_run_id=run.pk, execution_id="trainer")
    # then it trained, and the worker's disk keeps the dataset's files only in its bounded
    # cache (which may evict them), not in a full copy of its own
    run.refresh_from_db()
    assert status == "finished", run.error
    assert not [path for path in (tmp_path / "trainer" / "media").rglob("datasets/**/*") if path.is_file()]


def test_a_node_on_node_zeros_disk_trains_in_its_folder_and_leaves_it_whole(
        make_user, settings, tmp_path, s3_storage, monkeypatch):
    # given node 0 of a 2-node execution working in the run's folder on this worker's disk
    _host(settings, tmp_path, "trainer")
    owner = make_user()
    run = services.training_run_create(user=owner, dataset_version_id=valid_dataset_version(owner).pk,
                                       config=tiny_config(max_iters=6), nnodes=2)
    TrainingRun.objects.filter(pk=run.pk).update(status="running", lease_owner="first", rdzv_endpoint="127.0.0.1:1")
    out_dir = training_run_dir(run)
    (out_dir / "last").mkdir(parents=True)
    (out_dir / "last" / "trainer_state.json").write_text('{"step": 3}')
    (out_dir / launch.ENGINE_CONFIG).write_text('{"node 0": "config"}')
    (out_dir / services.NODE0_EXECUTION).write_text("first")
    seen = []
    monkeypatch.setattr(launch, "node_run", lambda training_run, node_rank: seen.append(
        (out_dir / launch.ENGINE_CONFIG).read_text()) or 0)
    # when node 1 is taken by another process of the same worker (same disk)
    status = services.training_run_node_execute(training_run_id=run.pk, node_rank=1, execution_id="first")
    # then its processes ran on node 0's engine config, and node 0's folder is left whole
    assert status == "finished"
    assert seen == ['{"node 0": "config"}']
    assert (out_dir / "last" / "trainer_state.json").read_text() == '{"step": 3}'
    assert (out_dir / launch.ENGINE_CONFIG).is_file()


def test_a_run_resumed_after_a_lost_execution_is_charged_what_it_stores(
        make_user, settings, tmp_path, s3_storage, monkeypatch):
    # given a run trained to step 10, resumed on a worker that stored its checkpoints as it
    # saved them and died while storing its run folder
    from apps.quotas.accounts import account_of
    from apps.quotas.storage import storage_totals, storage_used

    owner, run = _died_storing_its_folder(make_user, settings, tmp_path, monkeypatch, eval_interval=5)
    # when its task is redelivered to another worker, which finishes it
    _host(settings, tmp_path, "third")
    status = services.training_run_execute(training_run_id=run.pk, execution_id="second")
    # then the account is charged exactly what the run's and dataset's files take
    assert status == "finished"
    account = account_of(run)
    assert storage_used(account) == storage_totals()[account]
