"""Ownership-matrix cases for the registry routes."""

from apps.core.ownership import Case
from apps.datasets.models import Dataset, DatasetVersion
from apps.registry import storage
from apps.registry.models import ModelExport, ModelVersion, RegisteredModel
from apps.registry.selectors import ADAPTER_FILE


def _file(path):
    # Stand-ins for the stored files downloads serve (MEDIA_ROOT is fresh each session).
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a real model")


def _model(user):
    model = RegisteredModel.objects.create(owner=user, name="owner-private-model")
    return {"model_id": model.pk}, "owner-private-model"


def _version(user):
    model = RegisteredModel.objects.create(owner=user, name="owner-private-model")
    version = ModelVersion.objects.create(
        owner=user, registered_model=model, major=1, minor=0, patch=0, source="starter", status="ready"
    )
    return {"version_id": version.pk}, "owner-private-model"


def _downloadable(user):
    kwargs, marker = _version(user)
    _file(storage.canonical_sou(user.pk, kwargs["version_id"]))
    return kwargs, marker


def _with_adapter(user):
    kwargs, marker = _version(user)
    ModelVersion.objects.filter(pk=kwargs["version_id"]).update(source="training_run")
    _file(storage.source_dir(user.pk, kwargs["version_id"]) / "checkpoint" / ADAPTER_FILE)
    return kwargs, marker


def _export(user):
    kwargs, marker = _version(user)
    export = ModelExport.objects.create(owner=user, model_version_id=kwargs["version_id"], qtype="Q8_0",
                                        status="ready")
    _file(storage.export_sou(user.pk, kwargs["version_id"], "Q8_0"))
    return {"export_id": export.pk}, marker


def _dataset_version(user):
    dataset = Dataset.objects.create(owner=user, name="d")
    version = DatasetVersion.objects.create(
        owner=user, dataset=dataset, number=1, filename="d.txt", format="txt", sha256="0" * 64, size_bytes=1
    )
    return {"version_id": version.pk}, "owner-private"


def _version_and_data(user):
    kwargs, marker = _version(user)
    data, _ = _dataset_version(user)
    DatasetVersion.objects.filter(pk=data["version_id"]).update(status="valid")
    return kwargs, marker


def _canned_hub(monkeypatch):
    # The matrix runs no hub: inspection answers as the stand-in's tiny repo would.
    from apps.registry import hub_services
    from ml.hub import HubFile, RepoInspection

    def inspect(spec, max_bytes=None):
        weights = HubFile(name="model.safetensors", size=10, sha256="0" * 64)
        return RepoInspection(repo_id=spec.repo_id, revision=spec.revision, commit_sha="a" * 40, kind="hf",
                              files=[weights], download=[weights], gguf_files=[], filename="", license="mit",
                              gated=False, card="", architecture="llama", supported=True, total_bytes=10)

    monkeypatch.setattr(hub_services, "inspect_repo", inspect)


def _evaluation(ids):
    # On the owner's dataset version, an input each audience reaches as it reaches the model.
    owner = ModelVersion.objects.get(pk=ids["version_id"]).owner
    return {"dataset_version_id": DatasetVersion.objects.filter(owner=owner).latest("pk").pk, "kind": "perplexity"}


OWNED_ROUTES = {
    "api-v1:model-list": Case(setup=_model),
    "api-v1:model-detail": Case(setup=_model, methods={"get": None, "patch": {"name": "x"}, "delete": None}),
    "api-v1:model-versions": Case(setup=_model),
    "api-v1:model-version-detail": Case(setup=_version),
    "api-v1:model-version-stage": Case(setup=_version, methods={"get": None, "post": {"stage": "production"}},
                                       actions={"post": "promote"}),
    "api-v1:model-version-lineage": Case(setup=_version),
    "api-v1:model-version-exports": Case(setup=_version, methods={"post": {"qtypes": ["Q8_0"]}},
                                         actions={"post": "run"}),
    "api-v1:model-version-download": Case(setup=_downloadable),
    "api-v1:model-version-adapter": Case(setup=_with_adapter),
    "api-v1:model-version-evaluations": Case(
        setup=_version_and_data, methods={"post": _evaluation}, actions={"post": "run"}
    ),
    "api-v1:model-export-download": Case(setup=_export),
    "api-v1:dataset-version-models": Case(setup=_dataset_version),
    "api-v1:model-hub-inspect": Case(setup=_model, methods={"post": {"repo_id": "acme/tiny"}}, prepare=_canned_hub),
    "api-v1:model-hub-pull": Case(setup=_model, methods={"post": {"repo_id": "acme/tiny"}}, prepare=_canned_hub),
}

PUBLIC_ROUTES = {
    "api-v1:model-version-from-run": "ids travel in the body (a readable training run, a model the caller may "
                                     "edit); apps/registry/tests/test_sharing.py covers them",
    "api-v1:model-version-upload": "a new version of the caller's model, or of model_id (edit access, checked "
                                   "before the body is read; test_sharing.py)",
    "api-v1:model-version-starter": "creates the starter model for the caller",
    "api-v1:hub-token": "the caller's own hub token; nothing in the path names an object",
}
