"""Writes for experiment tracking: experiments, runs, params, batched metric ingestion (with
live events after commit) and artifacts."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core import storage as core_storage
from apps.core.access import Action, access_get
from apps.quotas.accounts import account_of
from apps.quotas.storage import storage_charge, storage_release
from apps.teams.audit import audit_record

from . import storage
from .metric_store import points_insert
from .models import TERMINAL_STATUSES, Artifact, Experiment, MetricBatch, Run, RunStatus
from .realtime import publish_run_event
from .validation import (
    MAX_PARAMS,
    artifact_path_clean,
    idempotency_key_clean,
    metric_points_clean,
    params_clean,
    tags_clean,
)


def _unique_name_error(name: str) -> ValidationError:
    return ValidationError({"name": [f"You already have an experiment named {name!r}."]})


@transaction.atomic
def experiment_create(*, user, name: str, description: str = "") -> Experiment:
    name = name.strip()
    try:
        # A savepoint, so a concurrent create with the same name becomes a clean 400.
        with transaction.atomic():
            return Experiment.objects.create(owner=user, name=name, description=description)
    except IntegrityError:
        raise _unique_name_error(name) from None


def experiment_named(*, user, name: str, description: str = "") -> Experiment:
    """The user's own private experiment called `name`, made if they have none (where
    training, sweeps and evaluations file their runs when no experiment is named). One they
    moved into a team is that team's: its name no longer finds it, and a new private one is
    made (names are one per owner among private experiments)."""
    found = Experiment.objects.filter(owner=user, team__isnull=True, name=name).first()
    return found if found is not None else experiment_create(user=user, name=name, description=description)


@transaction.atomic
def experiment_update(
    *, user, experiment_id: int, name: str | None = None, description: str | None = None
) -> Experiment:
    experiment = access_get(Experiment, user=user, pk=experiment_id, action=Action.EDIT)
    if name is not None:
        experiment.name = name.strip()
    if description is not None:
        experiment.description = description
    try:
        with transaction.atomic():
            experiment.save()
    except IntegrityError:
        raise _unique_name_error(experiment.name) from None
    return experiment


@transaction.atomic
def experiment_delete(*, user, experiment_id: int) -> None:
    # Locked: of two deletes at once the second is a 404. Each run (and training run) deleted
    # with it gives its folder's bytes back and has it removed on commit (apps.quotas.released).
    experiment = access_get(Experiment.objects.select_for_update(of=("self",)), user=user, pk=experiment_id,
                            action=Action.DELETE)
    audit_record(actor=user, action="experiment.delete", target=experiment, team=experiment.team)
    experiment.delete()


def _apply_status(run: Run, status: str) -> None:
    now = timezone.now()
    run.status = status
    if status == RunStatus.RUNNING and run.started_at is None:
        run.started_at = now
    run.finished_at = now if status in TERMINAL_STATUSES else None


@transaction.atomic
def run_create(
    *,
    user,
    experiment_id: int,
    name: str,
    params: dict | None = None,
    tags: dict | None = None,
    notes: str = "",
    status: str = RunStatus.RUNNING,
) -> Run:
    # A run added to a shared experiment is the adding user's own.
    experiment = access_get(Experiment, user=user, pk=experiment_id, action=Action.EDIT)
    run = Run(
        owner=user,
        experiment=experiment,
        name=name.strip(),
        notes=notes,
        params=params_clean(params or {}),
        tags=tags_clean(tags or {}),
    )
    _apply_status(run, status)
    run.save()
    return run


@transaction.atomic
def run_update(
    *,
    user,
    run_id: int,
    name: str | None = None,
    notes: str | None = None,
    tags: dict | None = None,
    status: str | None = None,
) -> Run:
    """`tags` is merged (a null value removes that tag), like a JSON merge patch."""
    run = access_get(Run.objects.select_for_update(), user=user, pk=run_id, action=Action.EDIT)
    if name is not None:
        run.name = name.strip()
    if notes is not None:
        run.notes = notes
    if tags is not None:
        merged = {**run.tags, **tags_clean(tags, allow_null=True)}
        run.tags = {key: value for key, value in merged.items() if value is not None}
    if status is not None and status != run.status:
        _apply_status(run, status)
        publish_run_event(
            run_id=run.pk, event={"type": "run.status", "run": run.pk, "status": status}
        )
    run.save()
    return run


# Worker-side writers (run_status_record, run_metrics_record, artifact_record): the status,
# metrics and files of work our own services do (training, evaluations). Access was checked
# when the work was asked for (and the worker asks again before it starts), so they do not
# ask it of the run's owner, who may since have become a viewer of a team's experiment: a
# run that started keeps logging until it ends.


@transaction.atomic
def run_status_record(*, run_id: int, status: str, notes: str | None = None) -> Run:
    """Sets the status (and notes, such as why it failed) of a run whose work our own
    services do; also for a member cancelling a run in a team's experiment, whose access the
    caller checked."""
    run = Run.objects.select_for_update().get(pk=run_id)
    changed = status != run.status or (notes is not None and notes != run.notes)
    if notes is not None:
        run.notes = notes
    if status != run.status:
        _apply_status(run, status)
        publish_run_event(run_id=run.pk, event={"type": "run.status", "run": run.pk, "status": status})
    if changed:
        run.save()
    return run


@transaction.atomic
def run_delete(*, user, run_id: int) -> None:
    # As experiment_delete: locked, and the run's files (artifacts, a training run's
    # checkpoints) are given back and removed by apps.quotas.released.
    run = access_get(Run.objects.select_for_update(of=("self",)), user=user, pk=run_id, action=Action.DELETE)
    audit_record(actor=user, action="run.delete", target=run, team=run.experiment.team)
    run.delete()


@transaction.atomic
def run_params_log(*, user, run_id: int, params: dict) -> Run:
    """Merges `params` into the run's (a later value for a name replaces the earlier)."""
    run = access_get(Run.objects.select_for_update(), user=user, pk=run_id, action=Action.EDIT)
    merged = {**run.params, **params_clean(params)}
    if len(merged) > MAX_PARAMS:
        raise ValidationError({"params": [f"A run holds at most {MAX_PARAMS} params."]})
    run.params = merged
    run.save(update_fields=["params", "updated_at"])
    return run


IDEMPOTENCY_KEY_TTL = timedelta(days=1)


@transaction.atomic
def run_metrics_log(*, user, run_id: int, metrics, idempotency_key: str | None = None,
                    min_step: int = 0) -> int:
    """Stores a batch of points (see validation.metric_points_clean for the shape) and
    tells the run's live listeners once committed. Returns how many were stored. A batch sent
    again with the same `idempotency_key` stores nothing and returns the first count.
    Steps start at `min_step` (MLflow's API takes negative ones)."""
    run = access_get(Run, user=user, pk=run_id, action=Action.EDIT)
    return _metrics_store(run, metrics, idempotency_key=idempotency_key, min_step=min_step)


@transaction.atomic
def run_metrics_record(*, run_id: int, metrics) -> int:
    """A worker's batch of points for the run its work is tracked in (see run_status_record)."""
    return _metrics_store(Run.objects.get(pk=run_id), metrics)


def _metrics_store(run: Run, metrics, *, idempotency_key: str | None = None, min_step: int = 0) -> int:
    rows = metric_points_clean(metrics, now=time.time(), min_step=min_step)
    if idempotency_key is not None:
        # A resend waits here on the unique key until the first send commits or rolls back.
        batch, created = MetricBatch.objects.get_or_create(
            run=run, key=idempotency_key_clean(idempotency_key), defaults={"count": len(rows)})
        if not created:
            return batch.count
        # Keys are kept for a day (a resend comes within seconds); older ones of the run go
        # with each new key, so a long run does not pile up one row per batch.
        MetricBatch.objects.filter(run=run, created_at__lt=batch.created_at - IDEMPOTENCY_KEY_TTL).delete()
    points_insert(run_id=run.pk, rows=rows)
    points = [{"key": k, "step": s, "value": v, "timestamp": t} for k, s, v, t in rows]
    publish_run_event(run_id=run.pk, event={"type": "run.metrics", "run": run.pk, "points": points})
    return len(rows)


def artifact_upload(*, user, run_id: int, file: UploadedFile, path: str | None = None) -> Artifact:
    """Streams the upload into the run's storage, recording size and sha256. Uploading to
    a name the run already has replaces that artifact's file. The file lies in the run's
    owner's folder, whoever uploads it; its bytes count against the run's account (413 past
    its quota)."""
    run = access_get(Run, user=user, pk=run_id, action=Action.EDIT)
    return _artifact_store(run, uploader=user, file=file, path=path)


def artifact_record(*, run_id: int, file, path: str) -> Artifact:
    """A file a worker wrote (a training checkpoint) as an artifact of its run, the run's
    owner's (see run_status_record). Counted even past the storage quota: the bytes are
    already on disk, and new uploads and runs are refused until something is deleted."""
    run = Run.objects.get(pk=run_id)
    return _artifact_store(run, uploader=run.owner, file=file, path=path, written_by_worker=True)


def _artifact_store(run: Run, *, uploader, file, path: str | None, written_by_worker: bool = False) -> Artifact:
    name = artifact_path_clean(path if path else file.name or "")
    temp, size, sha256 = storage.receive(
        file.chunks(), owner_id=run.owner_id, run_id=run.pk, limit=settings.SLOUGHGPT_MAX_UPLOAD_BYTES
    )
    final = None
    try:
        with transaction.atomic():
            artifact, created = Artifact.objects.select_for_update().get_or_create(
                run=run, path=name, defaults={"owner": uploader, "size": size, "sha256": sha256}
            )
            storage_charge(account_of(run), size - (0 if created else artifact.size), force=written_by_worker)
            if not created:
                artifact.size, artifact.sha256 = size, sha256
                artifact.save(update_fields=["size", "sha256", "updated_at"])
            final = storage.artifact_file(run.owner_id, run.pk, artifact.pk)
            os.replace(temp, final)
            core_storage.keep_file(final)  # to the bucket, when files are kept in S3
    except BaseException:
        temp.unlink(missing_ok=True)
        # On S3 the file here was only on its way to the bucket (which kept no part of it):
        # the row and its charge are rolled back, so it would lie on this disk uncounted.
        if final is not None and not core_storage.is_local():
            final.unlink(missing_ok=True)
        raise
    return artifact


@transaction.atomic
def artifact_delete(*, user, run_id: int, artifact_id: int) -> None:
    # The run is locked first, so that a delete of the whole run waits for this one and
    # measures its folder without the artifact; the artifact is locked, so that of two
    # deletes at once the second is a 404 and its bytes come back once.
    run = access_get(Run.objects.select_for_update(of=("self",)), user=user, pk=run_id, action=Action.DELETE)
    artifact = access_get(Artifact.objects.select_for_update(of=("self",)).filter(run=run), user=user,
                          pk=artifact_id, action=Action.DELETE)
    audit_record(actor=user, action="artifact.delete", target=artifact, team=run.experiment.team)
    path = storage.artifact_file(run.owner_id, run.pk, artifact.pk)
    deleted, _ = Artifact.objects.filter(pk=artifact.pk).delete()
    if deleted:
        storage_release(account_of(run), artifact.size)
        transaction.on_commit(lambda: _artifact_file_remove(path))


def _artifact_file_remove(path) -> None:
    core_storage.remove_remote(path)
    path.unlink(missing_ok=True)
