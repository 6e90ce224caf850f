"""Writes for pulling model versions from a model hub (ml.hub): the user's sealed hub token,
inspecting a repo before importing it, and the pull itself, a version in `importing` state
whose task downloads (progress on the owner's notifications socket), converts, and marks it
ready, or failed with the reason and no files left behind.

The hub is the one staff configured (SLOUGHGPT_HUB_ENDPOINT): users name a repo, never a
URL, so no user input decides where the server connects."""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import APIException

from apps.core import storage as core_storage
from apps.core.access import Action, access_get
from apps.core.files import remove_tree
from apps.core.leases import heartbeat
from apps.core.notifications import notify_user
from apps.core.sealed import SealError, seal, secret_hint, unseal
from apps.core.user_paths import error_text, hide_server_paths
from apps.quotas.accounts import account_of
from apps.quotas.storage import storage_charge
from apps.quotas.stored import stored_bytes
from ml.hub import DownloadProgress, HubError, RepoInspection, RepoSpec, inspect_repo, pull_to_sou

from . import storage
from .import_lease import HEARTBEAT_EVERY_S, attempts_spent, import_finish, import_take
from .models import HubPull, HubToken, ModelVersion, RegisteredModel

PROGRESS_EVERY_S = 0.5  # progress written and sent at most this often
STOP_CHECK_EVERY_S = 2.0  # how often a running pull looks whether its version still exists
TOKEN_MAX_CHARS = 400


class HubUnavailable(APIException):
    """The hub could not be asked (unreachable, or it answered with an error of its own)."""

    status_code = 502
    default_code = "hub_unavailable"


@transaction.atomic
def hub_token_set(*, user, token: str) -> HubToken:
    """Stores (or replaces) the user's hub access token, sealed."""
    token = token.strip()
    if not token or len(token) > TOKEN_MAX_CHARS or any(c.isspace() for c in token):
        raise ValidationError({"token": [f"paste the token as the hub shows it (1-{TOKEN_MAX_CHARS} characters, "
                                         "no spaces)"]})
    row, _ = HubToken.objects.update_or_create(user=user, defaults={"sealed": seal(token),
                                                                     "hint": secret_hint(token)})
    return row


def hub_token_delete(*, user) -> None:
    HubToken.objects.filter(user=user).delete()


def _token_of(user_id: int) -> str | None:
    row = HubToken.objects.filter(user_id=user_id).first()
    if row is None:
        return None
    try:
        return unseal(row.sealed)
    except SealError as exc:
        raise HubError(f"your hub token {exc}", "token_refused") from None


def _spec(*, user_id: int, repo_id: str, revision: str, filename: str, endpoint: str | None = None) -> RepoSpec:
    try:
        return RepoSpec(repo_id=repo_id.strip(), revision=(revision or "main").strip(), filename=filename.strip(),
                        endpoint=endpoint or settings.SLOUGHGPT_HUB_ENDPOINT, token=_token_of(user_id))
    except HubError as exc:
        raise ValidationError({"repo_id": [str(exc)]}) from None


def _asked(error: HubError) -> Exception:
    """A HubError as the API answers it: the user's input was wrong (400), or the hub could
    not be asked (502)."""
    if error.code in ("unreachable", "hub_error"):
        return HubUnavailable(str(error))
    field = "filename" if error.code == "file_not_found" else "repo_id"
    return ValidationError({field: [str(error)]})


def hub_repo_inspect(*, user, model_id: int, repo_id: str, revision: str = "main",
                     filename: str = "") -> RepoInspection:
    """What the user would import from `repo_id` into their model `model_id` (edit access):
    license, card, files, size, architecture, and why it cannot be pulled if so."""
    access_get(RegisteredModel, user=user, pk=model_id, action=Action.EDIT)
    spec = _spec(user_id=user.pk, repo_id=repo_id, revision=revision, filename=filename)
    try:
        return inspect_repo(spec, max_bytes=settings.SLOUGHGPT_HUB_MAX_BYTES)
    except HubError as exc:
        raise _asked(exc) from None


def model_version_pull(*, user, model_id: int, repo_id: str, revision: str = "main", filename: str = "",
                       bump: str = "minor", description: str = "") -> ModelVersion:
    """A new version of model `model_id` pulled from the hub: inspected first (refused with
    the reason before anything is written when it cannot be imported), then created
    `importing` with its repo, revision, file and commit recorded, and its task queued."""
    from .services import _new_version
    from .tasks import model_version_pull_task

    found = hub_repo_inspect(user=user, model_id=model_id, repo_id=repo_id, revision=revision, filename=filename)
    try:
        found.require_pullable()
    except HubError as exc:
        raise _asked(exc) from None
    # The downloads and the converted file (a quantized GGUF made F32 takes several times its
    # download) are reserved from the account's storage before the pull starts: one
    # conditional UPDATE, so two pulls at once cannot both pass on the same free space (413).
    reserved = found.total_bytes + found.converted_bytes
    with transaction.atomic():
        storage_charge(account_of(RegisteredModel.objects.get(pk=model_id)), reserved)
        version = _new_version(
            user=user, name=None, model_id=model_id, bump=bump, source=ModelVersion.Source.HUB,
            description=description or f"{found.repo_id}" + (f" ({found.filename})" if found.filename else ""),
        )
        HubPull.objects.create(
            model_version=version, endpoint=settings.SLOUGHGPT_HUB_ENDPOINT, repo_id=found.repo_id,
            revision=found.revision, filename=found.filename, commit_sha=found.commit_sha,
            license=found.license[:200], bytes_total=found.total_bytes, bytes_charged=reserved,
        )
        transaction.on_commit(lambda: model_version_pull_task.delay(version.pk))
    return version


class _Reporter:
    """The pull's callbacks: progress onto its HubPull row and the owner's socket
    (throttled), and a stop once the version is gone (deleted while it downloaded)."""

    def __init__(self, version: ModelVersion):
        self.version = version
        self.last_progress = self.last_check = 0.0

    def on_progress(self, progress: DownloadProgress) -> None:
        now = time.monotonic()
        if now - self.last_progress < PROGRESS_EVERY_S and progress.done < progress.total:
            return
        self.last_progress = now
        HubPull.objects.filter(model_version_id=self.version.pk).update(bytes_done=progress.done,
                                                                         bytes_total=progress.total)
        notify_user(user_id=self.version.owner_id, event={
            "type": "model_version.progress", "id": self.version.pk, "done": progress.done, "total": progress.total})

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self.last_check < STOP_CHECK_EVERY_S:
            return False
        self.last_check = now
        return not ModelVersion.objects.filter(pk=self.version.pk, status=ModelVersion.Status.IMPORTING).exists()


def model_version_pull_run(*, version_id: int, execution_id: str = "") -> ModelVersion | None:
    """Downloads and converts a pulled version. Idempotent by version id: a version no longer
    importing, or held by another live execution, is left alone; a redelivered pull continues
    the downloads an earlier one left in the version's folder, and fails after
    IMPORT_ATTEMPTS executions that never finished (import_lease.py). On failure the folder is
    removed, its reservation given back, and the version says why. `execution_id` is the
    task's id (a direct call gets a fresh one)."""
    execution_id = execution_id or uuid.uuid4().hex
    version = import_take(version_id=version_id, execution_id=execution_id)
    if version is None:
        return ModelVersion.objects.filter(pk=version_id).first()
    if spent := attempts_spent(version):
        return _pull_finish(version, execution_id, failure=spent)
    with heartbeat(ModelVersion, version.pk, execution_id, every_s=HEARTBEAT_EVERY_S):
        try:
            _pull_files(version)
        except Exception as exc:  # the version must say what went wrong, whatever it was
            return _pull_finish(version, execution_id, failure=_failure_text(exc))
    return _pull_finish(version, execution_id)


def _pull_files(version: ModelVersion) -> None:
    """Downloads and converts into the version's canonical file; fills in what it found."""
    from .services import _describe_file

    pull = HubPull.objects.get(model_version_id=version.pk)
    canonical = storage.canonical_sou(version.owner_id, version.pk)
    work = storage.source_dir(version.owner_id, version.pk) / "hub"
    reporter = _Reporter(version)
    # Pinned to the commit inspected when the pull was asked for.
    spec = _spec(user_id=version.owner_id, repo_id=pull.repo_id, revision=pull.commit_sha,
                 filename=pull.filename, endpoint=pull.endpoint)
    pull_to_sou(spec, canonical, work, max_bytes=settings.SLOUGHGPT_HUB_MAX_BYTES,
                on_progress=reporter.on_progress, should_stop=reporter.should_stop)
    remove_tree(work)  # the .sou holds everything; the downloads are not kept
    _describe_file(version, canonical)
    core_storage.publish(canonical)


def _pull_finish(version: ModelVersion, execution_id: str, failure: str = "") -> ModelVersion:
    """Moves the version to ready (charging its file instead of the reservation) or failed
    (removing its folder and giving the reservation back), if this execution still holds it.
    A version deleted meanwhile gave its reservation back with its row; its folder goes."""
    folder = storage.version_dir(version.owner_id, version.pk)
    version.status = ModelVersion.Status.FAILED if failure else ModelVersion.Status.READY
    version.error = failure
    with transaction.atomic():
        moved = import_finish(
            version, execution_id, status=version.status, error=version.error, architecture=version.architecture,
            parameters=version.parameters, sha256=version.sha256, size_bytes=version.size_bytes,
            updated_at=timezone.now())
        if not moved:  # deleted, or finished by another execution meanwhile: its files are not ours
            if not ModelVersion.objects.filter(pk=version.pk).exists():
                core_storage.remove_remote(folder)
                remove_tree(folder)
            return ModelVersion.objects.filter(pk=version.pk).first() or version
        pull = HubPull.objects.select_for_update().get(model_version_id=version.pk)
        if failure:
            core_storage.remove_remote(folder)
            remove_tree(folder)
        kept = stored_bytes(folder)  # the model file when ready; nothing when failed
        storage_charge(account_of(version), kept - pull.bytes_charged, force=True)
        HubPull.objects.filter(pk=pull.pk).update(
            bytes_charged=kept, **({} if failure else {"bytes_done": pull.bytes_total}))
        notify_user(user_id=version.owner_id,
                    event={"type": "model_version.imported", "id": version.pk, "status": version.status})
    if not core_storage.is_local():
        remove_tree(folder)  # this worker's working copy: the bucket holds the version's file
    return version


def _failure_text(exc: Exception) -> str:
    """What the failed version says: a hub error's own words, others' kind and message (no
    server paths either way)."""
    if isinstance(exc, HubError):  # a converter's message may name a file it read
        return hide_server_paths(str(exc)) if exc.code == "conversion" else str(exc)
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return error_text(exc)
