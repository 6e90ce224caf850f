"""The scheduler without a worker, each pass called by hand: a trial whose run is deleted,
trials that cannot start, a scheduler stopped between telling the study and saving the
row, transient database errors, the wall-time deadline's wake-ups, and agents that died."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from optuna.study import Study
from optuna.trial import TrialState

from apps.datasets.models import DatasetVersion
from apps.experiments.services import run_delete, run_metrics_log
from apps.sweeps import services, tasks
from apps.sweeps import study as studies
from apps.sweeps.models import Sweep, Trial
from apps.training.models import TrainingRun

from .factories import external_sweep, training_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The scheduler passes queued (not run): (sweep id, kwargs, countdown) each."""
    calls = []

    def apply_async(args, kwargs=None, countdown=None, **options):
        calls.append((args[0], kwargs or {}, countdown))

    monkeypatch.setattr(tasks.sweep_schedule_task, "apply_async", apply_async)
    monkeypatch.setattr(tasks.sweep_schedule_task, "delay", lambda sweep_id: calls.append((sweep_id, {}, None)))
    return calls


def test_deleting_a_trials_run_fails_the_trial_and_the_sweep_goes_on(make_user, queued,
                                                                     django_capture_on_commit_callbacks):
    # given a sweep with one trial running
    user = make_user()
    sweep = training_sweep(user, max_trials=1, parallelism=1)
    services.sweep_schedule(sweep_id=sweep.pk, execution_id="first")
    trial = sweep.trials.get()
    queued.clear()
    # when its tracked run is deleted
    with django_capture_on_commit_callbacks(execute=True):
        run_delete(user=user, run_id=trial.run_id)
    # then the sweep is scheduled, and that pass records the trial and finishes the sweep
    assert [sweep_id for sweep_id, _, _ in queued] == [sweep.pk]
    services.sweep_schedule(sweep_id=sweep.pk, execution_id="second")
    trial.refresh_from_db()
    assert (trial.state, trial.error) == ("failed", "its training run was deleted")
    assert Sweep.objects.get(pk=sweep.pk).status == "finished"


def test_trials_that_keep_failing_to_start_for_one_reason_fail_the_sweep(make_user):
    # given a sweep whose dataset version became unusable after it was created
    user = make_user()
    sweep = training_sweep(user, max_trials=10, parallelism=1)
    DatasetVersion.objects.filter(pk=sweep.dataset_version_id).update(status=DatasetVersion.Status.INVALID)
    # when
    services.sweep_schedule(sweep_id=sweep.pk, execution_id="first")
    # then it stops after three, saying why, instead of spending its budget
    sweep.refresh_from_db()
    assert sweep.status == "failed"
    assert sweep.trials.count() == services.START_FAILURES_TO_STOP
    assert "3 trials in a row could not start: dataset_version_id:" in sweep.error


def test_a_scheduler_stopped_between_telling_the_study_and_saving_loses_nothing(make_user, monkeypatch):
    # given a trial whose run finished with a val_loss
    user = make_user()
    sweep = training_sweep(user, max_trials=1, parallelism=1)
    services.sweep_schedule(sweep_id=sweep.pk, execution_id="first")
    trial = sweep.trials.get()
    TrainingRun.objects.filter(pk=trial.training_run_id).update(status=TrainingRun.Status.FINISHED)
    run_metrics_log(user=user, run_id=trial.run_id, metrics=[{"key": "val_loss", "value": 1.5, "step": 10}])
    real_tell = Study.tell

    def tell_then_die(self, *args, **kwargs):
        real_tell(self, *args, **kwargs)
        raise RuntimeError("the worker died here")

    # when one scheduler dies right after telling the study, and the next pass runs
    monkeypatch.setattr(Study, "tell", tell_then_die)
    with pytest.raises(RuntimeError):
        services.sweep_schedule(sweep_id=sweep.pk, execution_id="dies")
    assert Trial.objects.get(pk=trial.pk).state == "running"
    monkeypatch.setattr(Study, "tell", real_tell)
    services.sweep_schedule(sweep_id=sweep.pk, execution_id="next")
    # then the trial is recorded once, with its objective, and the sweep finished
    trial.refresh_from_db()
    sweep.refresh_from_db()
    assert (trial.state, trial.objective, sweep.status, sweep.best_trial_id) == ("complete", 1.5, "finished", trial.pk)
    frozen = studies.study_load(sweep).get_trials(deepcopy=False)
    assert [(t.state, t.value) for t in frozen] == [(TrialState.COMPLETE, 1.5)]


def test_a_database_error_is_retried_and_a_bug_fails_the_sweep(make_user, monkeypatch):
    # given a scheduler whose first try meets a dropped connection
    user = make_user()
    sweep = training_sweep(user, max_trials=2, parallelism=2)
    real_schedule, tries = services.sweep_schedule, []

    def flaky(**kwargs):
        tries.append(kwargs)
        if len(tries) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_schedule(**kwargs)

    monkeypatch.setattr(services, "sweep_schedule", flaky)
    # when
    tasks.sweep_schedule_task.apply(args=(sweep.pk,))
    # then the sweep runs on
    sweep.refresh_from_db()
    assert (len(tries), sweep.status, sweep.trials.count()) == (2, "running", 2)
    # and a real bug still stops it, saying so
    monkeypatch.setattr(services, "sweep_schedule", lambda **kwargs: 1 / 0)
    tasks.sweep_schedule_task.apply(args=(sweep.pk,))
    sweep.refresh_from_db()
    assert sweep.status == "failed" and "ZeroDivisionError" in sweep.error


def test_the_deadline_is_waited_for_in_steps_shorter_than_the_brokers_redelivery(make_user, queued,
                                                                                  django_capture_on_commit_callbacks):
    # given a sweep with a 30-day wall-time budget
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        sweep = training_sweep(user, max_wall_seconds=30 * 86400)
    visibility = tasks.sweep_schedule_task.app.conf.broker_transport_options.get("visibility_timeout")
    # then its deadline wake-up waits one step, shorter than the broker's redelivery
    [(_, _, step)] = [call for call in queued if call[1].get("until_deadline")]
    assert step == services.deadline_step_s() and step < visibility
    # when that step ends before the deadline, the wake-up queues the next step and starts nothing
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_schedule_task.apply(args=(sweep.pk,), kwargs={"until_deadline": True})
    assert [(kwargs, countdown) for _, kwargs, countdown in queued] == [({"until_deadline": True}, step)]
    assert not sweep.trials.exists()
    # and at the deadline it finishes the sweep
    Sweep.objects.filter(pk=sweep.pk).update(created_at=timezone.now() - timedelta(days=31))
    tasks.sweep_schedule_task.apply(args=(sweep.pk,), kwargs={"until_deadline": True})
    assert Sweep.objects.get(pk=sweep.pk).status == "finished"


def test_an_agent_waits_while_the_sweep_is_full_and_a_dead_agents_trial_is_failed(make_user, queued):
    # given an external sweep of one trial at a time, with one trial taken
    user = make_user()
    sweep = external_sweep(user, parallelism=1)
    first, _ = services.trial_next(user=user, sweep_id=sweep.pk)
    # when another agent asks
    waiting = services.trial_next(user=user, sweep_id=sweep.pk)
    # then it is told to wait
    assert waiting == (None, services.AGENT_RETRY_AFTER_S)
    # when the first trial's agent stays silent past the timeout
    Trial.objects.filter(pk=first.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    second, wait = services.trial_next(user=user, sweep_id=sweep.pk)
    # then its trial fails, saying why, and the place goes to the live agent
    first.refresh_from_db()
    assert (first.state, first.run.status) == ("failed", "failed")
    assert first.error.startswith("its agent stopped calling")
    assert second is not None and second.number == 1 and wait is None
    # and the scheduler's own pass fails a silent trial even when no agent asks again
    Trial.objects.filter(pk=second.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    services.sweep_schedule(sweep_id=sweep.pk, execution_id="watch")
    assert Trial.objects.get(pk=second.pk).state == "failed"
