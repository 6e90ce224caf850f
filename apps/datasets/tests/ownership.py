"""Access-matrix cases for the dataset routes (apps/core/ownership.py)."""

import hashlib

from apps.core.ownership import Case, Raw
from apps.datasets import storage
from apps.datasets.models import Dataset, DatasetVersion

CONTENT = b"to be or not to be\n"


def _dataset(user):
    dataset = Dataset.objects.create(owner=user, name="owner-private-dataset")
    return {"dataset_id": dataset.pk}, "owner-private-dataset"


def _version(user):
    dataset = Dataset.objects.create(owner=user, name="owner-private-dataset")
    version = DatasetVersion.objects.create(
        owner=user, dataset=dataset, number=1, filename="owner-private.txt", format="txt",
        sha256=hashlib.sha256(CONTENT).hexdigest(), size_bytes=len(CONTENT),
    )
    directory = storage.version_dir(user.pk, version.pk)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / version.filename).write_bytes(CONTENT)
    return {"version_id": version.pk}, "owner-private.txt"


OWNED_ROUTES = {
    "api-v1:dataset-list": Case(setup=_dataset),
    "api-v1:dataset-detail": Case(
        setup=_dataset, methods={"get": None, "patch": {"name": "renamed"}, "delete": None}
    ),
    # A new version is a child of the dataset: edit access adds one.
    "api-v1:dataset-versions": Case(setup=_dataset, methods={
        "get": None, "post": Raw(b"a new version\n", query={"filename": "new.txt"})}),
    "api-v1:dataset-version-detail": Case(setup=_version, methods={"get": None, "delete": None}),
    "api-v1:dataset-version-download": Case(setup=_version),
}

PUBLIC_ROUTES = {"api-v1:storage-usage": "reports the requesting user's own storage only"}
