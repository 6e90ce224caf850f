"""Per-record scores that order (a curriculum) or weight the training examples.

A scores file is a NumPy `.npz` of three equal-length arrays: `files` (each record's file as
records name it, relative to the data path), `lines` (the line the record starts on) and
`values` (floats; NaN where a record has none). Records are matched to scores by (file,
line), so a score table made by another reader of the same files (the feature store's, say)
lines up with the records training reads whatever each reader skips. Nothing is pickled: the
arrays are plain strings and numbers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.data.errors import DataFormatError


@dataclass(frozen=True)
class RecordScores:
    """A number per record, keyed by (file, line)."""

    values: dict[tuple[str, int], float]
    digest: str  # identifies the content, for the token cache's key

    def get(self, file: str, line: int) -> float:
        return self.values.get((file, line), math.nan)


def write_scores(path: str | Path, rows: Iterable[tuple[str, int, float | None]]) -> None:
    """Writes (file, line, value) rows; a None value is stored as NaN."""
    files, lines, values = [], [], []
    for file, line, value in rows:
        files.append(file)
        lines.append(line)
        values.append(math.nan if value is None else float(value))
    with open(path, "wb") as f:
        np.savez(
            f,
            files=np.asarray(files, dtype=str),
            lines=np.asarray(lines, dtype=np.int64),
            values=np.asarray(values, dtype=np.float64),
        )


def read_scores(path: str | Path) -> RecordScores:
    name = Path(path).name
    try:
        with np.load(path, allow_pickle=False) as data:
            files, lines, values = data["files"], data["lines"], data["values"]
    except (OSError, KeyError, ValueError) as exc:
        raise DataFormatError(name, 0, f"not a scores file (files, lines, values): {exc}") from None
    if not len(files) == len(lines) == len(values):
        raise DataFormatError(name, 0, "files, lines and values differ in length")
    digest = hashlib.sha256()
    for array in (files, lines, values):
        digest.update(np.ascontiguousarray(array).tobytes())
    table = {(str(f), int(n)): float(v) for f, n, v in zip(files.tolist(), lines.tolist(), values.tolist())}
    return RecordScores(table, digest.hexdigest())


def check_weights(weights: np.ndarray, what: str) -> np.ndarray:
    """Per-example weights ready to draw with: missing ones (NaN) take the mean of the rest;
    a negative one, or none above zero, is refused."""
    present = weights[~np.isnan(weights)]
    if len(present) == 0:
        raise DataFormatError(what, 0, "no training record has a weight")
    if (present < 0).any():
        raise DataFormatError(what, 0, f"weights must not be negative (the lowest is {present.min():g})")
    if not (present > 0).any():
        raise DataFormatError(what, 0, "every weight is 0")
    return np.where(np.isnan(weights), present.mean(), weights)
