"""How a training trial's live validation metric reaches its study: an observer the training
reporter calls with each metrics batch (apps.training.services.RUN_OBSERVERS) reports the
objective to the Optuna trial and, when the pruner says so, asks the run to stop (the run's
cancel flag, checked every step). And the signals that schedule the sweep when a trial's run
has ended or is deleted (with its tracked run: the portal, the API, MLflow's runs/delete).
Runs that are no sweep's trial get no observer."""

from __future__ import annotations

from collections.abc import Callable

import optuna

from apps.training.models import TrainingRun
from apps.training.services import training_run_log_append

from . import services
from . import study as studies
from .models import Sweep, Trial

TERMINAL = {TrainingRun.Status.FINISHED, TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED}


def observer_for(training_run: TrainingRun) -> Callable[[int, dict], bool] | None:
    trial = (Trial.objects.filter(training_run=training_run, state=Trial.State.RUNNING)
             .exclude(sweep__pruner=Sweep.Pruner.NONE).select_related("sweep").first())
    if trial is None:
        return None
    sweep = trial.sweep
    live = optuna.trial.Trial(studies.study_load(sweep), trial.optuna_trial_id)

    def observe(step: int, values: dict) -> bool:
        value = values.get(sweep.objective_metric)
        if value is None:
            return False
        live.report(float(value), step)
        if not live.should_prune():
            return False
        services.trial_pruned_record(trial_id=trial.pk, step=step)
        training_run_log_append(training_run=training_run, line=(
            f"pruned at step {step}: {sweep.objective_metric} {value:.4f} is worse than the sweep's "
            f"{sweep.pruner} pruner allows; stopping"))
        return True

    return observe


def training_run_saved(sender, instance: TrainingRun, created: bool, **kwargs) -> None:
    if not created and instance.status in TERMINAL:
        services.schedule_after_commit(services.run_ended_sweeps(training_run_id=instance.pk))


def training_run_deleting(sender, instance: TrainingRun, **kwargs) -> None:
    # Before the delete nulls the trial's link: the scheduler's next pass fails the trial
    # ("its training run was deleted") and starts the next one.
    services.schedule_after_commit(services.run_ended_sweeps(training_run_id=instance.pk))
