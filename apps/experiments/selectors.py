"""Reads for experiment tracking: what the requesting user may read (apps.core.access), each
experiment and run with the user's `access_role`; ids they cannot read answer 404 exactly
like ids that do not exist."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from rest_framework.exceptions import NotFound

from apps.core import storage as core_storage
from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope

from . import storage
from .metric_store import series_downsample
from .models import Artifact, Experiment, MetricSeries, Run
from .query_language import QuerySyntaxError, parse_filter, parse_order_by
from .run_query import apply_search

MAX_COMPARE_RUNS = 10
MAX_COMPARE_KEYS = 50


def experiment_list(*, user, name: str | None = None, scope: str | None = None) -> QuerySet[Experiment]:
    experiments = access_annotate(access_queryset(Experiment, user=user), user=user)
    # A subquery, not a GROUP BY, as datasets.selectors.dataset_list: access_role (and the
    # count) are worked out only for the page's rows.
    runs = Run.objects.filter(experiment=OuterRef("pk")).order_by().values("experiment").annotate(
        n=Count("pk")).values("n")
    queryset = (
        access_scope(experiments, user=user, scope=scope)
        .annotate(run_count=Coalesce(Subquery(runs), 0))
        .order_by("-created_at", "-id")
    )
    return queryset.filter(name=name) if name else queryset


def experiment_get(*, user, experiment_id: int, action: Action = Action.READ) -> Experiment:
    return access_get(experiment_list(user=user), user=user, pk=experiment_id, action=action)


def _runs(*, user) -> QuerySet[Run]:
    return access_annotate(access_queryset(Run, user=user), user=user).prefetch_related(
        Prefetch("metric_series", queryset=MetricSeries.objects.order_by("key"))
    )


def run_list(
    *, user, experiment_id: int, filter_text: str = "", order_by: str = "", scope: str | None = None
) -> QuerySet[Run]:
    """The experiment's runs matching the search language (see query_language.py)."""
    experiment = experiment_get(user=user, experiment_id=experiment_id)
    try:
        where = parse_filter(filter_text)
    except QuerySyntaxError as exc:
        raise ValidationError({"filter": [str(exc)]}) from None
    try:
        order = parse_order_by(order_by)
    except QuerySyntaxError as exc:
        raise ValidationError({"order_by": [str(exc)]}) from None
    runs = access_scope(_runs(user=user), user=user, scope=scope).filter(experiment=experiment)
    return apply_search(runs, where=where, order=order)


def run_get(*, user, run_id: int) -> Run:
    return access_get(_runs(user=user), user=user, pk=run_id)


def run_exists(*, user, run_id: int) -> bool:
    """Whether the user may read the run (and so watch it live)."""
    return access_queryset(Run, user=user).filter(pk=run_id).exists()


def metric_series_list(*, user, run_id: int) -> QuerySet[MetricSeries]:
    run = access_get(Run, user=user, pk=run_id)
    return MetricSeries.objects.filter(run=run).order_by("key")


def metric_series_get(*, user, run_id: int, key: str, points: int) -> dict:
    """One downsampled series: {"key", "steps", "values", "min", "max", "total_points"}."""
    run = access_get(Run, user=user, pk=run_id)
    series = MetricSeries.objects.filter(run=run, key=key).first()
    if series is None:
        raise NotFound(f"Run {run.pk} has no metric {key!r}.")
    return {"key": key, **series_downsample(series=[series], points=points)[series.pk]}


def series_summary(series: MetricSeries) -> dict:
    return {
        "count": series.count,
        "last": series.last_value,
        "last_step": series.last_step,
        "min": series.min_value,
        "max": series.max_value,
    }


def _param_identity(value) -> tuple:
    # 1 and 1.0 are the same number; "1" and true are not (though Python says True == 1).
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return ("text" if isinstance(value, str) else "null", value)


def run_compare(
    *, user, run_ids: list[int] | None, points: int, keys: list[str] | None = None
) -> dict:
    """Side by side: which params differ, and per metric key each run's summary and
    downsampled curve (null where a run lacks the key). Any id the user cannot read -> 404.
    Without ids, the most recent runs the user can read."""
    if run_ids is None:
        run_ids = list(
            access_queryset(Run, user=user).values_list("pk", flat=True)[:MAX_COMPARE_RUNS]
        )
    elif not 1 <= len(run_ids) <= MAX_COMPARE_RUNS:
        raise ValidationError({"ids": [f"Give 1 to {MAX_COMPARE_RUNS} run ids."]})
    found = {run.pk: run for run in _runs(user=user).filter(pk__in=run_ids)}
    missing = [run_id for run_id in run_ids if run_id not in found]
    if missing:
        raise NotFound(f"No run with id {missing[0]}.")
    runs = [found[run_id] for run_id in dict.fromkeys(run_ids)]

    param_keys = sorted({key for run in runs for key in run.params})
    params = []
    for key in param_keys:
        values = [run.params.get(key) for run in runs]
        present = [key in run.params for run in runs]
        distinct = {_param_identity(value) for value in values}
        params.append(
            {"key": key, "values": values, "differs": len(distinct) > 1 or not all(present)}
        )

    series_by_run = {run.pk: {s.key: s for s in run.metric_series.all()} for run in runs}
    all_keys = sorted({key for by_key in series_by_run.values() for key in by_key})
    chosen = [key for key in all_keys if keys is None or key in keys][:MAX_COMPARE_KEYS]
    wanted = [
        series_by_run[run.pk][key] for key in chosen for run in runs if key in series_by_run[run.pk]
    ]
    curves = series_downsample(series=wanted, points=points)
    metrics = []
    for key in chosen:
        entries = []
        for run in runs:
            series = series_by_run[run.pk].get(key)
            entries.append(
                None
                if series is None
                else {"run": run.pk, "summary": series_summary(series), "series": curves[series.pk]}
            )
        metrics.append({"key": key, "runs": entries})
    return {"runs": runs, "params": params, "metrics": metrics}


def artifact_list(*, user, run_id: int) -> QuerySet[Artifact]:
    run = access_get(Run, user=user, pk=run_id)
    return Artifact.objects.filter(run=run).select_related("run")


def artifact_open(*, user, run_id: int, artifact_id: int) -> tuple[Artifact, Path]:
    artifact = access_get(artifact_list(user=user, run_id=run_id), user=user, pk=artifact_id)
    path = storage.artifact_file(artifact.run.owner_id, artifact.run_id, artifact.pk)
    if not core_storage.stored_exists(path):
        raise NotFound(f"The file of artifact {artifact.pk} is missing.")
    return artifact, path
