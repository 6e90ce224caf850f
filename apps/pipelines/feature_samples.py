"""Fixed-size, seeded samples of a materialized feature file: the rows two versions are
compared on. The worker writes one beside each group's file; the comparison, which runs in
the web request, reads only these (an embedding column is rows x 1.5 KB, too much to read
whole in a request)."""

from __future__ import annotations

from pathlib import Path

SAMPLE_ROWS = 5000  # per version: plenty for a KS or MMD test, small in a request
SAMPLE_SEED = 0  # the same rows each time, so a comparison does not change between reads


def sample_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.sample.parquet")


def feature_sample(path: Path):
    """At most SAMPLE_ROWS rows of the file, chosen at random with SAMPLE_SEED, in file order
    (an Arrow table). Reads one row group at a time, and only those holding a chosen row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    total = file.metadata.num_rows
    size = min(SAMPLE_ROWS, total)
    chosen = np.sort(np.random.default_rng(SAMPLE_SEED).choice(total, size=size, replace=False))
    parts, start = [], 0
    for group in range(file.num_row_groups):
        size = file.metadata.row_group(group).num_rows
        low, high = np.searchsorted(chosen, [start, start + size])
        if high > low:
            parts.append(file.read_row_group(group).take(pa.array(chosen[low:high] - start)))
        start += size
    return pa.concat_tables(parts) if parts else file.schema_arrow.empty_table()


def write_feature_sample(path: Path, out: Path | None = None) -> Path:
    """Writes the file's sample (beside it, unless `out` says where); answers its path."""
    import pyarrow.parquet as pq

    out = out or sample_path(path)
    pq.write_table(feature_sample(path), out)
    return out


def sample_for_comparison(path: Path, scratch: Path) -> Path:
    """The sample the worker wrote; for a group computed before samples were kept, one made
    now into the `scratch` folder (a row group at a time)."""
    kept = sample_path(path)
    return kept if kept.exists() else write_feature_sample(path, scratch / f"{path.parent.parent.name}-{path.name}")
