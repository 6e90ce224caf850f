"""Dataset versions as the pipeline library reads them: a `RecipeInput` per version (its
file, columns, a display name and its materialized features), and its records in reading
order, the order feature rows are written in, as dicts and as the text features measure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.datasets.models import DatasetVersion
from apps.datasets.services import dataset_version_path

from .models import FeatureMaterialization
from .storage import features_path


def columns_of(version: DatasetVersion):
    from ml.data.records import Columns

    return Columns(text=version.text_column, prompt=version.prompt_column, response=version.response_column)


def version_label(version: DatasetVersion) -> str:
    return f"{version.dataset.name} v{version.number}"


def _materialized(version: DatasetVersion, wanted: tuple[str, ...]) -> Path | None:
    """The materialized group holding the first of the `wanted` features it has (a
    feature_filter's), else the basic group, which holds the numbers filters most read."""
    from ml.data.features.registry import FEATURES

    done = set(FeatureMaterialization.objects.filter(
        dataset_version=version, status=FeatureMaterialization.Status.SUCCEEDED).values_list("group", flat=True))
    for group in [FEATURES[name].group for name in wanted if name in FEATURES] + ["basic"]:
        if group in done:
            return features_path(version, group)
    return None


def recipe_input(version: DatasetVersion, recipe=None):
    """The version as the pipeline reads it; given the recipe, with the materialized features
    its feature filters can read."""
    from ml.data.pipeline.records import RecipeInput

    wanted = tuple(getattr(step, "feature", "") for step in recipe.steps) if recipe is not None else ()
    return RecipeInput(path=dataset_version_path(version), columns=columns_of(version),
                       name=version_label(version), features_path=_materialized(version, wanted))


def version_records(version: DatasetVersion) -> Iterator[dict]:
    """The version's records in reading order, as dicts, with their file and line; records
    the reader cannot parse are skipped, as a run skips them (they have no feature row)."""
    from ml.data.pipeline.records import InputReader

    for data, file, line in InputReader(recipe_input(version), on_error=lambda error: None):
        yield {"data": data, "file": file, "line": line}


def version_texts(version: DatasetVersion) -> Iterator[str]:
    """What features measure of each record, in reading order (one per feature row)."""
    from ml.data.pipeline.records import iter_texts

    return iter_texts(recipe_input(version))
