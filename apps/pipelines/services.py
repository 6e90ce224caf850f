"""Writes for recipes and their runs: create, edit (a new version when the steps change),
delete, preview, queue a run over input dataset versions, cancel, re-run, and the worker's
execution, which streams the inputs through `ml.data.pipeline` and stores each output part
as a new dataset version (counted against the storage quota like an upload). And for the
feature store: asking for feature groups over a dataset version (computed once and reused
while their feature versions are current) and the worker's materialization into the
version's folder with its statistics."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.core.access import Action, access_get, access_queryset
from apps.core.errors import Conflict
from apps.core.files import remove_tree
from apps.core.leases import heartbeat, lease_take
from apps.core.notifications import notify_user
from apps.core.user_paths import error_text
from apps.datasets.models import Dataset, DatasetVersion
from apps.datasets.selectors import dataset_version_get
from apps.quotas.accounts import account_for_user, account_of
from apps.quotas.errors import StorageQuotaExceeded
from apps.quotas.storage import storage_check_room, storage_counting

from .feature_samples import write_feature_sample
from .inputs import recipe_input, version_label, version_texts
from .models import FeatureMaterialization, Recipe, RecipeRun, RecipeRunOutput, RecipeVersion
from .storage import WorkCharge, features_dir, features_path, features_size_estimate, run_work_dir

logger = logging.getLogger(__name__)
Status = RecipeRun.Status
FeatureStatus = FeatureMaterialization.Status
FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
PREVIEW_MAX_LIMIT = 20  # records shown after each step in the builder
# The preview runs in the web request: past this, what the steps got through is shown, marked.
PREVIEW_DEADLINE_S = 10.0
PROGRESS_EVERY_S = 0.5  # progress written and sent at most this often
CANCEL_CHECK_EVERY_S = 1.0  # the cancel flag is read this often
MAX_INPUTS = 20
HEARTBEAT_EVERY_S = 10.0  # a run's or a materialization's lease is beaten this often
WORK_CHARGE_STEP = 1 << 20  # a run's work folder is charged each time it grew by this much


def recipe_error(exc) -> ValidationError:
    """A RecipeError as the API's 400: the field is `steps.<index>.<option>` (the recipe's
    own field for an error about the whole recipe), the message names the step."""
    key = exc.field if exc.step is None else f"steps.{exc.step}.{exc.field}"
    return ValidationError({key: [str(exc)]})


def _canonical_steps(steps: list) -> list:
    from ml.data.pipeline import RecipeError, parse_recipe, recipe_to_dict

    try:
        return recipe_to_dict(parse_recipe({"steps": steps}))["steps"]
    except RecipeError as exc:
        raise recipe_error(exc) from None


@transaction.atomic
def recipe_create(*, user, name: str, steps: list, description: str = "", team_id=None) -> Recipe:
    canonical = _canonical_steps(steps)
    recipe = Recipe.objects.create(owner=user, name=name.strip(), description=description)
    RecipeVersion.objects.create(owner=user, recipe=recipe, number=1, steps=canonical)
    if team_id is not None:
        from apps.teams.services import object_move

        object_move(user=user, kind="recipe", object_id=recipe.pk, team_id=team_id)
    return recipe


@transaction.atomic
def recipe_update(*, user, recipe_id, name=None, description=None, steps=None) -> Recipe:
    """Renames or re-describes the recipe; new steps (different from the latest) add a version."""
    recipe = access_get(Recipe.objects.select_for_update(), user=user, pk=recipe_id, action=Action.EDIT)
    if name is not None:
        recipe.name = name.strip()
    if description is not None:
        recipe.description = description
    recipe.save()
    if steps is not None:
        canonical = _canonical_steps(steps)
        latest = recipe.versions.order_by("-number").first()
        if latest is None or latest.steps != canonical:
            number = (latest.number if latest else 0) + 1
            RecipeVersion.objects.create(owner=user, recipe=recipe, number=number, steps=canonical)
    return recipe


@transaction.atomic
def recipe_delete(*, user, recipe_id) -> None:
    recipe = access_get(Recipe.objects.select_for_update(), user=user, pk=recipe_id, action=Action.DELETE)
    if RecipeRun.objects.filter(recipe_version__recipe=recipe, status__in=[Status.QUEUED, Status.RUNNING]).exists():
        raise Conflict("A run of this recipe is queued or running; cancel it first.")
    # Its runs are their owners' history (a team recipe's are other people's): each keeps
    # what it ran, so its report and its outputs' lineage stay.
    for version in recipe.versions.all():
        RecipeRun.objects.filter(recipe_version=version).update(recipe_snapshot={
            "recipe": recipe.pk, "name": recipe.name, "number": version.number, "steps": version.steps})
    recipe.delete()


def _input_versions(*, user, input_ids: list) -> list[DatasetVersion]:
    """The readable, valid dataset versions named, in order; 404 for one the user cannot read."""
    if not input_ids:
        raise ValidationError({"inputs": ["name at least one dataset version"]})
    if len(input_ids) > MAX_INPUTS:
        raise ValidationError({"inputs": [f"at most {MAX_INPUTS} dataset versions"]})
    versions = [dataset_version_get(user=user, version_id=pk) for pk in input_ids]
    for index, version in enumerate(versions):
        if version.status != DatasetVersion.Status.VALID:
            raise ValidationError({f"inputs.{index}": [f"{version_label(version)} is {version.status}, not valid"]})
    return versions


def recipe_preview(*, user, steps: list, input_ids: list, limit: int = 5) -> list[dict]:
    """The first records after each step, reading a bounded number of input records within
    a time budget (steps it ran out in are marked `stopped`)."""
    from ml.data.pipeline import RecipeError, check_recipe, parse_recipe, preview_recipe

    versions = _input_versions(user=user, input_ids=input_ids)
    try:
        recipe = parse_recipe({"steps": steps})
        inputs = [recipe_input(v, recipe) for v in versions]
        check_recipe(recipe, inputs)
        previews = preview_recipe(recipe, inputs, limit=max(1, min(limit, PREVIEW_MAX_LIMIT)),
                                  deadline_s=PREVIEW_DEADLINE_S)
    except RecipeError as exc:
        raise recipe_error(exc) from None
    return [{"index": p.index, "type": p.type, "records_in": p.records_in, "records_out": p.records_out,
             "records": p.records, "stopped": p.stopped} for p in previews]


def _output_dataset_check(*, user, dataset_id) -> None:
    if dataset_id is not None:
        access_get(Dataset, user=user, pk=dataset_id, action=Action.EDIT)


@transaction.atomic
def recipe_run_create(*, user, recipe_id, input_ids: list, output_name: str = "",
                      output_dataset_id=None, version: int | None = None) -> RecipeRun:
    """Queues a run of the recipe's latest version (or `version`) over the inputs. The
    outputs go to a new dataset named `output_name` (one per split part), or to the
    existing `output_dataset_id` as new versions."""
    from ml.data.pipeline import RecipeError, check_recipe, parse_recipe

    recipe = access_get(Recipe, user=user, pk=recipe_id, action=Action.RUN)
    versions = recipe.versions.all()
    recipe_version = (versions.filter(number=version) if version else versions.order_by("-number")).first()
    if recipe_version is None:
        raise ValidationError({"version": [f"the recipe has no version {version}"]})
    inputs = _input_versions(user=user, input_ids=input_ids)
    _output_dataset_check(user=user, dataset_id=output_dataset_id)
    if not output_name.strip() and output_dataset_id is None:
        raise ValidationError({"output_name": ["name the output dataset (or pick one)"]})
    try:
        parsed = parse_recipe({"steps": recipe_version.steps})
        check_recipe(parsed, [recipe_input(v, parsed) for v in inputs])
    except RecipeError as exc:
        raise recipe_error(exc) from None
    run = RecipeRun.objects.create(
        owner=user, recipe_version=recipe_version, output_name=output_name.strip() or recipe.name,
        inputs=[{"id": v.pk, "dataset_id": v.dataset_id, "dataset": v.dataset.name, "number": v.number}
                for v in inputs],
        output_datasets={"*": output_dataset_id} if output_dataset_id else {},
    )
    _enqueue(run)
    return run


def _enqueue(run: RecipeRun) -> None:
    from .tasks import recipe_run_execute_task

    transaction.on_commit(lambda: recipe_run_execute_task.delay(run.pk))


@transaction.atomic
def recipe_run_cancel(*, user, run_id) -> RecipeRun:
    run = access_get(RecipeRun.objects.select_for_update(), user=user, pk=run_id, action=Action.RUN)
    if run.status in FINISHED:
        raise ValidationError({"status": [f"the run is already {run.status}"]})
    run.cancel_requested = True
    if run.status == Status.QUEUED:
        _set_finished(run, Status.CANCELLED)
    run.save()
    return run


@transaction.atomic
def recipe_run_rerun(*, user, run_id) -> RecipeRun:
    """The same recipe version over the same inputs, again; the outputs become new versions
    of the datasets the first run made (where the user may still add to them)."""
    run = access_get(RecipeRun, user=user, pk=run_id, action=Action.RUN)
    if run.recipe_version is None:
        raise Conflict("The recipe of this run was deleted; it cannot run again.")
    again = recipe_run_create(
        user=user, recipe_id=run.recipe_version.recipe_id, input_ids=[i["id"] for i in run.inputs],
        output_name=run.output_name, version=run.recipe_version.number)
    targets = {o.part: o.dataset_version.dataset_id for o in run.outputs.select_related("dataset_version")}
    editable = {part: pk for part, pk in targets.items() if _may_edit(user, pk)}
    if editable:
        again.output_datasets = editable
        again.save(update_fields=["output_datasets"])
    return again


def _may_edit(user, dataset_id) -> bool:
    return access_queryset(Dataset, user=user, action=Action.EDIT).filter(pk=dataset_id).exists()


def _set_finished(run: RecipeRun, status: str, error: str = "") -> None:
    run.status, run.error, run.finished_at, run.lease_owner = status, error, timezone.now(), ""
    notify_user(user_id=run.owner_id, event={"type": "recipe_run.finished", "id": run.pk, "status": status})


class _Reporter:
    """The pipeline's callbacks: progress onto the row and the owner's socket (throttled),
    the cancel flag, read from the row, and the work folder's storage charge."""

    def __init__(self, run: RecipeRun, execution_id: str, charge: WorkCharge):
        self.run, self.execution_id, self.charge = run, execution_id, charge
        self.last_progress = self.last_check = 0.0

    def on_progress(self, event) -> None:
        now = time.monotonic()
        if now - self.last_progress < PROGRESS_EVERY_S and event.fraction < 1:
            return
        self.last_progress = now
        progress = {"step": event.step_index, "records_in": event.records_in, "records_out": event.records_out,
                    "fraction": round(float(event.fraction), 4)}
        RecipeRun.objects.filter(pk=self.run.pk, lease_owner=self.execution_id).update(
            progress={**self.run.progress, **progress}, heartbeat_at=timezone.now())
        notify_user(user_id=self.run.owner_id, event={"type": "recipe_run.progress", "id": self.run.pk, **progress})

    def should_stop(self) -> bool:
        self.charge.check()  # between every batch: a run past the quota stops here
        now = time.monotonic()
        if now - self.last_check < CANCEL_CHECK_EVERY_S:
            return False
        self.last_check = now
        return RecipeRun.objects.filter(pk=self.run.pk, cancel_requested=True).exists()


def _inputs_refused(run: RecipeRun) -> str | None:
    """Why the run's owner may no longer read an input (or it is gone), if so."""
    for entry in run.inputs:
        try:
            dataset_version_get(user=run.owner, version_id=entry["id"])
        except Exception:
            return f"the input {entry['dataset']} v{entry['number']} is no longer there or readable"
    return None


def recipe_run_execute(*, run_id: int, execution_id: str) -> str:
    """Runs the recipe. Idempotent: a finished run, or one another live execution holds, is
    left alone. Returns the run's status afterwards."""
    from ml.data.pipeline import RecipeCancelled, RecipeError, parse_recipe, run_recipe

    if not lease_take(RecipeRun, run_id, execution_id, statuses=[Status.QUEUED, Status.RUNNING]):
        return RecipeRun.objects.get(pk=run_id).status
    run = RecipeRun.objects.select_related("owner", "recipe_version__recipe").get(pk=run_id)
    if run.cancel_requested:
        return _finish(run, Status.CANCELLED)
    if run.recipe_version is None:
        return _finish(run, Status.FAILED, "its recipe was deleted before it ran")
    if refused := _inputs_refused(run):
        return _finish(run, Status.FAILED, refused)
    versions = [DatasetVersion.objects.select_related("dataset").get(pk=i["id"]) for i in run.inputs]
    with transaction.atomic():
        run.status, run.started_at = Status.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at", "updated_at"])
    work = run_work_dir(run)
    remove_tree(work)  # a redelivered task starts over
    work.mkdir(parents=True, exist_ok=True)
    charge = WorkCharge(account_for_user(run.owner), work, step=WORK_CHARGE_STEP)
    reporter = _Reporter(run, execution_id, charge)
    try:
        # The lease is beaten by its own thread: some phases call back nothing for long (a
        # mix's counting pass, the last flush, storing a large output), and a lease left to
        # expire would let a redelivered execution wipe this one's work folder.
        with heartbeat(RecipeRun, run.pk, execution_id, every_s=HEARTBEAT_EVERY_S):
            recipe = parse_recipe({"steps": run.recipe_version.steps})
            report = run_recipe(recipe, [recipe_input(v, recipe) for v in versions], work,
                                on_progress=reporter.on_progress, should_stop=reporter.should_stop)
            charge.check(exact=True)
            run.report = report.to_dict()
            charge.release()  # from here the outputs are charged as the uploads they become
            _store_outputs(run, work)
    except RecipeCancelled:
        return _finish(run, Status.CANCELLED)
    except RecipeError as exc:
        return _finish(run, Status.FAILED, str(exc))
    except StorageQuotaExceeded as exc:
        return _finish(run, Status.FAILED, f"the outputs do not fit the storage quota: {exc.detail}")
    except Exception as exc:
        logger.exception("recipe run %s failed", run_id)
        return _finish(run, Status.FAILED, error_text(exc))
    finally:
        charge.release()
        remove_tree(work)
    return _finish(run, Status.SUCCEEDED)


def _finish(run: RecipeRun, status: str, error: str = "") -> str:
    with transaction.atomic():
        _set_finished(run, status, error)
        run.save(update_fields=["status", "error", "finished_at", "lease_owner", "report", "updated_at"])
    return status


def _output_files(work: Path) -> list[tuple[str, Path]]:
    from ml.data.pipeline.recipe import SPLIT_PARTS

    split = [(part, work / f"{part}.jsonl") for part in SPLIT_PARTS if (work / f"{part}.jsonl").exists()]
    return split or [("data", work / "data.jsonl")]


def _store_outputs(run: RecipeRun, work: Path) -> None:
    """Each output file as a new dataset version (validated like an upload), linked to the run."""
    from apps.datasets.services import dataset_create, dataset_version_upload

    targets = run.output_datasets
    # A part no record reached (an empty test split, everything filtered out) makes no version.
    files = [(part, file) for part, file in _output_files(work) if file.exists() and file.stat().st_size]
    for part, file in files:
        dataset_id = targets.get(part) or targets.get("*")
        if dataset_id is None:
            name = run.output_name if len(files) == 1 else f"{run.output_name} ({part})"
            dataset_id = dataset_create(user=run.owner, name=name[:200],
                                        description=f"Made by recipe run {run.pk}").pk
        with file.open("rb") as stream:
            version, _ = dataset_version_upload(user=run.owner, dataset_id=dataset_id, stream=stream,
                                                filename=f"{part}.jsonl", content_length=file.stat().st_size)
        records = run.report.get("outputs", {}).get(part, 0)
        # A redelivered execution that stored some parts before it died replaces them.
        RecipeRunOutput.objects.update_or_create(run=run, part=part,
                                                 defaults={"dataset_version": version, "records": records})


def current_versions(group: str) -> dict[str, int]:
    from ml.data.features.registry import FEATURES, GROUPS

    return {name: FEATURES[name].version for name in GROUPS[group]}


@transaction.atomic
def features_request(*, user, version_id, groups: list[str]) -> list[FeatureMaterialization]:
    """Queues the groups not yet computed (or computed by an older feature version, or
    failed); those already done are kept and reused."""
    from ml.data.features.registry import GROUPS

    version = dataset_version_get(user=user, version_id=version_id, action=Action.RUN)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        raise ValidationError({"groups": [f"choose from {', '.join(GROUPS)}"]})
    if version.status != DatasetVersion.Status.VALID:
        raise ValidationError({"version": [f"the version is {version.status}; features need a valid one"]})
    out, todo = [], []
    for group in dict.fromkeys(groups):
        mat, created = FeatureMaterialization.objects.select_for_update().get_or_create(
            dataset_version=version, group=group, defaults={"owner": user})
        stale = mat.status == FeatureStatus.FAILED or (
            mat.status == FeatureStatus.SUCCEEDED and mat.feature_versions != current_versions(group))
        if created or stale:
            todo.append(mat)
        out.append(mat)
    # The files are charged once written, whatever their size: what would not fit is refused
    # here (413, nothing queued) rather than found out after the disk took it.
    storage_check_room(account_of(version),
                       needed_bytes=features_size_estimate(version, [mat.group for mat in todo]))
    for mat in todo:
        mat.status, mat.error, mat.owner = FeatureStatus.QUEUED, "", user
        mat.save()
        _features_enqueue(mat)
    return out


def _features_enqueue(mat: FeatureMaterialization) -> None:
    from .tasks import features_materialize_task

    transaction.on_commit(lambda: features_materialize_task.delay(mat.pk))


def features_materialize(*, materialization_id: int, execution_id: str) -> str:
    """Computes one group over the version's records. Idempotent: a finished one, or one
    another live execution holds, is left alone."""
    from ml.data.features.materialize import materialize, statistics

    if not lease_take(FeatureMaterialization, materialization_id, execution_id,
                      statuses=[FeatureStatus.QUEUED, FeatureStatus.RUNNING]):
        return FeatureMaterialization.objects.get(pk=materialization_id).status
    mat = FeatureMaterialization.objects.select_related("dataset_version__dataset").get(pk=materialization_id)
    version = mat.dataset_version
    FeatureMaterialization.objects.filter(pk=mat.pk).update(status=FeatureStatus.RUNNING)
    versions = current_versions(mat.group)
    directory = features_dir(version)
    directory.mkdir(parents=True, exist_ok=True)
    last_beat = [time.monotonic()]

    def beat(rows: int) -> None:
        if time.monotonic() - last_beat[0] > HEARTBEAT_EVERY_S:
            last_beat[0] = time.monotonic()
            FeatureMaterialization.objects.filter(pk=mat.pk, lease_owner=execution_id).update(
                heartbeat_at=timezone.now(), rows=rows)

    try:
        # What the file takes counts against the version's account once written.
        with storage_counting(account_of(version), directory):
            rows = materialize(version_texts(version), list(versions), features_path(version, mat.group),
                               on_progress=beat)
            write_feature_sample(features_path(version, mat.group))  # what comparisons read
        mat.statistics = statistics(features_path(version, mat.group))
        mat.rows, mat.feature_versions, mat.status, mat.error = rows, versions, FeatureStatus.SUCCEEDED, ""
    except Exception as exc:
        logger.exception("features %s of dataset version %s failed", mat.group, version.pk)
        mat.status, mat.error = FeatureStatus.FAILED, error_text(exc)
    with transaction.atomic():
        mat.lease_owner, mat.finished_at = "", timezone.now()
        mat.save(update_fields=["statistics", "rows", "feature_versions", "status", "error", "lease_owner",
                                "finished_at", "updated_at"])
        notify_user(user_id=mat.owner_id, event={
            "type": "features.materialized", "id": mat.pk, "dataset_version": version.pk, "group": mat.group,
            "status": mat.status})
    return mat.status
