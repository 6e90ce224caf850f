"""Writes for datasets: create, rename, delete, streamed upload of a version, validation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from apps.core import file_cache
from apps.core import storage as core_storage
from apps.core.access import Action, access_get, access_queryset
from apps.core.archives import ArchiveError, extract_zip_safely
from apps.core.errors import Conflict, describe, holders_message
from apps.core.notifications import notify_user
from apps.core.user_paths import error_text, plain_filename
from apps.quotas.accounts import account_of
from apps.quotas.errors import StorageQuotaExceeded
from apps.quotas.storage import storage_charge, storage_release
from apps.quotas.stored import stored_bytes
from apps.teams.audit import audit_record

from . import storage
from .models import Dataset, DatasetVersion

# The fine-tune objectives (ml.data's method names) whose misfits a version's report keeps,
# and how many of each: as many as an error names.
FIT_METHODS = ("sft", "dpo")
MISFITS_KEPT = 5
FORMATS = {f".{choice.value}": choice.value for choice in DatasetVersion.Format}


@transaction.atomic
def dataset_create(*, user, name: str, description: str = "") -> Dataset:
    return Dataset.objects.create(owner=user, name=name.strip(), description=description)


@transaction.atomic
def dataset_update(*, user, dataset_id: int, **fields) -> Dataset:
    dataset = access_get(Dataset, user=user, pk=dataset_id, action=Action.EDIT)
    for key in ("name", "description"):
        if key in fields:
            setattr(dataset, key, fields[key])
    dataset.save()
    return dataset


def _refuse_if_trained_on(versions, *, user) -> None:
    """A version a training run was made from stays (its lineage and resume need it): refuse
    before anything is removed, instead of deleting half a dataset, naming the runs `user`
    may read and counting the others (other users' runs in their own experiments)."""
    from apps.training.models import TrainingRun

    holders = TrainingRun.objects.filter(dataset_version__in=versions)
    readable = list(access_queryset(holders, user=user).select_related("run", "dataset_version"))
    unseen = holders.exclude(pk__in=[run.pk for run in readable]).count()
    if not readable and not unseen:
        return
    if not unseen:
        raise Conflict(f"It is {holders_message(readable, label=_trained_run)}; delete those runs first.")
    others = f"{unseen} run{'s' if unseen != 1 else ''} of other users"
    used_by = f"{holders_message(readable, label=_trained_run)} and {others}" if readable else f"used by {others}"
    raise Conflict(f"It is {used_by}; those runs must be deleted first (by whoever queued them).")


def _trained_run(training_run) -> str:
    return f"{describe(training_run)} '{training_run.run.name}' (version {training_run.dataset_version.number})"


@transaction.atomic
def dataset_delete(*, user, dataset_id: int) -> None:
    # One transaction: the files go only once every version's row is gone (on commit).
    dataset = access_get(Dataset.objects.select_for_update(of=("self",)), user=user, pk=dataset_id,
                         action=Action.DELETE)
    _refuse_if_trained_on(dataset.versions.all(), user=user)
    for version in dataset.versions.all():
        dataset_version_delete(user=user, version_id=version.pk)
    audit_record(actor=user, action="dataset.delete", target=dataset, team=dataset.team)
    dataset.delete()


def _format_for(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError(
            {"filename": [f"unsupported file type {suffix or '(none)'!r}; use .txt, .jsonl, .json, .csv or .zip"]}
        )
    return FORMATS[suffix]


def dataset_version_upload(
    *,
    user,
    dataset_id: int,
    stream: BinaryIO,
    filename: str,
    content_length: int | None,
    text_column: str = "text",
    prompt_column: str = "prompt",
    response_column: str = "response",
) -> tuple[DatasetVersion, bool]:
    """Stores an uploaded file as a new version, or returns the existing version with the
    same content (and False). The bytes never sit in memory whole. Adding a version to a
    dataset shared with (or owned by) a team needs edit access; the version is the uploader's."""
    dataset = access_get(Dataset, user=user, pk=dataset_id, action=Action.EDIT)
    # Only a display name: the storage path is built from ids, never from this.
    filename = plain_filename(filename)
    fmt = _format_for(filename)
    limit = settings.SLOUGHGPT_MAX_UPLOAD_BYTES
    if content_length is not None and content_length < 0:
        raise ValidationError({"Content-Length": ["not a valid size"]})
    if content_length is not None and content_length > limit:
        raise ValidationError({"body": [f"the file is {content_length} bytes; the limit is {limit}"]})
    account = account_of(dataset)  # the dataset's owner or team, whoever uploads
    # Charged as it arrives (the declared size at once, so a full quota refuses first);
    # a failed upload leaves no object and gives its charge back (apps.core.storage).
    staged = core_storage.receive(stream, account=account, declared=content_length, limit=limit)
    key = None
    try:
        if staged.size == 0:
            raise ValidationError({"body": ["the file is empty"]})
        with transaction.atomic():
            Dataset.objects.select_for_update().get(pk=dataset.pk)
            existing = dataset.versions.filter(sha256=staged.sha256).first()
            if existing is not None:
                core_storage.discard(staged)
                return existing, False
            number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = DatasetVersion.objects.create(
                owner=user, dataset=dataset, number=number, filename=filename, format=fmt,
                sha256=staged.sha256, size_bytes=staged.size, stored_bytes=staged.size,
                text_column=text_column, prompt_column=prompt_column, response_column=response_column,
            )
            key = storage.version_file_key(user.pk, version.pk, filename)
            core_storage.promote(staged, key)
            from .tasks import dataset_version_validate_task

            transaction.on_commit(lambda: dataset_version_validate_task.delay(version.pk))
            return version, True
    except BaseException:
        core_storage.discard(staged)
        if key is not None:  # stored, but its row was rolled back
            core_storage.delete_blob(key)
        raise


@transaction.atomic
def dataset_version_delete(*, user, version_id: int) -> None:
    # Locked: of two deletes at once the second is a 404. Deleting the row gives its folder's
    # bytes back to the dataset's account and removes the folder on commit (apps.quotas.released).
    version = access_get(DatasetVersion.objects.select_for_update(of=("self",)), user=user, pk=version_id,
                         action=Action.DELETE)
    _refuse_if_trained_on([version], user=user)
    audit_record(actor=user, action="dataset_version.delete", target=version, team=version.dataset.team)
    version.delete()


def dataset_version_key(version: DatasetVersion) -> str:
    """The stored object of the file that was uploaded (the zip itself, for a zip)."""
    return storage.version_file_key(version.owner_id, version.pk, version.filename)


def dataset_version_file(version: DatasetVersion) -> Path:
    """The uploaded file on this machine: the stored file itself on the local backend, a
    verified copy in the worker's cache on S3."""
    return file_cache.fetch(dataset_version_key(version), version.sha256)


@contextmanager
def dataset_version_files(version: DatasetVersion) -> Iterator[Path]:
    """The file (or extracted folder, for a zip) that training and validation read, on this
    machine, for as long as the block runs: on S3 verified copies in the worker's bounded
    cache, kept from eviction meanwhile (a zip's files as a view of its extracted folder,
    each checked against the folder's manifest). Nothing stays outside the cache's bound."""
    if version.format == DatasetVersion.Format.ZIP:
        with file_cache.pinned_tree(_extracted_dir(version)) as path:
            yield path
    else:
        with file_cache.fetched(dataset_version_key(version), version.sha256) as path:
            yield path


def dataset_version_path(version: DatasetVersion) -> Path:
    """`dataset_version_files` for callers that keep a path past a block. On S3 a zip's
    extracted folder is downloaded whole into this machine's MEDIA_ROOT and stays there,
    outside the cache's bound: read through `dataset_version_files` instead."""
    if version.format == DatasetVersion.Format.ZIP:
        return file_cache.fetched_tree(_extracted_dir(version))
    return dataset_version_file(version)


def _extracted_dir(version: DatasetVersion) -> Path:
    return storage.version_dir(version.owner_id, version.pk) / "extracted"


def dataset_version_validate(*, version_id: int) -> DatasetVersion:
    """Runs the data inspector and stores its report. Idempotent: a finished version is
    left as it is."""
    from ml.data import inspect_dataset

    version = DatasetVersion.objects.get(pk=version_id)
    if version.status != DatasetVersion.Status.VALIDATING:
        return version
    try:
        if version.format == DatasetVersion.Format.ZIP:
            _extract(version)
        with dataset_version_files(version) as path:
            version.report = _report(version, path, inspect_dataset(path, _columns(version)))
        ok = not version.report["errors"] and version.report["records"] > 0
    except Exception as exc:  # the report must say what went wrong, whatever it was
        message = str(exc) if isinstance(exc, ArchiveError) else f"validation failed: {error_text(exc)}"
        version.report = {
            "records": 0, "characters": 0, "estimated_tokens": 0, "preview": [],
            "errors": [{"file": version.filename, "line": 0, "message": message}],
        }
        ok = False
    version.status = DatasetVersion.Status.VALID if ok else DatasetVersion.Status.INVALID
    with transaction.atomic():
        version.save(update_fields=["report", "status", "stored_bytes", "updated_at"])
        notify_user(
            user_id=version.owner_id,
            event={"type": "dataset_version.validated", "id": version.pk, "status": version.status},
        )
    return version


def _report(version: DatasetVersion, path: Path, report) -> dict:
    """The stored report of an inspection of `path` (the version's files on this machine)."""
    stored = {
        "records": report.records,
        "characters": report.characters,
        "estimated_tokens": report.estimated_tokens,
        "kinds": {kind: count for kind, count in report.kinds.items() if count},
        "preview": report.preview,
        "errors": [{**error, "file": _user_file_name(version, error["file"])} for error in report.errors],
    }
    if not report.errors:
        stored["misfits"] = {method: _misfits(version, path, method) for method in FIT_METHODS}
    if report.records == 0 and not report.errors:
        stored["errors"] = [{"file": version.filename, "line": 0, "message": "no records found"}]
    return stored


def _columns(version: DatasetVersion):
    from ml.data import Columns

    return Columns(text=version.text_column, prompt=version.prompt_column, response=version.response_column)


def _misfits(version: DatasetVersion, path: Path, method: str) -> list[dict]:
    """The first records of the version (its files at `path`) that a `method` run cannot
    learn from, with file (as its owner knows it), line and reason."""
    from ml.data import records_fit_method

    found = records_fit_method(path, _columns(version), method, limit=MISFITS_KEPT)
    return [{**misfit, "file": _user_file_name(version, str(misfit["file"]))} for misfit in found]


def dataset_version_misfits(*, version: DatasetVersion, method: str) -> list[dict]:
    """The first records of a valid version that a run of `method` ("sft" or "dpo") cannot
    learn from, from its validation report (a version validated before reports kept them
    is read now)."""
    stored = version.report.get("misfits", {})
    if method in stored:
        return stored[method]
    with dataset_version_files(version) as path:
        return _misfits(version, path, method)


def _user_file_name(version: DatasetVersion, name: str) -> str:
    """A file of the version as its owner knows it: the uploaded file, or a file inside the
    uploaded zip (`archive.zip/inner/bad.jsonl`). The data reader names files relative to
    what it read, so no server directory reaches the report."""
    if version.format == DatasetVersion.Format.ZIP:
        return f"{version.filename}/{name}"
    return version.filename


def _extract(version: DatasetVersion) -> None:
    """Extracts the zip and stores what it holds, charged as stored: on S3 in the bucket (with
    the folder's manifest), where workers on other hosts fetch it, and no copy stays on this
    machine. The charge and the version's stored size are saved together, so a redelivered
    task knows what an earlier one charged and gives it back before starting over; a failure
    anywhere leaves nothing stored (on this disk or in the bucket) and nothing charged."""
    target = _extracted_dir(version)
    account = account_of(version)
    _extracted_remove(version, target)  # a redelivered task starts the extraction over
    try:
        try:
            extract_zip_safely(dataset_version_file(version), target, storage.DATASET_SUFFIXES)
            core_storage.publish_tree(target)
        finally:
            if not core_storage.is_local():
                storage.remove_tree(target)
        expanded = stored_bytes(target)
        with transaction.atomic():
            try:
                storage_charge(account, expanded)
            except StorageQuotaExceeded as exc:
                raise storage.StorageError(f"the archive expands to {expanded} bytes: {exc.detail}") from None
            DatasetVersion.objects.filter(pk=version.pk).update(stored_bytes=version.size_bytes + expanded)
        version.stored_bytes = version.size_bytes + expanded  # once saved: what a failure gives back
    except BaseException:
        _extracted_remove(version, target)
        raise


def _extracted_remove(version: DatasetVersion, target: Path) -> None:
    """Removes the extracted files wherever they were stored and gives back what they were
    charged (nothing when no charge was saved with the version)."""
    storage.remove_tree(target)
    core_storage.remove_remote(target)
    charged = version.stored_bytes - version.size_bytes
    if charged > 0:
        with transaction.atomic():
            storage_release(account_of(version), charged)
            DatasetVersion.objects.filter(pk=version.pk).update(stored_bytes=version.size_bytes)
        version.stored_bytes = version.size_bytes
