"""Builders of recipes, valid dataset versions, runs and materializations for tests."""

from __future__ import annotations

import hashlib
import json

from apps.datasets import storage
from apps.datasets.models import Dataset, DatasetVersion
from apps.pipelines.models import FeatureMaterialization, Recipe, RecipeRun, RecipeVersion

STEPS = [{"type": "normalize"}, {"type": "dedup_exact"}]


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def valid_version(user, content: bytes, *, name: str = "corpus", filename: str = "data.jsonl") -> DatasetVersion:
    """A dataset version already validated (no worker needed), its file on disk."""
    dataset = Dataset.objects.create(owner=user, name=name)
    version = DatasetVersion.objects.create(
        owner=user, dataset=dataset, number=1, filename=filename, format=filename.rsplit(".", 1)[1],
        sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content), stored_bytes=len(content),
        status=DatasetVersion.Status.VALID, report={"records": content.count(b"\n")},
    )
    directory = storage.version_dir(user.pk, version.pk)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / filename).write_bytes(content)
    return version


def recipe(user, *, name: str = "cleanup", steps: list | None = None) -> Recipe:
    made = Recipe.objects.create(owner=user, name=name)
    RecipeVersion.objects.create(owner=user, recipe=made, number=1, steps=steps or STEPS)
    return made


def finished_run(user, made: Recipe, version: DatasetVersion, *, status: str = RecipeRun.Status.SUCCEEDED) -> RecipeRun:
    return RecipeRun.objects.create(
        owner=user, recipe_version=made.versions.get(), output_name="clean", status=status,
        inputs=[{"id": version.pk, "dataset_id": version.dataset_id, "dataset": version.dataset.name, "number": 1}],
        report={"steps": []})


def materialization(user, version: DatasetVersion, group: str = "basic") -> FeatureMaterialization:
    return FeatureMaterialization.objects.create(owner=user, dataset_version=version, group=group,
                                                 status=FeatureMaterialization.Status.QUEUED)
