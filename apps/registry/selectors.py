"""Reads for the registry, through the access policy (apps.core.access): the user's own
models and those their teams own or are shared, including how chat and the
OpenAI-compatible API find the `.sou` file behind a model name."""

from __future__ import annotations

from pathlib import Path

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from rest_framework.exceptions import NotFound

from apps.core import file_cache
from apps.core import storage as core_storage
from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope

from . import storage
from .models import HubToken, ModelExport, ModelVersion, RegisteredModel, Stage

# A LoRA run's adapter weights in its checkpoint (ml.train.checkpoint).
ADAPTER_FILE = "adapter.safetensors"
# Which export serves chat when none is asked for: fastest sound quality first.
SERVING_PREFERENCE = ("Q8_0", "Q4_1", "Q4_0", "F16", "BF16", "F32")


def registered_model_list(*, user, scope: str | None = None) -> QuerySet[RegisteredModel]:
    """The models the user can read, each with `access_role` and `version_count`; `scope`
    narrows to their own (`mine`) or the ones others let them see (`shared`)."""
    queryset = access_scope(access_queryset(RegisteredModel, user=user), user=user, scope=scope)
    # A subquery, not a GROUP BY: PostgreSQL then works out `access_role` (and the count) only
    # for the page's rows, after the sort and limit (benchmarks/access_overhead.py).
    versions = (ModelVersion.objects.filter(registered_model=OuterRef("pk")).order_by()
                .values("registered_model").annotate(n=Count("pk")).values("n"))
    return (access_annotate(queryset, user=user)
            .annotate(version_count=Coalesce(Subquery(versions), 0))
            .select_related("target_personality_version__personality"))


def registered_model_get(*, user, model_id, action: Action = Action.READ) -> RegisteredModel:
    """One model as the list shows it, if the user may do `action` to it (404 / 403)."""
    return access_get(registered_model_list(user=user), user=user, pk=model_id, action=action)


def model_version_list(*, user, registered_model: RegisteredModel | None = None,
                       scope: str | None = None) -> QuerySet[ModelVersion]:
    """Versions the user can read, with their model's `access_role`."""
    queryset = access_scope(access_queryset(ModelVersion, user=user), user=user, scope=scope)
    queryset = access_annotate(queryset, user=user).select_related("registered_model", "hub_pull").prefetch_related(
        Prefetch("exports", queryset=ModelExport.objects.order_by("qtype"))
    )
    return queryset.filter(registered_model=registered_model) if registered_model else queryset


def model_version_get(*, user, version_id, action: Action = Action.READ) -> ModelVersion:
    """One version as the lists show it (with `access_role`), if the user may do `action`."""
    return access_get(model_version_list(user=user), user=user, pk=version_id, action=action)


def model_version_adapter_key(version: ModelVersion) -> str | None:
    """The stored LoRA adapter a fine-tuned version was merged from (kept in the run's
    checkpoint the version copied), or None for any other version."""
    if version.source != ModelVersion.Source.TRAINING_RUN:
        return None
    path = storage.source_dir(version.owner_id, version.pk) / "checkpoint" / ADAPTER_FILE
    return core_storage.key_of(path) if core_storage.stored_exists(path) else None


def _serves(export: ModelExport) -> bool:
    """A ready `.sou` export can answer chat; a GGUF export is only a download."""
    return export.status == ModelExport.Status.READY and export.format == ModelExport.Format.SOU


def model_version_sou_pinned(*, user, model_version_id: int, qtype: str | None = None):
    """A context manager giving the `.sou` file to serve a version from: the ready export of
    `qtype`, else the preferred ready export, else the canonical full-precision file (on S3
    a copy in this worker's cache, not evicted while the block loads it)."""
    version = access_get(ModelVersion, user=user, pk=model_version_id)
    return version_sou_pinned(version, qtype)


def version_sou_pinned(version: ModelVersion, qtype: str | None = None, ready_qtypes: list[str] | None = None):
    """`version_sou_path` as a context manager: the cache's copy stays while the block runs."""
    return file_cache.fetched(*version_sou_key(version, qtype, ready_qtypes))


def version_sou_path(version: ModelVersion, qtype: str | None = None,
                     ready_qtypes: list[str] | None = None) -> Path:
    """The `.sou` file to serve a version already read from (as `model_version_sou_pinned`);
    `ready_qtypes` is its ready export types when the caller read them with the version (as
    the chat worker's reply lookup does), else they are queried. A local path: on S3 a copy
    in this worker's cache, checked against the file's sha256, not pinned (callers that read
    it while other tasks fill the cache take `version_sou_pinned`)."""
    return file_cache.fetch(*version_sou_key(version, qtype, ready_qtypes))


def version_sou_key(version: ModelVersion, qtype: str | None = None,
                    ready_qtypes: list[str] | None = None) -> tuple[str, str]:
    """(stored key, sha256) of the `.sou` file `version_sou_path` serves, without fetching
    it (NotFound as there)."""
    if version.status != ModelVersion.Status.READY:
        raise NotFound(f"model version {version} is {version.status}, not ready")
    if ready_qtypes is None:
        ready_qtypes = [e.qtype for e in version.exports.all() if _serves(e)]
    ready = set(ready_qtypes)
    if qtype is not None:
        if qtype in ready:
            return _export_key(version, qtype)
        if qtype == "F32":
            return storage.canonical_key(version.owner_id, version.pk), version.sha256
        raise NotFound(f"model version {version} has no ready {qtype} export")
    for preferred in SERVING_PREFERENCE:
        if preferred in ready:
            return _export_key(version, preferred)
    return storage.canonical_key(version.owner_id, version.pk), version.sha256


def _export_key(version: ModelVersion, qtype: str) -> tuple[str, str]:
    key = storage.export_key(version.owner_id, version.pk, qtype, "sou")
    if core_storage.is_local():
        return key, ""  # the stored file itself is served: nothing is fetched, nothing to check
    sha256 = (ModelExport.objects.filter(model_version=version, qtype=qtype, format=ModelExport.Format.SOU)
              .values_list("sha256", flat=True).first())
    return key, sha256 or ""


def model_resolve(*, user, name: str) -> tuple[ModelVersion, str]:
    """A model by the name clients use: `NAME` (its production version, else its newest ready
    version), `NAME:1.2.0`, or `NAME:1.2.0:Q4_0` for one export. Names are unique per owner,
    not across the models a user's teams share with them: the user's own model wins, then
    the one registered first. With the version comes the stored key of the file it serves
    (fetched by whoever runs it)."""
    model_name, _, rest = name.partition(":")
    version_text, _, qtype = rest.partition(":")
    candidates = access_queryset(RegisteredModel, user=user).filter(name=model_name)
    mine = access_scope(candidates, user=user, scope="mine").values_list("pk", flat=True).first()
    model_id = mine or candidates.order_by("pk").values_list("pk", flat=True).first()
    versions = ModelVersion.objects.filter(registered_model_id=model_id, status=ModelVersion.Status.READY)
    if version_text:
        try:
            major, minor, patch = (int(part) for part in version_text.split("."))
        except ValueError:
            raise NotFound(f"'{name}': a version looks like 1.2.0") from None
        version = versions.filter(major=major, minor=minor, patch=patch).first()
    else:
        version = versions.filter(stage=Stage.PRODUCTION).first() or versions.first()
    if version is None:
        raise NotFound(f"no ready model named '{name}'")
    return version, version_sou_key(version, qtype or None)[0]


def served_model_names(*, user) -> list[dict]:
    """Every name `model_resolve` accepts for the ready versions this user can read, their
    own and shared ones (for /v1/models); a shared model hidden by one of the same name that
    `model_resolve` prefers is left out."""
    versions = list(model_version_list(user=user).filter(status=ModelVersion.Status.READY))
    winners: dict[str, tuple[bool, int]] = {}
    for version in versions:
        model = version.registered_model
        rank = (version.access_role != "owner", model.pk)  # own first, then the first registered
        winners[model.name] = min(winners.get(model.name, rank), rank)
    names = []
    for version in versions:
        model = version.registered_model
        if winners[model.name][1] != model.pk:
            continue
        base = f"{model.name}:{version.version}"
        names.append({"id": base, "created": version.created_at, "version": version})
        for export in version.exports.all():
            if _serves(export):
                names.append({"id": f"{base}:{export.qtype}", "created": export.created_at, "version": version})
    return names


def hub_token_get(*, user) -> HubToken | None:
    """The user's own hub token row (sealed; callers show only its hint), or None."""
    return HubToken.objects.filter(user=user).first()
