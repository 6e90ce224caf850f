"""Materialized features: a stream of record texts in, one Parquet row per record out (in
reading order, so row i is record i), then statistics per feature, a drift comparison of two
materializations, and filtered reads for a records browser.

Writing is streamed: texts are featurized `BATCH_ROWS` at a time and each batch is a row group,
so memory stays bounded whatever the dataset's size. Reading for statistics loads one column
at a time (a million records' number is 8 MB); vector columns are summarized by their norms
rather than loaded whole."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ml.data.features.registry import FEATURES, compute_many
from ml.eval import drift

BATCH_ROWS = 512  # texts per featurized batch and per Parquet row group
HISTOGRAM_BINS = 20
TOP_VALUES = 10
QUANTILES = {"p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}
# Fewer values than this on either side and a comparison says "insufficient": small datasets
# would otherwise "shift" on noise.
COMPARE_MIN_N = 20
COMPARE_ALPHA = 0.01


class Cancelled(Exception):
    """`should_stop()` answered True; the partial file is removed."""


def arrow_type(name: str) -> pa.DataType:
    feature = FEATURES[name]
    if feature.dtype == "vector":
        return pa.list_(pa.float32(), feature.dim or -1)
    return {"int": pa.int64(), "float": pa.float64(), "str": pa.string()}[feature.dtype]


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def materialize(
    texts: Iterable[str],
    names: Sequence[str],
    out_path: Path,
    *,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> int:
    """Writes features `names` of every text to `out_path` (Parquet); returns the row count.
    `on_progress(rows_so_far)` after each batch; `should_stop()` before each, raising Cancelled."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown features: {', '.join(unknown)}")
    schema = pa.schema([(name, arrow_type(name)) for name in names])
    computers = {name: FEATURES[name].computer() for name in names}
    rows = 0
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        with pq.ParquetWriter(partial, schema) as writer:
            for batch in _batches(texts, batch_rows):
                if should_stop is not None and should_stop():
                    raise Cancelled
                values = compute_many(computers, batch)
                writer.write_table(pa.table({n: pa.array(values[n], arrow_type(n)) for n in names}, schema=schema))
                rows += len(batch)
                if on_progress is not None:
                    on_progress(rows)
            if rows == 0:  # an empty file still has the schema, so reads agree on columns
                writer.write_table(schema.empty_table())
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _numeric(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"min": None, "max": None, "mean": None, "quantiles": None, "histogram": None}
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(low, high) if high > low else (low - 0.5, low + 0.5))
    return {
        "min": low,
        "max": high,
        "mean": float(values.mean()),
        "quantiles": {key: float(np.quantile(values, q)) for key, q in QUANTILES.items()},
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
    }


def _top(values: Iterable) -> list[dict]:
    return [{"value": v, "count": c} for v, c in Counter(values).most_common(TOP_VALUES)]


def column_statistics(name: str, column: pa.ChunkedArray) -> dict:
    """count, missing, min/max/mean/quantiles/histogram (numbers; a vector's by its norm) and
    top values (strings and whole numbers)."""
    missing = column.null_count
    present = column.drop_null()
    stats: dict = {"count": len(present), "missing": missing}
    dtype = FEATURES[name].dtype if name in FEATURES else "float"
    if dtype == "str":
        stats.update(min=None, max=None, mean=None, quantiles=None, histogram=None, top=_top(present.to_pylist()))
        return stats
    if dtype == "vector":
        flat = present.combine_chunks().flatten().to_numpy(zero_copy_only=False).astype(np.float64)
        dim = FEATURES[name].dim or 1
        norms = np.sqrt((flat.reshape(-1, dim) ** 2).sum(1)) if len(flat) else flat
        stats.update(_numeric(norms), top=[])
        return stats
    values = present.to_numpy(zero_copy_only=False).astype(np.float64)
    values = values[np.isfinite(values)]
    stats.update(_numeric(values))
    stats["top"] = _top(int(v) for v in values) if dtype == "int" else []
    return stats


def statistics(parquet_path: Path) -> dict[str, dict]:
    """The statistics of every feature column of a materialized file."""
    file = pq.ParquetFile(parquet_path)
    return {name: column_statistics(name, file.read([name]).column(0)) for name in file.schema_arrow.names}


def _compare_one(name: str, a: pa.ChunkedArray, b: pa.ChunkedArray) -> dict:
    a, b = a.drop_null(), b.drop_null()
    dtype = FEATURES[name].dtype if name in FEATURES else "float"
    if dtype == "str":
        # The share of the most common value on the first side, on each side.
        values_a = a.to_pylist()
        top = Counter(values_a).most_common(1)
        value = top[0][0] if top else None
        result = drift.proportion_test(
            sum(v == value for v in values_a), len(a), sum(v == value for v in b.to_pylist()), len(b),
            alpha=COMPARE_ALPHA, min_n=COMPARE_MIN_N, what="values")
        test = "proportion"
    elif dtype == "vector":
        dim = FEATURES[name].dim or 1

        def matrix(col):
            return col.combine_chunks().flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)

        result = drift.mmd_test(matrix(a), matrix(b), alpha=COMPARE_ALPHA, min_n=COMPARE_MIN_N)
        test = "mmd"
    else:
        result = drift.ks_test(a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False),
                               alpha=COMPARE_ALPHA, min_n=COMPARE_MIN_N)
        test = "ks"
    statistic = result.statistic if result.statistic is None or math.isfinite(result.statistic) else None
    return {"test": test, "statistic": statistic, "p_value": result.p_value, "shifted": result.drifted,
            "status": result.status, "message": result.message}


def compare(a_path: Path, b_path: Path) -> dict[str, dict]:
    """For each feature both files have: the drift test (KS for numbers, MMD for vectors, the
    most common value's share for strings), its statistic and p-value, and whether it shifted."""
    a, b = pq.ParquetFile(a_path), pq.ParquetFile(b_path)
    shared = [name for name in a.schema_arrow.names if name in b.schema_arrow.names]
    return {name: _compare_one(name, a.read([name]).column(0), b.read([name]).column(0)) for name in shared}


Where = tuple[str, float | None, float | None]  # feature, min, max (None: unbounded)


def matching_rows(paths: Sequence[Path], where: Sequence[Where]) -> Iterator[tuple[int, dict]]:
    """(row index, {feature: value}) of every row whose features lie within every `where`
    range, reading the files (aligned row for row) one row group at a time. A row missing a
    feature a condition names does not match. Vectors are left out of the values."""
    files = [pq.ParquetFile(p) for p in paths]
    names = [[n for n in f.schema_arrow.names if FEATURES.get(n) is None or FEATURES[n].dtype != "vector"]
             for f in files]
    offset = 0
    for group in range(files[0].num_row_groups if files else 0):
        columns: dict[str, list] = {}
        for file, keep in zip(files, names, strict=True):
            if group >= file.num_row_groups:
                return  # files out of step: stop rather than misalign
            table = file.read_row_group(group, columns=keep)
            columns.update({n: table.column(n).to_pylist() for n in keep})
        size = len(next(iter(columns.values()))) if columns else 0
        for i in range(size):
            row = {n: values[i] for n, values in columns.items()}
            if all(_within(row.get(n), low, high) for n, low, high in where):
                yield offset + i, row
        offset += size


def _within(value, low: float | None, high: float | None) -> bool:
    if value is None or isinstance(value, str):
        return False
    return (low is None or value >= low) and (high is None or value <= high)
