"""Writes for the registry: registering versions (from a training run, an upload, the
starter model, or a personality application), importing them into a canonical `.sou`, moving
stages (through the personality gate, personality_gate.py), and exporting quantized `.sou`
files with a quality report (and a personality row when the model has a target)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core import file_cache
from apps.core import storage as core_storage
from apps.core.access import Action, access_check, access_get
from apps.core.archives import ArchiveError, extract_zip_safely
from apps.core.files import remove_tree
from apps.core.leases import heartbeat
from apps.core.notifications import notify_user
from apps.core.user_paths import error_text, plain_filename
from apps.quotas.accounts import account_for_user, account_of
from apps.quotas.storage import storage_charge, storage_release
from apps.quotas.stored import stored_bytes
from apps.teams.audit import audit_record
from apps.training.models import TrainingRun
from apps.training.storage import training_run_dir

from . import import_lease, personality_gate, storage
from .models import ModelExport, ModelVersion, RegisteredModel, Stage, StageTransition

Source = ModelVersion.Source
UPLOAD_SOURCES = {".gguf": Source.GGUF_UPLOAD, ".sou": Source.SOU_UPLOAD, ".zip": Source.HF_UPLOAD}
HF_SUFFIXES = frozenset({".json", ".safetensors", ".txt", ".model", ".jinja"})
# From most to least precise; the K types are llama.cpp's file types of those names (Q3_K, Q4_K
# and Q5_K its _S mixes) as ml.sou.quant makes them.
EXPORT_TYPES = ("F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K", "Q4_K_M", "Q4_K", "Q4_1",
                "Q4_0", "Q3_K_M", "Q3_K", "Q2_K")


def _model_name_clean(name: str) -> str:
    name = name.strip()
    if not name or ":" in name or "/" in name or len(name) > 100:
        raise ValidationError({"name": ["use 1-100 characters without ':' or '/'"]})
    return name


@transaction.atomic
def registered_model_get_or_create(*, user, name: str, description: str = "") -> RegisteredModel:
    """The user's private model called `name`, made if they have none. A name that finds only
    a team's model they made (theirs no longer once moved) is refused rather than guessed at:
    the team's needs its id, which says whose access adds to it."""
    name = _model_name_clean(name)
    model = RegisteredModel.objects.filter(owner=user, team__isnull=True, name=name).first()
    if model is not None:
        return model
    if RegisteredModel.objects.filter(owner=user, team__isnull=False, name=name).exists():
        raise ValidationError({"name": [f"a team owns a model named {name!r}; pass model_id"]})
    model, _ = RegisteredModel.objects.get_or_create(
        owner=user, team=None, name=name, defaults={"description": description})
    return model


@transaction.atomic
def registered_model_update(*, user, model_id: int, **fields) -> RegisteredModel:
    """Renames or describes a model (edit access); its personality gate decides what may go
    to production, so changing it needs the right to promote."""
    action = Action.PROMOTE if GATE_FIELDS & fields.keys() else Action.EDIT
    model = access_get(RegisteredModel, user=user, pk=model_id, action=action)
    if "name" in fields:
        model.name = _model_name_clean(fields["name"])
    if "description" in fields:
        model.description = fields["description"]
    if GATE_FIELDS & fields.keys():
        _gate_set(model, user=user, **{k: fields[k] for k in GATE_FIELDS & fields.keys()})
    try:
        with transaction.atomic():
            model.save()
    except IntegrityError:
        raise ValidationError({"name": ["you already have a model with this name"]}) from None
    return model


GATE_FIELDS = frozenset({"target_personality_version_id", "min_alignment", "max_alignment_drift"})


def _gate_set(model: RegisteredModel, *, user, **given) -> None:
    """The personality gate's target and thresholds, each left as it was unless given; a
    null target clears the gate and its thresholds."""
    values = {"target_personality_version_id": model.target_personality_version_id,
              "min_alignment": model.min_alignment, "max_alignment_drift": model.max_alignment_drift, **given}
    target = personality_gate.targets_check(user=user, **values)
    model.target_personality_version = target
    model.min_alignment = values["min_alignment"] if target else None
    model.max_alignment_drift = values["max_alignment_drift"] if target else None


@transaction.atomic
def registered_model_delete(*, user, model_id: int) -> None:
    # Locked: of two deletes at once the second is a 404. Each version deleted with it gives
    # its folder's bytes back and has it removed on commit (apps.quotas.released).
    model = access_get(RegisteredModel.objects.select_for_update(of=("self",)), user=user, pk=model_id,
                       action=Action.DELETE)
    audit_record(actor=user, action="model.delete", target=model, team=model.team)
    model.delete()


def _next_version(model: RegisteredModel, bump: str) -> tuple[int, int, int]:
    """Semantic version after the model's highest: the first is 1.0.0; later ones bump the
    minor part unless asked otherwise."""
    RegisteredModel.objects.select_for_update().get(pk=model.pk)
    latest = model.versions.order_by("-major", "-minor", "-patch").first()
    if latest is None:
        return 1, 0, 0
    if bump == "major":
        return latest.major + 1, 0, 0
    if bump == "patch":
        return latest.major, latest.minor, latest.patch + 1
    return latest.major, latest.minor + 1, 0


def _registered_model_for(*, user, name: str | None, model_id: int | None) -> RegisteredModel:
    """The model a new version goes into: one the user may add to by id (edit access: their
    own, their team's or one shared with them to write), else their own by name."""
    if model_id is not None:
        return access_get(RegisteredModel, user=user, pk=model_id, action=Action.EDIT)
    if not name:
        raise ValidationError({"name": ["name the model, or give model_id"]})
    return registered_model_get_or_create(user=user, name=name)


def _new_version(*, user, name: str | None, bump: str, source: str, description: str = "",
                 model_id: int | None = None, **lineage) -> ModelVersion:
    model = _registered_model_for(user=user, name=name, model_id=model_id)
    major, minor, patch = _next_version(model, bump)
    version = ModelVersion.objects.create(
        owner=user, registered_model=model, major=major, minor=minor, patch=patch,
        source=source, description=description, **lineage,
    )
    StageTransition.objects.create(model_version=version, from_stage="", to_stage=Stage.DEVELOPMENT, user=user)
    model.save(update_fields=["updated_at"])
    return version


def _enqueue_import(version: ModelVersion) -> None:
    from .tasks import model_version_import_task

    transaction.on_commit(lambda: model_version_import_task.delay(version.pk))


@transaction.atomic
def model_version_create_from_training_run(
    *, user, training_run_id: int, name: str | None = None, checkpoint: str = "best", bump: str = "minor",
    description: str = "", model_id: int | None = None,
) -> ModelVersion:
    """A run's checkpoint as a new version (of the user's model `name`, or of the model
    `model_id` they may edit), its lineage naming the run, its dataset version and (for a
    fine-tune) its base version. The import merges a LoRA run's adapters into the canonical
    `.sou`; the adapter file stays in the copied checkpoint for download."""
    training_run = access_get(TrainingRun.objects.select_related("base_model_version__registered_model"),
                              user=user, pk=training_run_id)
    directory = training_run.best_checkpoint if checkpoint == "best" else training_run.last_checkpoint
    directory = directory or training_run.last_checkpoint
    if not directory:
        raise ValidationError({"training_run_id": ["this training run has no checkpoint yet"]})
    base = training_run.base_model_version
    version = _new_version(
        user=user, name=name, model_id=model_id, bump=bump, source=Source.TRAINING_RUN, description=description,
        training_run=training_run, dataset_version=training_run.dataset_version, base_version=base,
    )
    source = storage.source_dir(user.pk, version.pk)
    # On S3, the checkpoint as stored under the run's own key: the worker that trained it
    # recorded its own path, which names a folder on that machine only.
    checkpoint = Path(directory) if core_storage.is_local() else training_run_dir(training_run) / Path(directory).name
    try:
        core_storage.copy_tree(checkpoint, source / "checkpoint")
        if training_run.method != TrainingRun.Method.SCRATCH:
            _base_named(source / "checkpoint", label=str(base) if base else "a deleted model version")
        # The copy counts against the model's account (413 past the storage quota), as deleting
        # the version gives its whole folder back.
        storage_charge(account_of(version), stored_bytes(source))
    except BaseException:
        _version_files_remove(version)  # the version's row rolls back
        raise
    _enqueue_import(version)
    return version


def _base_named(checkpoint: Path, *, label: str) -> None:
    """A fine-tune's checkpoint names its base by the file the run read, a path on this
    server; the copy the import reads names it as its owner knows it, so the version's
    `.sou` (its provenance) carries no server path."""
    with core_storage.open_blob(core_storage.key_of(checkpoint / "config.json")) as source:
        config = json.loads(source.read())
    if isinstance(config.get("training", {}).get("model"), dict):
        config["training"]["model"]["base"] = label
        core_storage.tree_put(checkpoint, "config.json", json.dumps(config, indent=2).encode())


def _version_files_remove(version: ModelVersion) -> None:
    folder = storage.version_dir(version.owner_id, version.pk)
    core_storage.remove_remote(folder)
    remove_tree(folder)


def model_version_upload(
    *, user, filename: str, stream: BinaryIO, content_length: int | None, name: str | None = None,
    bump: str = "minor", description: str = "", model_id: int | None = None,
) -> ModelVersion:
    """A `.gguf`, a `.sou`, or a `.zip` of a Hugging Face model directory, streamed to disk
    and imported by a task."""
    # The name only says the file's type: the stored file is named by the version's id.
    suffix = Path(plain_filename(filename)).suffix.lower()
    if suffix not in UPLOAD_SOURCES:
        raise ValidationError({"filename": ["upload a .gguf, a .sou, or a .zip of a Hugging Face model directory"]})
    # Checked before reading the body; a version without a model id goes into the user's
    # own model (registered_model_get_or_create), so it counts against the user.
    account = (account_of(access_get(RegisteredModel, user=user, pk=model_id, action=Action.EDIT))
               if model_id is not None else account_for_user(user))
    limit = settings.SLOUGHGPT_MAX_UPLOAD_BYTES
    if content_length is not None and content_length > limit:
        raise ValidationError({"body": [f"the file is {content_length} bytes; the limit is {limit}"]})
    # Streamed to a staging object of the storage layer (in parts on S3) and charged as it
    # arrives (the declared size at once), so a full quota refuses it before it is read
    # whole (413); a failed upload, whether the client, the backend or the quota broke it,
    # leaves no object behind and gives its charge back.
    staged = core_storage.receive(stream, account=account, declared=content_length, limit=limit)
    version = None
    try:
        if staged.size == 0:
            raise ValidationError({"body": ["the file is empty"]})
        with transaction.atomic():
            version = _new_version(
                user=user, name=name, model_id=model_id, bump=bump, source=UPLOAD_SOURCES[suffix],
                description=description,
            )
            if (owner_account := account_of(version)) != account:  # the model changed hands meanwhile
                storage_charge(owner_account, staged.size)
                storage_release(account, staged.size)
            source = storage.source_dir(user.pk, version.pk)
            core_storage.promote(staged, core_storage.key_of(source / f"upload{suffix}"))
            core_storage.manifest_write(source, {f"upload{suffix}": staged.sha256})
            _enqueue_import(version)
        return version
    except BaseException:
        core_storage.discard(staged)
        if version is not None:  # stored, but its row was rolled back
            _version_files_remove(version)
        raise


@transaction.atomic
def model_version_create_starter(*, user) -> tuple[ModelVersion, bool]:
    """(the user's starter version, whether it was created now). A starter model that is
    importing or ready is returned as it is, so a second click does not start another 540 MB
    import; one that failed may be retried. The user's row is locked first, so two requests at
    once make one version."""
    from ml.model_map.starter import STARTER_NAME

    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    existing = (ModelVersion.objects.select_related("registered_model")
                .filter(owner=user, registered_model__team__isnull=True, source=Source.STARTER,
                        status__in=[ModelVersion.Status.IMPORTING, ModelVersion.Status.READY])
                .order_by("-pk").first())
    if existing is not None:
        return existing, False
    # Always into the user's private starter model, made if a team owns the one they had.
    model, _ = RegisteredModel.objects.get_or_create(owner=user, team=None, name=STARTER_NAME)
    version = _new_version(
        user=user, name=None, model_id=model.pk, bump="minor", source=Source.STARTER,
        description="SmolLM2-135M-Instruct (Apache-2.0), the starter chat model.",
    )
    _enqueue_import(version)
    return version, True


def model_version_create_with_personality(*, user, base_version: ModelVersion, personality_version, sou_path: Path,
                                         description: str = "") -> ModelVersion:
    """The file a personality application wrote (`sou_path`) as a new version of the base's
    registered model, its lineage naming the base version and the personality version. The
    caller holds the transaction: the row is written importing and the file moves into the
    version's folder (making it ready) only once it commits, so a rollback leaves no file in
    a folder whose version does not exist. An execution that died between the commit and the
    move finishes it on redelivery (`model_version_personality_file_place`). `user` (who
    started the application, with run access to the base) owns the new version."""
    version = _new_version(
        user=user, name=None, model_id=base_version.registered_model_id, bump="minor", source=Source.PERSONALITY,
        description=description, base_version=base_version, personality_version=personality_version,
        training_run=base_version.training_run, dataset_version=base_version.dataset_version,
    )
    _describe_file(version, sou_path)
    version.save()
    transaction.on_commit(lambda: model_version_personality_file_place(version=version, sou_path=sou_path))
    return version


def model_version_personality_file_place(*, version: ModelVersion, sou_path: Path) -> ModelVersion:
    """Moves a committed personality version's file in and makes the version ready.
    Idempotent: a file already in place is kept, and a version already ready is left so."""
    canonical = storage.canonical_sou(version.owner_id, version.pk)
    if not core_storage.stored_exists(canonical):
        # One rename on the local backend (both live under MEDIA_ROOT); an upload on S3.
        core_storage.publish(sou_path, key=storage.canonical_key(version.owner_id, version.pk))
        Path(sou_path).unlink(missing_ok=True)
    with transaction.atomic():
        placed = ModelVersion.objects.filter(pk=version.pk, status=ModelVersion.Status.IMPORTING).update(
            status=ModelVersion.Status.READY, updated_at=timezone.now())
        if placed:  # charged once, with the change that makes it ready
            storage_charge(account_of(version), stored_bytes(canonical), force=True)
    version.status = ModelVersion.Status.READY
    if placed:
        notify_user(user_id=version.owner_id,
                    event={"type": "model_version.imported", "id": version.pk, "status": version.status})
    return version


@contextmanager
def _import_source(version: ModelVersion) -> Iterator[Path]:
    """The file or directory the importer reads for this version, while the block runs. On
    S3 a stored folder's files are pinned entries of this worker's bounded cache (a
    checkpoint or an upload is read, never written)."""
    from ml.model_map.starter import fetch_starter_gguf

    source = storage.source_dir(version.owner_id, version.pk)
    if version.source == Source.STARTER:
        yield fetch_starter_gguf(Path(settings.MEDIA_ROOT) / "cache" / "starter")
        return
    if version.source == Source.TRAINING_RUN:
        with file_cache.pinned_tree(source / "checkpoint") as checkpoint:
            yield checkpoint
        return
    with file_cache.pinned_tree(source) as uploaded:  # the upload, on a worker that does not hold it
        if version.source == Source.HF_UPLOAD:
            target = source / "hf"
            shutil.rmtree(target, ignore_errors=True)
            extract_zip_safely(uploaded / "upload.zip", target, HF_SUFFIXES)
            configs = sorted(target.rglob("config.json"), key=lambda p: len(p.parts))
            if not configs:
                raise ArchiveError("the archive has no config.json")
            yield configs[0].parent
            return
        suffix = ".gguf" if version.source == Source.GGUF_UPLOAD else ".sou"
        yield uploaded / f"upload{suffix}"


@contextmanager
def _fine_tune_base(version: ModelVersion) -> Iterator[Path | None]:
    """The file of the version a run's result was fine-tuned from, whose reply settings (and
    chat template) the result keeps, while the block runs; None for a model trained from
    scratch, or once the base version is gone."""
    base = version.base_version
    if (version.source != Source.TRAINING_RUN or base is None or base.status != ModelVersion.Status.READY
            or not core_storage.stored_exists(storage.canonical_sou(base.owner_id, base.pk))):
        yield None
        return
    with storage.canonical_pinned(base) as path:
        yield path


def model_version_import(*, version_id: int, execution_id: str = "") -> ModelVersion:
    """Turns the version's source into its canonical `.sou`. Idempotent: a version that is
    no longer importing, or that another live execution holds, is left alone; one whose
    executions keep dying fails after IMPORT_ATTEMPTS (import_lease.py). `execution_id` is
    the task's id (a direct call gets a fresh one)."""
    execution_id = execution_id or uuid.uuid4().hex
    version = import_lease.import_take(version_id=version_id, execution_id=execution_id)
    if version is None:
        return ModelVersion.objects.get(pk=version_id)
    # What the import adds to the version's folder: the canonical file and an extracted
    # Hugging Face upload. A redelivered import overwrites what an earlier one wrote.
    folder = storage.version_dir(version.owner_id, version.pk)
    before = stored_bytes(folder)
    if spent := import_lease.attempts_spent(version):
        version.status, version.error = ModelVersion.Status.FAILED, spent
    else:
        with heartbeat(ModelVersion, version.pk, execution_id, every_s=import_lease.HEARTBEAT_EVERY_S):
            _import_files(version)
    with transaction.atomic():
        if not import_lease.import_finish(version, execution_id, status=version.status, error=version.error,
                             architecture=version.architecture, parameters=version.parameters,
                             sha256=version.sha256, size_bytes=version.size_bytes, updated_at=timezone.now()):
            return ModelVersion.objects.filter(pk=version.pk).first() or version
        # What it stored counts against the model's account once written.
        storage_charge(account_of(version), stored_bytes(folder) - before, force=True)
        notify_user(
            user_id=version.owner_id,
            event={"type": "model_version.imported", "id": version.pk, "status": version.status},
        )
    if not core_storage.is_local():
        remove_tree(folder)  # this worker's working copies: the bucket holds what stays
    return version


def _import_files(version: ModelVersion) -> None:
    """Writes the canonical file and fills in the version's status and what it found (or the
    reason it failed)."""
    from ml.sou import read_sou
    from ml.sou.convert import import_model

    canonical = storage.canonical_sou(version.owner_id, version.pk)
    canonical.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _import_source(version) as source:
            if version.source == Source.SOU_UPLOAD:
                with read_sou(source):  # validates every header field before it is served
                    pass
                shutil.copyfile(source, canonical)
            else:
                with _fine_tune_base(version) as base:
                    import_model(source, canonical, qtype="F32", base=base)
        _describe_file(version, canonical)
        core_storage.publish(canonical)
        version.status = ModelVersion.Status.READY
    except Exception as exc:  # the version must say what went wrong, whatever it was
        version.status = ModelVersion.Status.FAILED
        version.error = error_text(exc)


def _describe_file(version: ModelVersion, sou_path: Path) -> None:
    """Fills in what the version's `.sou` says of it: architecture, parameters, hash, size."""
    from ml.sou import read_sou
    from ml.sou.convert import sha256_of

    with read_sou(sou_path) as sou:
        version.architecture = sou.config
        version.parameters = sum(_count(info.shape) for info in sou.tensor_infos)
    version.sha256 = sha256_of(sou_path)
    version.size_bytes = sou_path.stat().st_size


def _count(shape) -> int:
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


def model_version_set_stage(*, user, version_id: int, stage: str, note: str = "",
                            override: bool = False) -> ModelVersion:
    """Moves a version to `stage`. Promoting to production archives the model's previous
    production version in the same transaction, so there is always at most one; a model with
    a target personality gates it first (personality_gate.py: 409 with the reasons, or while
    its evaluation runs; staff may `override` with a note). The gate runs outside the move's
    transaction, so an evaluation it starts stays queued when it answers 409. Moving a
    version into or out of production needs the right to promote; other moves, edit access."""
    version = access_get(ModelVersion.objects.select_related("registered_model__target_personality_version"),
                         user=user, pk=version_id)
    if stage not in Stage.values:
        raise ValidationError({"stage": [f"one of {', '.join(Stage.values)}"]})
    access_get(ModelVersion, user=user, pk=version_id, action=_stage_action(version.stage, stage))
    gate = {}
    if stage == Stage.PRODUCTION and version.stage != Stage.PRODUCTION and version.status == ModelVersion.Status.READY:
        gate = personality_gate.gate_for_production(user=user, version=version, override=override, note=note)
    return _set_stage(user=user, version_id=version_id, stage=stage, note=note, gate=gate)


def _stage_action(current: str, stage: str) -> Action:
    return Action.PROMOTE if Stage.PRODUCTION in (current, stage) and current != stage else Action.EDIT


@transaction.atomic
def _set_stage(*, user, version_id: int, stage: str, note: str, gate: dict) -> ModelVersion:
    version = access_get(ModelVersion.objects.select_for_update().select_related("registered_model"),
                         user=user, pk=version_id)
    if stage == Stage.PRODUCTION and version.status != ModelVersion.Status.READY:
        raise ValidationError({"stage": [f"only a ready version can go to production; this one is {version.status}"]})
    if stage == version.stage:
        return version
    # Checked again under the row lock: the stage may have moved since the caller looked.
    access_check(version, user=user, action=_stage_action(version.stage, stage))
    if Stage.PRODUCTION in (version.stage, stage):
        audit_record(actor=user, action="model.promote", target=version, team=version.registered_model.team,
                     details={"from": version.stage, "to": stage, "note": note})
    if stage == Stage.PRODUCTION:
        current = ModelVersion.objects.select_for_update().filter(
            registered_model=version.registered_model, stage=Stage.PRODUCTION
        ).first()
        if current is not None:
            _transition(current, Stage.ARCHIVED, user, f"replaced by {version.version}")
    _transition(version, stage, user, note, gate)
    return version


def _transition(version: ModelVersion, stage: str, user, note: str, gate: dict | None = None) -> None:
    StageTransition.objects.create(
        model_version=version, from_stage=version.stage, to_stage=stage, user=user, note=note, gate=gate or {}
    )
    version.stage = stage
    version.save(update_fields=["stage", "updated_at"])


@transaction.atomic
def model_export_create(*, user, version_id: int, qtypes: list[str],
                        export_format: str = ModelExport.Format.SOU) -> list[ModelExport]:
    """Queues quantized exports of a version (run access: the owner's, a team member's, or
    a write share's) as `.sou` files or GGUF files. The files live beside the version's,
    whoever asked."""
    version = access_get(ModelVersion, user=user, pk=version_id, action=Action.RUN)
    if version.status != ModelVersion.Status.READY:
        raise ValidationError({"version": [f"the version is {version.status}, not ready"]})
    unknown = [q for q in qtypes if q not in EXPORT_TYPES]
    if unknown or not qtypes:
        raise ValidationError({"qtypes": [f"choose from {', '.join(EXPORT_TYPES)}"]})
    if export_format not in ModelExport.Format.values:
        raise ValidationError({"format": [f"choose from {', '.join(ModelExport.Format.values)}"]})
    if export_format == ModelExport.Format.GGUF:
        _check_gguf_exportable(version)
    from .tasks import model_export_task

    exports = []
    for qtype in dict.fromkeys(qtypes):
        export, created = ModelExport.objects.get_or_create(model_version=version, qtype=qtype,
                                                            format=export_format,
                                                            defaults={"owner": user})
        if not created and export.status == ModelExport.Status.FAILED:
            export.status, export.error = ModelExport.Status.QUEUED, ""
            export.save(update_fields=["status", "error", "updated_at"])
            created = True
        if created:
            transaction.on_commit(lambda export_id=export.pk: model_export_task.delay(export_id))
        exports.append(export)
    return exports


def _check_gguf_exportable(version: ModelVersion) -> None:
    """A 400 on `format` when GGUF cannot carry this version's architecture or tokenizer."""
    from ml.sou import SouFormatError, read_sou
    from ml.sou.gguf_export import GGUFExportError, check_exportable

    try:
        with read_sou(storage.canonical_fetched(version)) as sou:
            check_exportable(sou.config, sou.tokenizer_json)
    except (GGUFExportError, ValueError) as exc:  # ValueError: a config value of the wrong kind
        raise ValidationError({"format": [str(exc)]}) from None
    except (OSError, SouFormatError, file_cache.CacheError):
        raise ValidationError({"version": ["the version's model file cannot be read"]}) from None


def model_export_run(*, export_id: int) -> ModelExport:
    """Quantizes the canonical file to the export's type and measures it against the
    full-precision model; a GGUF export is then written from that same-type `.sou`, which is
    what its report measured. Idempotent: a finished export is left alone."""
    from ml.sou import QuantPolicy, quantize_file
    from ml.sou.convert import sha256_of
    from ml.sou.gguf_export import export_gguf

    export = ModelExport.objects.select_related(
        "model_version__registered_model__target_personality_version__personality").get(pk=export_id)
    if export.status not in (ModelExport.Status.QUEUED, ModelExport.Status.RUNNING):
        return export
    version = export.model_version
    ModelExport.objects.filter(pk=export.pk).update(status=ModelExport.Status.RUNNING)
    target = storage.export_file(version.owner_id, version.pk, export.qtype, export.format)
    gguf = export.format == ModelExport.Format.GGUF
    # What the report measures: the export itself, or for GGUF the same tensors as a .sou.
    measured = target.with_name(f".{target.name}.sou") if gguf else target
    target.parent.mkdir(parents=True, exist_ok=True)
    before = stored_bytes(target)
    try:
        # Read three times over minutes: pinned, so other tasks filling the cache leave it.
        with storage.canonical_pinned(version) as canonical:
            quantize_report = quantize_file(canonical, measured, export.qtype, QuantPolicy())
            export.report = {
                "size_bytes": measured.stat().st_size,
                "f32_size_bytes": canonical.stat().st_size,
                "warnings": list(getattr(quantize_report, "warnings", []) or []),
                **_quality_report(canonical, measured, version),
            }
            personality = personality_gate.export_row(canonical=canonical, quantized=measured, version=version)
        if personality is not None:
            export.report["personality"] = personality
        if gguf:
            # Named after the registered model, not the file (exports/Q8_0.gguf).
            written = export_gguf(measured, target, name=f"{version.registered_model.name}-{version.version}")
            export.report.update({
                "size_bytes": target.stat().st_size,
                "sou_size_bytes": export.report["size_bytes"],
                "gguf_arch": written.arch,
                "measured_on": "sou",
                "note": (f"perplexity, KL divergence and tokens/s measured on the {export.qtype} "
                         ".sou file the GGUF was written from (the same tensors)"),
            })
            export.report["warnings"] += written.warnings
        export.sha256 = sha256_of(target)
        export.size_bytes = target.stat().st_size
        core_storage.publish(target)
        export.status = ModelExport.Status.READY
    except Exception as exc:  # the export must say what went wrong, whatever it was
        export.status = ModelExport.Status.FAILED
        export.error = error_text(exc)
        target.unlink(missing_ok=True)
    finally:
        if gguf:
            measured.unlink(missing_ok=True)
        if not core_storage.is_local():
            target.unlink(missing_ok=True)  # this worker's working copy: the bucket holds it
    # The export file counts against the model's account once stored.
    storage_charge(account_of(version), stored_bytes(target) - before, force=True)
    with transaction.atomic():
        export.save()
        notify_user(
            user_id=export.owner_id,
            event={"type": "model_export.finished", "id": export.pk, "status": export.status},
        )
    return export


def _quality_report(canonical: Path, quantized: Path, version: ModelVersion) -> dict:
    """Perplexity and KL divergence against the full-precision file, and decode speed, on a
    sample of the version's own training data (or a fixed text when it has none)."""
    from ml.infer.quality import compare_quality

    text = _evaluation_text(version)
    return compare_quality(reference=canonical, candidate=quantized, text=text).to_dict()


EVALUATION_CHARS = 4000
FALLBACK_TEXT = (
    "The quick brown fox jumps over the lazy dog. A small language model learns the patterns "
    "of the text it is trained on, one token at a time, and predicts what comes next. "
) * 20


def _evaluation_text(version: ModelVersion) -> str:
    from apps.datasets.services import dataset_version_path

    dataset_version = version.dataset_version
    if dataset_version is not None and dataset_version.format == "txt":
        path = dataset_version_path(dataset_version)
        if path.is_file():
            with path.open("rb") as handle:
                handle.seek(max(0, path.stat().st_size - EVALUATION_CHARS * 4))
                return handle.read().decode("utf-8", errors="ignore")[-EVALUATION_CHARS:]
    return FALLBACK_TEXT
