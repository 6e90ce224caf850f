"""Reads for recipes, their runs and materialized features: what the requesting user may read
(apps.core.access). Recipes are shared like datasets, a dataset version's features go with
it, and a run is only its owner's. Also the lineage a dataset version made by a run
carries, and the records browser."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import OuterRef, QuerySet, Subquery
from rest_framework.exceptions import ValidationError

from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope
from apps.datasets.models import DatasetVersion
from apps.datasets.selectors import dataset_version_get

from .models import FeatureMaterialization, Recipe, RecipeRun, RecipeRunOutput, RecipeVersion

RECORDS_MAX_LIMIT = 100  # records per page of the browser


def recipe_list(*, user, scope: str | None = None) -> QuerySet[Recipe]:
    recipes = access_annotate(access_queryset(Recipe, user=user), user=user)
    latest = RecipeVersion.objects.filter(recipe=OuterRef("pk")).order_by("-number")
    return access_scope(recipes, user=user, scope=scope).annotate(
        version=Subquery(latest.values("number")[:1]), steps=Subquery(latest.values("steps")[:1]))


def recipe_get(*, user, recipe_id, action: Action = Action.READ) -> Recipe:
    """The recipe with its latest `version` number and `steps`; 404 if unreadable, 403 if
    readable but `action` is not allowed."""
    return access_get(recipe_list(user=user), user=user, pk=recipe_id, action=action)


def recipe_version_numbers(*, recipe: Recipe) -> list[dict]:
    return list(recipe.versions.values("number", "created_at"))


def recipe_run_list(*, user, recipe_id=None) -> QuerySet[RecipeRun]:
    runs = access_annotate(access_queryset(RecipeRun, user=user), user=user).select_related(
        "recipe_version__recipe").prefetch_related("outputs__dataset_version__dataset")
    if recipe_id is not None:
        runs = runs.filter(recipe_version__recipe_id=recipe_id)
    return runs


def recipe_run_get(*, user, run_id, action: Action = Action.READ) -> RecipeRun:
    return access_get(recipe_run_list(user=user), user=user, pk=run_id, action=action)


def dataset_version_lineage(version: DatasetVersion) -> dict | None:
    """How a run made this version: its inputs, the recipe and version, the run and the part
    this version is, with the per-step report; None for an uploaded version. The recipe is
    named even when the reader cannot open it (the run's own lineage is theirs to see)."""
    output = (RecipeRunOutput.objects.select_related("run__recipe_version__recipe")
              .filter(dataset_version_id=version.pk).order_by("pk").first())
    if output is None:
        return None
    run = output.run
    return {
        "run": run.pk,
        "part": output.part,
        "recipe": run.recipe_version.recipe_id,
        "recipe_name": run.recipe_version.recipe.name,
        "recipe_version": run.recipe_version.number,
        "steps": run.recipe_version.steps,
        "inputs": run.inputs,
        "report": run.report.get("steps", []),
    }


def feature_materializations(*, user, version_id) -> tuple[DatasetVersion, QuerySet[FeatureMaterialization]]:
    version = dataset_version_get(user=user, version_id=version_id)
    return version, FeatureMaterialization.objects.filter(dataset_version=version)


def materialized_numeric_features(version: DatasetVersion) -> dict[str, tuple[str, dict]]:
    """The number features computed for `version`: {feature: (group, statistics)}."""
    from ml.data.features.registry import NUMERIC

    done = FeatureMaterialization.objects.filter(
        dataset_version=version, status=FeatureMaterialization.Status.SUCCEEDED)
    return {name: (m.group, stats) for m in done for name, stats in m.statistics.items() if name in NUMERIC}


def _where(values: Sequence[str], numeric: set[str]) -> list[tuple[str, float | None, float | None]]:
    """`feature:min:max` conditions (either bound may be empty) over materialized numbers."""
    parsed = []
    for raw in values:
        parts = raw.split(":")
        if len(parts) != 3 or parts[0] not in numeric:
            raise ValidationError({"where": [f"'{raw}': expected <feature>:<min>:<max> with a computed number "
                                             f"feature ({', '.join(sorted(numeric)) or 'none computed yet'})"]})
        try:
            low, high = (float(p) if p.strip() else None for p in parts[1:])
        except ValueError:
            raise ValidationError({"where": [f"'{raw}': min and max are numbers (or empty)"]}) from None
        parsed.append((parts[0], low, high))
    return parsed


def dataset_version_records(*, user, version_id, offset: int, limit: int, where: Sequence[str]) -> dict:
    """A page of the version's records with their computed feature values, keeping those
    within every `where` range. Records and feature rows are read side by side in order."""
    from ml.data.features.materialize import matching_rows

    from .inputs import version_records
    from .storage import features_path

    version, materializations = feature_materializations(user=user, version_id=version_id)
    done = [m for m in materializations if m.status == FeatureMaterialization.Status.SUCCEEDED]
    conditions = _where(where, set(materialized_numeric_features(version)))
    limit = max(1, min(limit, RECORDS_MAX_LIMIT))
    paths = [features_path(version, m.group) for m in done]
    rows = matching_rows(paths, conditions) if paths else ((i, {}) for i in _counter())
    results, records, position, skipped, record = [], version_records(version), -1, 0, None
    for index, features in rows:
        if skipped < offset:  # matches before the page: no record read for them yet
            skipped += 1
            continue
        if len(results) == limit:
            break
        while position < index and (record := next(records, None)) is not None:
            position += 1
        if record is None or position != index:
            break  # fewer records than feature rows: the file changed under the features
        results.append({"index": index, "record": record, "features": features})
    return {"offset": offset, "limit": limit, "results": results,
            "next_offset": offset + len(results) if len(results) == limit else None}


def _counter():
    index = 0
    while True:
        yield index
        index += 1
