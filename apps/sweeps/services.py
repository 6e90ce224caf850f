"""Writes for sweeps: create (the study and its first trials), pause, resume, cancel; the
scheduler that keeps `parallelism` training trials in flight and tells the study how each
ended; and the agent's side of an external sweep (next trial, report, finish).

Order matters for "no finished trial lost": a trial's end is told to the study first (Optuna
skips a trial it already knows finished) and stored on our row after, so a scheduler that
dies between the two repeats the tell harmlessly next time. An Optuna trial asked for by a
scheduler that died before its row committed is failed once it is older than a lease.

"Never more than `parallelism` trials": each trial is started under the sweep's row lock,
by the scheduler that still holds the sweep's lease (a scheduler whose lease was taken over
while it was slow stops), and an agent is answered "wait" while the sweep's places are
taken. An external trial whose agent has been silent for SWEEP_AGENT_TIMEOUT_S is failed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import optuna
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from optuna.trial import TrialState

from apps.core.access import Action, access_get
from apps.core.errors import Conflict
from apps.core.leases import LEASE_TIMEOUT, lease_take
from apps.core.notifications import notify_user
from apps.core.selectors import owned_get
from apps.datasets.models import DatasetVersion
from apps.experiments.models import Experiment, MetricSeries, RunStatus
from apps.experiments.services import (
    experiment_named,
    run_create,
    run_metrics_log,
    run_status_record,
    run_update,
)
from apps.training.models import TrainingRun
from apps.training.services import (
    USER_OPTIONS,
    training_config_clean,
    training_run_cancel,
    training_run_create,
)

from . import space as spaces
from . import study as studies
from .models import Sweep, Trial

Status, State, Kind = Sweep.Status, Trial.State, Sweep.Kind
OPEN_STATUSES = (Status.RUNNING, Status.PAUSED)
# How a trial's end reads to Optuna (a cancelled trial is a failure it learns nothing from).
OPTUNA_STATES = {State.PRUNED: TrialState.PRUNED, State.FAILED: TrialState.FAIL, State.CANCELLED: TrialState.FAIL}
# How it reads on its tracked run.
RUN_STATUSES = {State.COMPLETE: RunStatus.FINISHED, State.PRUNED: RunStatus.CANCELLED,
                State.FAILED: RunStatus.FAILED, State.CANCELLED: RunStatus.CANCELLED}
# Options every trial of a pruned sweep must share: a pruner compares trials' values at the
# same steps, and Hyperband's budget is the steps each trial runs.
PRUNING_FIXED_OPTIONS = ("train.max_iters", "train.eval_interval")
# This many trials in a row that could not start, for the same reason, fail the sweep: the
# reason is the sweep's (its dataset, its base config), not a trial's values.
START_FAILURES_TO_STOP = 3
# How long an agent is told to wait before asking again while the sweep is paused or all
# its places are taken.
AGENT_RETRY_AFTER_S = 5


def _training_option_check(name: str) -> None:
    """Refuses a search-space name that is no training option a user may set
    (USER_OPTIONS, as "section.key"); used by space_clean for a training sweep."""
    section, _, key = name.partition(".")
    if key not in USER_OPTIONS.get(section, ()):
        raise ValidationError({f"search_space.{name}": [
            "not a training option you can set (section.key, e.g. optim.lr, model.n_embd, model.dropout)"
        ]})


def _first_message(exc: ValidationError) -> str:
    field, (message, *_) = next(iter(exc.message_dict.items()))
    return f"{field}: {message}"


def _training_space_check(*, base_config: dict, space: list[dict]) -> dict:
    """The base config, checked as a training run would check it, with each corner of the
    space in it: a value the engine refuses is reported under the parameter's name."""
    base = training_config_clean(base_config)
    for point in spaces.sample_points(space):
        try:
            training_config_clean(spaces.config_with(base_config, point))
        except ValidationError as exc:
            field = next(iter(exc.message_dict))
            name = field.removeprefix("config.")
            key = f"search_space.{name}" if name in point else "search_space"
            raise ValidationError({key: [_first_message(exc)]}) from None
    return base


def _pruned_space_check(space: list[dict]) -> None:
    for spec in space:
        if spec["name"] in PRUNING_FIXED_OPTIONS:
            raise ValidationError({f"search_space.{spec['name']}": [
                "not searchable with a pruner: pruners compare trials at the same steps, so every trial "
                "shares max_iters and eval_interval (set them in base_config)"]})


def training_metrics(clean: dict) -> tuple[str, ...]:
    """The metrics a training run with this (cleaned) config logs that a sweep can optimize
    (ml/train/trainer.py): a DPO run logs its rewards and no perplexity."""
    if clean.get("dpo", {}).get("enabled"):
        return ("val_loss", "loss", "rewards/margin", "rewards/accuracy")
    return ("val_loss", "perplexity", "loss")


def _objective_metric_check(metric: str, clean: dict) -> None:
    known = training_metrics(clean)
    if metric not in known:
        raise ValidationError({"objective_metric": [
            f"{metric!r} is not a metric training logs; choose one of {', '.join(known)}"]})


def _base_config_stored(base_config: dict, clean: dict) -> dict:
    """The options the user gave, as the engine reads them, and the steps every trial runs
    (Hyperband's budget, read back by study.max_resource)."""
    stored = {section: {key: clean[section][key] for key in options} for section, options in base_config.items()}
    stored.setdefault("train", {})["max_iters"] = clean["train"]["max_iters"]
    return stored


@transaction.atomic
def sweep_create(
    *, user, name: str, search_space: list, kind: str = Kind.TRAINING, experiment_id: int | None = None,
    experiment_name: str = "", dataset_version_id: int | None = None, base_config: dict | None = None,
    objective_metric: str = "val_loss", direction: str = Sweep.Direction.MINIMIZE,
    sampler: str = Sweep.Sampler.TPE, pruner: str = Sweep.Pruner.NONE, pruner_startup_trials: int = 5,
    seed: int | None = None, max_trials: int = 20, max_wall_seconds: int | None = None, parallelism: int = 1,
) -> Sweep:
    version = None
    if kind == Kind.TRAINING:
        if dataset_version_id is None:
            raise ValidationError({"dataset_version_id": ["a training sweep trains on one of your dataset versions"]})
        version = access_get(DatasetVersion, user=user, pk=dataset_version_id)  # an input: read will do
        if version.status != DatasetVersion.Status.VALID:
            # Every trial would fail to start, spending the budget on nothing.
            raise ValidationError({"dataset_version_id": [
                f"dataset version {version} is {version.status}, not valid: a sweep trains on a validated version"]})
        space = spaces.space_clean(search_space, allowed=_training_option_check)
        if pruner != Sweep.Pruner.NONE:
            _pruned_space_check(space)
        base_config = base_config or {}
        clean = _training_space_check(base_config=base_config, space=space)
        _objective_metric_check(objective_metric, clean)
        base_config = _base_config_stored(base_config, clean)
    else:
        if dataset_version_id is not None or base_config:
            raise ValidationError({"kind": ["an external sweep has no dataset or training config; its script has them"]})
        space = spaces.space_clean(search_space, allowed=spaces.external_name_check)
        base_config = {}
    if sampler == Sweep.Sampler.GRID:
        max_trials = min(max_trials, spaces.grid_size(space))
    # The sweep stays its owner's; the experiment its trials' runs go to may be shared: a
    # training sweep spends compute there (run), an external one only adds runs (edit).
    action = Action.RUN if kind == Kind.TRAINING else Action.EDIT
    if experiment_id is not None:
        experiment = access_get(Experiment, user=user, pk=experiment_id, action=action)
    else:
        experiment = experiment_named(user=user, name=(experiment_name or name).strip())
    sweep = Sweep.objects.create(
        owner=user, name=name.strip(), kind=kind, experiment=experiment, dataset_version=version,
        base_config=base_config, search_space=space, objective_metric=objective_metric, direction=direction,
        sampler=sampler, pruner=pruner, pruner_startup_trials=pruner_startup_trials, seed=seed,
        max_trials=max_trials, max_wall_seconds=max_wall_seconds, parallelism=parallelism,
        study_name=f"sweep-{uuid.uuid4().hex}",
    )
    studies.study_create(sweep)
    _schedule(sweep)
    if max_wall_seconds:
        deadline_wait_schedule(sweep)  # to finish the sweep at its deadline
    return sweep


def _schedule(sweep: Sweep, countdown: float | None = None, *, until_deadline: bool = False) -> None:
    """Queues a scheduler pass for the sweep once the caller's transaction commits (its
    rows are then visible to the worker), `countdown` seconds later if given."""
    from .tasks import sweep_schedule_task

    sweep_id = sweep.pk
    kwargs = {"until_deadline": True} if until_deadline else {}
    transaction.on_commit(lambda: sweep_schedule_task.apply_async((sweep_id,), kwargs, countdown=countdown))


def deadline_step_s() -> int:
    """The longest wait one queued task holds: Redis hands an unacknowledged (delayed) task
    to another worker after its visibility timeout, so a longer countdown would run twice."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    return max(1, min(3600, visibility // 2))


def seconds_to_deadline(sweep: Sweep) -> float:
    deadline = sweep.created_at + timedelta(seconds=sweep.max_wall_seconds)
    return (deadline - timezone.now()).total_seconds()


def deadline_wait_schedule(sweep: Sweep) -> None:
    """Queues the wake-up that finishes the sweep at its wall-time deadline, one step of at
    most deadline_step_s at a time (each step queues the next while the deadline is ahead)."""
    wait = max(0.0, seconds_to_deadline(sweep)) + 1
    _schedule(sweep, countdown=min(wait, deadline_step_s()), until_deadline=True)


def _changed(sweep: Sweep) -> None:
    """Tells the owner's open pages (the notifications socket) to read the sweep again."""
    notify_user(user_id=sweep.owner_id, event={"type": "sweep.updated", "id": sweep.pk, "status": sweep.status})


def _status_set(sweep: Sweep, status: str) -> None:
    sweep.status = status
    if status in (Status.FINISHED, Status.CANCELLED, Status.FAILED):
        sweep.finished_at = timezone.now()
    sweep.save(update_fields=["status", "finished_at", "updated_at"])
    _changed(sweep)


@transaction.atomic
def sweep_pause(*, user, sweep_id: int) -> Sweep:
    """No new trial starts; those in flight run to their end."""
    sweep = owned_get(Sweep.objects.select_for_update(), user=user, pk=sweep_id)
    if sweep.status != Status.RUNNING:
        raise Conflict(f"the sweep is {sweep.status}, not running")
    _status_set(sweep, Status.PAUSED)
    return sweep


@transaction.atomic
def sweep_resume(*, user, sweep_id: int) -> Sweep:
    sweep = owned_get(Sweep.objects.select_for_update(), user=user, pk=sweep_id)
    if sweep.status != Status.PAUSED:
        raise Conflict(f"the sweep is {sweep.status}, not paused")
    _status_set(sweep, Status.RUNNING)
    _schedule(sweep)
    return sweep


@transaction.atomic
def sweep_cancel(*, user, sweep_id: int) -> Sweep:
    """Stops the sweep and its trials in flight (a training trial's run is cancelled; it is
    marked cancelled once the run has stopped)."""
    sweep = owned_get(Sweep.objects.select_for_update(), user=user, pk=sweep_id)
    if sweep.status not in OPEN_STATUSES:
        raise Conflict(f"the sweep is already {sweep.status}")
    _status_set(sweep, Status.CANCELLED)
    study = None
    for trial in sweep.trials.filter(state=State.RUNNING).select_related("training_run"):
        if trial.training_run is not None:
            try:
                training_run_cancel(user=user, training_run_id=trial.training_run_id)
            except ValidationError:
                pass  # it ended meanwhile; the scheduler records how
        else:
            study = study or studies.study_load(sweep)
            _trial_end(sweep, study, trial, state=State.CANCELLED, error="the sweep was cancelled")
    _schedule(sweep)
    return sweep


# ---- the scheduler -------------------------------------------------------------------------

def sweep_schedule(*, sweep_id: int, execution_id: str) -> bool:
    """Records the trials whose runs ended, fails trials an earlier scheduler left half
    made, starts trials up to `parallelism` and the budget, and finishes the sweep when the
    budget is spent. Returns False, doing nothing, while another execution holds the sweep
    (the caller tries again later)."""
    if not lease_take(Sweep, sweep_id, execution_id, statuses=Status.values):
        # A deleted sweep has nothing left to schedule.
        return not Sweep.objects.filter(pk=sweep_id).exists()
    try:
        sweep = Sweep.objects.select_related("owner").get(pk=sweep_id)
        study = studies.study_load(sweep)
        _ended_trials_record(sweep, study)
        _orphans_fail(sweep, study)
        _silent_agents_fail(sweep, study)
        if sweep.kind == Kind.TRAINING and sweep.status == Status.RUNNING:
            _trials_start(sweep, study, execution_id)
        _finish_if_spent(sweep)
        _agent_watch(sweep)
    finally:
        Sweep.objects.filter(pk=sweep_id, lease_owner=execution_id).update(lease_owner="")
    return True


def sweep_fail(*, sweep_id: int, error: str) -> None:
    """The scheduler met an error it cannot pass: the sweep stops, saying why."""
    with transaction.atomic():
        sweep = Sweep.objects.select_for_update().get(pk=sweep_id)
        if sweep.status in OPEN_STATUSES:
            sweep.error = error[:2000]
            sweep.save(update_fields=["error"])
            _status_set(sweep, Status.FAILED)


def _past_deadline(sweep: Sweep) -> bool:
    return bool(sweep.max_wall_seconds) and timezone.now() >= sweep.created_at + timedelta(
        seconds=sweep.max_wall_seconds)


def _budget_spent(sweep: Sweep) -> bool:
    return sweep.trials.count() >= sweep.max_trials or _past_deadline(sweep)


def _finish_if_spent(sweep: Sweep) -> None:
    with transaction.atomic():
        sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
        if sweep.status == Status.RUNNING and _budget_spent(sweep) \
                and not sweep.trials.filter(state=State.RUNNING).exists():
            _status_set(sweep, Status.FINISHED)


def _trials_start(sweep: Sweep, study: optuna.Study, execution_id: str) -> None:
    """Starts trials while the sweep has room, each under the sweep's row lock and only while
    this execution still holds the lease (renewing it): a scheduler slowed past the lease
    timeout, whose sweep another took over, stops instead of starting extra trials. Fails
    the sweep when trials keep failing to start for the same reason."""
    start_errors: list[str] = []
    while True:
        with transaction.atomic():
            locked = Sweep.objects.select_for_update().select_related("owner").get(pk=sweep.pk)
            if locked.lease_owner != execution_id or locked.status != Status.RUNNING \
                    or locked.trials.filter(state=State.RUNNING).count() >= locked.parallelism \
                    or _budget_spent(locked):
                return
            Sweep.objects.filter(pk=locked.pk).update(heartbeat_at=timezone.now())
            error = _training_trial_start(locked, study)
        start_errors = start_errors + [error] if error else []
        if len(start_errors) >= START_FAILURES_TO_STOP and len(set(start_errors)) == 1:
            sweep_fail(sweep_id=sweep.pk, error=f"{len(start_errors)} trials in a row could not start: {error}")
            return


def _training_trial_start(sweep: Sweep, study: optuna.Study) -> str:
    """Asks the study for a trial and starts its training run; returns why it could not
    start ("" when it did)."""
    asked = study.ask()
    params = spaces.suggest(asked, sweep.search_space)
    # Optuna's id of the trial, which the pruner's reports name (it has no public getter).
    fields = dict(owner=sweep.owner, sweep=sweep, number=asked.number, optuna_trial_id=asked._trial_id,
                  params=params)
    try:
        with transaction.atomic():
            training_run = training_run_create(
                user=sweep.owner, dataset_version_id=sweep.dataset_version_id, experiment_id=sweep.experiment_id,
                config=spaces.config_with(sweep.base_config, params),
                name=f"{sweep.name} trial {asked.number}",
            )
            run_update(user=sweep.owner, run_id=training_run.run_id,
                       tags={"sweep": str(sweep.pk), "trial": str(asked.number)})
            Trial.objects.create(**fields, run=training_run.run, training_run=training_run)
            _changed(sweep)
    except ValidationError as exc:
        # These values make a config the engine refuses (e.g. a width its heads do not
        # divide): the trial fails, naming the option, and the sampler learns to avoid it.
        error = _first_message(exc)
        study.tell(asked, state=TrialState.FAIL, skip_if_finished=True)
        Trial.objects.create(**fields, state=State.FAILED, error=error, finished_at=timezone.now())
        _changed(sweep)
        return error
    return ""


def _objective(sweep: Sweep, run_id: int | None) -> float | None:
    """The best value the run logged for the objective metric (its best checkpoint's)."""
    series = MetricSeries.objects.filter(run_id=run_id, key=sweep.objective_metric).first()
    if series is None:
        return None
    return series.min_value if sweep.direction == Sweep.Direction.MINIMIZE else series.max_value


def _ended_trials_record(sweep: Sweep, study: optuna.Study) -> None:
    if sweep.kind != Kind.TRAINING:
        return
    ended = sweep.trials.filter(state=State.RUNNING).exclude(
        training_run__status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING])
    for trial in ended.select_related("training_run"):
        training_run = trial.training_run
        if training_run is None:
            _trial_end(sweep, study, trial, state=State.FAILED, error="its training run was deleted")
        elif trial.pruned_step is not None:
            _trial_end(sweep, study, trial, state=State.PRUNED)
        elif training_run.status == TrainingRun.Status.FINISHED:
            value = _objective(sweep, trial.run_id)
            if value is None:
                _trial_end(sweep, study, trial, state=State.FAILED, error=f"the run logged no {sweep.objective_metric}")
            else:
                _trial_end(sweep, study, trial, state=State.COMPLETE, objective=value)
        elif training_run.status == TrainingRun.Status.CANCELLED:
            _trial_end(sweep, study, trial, state=State.CANCELLED, error="its training run was cancelled")
        else:
            _trial_end(sweep, study, trial, state=State.FAILED, error=training_run.error or "training failed")


def _orphans_fail(sweep: Sweep, study: optuna.Study) -> None:
    known = set(sweep.trials.values_list("number", flat=True))
    stale_before = timezone.now() - LEASE_TIMEOUT
    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if frozen.number not in known and frozen.datetime_start is not None \
                and frozen.datetime_start.astimezone(timezone.get_current_timezone()) < stale_before:
            study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)


def _silent_agents_fail(sweep: Sweep, study: optuna.Study | None = None) -> None:
    """Fails the external trials whose agent has not called for SWEEP_AGENT_TIMEOUT_S (it
    died: killed, its machine lost), so their places go to live agents."""
    if sweep.kind != Kind.EXTERNAL:
        return
    silent_before = timezone.now() - timedelta(seconds=settings.SWEEP_AGENT_TIMEOUT_S)
    silent = sweep.trials.filter(state=State.RUNNING).filter(
        Q(heartbeat_at__lt=silent_before) | Q(heartbeat_at__isnull=True, created_at__lt=silent_before))
    for trial in silent:
        study = study or studies.study_load(sweep)
        _trial_end(sweep, study, trial, state=State.FAILED,
                   error=f"its agent stopped calling (silent for over {settings.SWEEP_AGENT_TIMEOUT_S} s)")


def _agent_watch(sweep: Sweep) -> None:
    """While an external sweep has trials running, one scheduler pass waits for the agent
    timeout to fail any whose agent died, even if no agent calls again (one queued at a time)."""
    if sweep.kind != Kind.EXTERNAL or not sweep.trials.filter(state=State.RUNNING).exists():
        return
    wait = settings.SWEEP_AGENT_TIMEOUT_S + 1
    if cache.add(f"sweeps:agent-watch:{sweep.pk}", 1, timeout=max(1, wait - 1)):
        _schedule(sweep, countdown=wait)


def _trial_end(sweep: Sweep, study: optuna.Study, trial: Trial, *, state: str, objective: float | None = None,
               error: str = "") -> Trial:
    if state == State.COMPLETE:
        study.tell(trial.number, objective, skip_if_finished=True)
    else:
        study.tell(trial.number, state=OPTUNA_STATES[state], skip_if_finished=True)
    with transaction.atomic():
        trial = Trial.objects.select_for_update().get(pk=trial.pk)
        if trial.state != State.RUNNING:
            return trial  # another execution recorded it first
        trial.state, trial.objective, trial.error = state, objective, error
        trial.finished_at = timezone.now()
        trial.save(update_fields=["state", "objective", "error", "finished_at", "updated_at"])
        if trial.run_id is not None and trial.training_run_id is None:
            # Also the scheduler's (a silent agent): written whatever the owner's access now.
            run_status_record(run_id=trial.run_id, status=RUN_STATUSES[state])
        if state == State.COMPLETE:
            _best_update(sweep)
        _changed(sweep)
    return trial


def _best_update(sweep: Sweep) -> None:
    order = "objective" if sweep.direction == Sweep.Direction.MINIMIZE else "-objective"
    best = sweep.trials.filter(state=State.COMPLETE).order_by(order, "number").first()
    Sweep.objects.filter(pk=sweep.pk).update(best_trial=best)
    sweep.best_trial = best


def trial_pruned_record(*, trial_id: int, step: int) -> None:
    """The pruner judged the trial at `step`; it ends as pruned once its run has stopped."""
    Trial.objects.filter(pk=trial_id, state=State.RUNNING, pruned_step__isnull=True).update(pruned_step=step)


# ---- the agent's side of an external sweep -----------------------------------------------

def _external_sweep(*, user, sweep_id: int, lock: bool = False) -> Sweep:
    queryset = Sweep.objects.select_for_update() if lock else Sweep.objects.all()
    sweep = owned_get(queryset.select_related("owner"), user=user, pk=sweep_id)
    if sweep.kind != Kind.EXTERNAL:
        raise Conflict("a training sweep runs its own trials; agents serve external sweeps")
    return sweep


@transaction.atomic
def trial_next(*, user, sweep_id: int) -> tuple[Trial | None, int | None]:
    """The next trial (its params and tracked run) and None; or no trial and the seconds to
    wait before asking again while the sweep is paused or `parallelism` trials run; or
    (None, None) once the sweep takes no more (stopped, or its budget spent)."""
    sweep = _external_sweep(user=user, sweep_id=sweep_id, lock=True)
    if sweep.status not in OPEN_STATUSES or _budget_spent(sweep):
        return None, None
    _silent_agents_fail(sweep)
    if sweep.status == Status.PAUSED or sweep.trials.filter(state=State.RUNNING).count() >= sweep.parallelism:
        return None, AGENT_RETRY_AFTER_S
    study = studies.study_load(sweep)
    asked = study.ask()
    params = spaces.suggest(asked, sweep.search_space)
    run = run_create(user=user, experiment_id=sweep.experiment_id, name=f"{sweep.name} trial {asked.number}",
                     params=params, tags={"kind": "sweep-trial", "sweep": str(sweep.pk), "trial": str(asked.number)})
    trial = Trial.objects.create(owner=user, sweep=sweep, number=asked.number, optuna_trial_id=asked._trial_id,
                                 params=params, run=run, heartbeat_at=timezone.now())
    _changed(sweep)
    _agent_watch(sweep)
    return trial, None


def _running_trial(*, user, sweep_id: int, trial_id: int) -> tuple[Sweep, Trial]:
    sweep = _external_sweep(user=user, sweep_id=sweep_id)
    trial = owned_get(sweep.trials.all(), user=user, pk=trial_id)
    if trial.state != State.RUNNING:
        raise Conflict(f"trial {trial.number} is {trial.state}")
    return sweep, trial


def agent_heartbeat_s() -> int:
    """How often an agent beats a trial's heartbeat: three beats fit in the timeout."""
    return max(1, settings.SWEEP_AGENT_TIMEOUT_S // 3)


def trial_heartbeat(*, user, sweep_id: int, trial_id: int) -> None:
    """The trial's agent is alive (it calls this while a trial runs between reports)."""
    _, trial = _running_trial(user=user, sweep_id=sweep_id, trial_id=trial_id)
    Trial.objects.filter(pk=trial.pk).update(heartbeat_at=timezone.now())


def trial_report(*, user, sweep_id: int, trial_id: int, step: int, value: float) -> bool:
    """Stores an intermediate objective value (on the trial's run too) and answers whether
    the pruner would stop the trial here."""
    sweep, trial = _running_trial(user=user, sweep_id=sweep_id, trial_id=trial_id)
    Trial.objects.filter(pk=trial.pk).update(heartbeat_at=timezone.now())
    run_metrics_log(user=user, run_id=trial.run_id, metrics=[
        {"key": sweep.objective_metric, "value": value, "step": step}])
    live = optuna.trial.Trial(studies.study_load(sweep), trial.optuna_trial_id)
    live.report(value, step)
    prune = live.should_prune()
    if prune:
        trial_pruned_record(trial_id=trial.pk, step=step)
    _changed(sweep)
    return prune


def trial_finish(*, user, sweep_id: int, trial_id: int, state: str, objective: float | None = None,
                 error: str = "") -> Trial:
    """An agent's trial ended (complete with its objective, pruned, or failed): told to the
    study, stored on the trial and its run, and the sweep finished if that spent its budget.
    A pruned trial that never reported keeps its last logged step as where it stopped."""
    sweep, trial = _running_trial(user=user, sweep_id=sweep_id, trial_id=trial_id)
    if state == State.COMPLETE and objective is None:
        raise ValidationError({"objective": ["a complete trial gives its objective"]})
    if state == State.PRUNED and trial.pruned_step is None:
        last = MetricSeries.objects.filter(run_id=trial.run_id, key=sweep.objective_metric).first()
        trial_pruned_record(trial_id=trial.pk, step=last.last_step if last else 0)
    trial = _trial_end(sweep, studies.study_load(sweep), trial, state=state, objective=objective, error=error)
    _finish_if_spent(sweep)
    return trial


def run_ended_sweeps(*, training_run_id: int) -> list[int]:
    """The sweeps whose running trial this training run is."""
    return list(Trial.objects.filter(training_run_id=training_run_id, state=State.RUNNING)
                .values_list("sweep_id", flat=True))


def schedule_after_commit(sweep_ids: list[int]) -> None:
    """Queues a scheduler pass for each sweep once the transaction commits (a trial's run
    ended or went away: the pass records it and starts the next trial)."""
    from .tasks import sweep_schedule_task

    for sweep_id in sweep_ids:
        transaction.on_commit(lambda sweep_id=sweep_id: sweep_schedule_task.delay(sweep_id))

