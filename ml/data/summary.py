"""A dataset summary for people about to train on it: how much text, a preview, and every
malformed record (not just the first), so the web app can show all problems at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.data.errors import DataFormatError
from ml.data.records import Columns, iter_records

# Rough characters per token of a BPE tokenizer on English text, for a size estimate.
CHARS_PER_TOKEN = 4.0
PREVIEW_RECORDS = 5
PREVIEW_CHARS = 300


@dataclass
class DatasetReport:
    records: int = 0
    characters: int = 0
    estimated_tokens: int = 0
    preview: list[str] = field(default_factory=list)
    # Each {"file": str, "line": int, "message": str}.
    errors: list[dict[str, object]] = field(default_factory=list)


def inspect_dataset(
    path: str | Path, columns: Columns | None = None, bin_dtype: str = "uint16"
) -> DatasetReport:
    report = DatasetReport()
    columns = columns or Columns()
    if Path(path).suffix == ".bin":
        return _inspect_bin(Path(path), bin_dtype, report)
    try:
        for record in iter_records(
            path, columns, on_error=lambda e: report.errors.append(e.as_dict())
        ):
            text = record.text if not record.is_pair else f"{record.prompt}\n{record.response}"
            report.records += record.new_document
            report.characters += len(text)
            if len(report.preview) < PREVIEW_RECORDS and record.new_document:
                report.preview.append(text[:PREVIEW_CHARS])
    except DataFormatError as exc:  # the path itself: missing, empty directory, wrong type
        report.errors.append(exc.as_dict())
    report.estimated_tokens = round(report.characters / CHARS_PER_TOKEN)
    return report


def _inspect_bin(path: Path, dtype: str, report: DatasetReport) -> DatasetReport:
    itemsize = np.dtype(dtype).itemsize
    size = path.stat().st_size if path.exists() else -1
    if size < 0:
        report.errors.append({"file": path.name, "line": 0, "message": "no such file"})
    elif size % itemsize:
        message = f"size {size} is not a multiple of {dtype}'s {itemsize} bytes"
        report.errors.append({"file": path.name, "line": 0, "message": message})
    else:
        report.estimated_tokens = size // itemsize
    return report
