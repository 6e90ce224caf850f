"""Ownership-matrix cases for the dataset routes."""

import hashlib

from apps.core.ownership import Case
from apps.datasets.models import Dataset, DatasetVersion


def _dataset(user):
    dataset = Dataset.objects.create(owner=user, name="owner-private-dataset")
    return {"dataset_id": dataset.pk}, "owner-private-dataset"


def _version(user):
    dataset = Dataset.objects.create(owner=user, name="owner-private-dataset")
    version = DatasetVersion.objects.create(
        owner=user, dataset=dataset, number=1, filename="owner-private.txt", format="txt",
        sha256=hashlib.sha256(b"x").hexdigest(), size_bytes=1,
    )
    return {"version_id": version.pk}, "owner-private.txt"


OWNED_ROUTES = {
    "api-v1:dataset-list": Case(setup=_dataset),
    "api-v1:dataset-detail": Case(
        setup=_dataset, methods={"get": None, "patch": {"name": "stolen"}, "delete": None}
    ),
    "api-v1:dataset-versions": Case(setup=_dataset, methods={"get": None, "post": None}),
    "api-v1:dataset-version-detail": Case(setup=_version, methods={"get": None, "delete": None}),
    "api-v1:dataset-version-download": Case(setup=_version),
}

PUBLIC_ROUTES = {"api-v1:storage-usage": "reports the requesting user's own storage only"}
