"""Writes behind the MLflow-compatible API, each through apps.experiments' services so that
runs logged by MLflow clients obey the same rules (validation, live events, storage) as
runs logged through /api/v1. What is MLflow's own lives here: its default experiment,
params that cannot change once logged, and the run name carried as a tag."""

from __future__ import annotations

import logging
import math
import time

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.access import Action, access_get
from apps.experiments import services as tracking
from apps.experiments.models import Experiment, Run, RunStatus
from apps.experiments.validation import MIN_INT64

from .codes import RESOURCE_ALREADY_EXISTS
from .errors import MlflowError
from .ids import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, parse_id
from .shapes import NOTE_TAG, RUN_NAME_TAG, STATUS_FROM_MLFLOW, STATUS_NUMBERS, param_text

# MLflow's own limits for one LogBatch request.
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100
MAX_BATCH_ENTITIES = 1000

logger = logging.getLogger(__name__)


def experiment_resolve(*, user, experiment_id, action: Action = Action.READ) -> Experiment:
    """The experiment MLflow's id names, if the caller may do `action` to it (one shared with
    their team will do); "0" is the caller's own Default experiment, made on first use."""
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        try:
            return tracking.experiment_named(user=user, name=DEFAULT_EXPERIMENT_NAME)
        except ValidationError:  # made by a concurrent request a moment ago
            return tracking.experiment_named(user=user, name=DEFAULT_EXPERIMENT_NAME)
    return access_get(Experiment, user=user, pk=parse_id(experiment_id, kind="experiment"), action=action)


def experiment_create(*, user, name: str, tags: list[dict]) -> Experiment:
    """A new experiment; its note tag becomes the description (other experiment tags have
    nowhere to live and are left out). A taken name is RESOURCE_ALREADY_EXISTS, as in MLflow."""
    name = name.strip()
    if not name or len(name) > 200:
        raise MlflowError.invalid("'name' must be 1 to 200 characters.")
    description = next((tag["value"] or "" for tag in tags if tag["key"] == NOTE_TAG), "")
    try:
        return tracking.experiment_create(user=user, name=name, description=description)
    except ValidationError:
        raise MlflowError(RESOURCE_ALREADY_EXISTS,
                          f"Experiment(name={name}) already exists.") from None


def _status(raw) -> str:
    name = STATUS_NUMBERS.get(raw, raw)
    if name not in STATUS_FROM_MLFLOW:
        raise MlflowError.invalid(f"'status' must be one of {', '.join(STATUS_FROM_MLFLOW)}; "
                                  f"got {raw!r}.")
    return STATUS_FROM_MLFLOW[name]


def _tag_dict(tags: list[dict]) -> dict:
    return {tag["key"]: tag["value"] or "" for tag in tags}


def run_create(*, user, experiment_id, run_name: str | None, tags: list[dict]) -> Run:
    experiment = experiment_resolve(user=user, experiment_id=experiment_id, action=Action.EDIT)
    tag_values = _tag_dict(tags)
    name = run_name or tag_values.pop(RUN_NAME_TAG, None) or time.strftime("run-%Y%m%d-%H%M%S")
    tag_values.pop(RUN_NAME_TAG, None)
    return tracking.run_create(user=user, experiment_id=experiment.pk, name=name, tags=tag_values,
                               status=RunStatus.RUNNING)


def run_update(*, user, run_id, status=None, run_name: str | None = None) -> Run:
    return tracking.run_update(user=user, run_id=parse_id(run_id, kind="run"),
                               status=None if status is None else _status(status),
                               name=run_name or None)


def run_delete(*, user, run_id) -> None:
    """MLflow's delete is a soft one it can undo; ours removes the run and its files."""
    tracking.run_delete(user=user, run_id=parse_id(run_id, kind="run"))


def _points(metrics: list[dict]) -> list[dict]:
    """MLflow's finite metrics as our points: timestamps in seconds, absent steps 0. NaN and
    infinities are left out: charts, summaries, search and the portal's JSON hold numbers
    only, so the batch is stored without them and the caller is told how many (README)."""
    now = time.time()
    return [
        {"key": metric["key"], "value": metric["value"], "step": metric["step"] or 0,
         "timestamp": now if metric["timestamp"] is None else metric["timestamp"] / 1000}
        for metric in metrics
        if not isinstance(metric["value"], float) or math.isfinite(metric["value"])
    ]


def _check_params(run: Run, params: list[dict]) -> dict:
    """name -> text; MLflow refuses to change a logged param, so do we."""
    values: dict[str, str] = {}
    for param in params:
        key, value = param["key"], param["value"] or ""
        before = values.get(key, run.params.get(key))
        if key in values or key in run.params:
            if param_text(before) != value:
                raise MlflowError.invalid(
                    f"Changing param values is not allowed. Param with key='{key}' was already "
                    f"logged with value='{param_text(before)}' for run ID='{run.pk}'. "
                    f"Attempted logging new value '{value}'.")
            continue
        values[key] = value
    return values


def _limits(metrics: list, params: list, tags: list) -> None:
    if len(metrics) > MAX_BATCH_METRICS:
        raise MlflowError.invalid(f"A batch logging request can contain at most "
                                  f"{MAX_BATCH_METRICS} metrics; got {len(metrics)}.")
    if len(params) > MAX_BATCH_PARAMS:
        raise MlflowError.invalid(f"A batch logging request can contain at most "
                                  f"{MAX_BATCH_PARAMS} params; got {len(params)}.")
    if len(tags) > MAX_BATCH_TAGS:
        raise MlflowError.invalid(f"A batch logging request can contain at most "
                                  f"{MAX_BATCH_TAGS} tags; got {len(tags)}.")
    if len(metrics) + len(params) + len(tags) > MAX_BATCH_ENTITIES:
        raise MlflowError.invalid(f"A batch logging request can contain at most "
                                  f"{MAX_BATCH_ENTITIES} metrics, params and tags in all.")


@transaction.atomic
def run_log_batch(*, user, run_id, metrics: list[dict], params: list[dict],
                  tags: list[dict]) -> int:
    """Metrics, params and tags of one run, stored all or nothing, except metric values that
    are NaN or infinite: those are skipped and counted (the return value). The run-name tag
    renames the run; every other tag is kept as sent."""
    _limits(metrics, params, tags)
    pk = parse_id(run_id, kind="run")
    if params:
        # Locked, so two batches cannot both log a different value for one new param.
        run = access_get(Run.objects.select_for_update(), user=user, pk=pk, action=Action.EDIT)
        if values := _check_params(run, params):
            tracking.run_params_log(user=user, run_id=pk, params=values)
    if tags:
        tag_values = _tag_dict(tags)
        name = tag_values.pop(RUN_NAME_TAG, None)
        tracking.run_update(user=user, run_id=pk, tags=tag_values or None, name=name or None)
    points = _points(metrics)
    if points:
        tracking.run_metrics_log(user=user, run_id=pk, metrics=points, min_step=MIN_INT64)
    if not (params or tags or points):
        access_get(Run, user=user, pk=pk, action=Action.EDIT)  # an empty batch still names a run to log to
    skipped = len(metrics) - len(points)
    if skipped:
        logger.warning("run %s: %d non-finite metric values skipped", pk, skipped)
    return skipped
