"""Drift detection per model version: its settings, the checks and their history.

A check compares the version's traffic in a window (`window_hours` up to now) with its
reference, for each `DriftKind`, with the tests of ml.eval.drift, and stores one
`DriftResult` per kind. The reference is the version's first week of traffic (from its first
served generation), or a dataset version its owner picked (apps.monitoring.drift_reference)
for the kinds a dataset can describe; feedback always compares with the first week. Output
personality, unless the picked dataset describes it, compares with the version's personality
evaluation (the metrics of its answers as served) when it has one, else with the first week;
`DriftResult.reference_evaluation` says which. While the window still overlaps the first
week it starts where the week ends, so a window is never compared with itself.

Checks run in `drift_pass` (every SLOUGHGPT_DRIFT_PASS_EVERY_S, a self-scheduling task as
the training dispatcher's safety net is): each version with traffic in its window whose last
check is a window old gets one; and on demand (`drift_check_request`). A check is keyed by
its window's end, so a redelivered task does nothing.

M4's alert rules read `latest(model_version, kind).drifted`."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from rest_framework.exceptions import Throttled, ValidationError

from apps.core.access import Action, access_get
from apps.core.periodic import periodic_schedule
from apps.datasets.models import DatasetVersion
from apps.registry.models import ModelVersion
from ml.eval.drift import DriftTest, insufficient, mmd_test, multi_ks_test, proportion_test

from .drift_features import (
    Features,
    dataset_features,
    evaluation_features,
    reference_week_features,
    traffic_features,
)
from .models import DriftKind, DriftResult, DriftSettings, InferenceRecord, UsageRollup

REFERENCE_DAYS = 7  # the traffic reference: the version's first week
WINDOW_HOURS_MAX = 24 * REFERENCE_DAYS  # a window no longer than the reference
HISTORY_MAX = 500  # results one history request returns at most
PASS_KEY = "monitoring:drift-pass-scheduled"


def pass_every_s() -> int:
    return settings.SLOUGHGPT_DRIFT_PASS_EVERY_S


# -- reading -------------------------------------------------------------------------------------
def latest(model_version: ModelVersion | int, kind: str) -> DriftResult | None:
    """The version's most recent result of a kind, or None (no access check: for alert rules
    whose owner's access was checked when the rule was made)."""
    version_id = getattr(model_version, "pk", model_version)
    return DriftResult.objects.filter(model_version_id=version_id, kind=kind).first()


def _version(*, user, version_id: int, action: Action = Action.READ) -> ModelVersion:
    return access_get(ModelVersion, user=user, pk=version_id, action=action)


def _settings_of(version_id: int) -> DriftSettings:
    found = DriftSettings.objects.filter(model_version_id=version_id).first()
    return found or DriftSettings(model_version_id=version_id)


def drift_settings_get(*, user, version_id: int) -> DriftSettings:
    """A version's drift settings (the defaults until someone changes them), if the user can read it."""
    return _settings_of(_version(user=user, version_id=version_id).pk)


def drift_latest_list(*, user, version_id: int) -> dict[str, DriftResult | None]:
    """Every kind's most recent result for a version the user can read."""
    version = _version(user=user, version_id=version_id)
    return {kind: latest(version, kind) for kind in DriftKind.values}


def drift_history(*, user, version_id: int, kind: str, limit: int = 90) -> list[DriftResult]:
    """A kind's results for a version the user can read, oldest first (as a chart reads them)."""
    version = _version(user=user, version_id=version_id)
    rows = DriftResult.objects.filter(model_version=version, kind=kind)[: min(limit, HISTORY_MAX)]
    return list(reversed(rows))


# -- settings ------------------------------------------------------------------------------------
@transaction.atomic
def drift_settings_update(*, user, version_id: int, **changes) -> DriftSettings:
    """Change a version the user may edit; a reference dataset version must be one they can
    read and valid. `reference_dataset_version_id=None` goes back to the first week."""
    version = _version(user=user, version_id=version_id, action=Action.EDIT)
    current = _settings_of(version.pk)
    if "reference_dataset_version_id" in changes and (dataset_id := changes["reference_dataset_version_id"]):
        dataset_version = access_get(DatasetVersion, user=user, pk=dataset_id)
        if dataset_version.status != DatasetVersion.Status.VALID:
            raise ValidationError({"reference_dataset_version_id": [
                f"dataset version {dataset_id} is {dataset_version.status}, not valid"]})
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()
    return current


# -- checking ------------------------------------------------------------------------------------
def _reference_week(version_id: int) -> tuple[datetime | None, datetime | None]:
    first = InferenceRecord.objects.filter(model_version_id=version_id).aggregate(first=Min("created_at"))["first"]
    return (first, first + timedelta(days=REFERENCE_DAYS)) if first else (None, None)


def _test(kind: str, reference: Features, window: Features, *, alpha: float, min_n: int, seed: int) -> DriftTest:
    if kind == DriftKind.PROMPT:
        # The embeddings are a capped sample: sufficiency and the counts shown are of them all.
        short = insufficient(reference.n_embeddings, window.n_embeddings, min_n=min_n, alpha=alpha)
        if short is not None:
            return short
        result = mmd_test(reference.embeddings, window.embeddings, alpha=alpha, min_n=min_n, seed=seed)
        return dataclasses.replace(result, n_reference=reference.n_embeddings, n_window=window.n_embeddings)
    if kind == DriftKind.LENGTH:
        return multi_ks_test(reference.reply_chars[:, None], window.reply_chars[:, None], names=["reply_chars"],
                             alpha=alpha, min_n=min_n, seed=seed)
    if kind == DriftKind.PERSONALITY:
        # Every metric any reply has: one missing from some replies is NaN there, left out by the test.
        names = sorted(set().union(*map(set, reference.personality + window.personality)))

        def matrix(rows: list[dict]) -> np.ndarray:
            return np.array([[row.get(name, np.nan) for name in names] for row in rows], dtype=np.float64) \
                .reshape(len(rows), len(names))
        return multi_ks_test(matrix(reference.personality), matrix(window.personality), names=names,
                             alpha=alpha, min_n=min_n, seed=seed)
    if kind == DriftKind.REFUSAL:
        return proportion_test(int(reference.refused.sum()), len(reference.refused), int(window.refused.sum()),
                               len(window.refused), alpha=alpha, min_n=min_n)
    return proportion_test(reference.feedback_down, reference.feedback_rated, window.feedback_down,
                           window.feedback_rated, alpha=alpha, min_n=min_n, what="rated replies")


def _has(features: Features, kind: str) -> bool:
    """Whether a dataset reference describes this kind at all (plain text has no replies)."""
    return {DriftKind.PROMPT: features.n_embeddings, DriftKind.LENGTH: len(features.reply_chars),
            DriftKind.PERSONALITY: len(features.personality), DriftKind.REFUSAL: len(features.refused),
            DriftKind.FEEDBACK: 0}[kind] > 0


def drift_check(*, version_id: int, window_end: datetime | None = None) -> list[DriftResult]:
    """Test every kind for the window of `window_hours` ending at `window_end` (now) and store
    the results. Worker side: no access check. A window already checked is not checked again."""
    from .drift_reference import reference_samples_ensure

    end = window_end or timezone.now()
    if not ModelVersion.objects.filter(pk=version_id).exists():
        return []
    existing = list(DriftResult.objects.filter(model_version_id=version_id, window_end=end))
    if existing:
        return existing
    config = _settings_of(version_id)
    seed = version_id
    week_start, week_end = _reference_week(version_id)
    traffic_window_start = end - timedelta(hours=config.window_hours)
    if week_end is not None and traffic_window_start < week_end:
        traffic_window_start = min(week_end, end)
    week = reference_week_features(model_version_id=version_id, start=week_start or end, end=week_end or end,
                                   seed=seed, now=timezone.now())
    dataset = None
    if config.reference_dataset_version_id:
        reference_samples_ensure(dataset_version_id=config.reference_dataset_version_id, seed=seed)
        dataset = dataset_features(dataset_version_id=config.reference_dataset_version_id, seed=seed)
    evaluation = evaluation_features(model_version_id=version_id)
    results, windows = [], {}
    for kind in DriftKind.values:
        by_dataset = dataset is not None and _has(dataset, kind)
        by_evaluation = evaluation if kind == DriftKind.PERSONALITY and not by_dataset else None
        reference = dataset if by_dataset else by_evaluation[1] if by_evaluation else week
        # Against a dataset or an evaluation the window is the last window_hours whatever the
        # first week was.
        by_week = reference is week
        start = traffic_window_start if by_week else end - timedelta(hours=config.window_hours)
        if start not in windows:
            windows[start] = traffic_features(model_version_id=version_id, start=start, end=end, seed=seed + 1)
        window = windows[start]
        test = _test(kind, reference, window, alpha=config.alpha, min_n=config.min_requests, seed=seed)
        results.append(DriftResult(
            model_version_id=version_id, kind=kind, window_start=start, window_end=end,
            reference_start=week_start if by_week else None, reference_end=week_end if by_week else None,
            reference_dataset_version_id=config.reference_dataset_version_id if by_dataset else None,
            reference_evaluation_id=by_evaluation[0] if by_evaluation else None,
            statistic=test.statistic, p_value=test.p_value, threshold=test.threshold, drifted=test.drifted,
            n_reference=test.n_reference, n_window=test.n_window, status=test.status,
            message=test.message[:300], details=test.details))
    # Two deliveries of one check at once: the unique window keeps the first one's results.
    DriftResult.objects.bulk_create(results, ignore_conflicts=True)
    return list(DriftResult.objects.filter(model_version_id=version_id, window_end=end))


def _check_key(version_id: int) -> str:
    return f"monitoring:drift-check-requested:{version_id}"


def drift_check_request(*, user, version_id: int) -> datetime:
    """Queue a check of a version the user may run work on, ending now; returns its window's
    end. One per version per SLOUGHGPT_DRIFT_CHECK_COOLDOWN_S: asked again sooner, a 429
    whose Retry-After says when it may be (the check asked for first is the one that runs)."""
    from .tasks import model_version_drift_check_task

    version = _version(user=user, version_id=version_id, action=Action.RUN)
    end = timezone.now()
    cooldown = settings.SLOUGHGPT_DRIFT_CHECK_COOLDOWN_S
    if not cache.add(_check_key(version.pk), end.timestamp(), timeout=cooldown):
        asked = cache.get(_check_key(version.pk)) or end.timestamp()
        wait = max(1, int(asked + cooldown - end.timestamp() + 0.999))
        raise Throttled(wait=wait, detail=f"A drift check of this version was asked for less than {cooldown} "
                        f"seconds ago; try again in {wait} seconds.")
    transaction.on_commit(lambda: model_version_drift_check_task.delay(version.pk, end.isoformat()))
    return end


def _due(now: datetime) -> list[int]:
    """Versions with traffic in their window whose last check ended a window ago or more."""
    since = now - timedelta(hours=WINDOW_HOURS_MAX + 1)
    traffic = dict(UsageRollup.objects.filter(
        model_version__isnull=False, granularity=UsageRollup.Granularity.HOUR, bucket_start__gte=since,
        requests__gt=0).values("model_version_id").annotate(last=Max("bucket_start"))
        .values_list("model_version_id", "last"))
    checked = dict(DriftResult.objects.filter(model_version_id__in=traffic).values("model_version_id")
                   .annotate(last=Max("window_end")).values_list("model_version_id", "last"))
    hours = dict(DriftSettings.objects.filter(model_version_id__in=traffic)
                 .values_list("model_version_id", "window_hours"))
    due = []
    for version_id, last_traffic in traffic.items():
        window = timedelta(hours=hours.get(version_id, 24))
        # The rollup's bucket is the hour the traffic fell in: it counts until the hour is past.
        recent = last_traffic + timedelta(hours=1) > now - window
        if recent and (version_id not in checked or checked[version_id] <= now - window):
            due.append(version_id)
    return sorted(due)


def drift_pass(*, now: datetime | None = None) -> list[int]:
    """Queue a check for every version that is due; returns their ids."""
    from .tasks import model_version_drift_check_task

    end = now or timezone.now()
    due = _due(end)
    for version_id in due:
        model_version_drift_check_task.delay(version_id, end.isoformat())
    return due


def drift_pass_schedule() -> None:
    """Queues the next pass unless one is already waiting: one chain of passes
    (apps.core.periodic), restarted by a worker's start or a check if it was lost."""
    from .tasks import drift_pass_task

    periodic_schedule(drift_pass_task, key=PASS_KEY, every_s=pass_every_s())
