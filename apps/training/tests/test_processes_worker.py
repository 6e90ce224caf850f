"""Multi-process training runs on real Celery workers (torchrun, gloo on CPU): two processes,
and two nodes of one process each on two workers, learn what one process with double
accumulation does, with rank 0's metrics live on the run's socket; cancel stops every
process; a process killed mid-run makes the run resume once from its last checkpoint, and a
second death fails it with the reason."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
from asgiref.sync import async_to_sync

from apps.accounts.services import api_token_create
from apps.experiments.models import MetricPoint
from apps.training import services
from apps.training.models import TrainingRun
from tests.test_core_loop import _run_events

from .factories import tiny_config, valid_dataset_version

pytestmark = [pytest.mark.worker, pytest.mark.slow]
URL = "/api/v1/training-runs/"


def _config(max_iters: int = 6, **train) -> dict:
    # No dropout: processes draw different masks than one process does.
    config = tiny_config(max_iters=max_iters, eval_interval=3, log_interval=1, **train)
    config["model"]["dropout"] = 0.0
    return {**config, "optim": {"warmup_iters": 2, "lr": 3e-3}}


@pytest.fixture
def train_worker(transactional_db, tmp_path, settings):
    """Starts train workers (the first also on `default`) on this machine's loopback."""
    from contextlib import ExitStack

    from sloughgpt_site.celery import app
    from tests.processes import celery_worker

    app.control.purge()  # tasks of earlier tests, whose rows are gone
    with ExitStack() as stack:
        def start(queues: str = "default,train", **env):
            return stack.enter_context(celery_worker(
                Path(settings.MEDIA_ROOT).parent, tmp_path / f"{queues}.log", queues=queues,
                extra_env={"SLOUGHGPT_TRAIN_NODE_ADDR": "127.0.0.1", **env}))
        yield start


def _wait_until_ended(pk: int, timeout: float = 240) -> TrainingRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        training_run = TrainingRun.objects.get(pk=pk)
        if training_run.status in ("finished", "failed", "cancelled") and training_run.node_status.get("0") != "training":
            return training_run
        time.sleep(0.5)
    raise AssertionError(f"run {pk} is still {training_run.status}")


def _one_process_run(user, version, monkeypatch, max_iters: int = 6) -> TrainingRun:
    """The same run in one process with double accumulation, executed here (not handed to
    the worker)."""
    monkeypatch.setattr(services, "dispatch_after_commit", lambda: None)
    reference = services.training_run_create(user=user, dataset_version_id=version.pk,
                                             config=_config(max_iters, grad_accum=2))
    services.training_run_execute(training_run_id=reference.pk, execution_id="reference")
    return TrainingRun.objects.get(pk=reference.pk)


def _points(training_run: TrainingRun, key: str) -> dict[int, float]:
    return dict(MetricPoint.objects.filter(series__run_id=training_run.run_id, series__key=key)
                .values_list("step", "value"))


def _rank_processes(worker) -> list[psutil.Process]:
    """The training processes under the worker (not torchrun itself, which names the entry too)."""
    commands = [(child, " ".join(child.cmdline())) for child in psutil.Process(worker.pid).children(recursive=True)]
    return [child for child, command in commands
            if "apps.training.torchrun_entry" in command and "torch.distributed.run" not in command]


def test_two_processes_learn_what_one_does_and_stream_live(train_worker, make_user, api_client_for,
                                                            monkeypatch):
    # given a worker and a user's dataset
    train_worker()
    user = make_user()
    client = api_client_for(user)
    version = valid_dataset_version(user)
    # when a run with 2 processes trains on the worker, watched on its socket
    created = client.post(URL, {"dataset_version_id": version.pk, "config": _config(), "nproc_per_node": 2},
                          format="json").json()
    events = async_to_sync(_run_events)(created["run"], api_token_create(user=user, name="ws").secret)
    # then rank 0's metrics arrived live, once per step, before it finished
    assert events[-1]["status"] == "finished"
    live = [p["step"] for e in events if e["type"] == "run.metrics" for p in e["points"] if p["key"] == "loss"]
    assert live == [1, 2, 3, 4, 5, 6]
    two = _wait_until_ended(created["id"])
    assert two.node_status == {"0": "finished"} and two.step == 6 and two.attempts == 1
    # and it learned what one process with double accumulation learns
    one = _one_process_run(user, version, monkeypatch)
    assert _points(two, "val_loss") == pytest.approx(_points(one, "val_loss"), abs=1e-4)
    assert _points(two, "loss") == pytest.approx(_points(one, "loss"), abs=1e-4)
    assert two.run.artifacts.filter(path="checkpoints/last/model.safetensors").exists()


def test_two_nodes_on_two_workers_learn_what_one_process_does(train_worker, make_user, monkeypatch):
    # given two workers consuming `train`, each a node
    train_worker()
    train_worker("train")
    user = make_user()
    version = valid_dataset_version(user)
    # when a run asks for 2 nodes of 1 process
    created = services.training_run_create(user=user, dataset_version_id=version.pk, config=_config(),
                                           nnodes=2)
    two = _wait_until_ended(created.pk)
    # then both nodes trained together to the end
    assert two.status == "finished", two.error
    deadline = time.monotonic() + 30
    while two.node_status.get("1") == "training" and time.monotonic() < deadline:
        time.sleep(0.5)
        two.refresh_from_db()
    assert two.node_status == {"0": "finished", "1": "finished"}
    # and learned what one process with double accumulation learns
    one = _one_process_run(user, version, monkeypatch)
    assert _points(two, "val_loss") == pytest.approx(_points(one, "val_loss"), abs=1e-4)


def test_cancel_stops_every_process(train_worker, make_user, api_client_for):
    # given a long 2-process run well under way
    worker = train_worker()
    user = make_user()
    client = api_client_for(user)
    version = valid_dataset_version(user)
    created = client.post(URL, {"dataset_version_id": version.pk, "config": _config(max_iters=5000),
                                "nproc_per_node": 2}, format="json").json()
    deadline = time.monotonic() + 180
    while TrainingRun.objects.get(pk=created["id"]).step < 5:
        assert time.monotonic() < deadline, "the run did not reach step 5"
        time.sleep(0.5)
    assert len(_rank_processes(worker)) == 2
    # when it is cancelled
    assert client.post(f"{URL}{created['id']}/cancel/").status_code == 200
    # then every process stopped at a step and the run is cancelled with its checkpoint
    stopped = _wait_until_ended(created["id"])
    assert stopped.status == "cancelled", stopped.error
    assert 5 <= stopped.step < 5000 and stopped.node_status == {"0": "finished"}
    assert _rank_processes(worker) == []
    assert stopped.run.artifacts.filter(path="checkpoints/last/model.safetensors").exists()


def test_a_killed_process_resumes_once_from_the_last_checkpoint(train_worker, make_user, monkeypatch):
    # given a worker whose last process exits abruptly before step 7 the first time round
    train_worker(SLOUGHGPT_TEST_EXIT_AT_STEP="7")
    user = make_user()
    version = valid_dataset_version(user)
    # when a 2-process run that checkpoints every 3 steps trains to 9
    created = services.training_run_create(user=user, dataset_version_id=version.pk,
                                           config=_config(max_iters=9), nproc_per_node=2)
    resumed = _wait_until_ended(created.pk)
    # then every process started again from step 6, in the same execution, and finished
    assert resumed.status == "finished", resumed.error
    assert resumed.step == 9 and resumed.attempts == 1
    lines = list(resumed.log_lines.values_list("line", flat=True))
    assert any("starts again from the last checkpoint" in line for line in lines)
    assert any("at step 6" in line for line in lines)
    # and it learned what an uninterrupted run learns
    one = _one_process_run(user, version, monkeypatch, max_iters=9)
    assert _points(resumed, "val_loss")[9] == pytest.approx(_points(one, "val_loss")[9], abs=1e-4)


def test_a_process_that_dies_again_after_resuming_fails_the_run_with_the_reason(train_worker, make_user):
    # given a worker whose last process exits abruptly before step 2 every time it starts
    train_worker(SLOUGHGPT_TEST_EXIT_AT_STEP="2", SLOUGHGPT_TEST_EXIT_STARTS="2")
    user = make_user()
    version = valid_dataset_version(user)
    # when a 2-process run trains
    created = services.training_run_create(user=user, dataset_version_id=version.pk, config=_config(),
                                           nproc_per_node=2)
    failed = _wait_until_ended(created.pk)
    # then it failed once the one resume was spent, saying so
    assert failed.status == "failed"
    assert "again after every process started once more from the last checkpoint" in failed.error
    assert failed.attempts == 1 and failed.node_status == {"0": "exited 1"}
