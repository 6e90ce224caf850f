"""Reads for recipes, their runs and materialized features: what the requesting user may read
(apps.core.access). Recipes are shared like datasets, a dataset version's features go with
it, and a run is only its owner's. Also the lineage a dataset version made by a run
carries, and the records browser."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path

from django.db.models import OuterRef, QuerySet, Subquery
from rest_framework.exceptions import ValidationError

from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope
from apps.datasets.models import DatasetVersion
from apps.datasets.selectors import dataset_version_get

from .models import FeatureMaterialization, Recipe, RecipeRun, RecipeVersion

RECORDS_MAX_LIMIT = 100  # records per page of the browser
# The browser pages through a file from its start: an offset is bounded like a file's records.
RECORDS_MAX_OFFSET = 10_000_000
# What the lineage shows of each step's report to readers other than the run's owner.
LINEAGE_COUNTS = ("index", "type", "records_in", "records_out", "dropped")


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


def dataset_version_lineage(version: DatasetVersion, *, reader_id: int | None) -> dict | None:
    """How a run made this version: its inputs, the recipe and version, the run and the part
    this version is, with the per-step report; None for an uploaded version. The recipe is
    named even when the reader cannot open it (the run's own lineage is theirs to see). Only
    the run's owner sees the report's examples: they quote input records, which whoever
    reads the output (its team, those it is shared with) may not be allowed to read; others
    see the counts. Reads `version.recipe_outputs` as prefetched by the version selectors."""
    output = next(iter(version.recipe_outputs.all()), None)
    if output is None:
        return None
    run = output.run
    ran = run.recipe_ran
    steps = run.report.get("steps", [])
    if reader_id != run.owner_id:
        steps = [{key: step.get(key) for key in LINEAGE_COUNTS} for step in steps]
    return {
        "run": run.pk,
        "part": output.part,
        "recipe": ran["recipe"],
        "recipe_name": ran["name"],
        "recipe_version": ran["number"],
        "steps": ran["steps"],
        "inputs": run.inputs,
        "report": steps,
    }


def feature_group_list() -> list[dict]:
    """The feature registry: each group with its features' type, version and description."""
    from ml.data.features.registry import FEATURES, GROUPS

    return [{"name": group, "features": [
        {"name": n, "dtype": FEATURES[n].dtype, "version": FEATURES[n].version,
         "description": FEATURES[n].description, "scope": FEATURES[n].scope} for n in names]}
        for group, names in GROUPS.items()]


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
    within every `where` range. Records and feature rows are read side by side in order and
    the page ends with the records: an offset past them is an empty last page."""
    from ml.data.features.materialize import matching_rows

    from .inputs import version_records
    from .storage import features_path

    version, materializations = feature_materializations(user=user, version_id=version_id)
    done = [m for m in materializations if m.status == FeatureMaterialization.Status.SUCCEEDED]
    conditions = _where(where, set(materialized_numeric_features(version)))
    limit = max(1, min(limit, RECORDS_MAX_LIMIT))
    paths = [features_path(version, m.group) for m in done]
    rows = matching_rows(paths, conditions) if paths else None
    matches = _records_with_rows(version_records(version), rows)
    results = [{"index": index, "record": record, "features": features}
               for index, record, features in islice(matches, offset, offset + limit)]
    return {"offset": offset, "limit": limit, "results": results,
            "next_offset": offset + len(results) if len(results) == limit else None}


def _records_with_rows(records: Iterator[dict], rows: Iterator[tuple[int, dict]] | None):
    """(index, record, features) for each record with a matching feature row (every record
    when nothing is computed), stopping at the end of the records or of the rows."""
    if rows is None:
        yield from ((index, record, {}) for index, record in enumerate(records))
        return
    position = -1
    for index, features in rows:
        record = None
        while position < index and (record := next(records, None)) is not None:
            position += 1
        if record is None or position != index:
            return  # fewer records than feature rows: the file changed under the features
        yield index, record, features


def features_compare(*, user, version_id, other_id) -> dict:
    """Per feature both versions have computed: whether its distribution shifted, judged on
    a fixed-size seeded sample of each (feature_samples), never on whole columns."""
    from ml.data.features.materialize import compare

    from .feature_samples import sample_for_comparison
    from .storage import features_path

    mine = dataset_version_get(user=user, version_id=version_id)
    other = dataset_version_get(user=user, version_id=other_id)
    done = FeatureMaterialization.Status.SUCCEEDED
    groups = set(mine.feature_materializations.filter(status=done).values_list("group", flat=True)) & set(
        other.feature_materializations.filter(status=done).values_list("group", flat=True))
    result: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="features-compare-") as scratch:
        for group in sorted(groups):
            result.update(compare(sample_for_comparison(features_path(mine, group), Path(scratch)),
                                  sample_for_comparison(features_path(other, group), Path(scratch))))
    return result
