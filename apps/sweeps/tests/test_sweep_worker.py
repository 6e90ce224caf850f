"""Sweeps on a real Celery worker: a training sweep runs its trials on the `train` queue and
finishes with its best trial marked; the median pruner stops a clearly bad trial within one
evaluation; a Hyperband sweep runs with its budget; cancelling stops a running trial's
training; and two schedulers at once (one slower than its lease) start no extra trial."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from optuna.study import Study

from apps.core import leases
from apps.sweeps import study as studies
from apps.sweeps.models import Sweep, Trial
from apps.sweeps.services import sweep_schedule
from apps.training.models import TrainingRun

from .factories import training_sweep

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _wait_for_sweep(sweep_id: int, statuses=("finished",), timeout: float = 400) -> Sweep:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep = Sweep.objects.get(pk=sweep_id)
        if sweep.status in statuses:
            return sweep
        time.sleep(0.5)
    states = list(Trial.objects.filter(sweep_id=sweep_id).values_list("number", "state", "error"))
    raise AssertionError(f"sweep {sweep_id} is {sweep.status}, trials {states}")


def test_a_training_sweep_runs_its_trials_and_marks_the_best(celery_worker_process, make_user, api_client_for):
    # given
    user = make_user()
    # when
    sweep = training_sweep(user, max_trials=4, parallelism=2, seed=7)
    sweep = _wait_for_sweep(sweep.pk)
    # then
    trials = list(sweep.trials.order_by("number"))
    assert [t.state for t in trials] == ["complete"] * 4
    assert all(t.training_run.status == "finished" and t.run.experiment_id == sweep.experiment_id for t in trials)
    best = min(trials, key=lambda t: t.objective)
    assert sweep.best_trial_id == best.pk
    assert best.objective == pytest.approx(best.training_run.best_val_loss)
    listed = api_client_for(user).get(f"/api/v1/sweeps/{sweep.pk}/trials/").json()
    assert [t["state_detail"] for t in listed] == ["complete"] * 4
    assert len({t["params"]["optim.lr"] for t in listed}) == 4
    importances = api_client_for(user).get(f"/api/v1/sweeps/{sweep.pk}/importances/").json()
    assert [i["param"] for i in importances] == ["optim.lr"]


def test_the_median_pruner_stops_a_clearly_bad_trial_within_one_evaluation(celery_worker_process, make_user):
    # given a sweep whose first trial learns (lr 0.02) and whose second cannot (lr 1e-7)
    user = make_user()
    space = [{"name": "optim.lr", "type": "categorical", "choices": [0.02, 1e-7]}]
    # when
    sweep = training_sweep(user, search_space=space, sampler="grid", seed=1, max_trials=2, parallelism=1,
                           pruner="median", pruner_startup_trials=1, max_iters=60)
    sweep = _wait_for_sweep(sweep.pk)
    # then
    good, bad = sweep.trials.order_by("number")
    assert (good.params, good.state) == ({"optim.lr": 0.02}, "complete")
    assert (bad.params, bad.state, bad.state_detail) == ({"optim.lr": 1e-7}, "pruned", "pruned at step 10")
    run = TrainingRun.objects.get(pk=bad.training_run_id)
    assert run.step <= 11 < run.max_steps
    assert run.log_lines.filter(line__startswith="pruned at step 10").exists()
    assert sweep.best_trial_id == good.pk


def test_two_schedulers_at_once_start_no_extra_trial(transactional_db, make_user):
    # given a sweep whose creation's own scheduler task has not run (no worker here)
    user = make_user()
    sweep = training_sweep(user, max_trials=8, parallelism=2)
    start = threading.Barrier(2)
    answers = []

    def schedule(execution_id: str) -> None:
        start.wait()
        try:
            answers.append(sweep_schedule(sweep_id=sweep.pk, execution_id=execution_id))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=schedule, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    again = sweep_schedule(sweep_id=sweep.pk, execution_id="third")
    # then
    assert sorted(answers) == [False, True] and again
    assert sweep.trials.count() == 2
    assert TrainingRun.objects.filter(sweep_trial__sweep=sweep).count() == 2


def test_two_schedulers_stay_within_parallelism_when_one_is_slower_than_its_lease(transactional_db, make_user,
                                                                                  monkeypatch):
    # given a short lease, and a first scheduler whose first ask outlasts it
    monkeypatch.setattr(leases, "LEASE_TIMEOUT", timedelta(seconds=0.5))
    user = make_user()
    sweep = training_sweep(user, max_trials=8, parallelism=2)
    real_ask, asking = Study.ask, threading.Event()

    def slow_ask(self, *args, **kwargs):
        asked = real_ask(self, *args, **kwargs)
        if threading.current_thread().name == "slow" and not asking.is_set():
            asking.set()
            time.sleep(1.5)
        return asked

    monkeypatch.setattr(Study, "ask", slow_ask)

    def schedule(execution_id: str) -> None:
        if execution_id == "second":
            asking.wait()
            time.sleep(0.7)  # the slow one's lease has expired
        try:
            sweep_schedule(sweep_id=sweep.pk, execution_id=execution_id)
        finally:
            connection.close()

    # when a second scheduler takes the sweep over while the first is still asking
    threads = [threading.Thread(target=schedule, args=(name,), name=name) for name in ("slow", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sweep.trials.count() == 2
    assert TrainingRun.objects.filter(sweep_trial__sweep=sweep).count() == 2


def test_cancelling_a_sweep_stops_its_running_trials_training(celery_worker_process, make_user, api_client_for):
    # given a sweep whose trial trains for long
    user = make_user()
    sweep = training_sweep(user, max_trials=1, parallelism=1, max_iters=20_000)
    deadline = time.monotonic() + 300
    while not TrainingRun.objects.filter(sweep_trial__sweep=sweep, status="running", step__gt=0).exists():
        assert time.monotonic() < deadline, "the trial's training never started"
        time.sleep(0.5)
    # when
    response = api_client_for(user).post(f"/api/v1/sweeps/{sweep.pk}/cancel/")
    # then the sweep is cancelled, and its trial once its run has stopped short
    assert response.json()["status"] == "cancelled"
    deadline = time.monotonic() + 300
    while (trial := Trial.objects.get(sweep=sweep)).state == "running":
        assert time.monotonic() < deadline, "the trial never stopped"
        time.sleep(0.5)
    run = TrainingRun.objects.get(pk=trial.training_run_id)
    assert (trial.state, run.status) == ("cancelled", "cancelled")
    assert run.step < run.max_steps


def test_a_hyperband_sweep_runs_with_its_budget_set_to_the_trials_steps(celery_worker_process, make_user):
    # given
    user = make_user()
    # when
    sweep = training_sweep(user, max_trials=3, parallelism=1, seed=3, pruner="hyperband", max_iters=40)
    sweep = _wait_for_sweep(sweep.pk)
    # then every trial ended as complete or pruned, judged on the values its run reported
    assert studies.max_resource(sweep) == 40
    states = [t.state for t in sweep.trials.order_by("number")]
    assert len(states) == 3 and set(states) <= {"complete", "pruned"} and "complete" in states
    frozen = studies.study_load(sweep).get_trials(deepcopy=False)
    assert all(set(t.intermediate_values) <= {10, 20, 30, 40} and t.intermediate_values for t in frozen)
