"""Training on a dataset version's materialized features (apps.pipelines): the choice of a
number feature that orders the records (a curriculum) or weights how often each is drawn,
checked when a run is created, and at execution the scores files the engine reads
(ml/data/scores.py): one value per record, keyed by its file and line, read from the
version's Parquet in the records' reading order. A client names a feature, never a file."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError

from apps.datasets.models import DatasetVersion
from apps.pipelines.inputs import version_records
from apps.pipelines.selectors import materialized_numeric_features
from apps.pipelines.storage import features_path

# Formats whose records carry the line they start on as both readers count it; a .txt file
# trains as running text and a .json array's records are numbered differently by the feature
# store, so their scores would match no record.
ORDERED_FORMATS = (DatasetVersion.Format.JSONL, DatasetVersion.Format.CSV, DatasetVersion.Format.ZIP)
ORDERS = ("asc", "desc")


def feature_choice_check(version: DatasetVersion, *, field: str, feature: str, weights: bool = False) -> None:
    """Refuses (naming `field`) a feature that is not a number materialized for `version`,
    a version whose records cannot be scored, or negative weights."""
    if version.format not in ORDERED_FORMATS:
        raise ValidationError({field: [
            f"orders and weights records of .jsonl or .csv files; this version is .{version.format}"]})
    numeric = materialized_numeric_features(version)
    if feature not in numeric:
        known = ", ".join(sorted(numeric)) or "none yet: compute a feature group of the version first"
        raise ValidationError({field: [
            f"{feature!r} is not a number feature computed for this dataset version (computed: {known})"]})
    low = numeric[feature][1].get("min")
    if weights and low is not None and low < 0:
        raise ValidationError({field: [
            f"{feature!r} takes negative values (down to {low:g}); a weight must not be negative"]})


def scores_write(version: DatasetVersion, *, feature: str, out_path: Path) -> None:
    """Writes `feature`'s value of every record of `version` (file, line, value) to
    `out_path`; raises ValueError when the feature is no longer materialized."""
    import pyarrow.parquet as pq

    from ml.data.scores import write_scores

    numeric = materialized_numeric_features(version)
    if feature not in numeric:
        raise ValueError(f"the feature {feature} of the dataset version is no longer computed")
    column = pq.ParquetFile(features_path(version, numeric[feature][0])).read([feature]).column(0)
    records = version_records(version)
    # Row i is record i in reading order; records beyond the rows (none, unless the file
    # changed under its features) are left without a score.
    rows = ((record["file"], record["line"], value)
            for record, value in zip(records, column.to_pylist(), strict=False))
    # Written aside and renamed: a half-written file would be taken as the run's scores.
    partial = out_path.with_name(f".{out_path.name}.partial")
    write_scores(partial, rows)
    partial.replace(out_path)
