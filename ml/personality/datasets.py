"""Labelled texts for personality work: speeches from a plays file labelled by speaker (the
benchmark set) and the JSON-lines format `{"text": ..., "label": ...}` that `persona train`
reads. Malformed records raise `DataFormatError` naming file and line."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from ml.data.errors import DataFormatError

# A speaker line: one to four capitalised words ("FIRST CITIZEN.", "Lear.", "ROMEO:") alone
# on the first line of a block. Act and scene headings share the shape and are excluded.
_SPEAKER = re.compile(r"^([A-Z][A-Za-z'\-]*(?: [A-Z][A-Za-z'\-]*){0,3})[.:]\s*$")
_NOT_SPEAKERS = frozenset(("ACT", "SCENE", "EPILOGUE", "PROLOGUE", "EXIT", "EXEUNT", "ENTER"))
_STAGE_DIRECTION = re.compile(r"\[[^\]]*\]")


@dataclasses.dataclass(frozen=True)
class Speech:
    speaker: str  # upper-cased, so "Lear." and "LEAR." are one speaker
    text: str
    line: int  # 1-based line of the speaker heading in the source file
    n_lines: int  # speech lines under the heading


def parse_speeches(text: str) -> list[Speech]:
    """Speeches: a speaker heading, then the speech lines, up to a blank line. Bracketed
    stage directions are dropped; blocks without a heading (titles, casts) are skipped."""
    speeches, block, start = [], [], 0
    for number, raw in enumerate([*text.splitlines(), ""], start=1):
        if raw.strip():
            if not block:
                start = number
            block.append(raw.strip())
            continue
        if len(block) >= 2:
            match = _SPEAKER.match(block[0])
            if match and match.group(1).split()[0].upper() not in _NOT_SPEAKERS:
                body = " ".join(_STAGE_DIRECTION.sub("", line).strip() for line in block[1:])
                body = " ".join(body.split())
                if body:
                    speeches.append(Speech(match.group(1).upper(), body, start, len(block) - 1))
        block = []
    return speeches


def top_speakers(speeches: list[Speech], n: int) -> list[str]:
    """The n speakers with the most speech lines, most first (ties by name)."""
    lines = Counter()
    for s in speeches:
        lines[s.speaker] += s.n_lines
    return [name for name, _ in sorted(lines.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def stratified_split(
    texts: list[str], labels: list[str], test_fraction: float, seed: int
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Train/test split that holds out the same fraction of every label."""
    by_label = defaultdict(list)
    for text, label in zip(texts, labels):
        by_label[label].append(text)
    rng = random.Random(seed)
    train_x, train_y, test_x, test_y = [], [], [], []
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        n_test = max(1, round(len(items) * test_fraction))
        test_x += items[:n_test]
        test_y += [label] * n_test
        train_x += items[n_test:]
        train_y += [label] * (len(items) - n_test)
    return train_x, train_y, test_x, test_y


def read_labelled_jsonl(path: str | Path) -> tuple[list[str], list[str]]:
    """Texts and labels from a JSON-lines file of {"text": str, "label": str} objects."""
    path = Path(path)
    texts, labels = [], []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DataFormatError(str(path), 0, exc.strerror or "cannot open") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFormatError(str(path), number, f"invalid JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise DataFormatError(str(path), number, "expected an object")
            for field in ("text", "label"):
                if not isinstance(record.get(field), str) or not record[field].strip():
                    raise DataFormatError(
                        str(path), number, f"field {field!r} must be a non-empty string"
                    )
            texts.append(record["text"])
            labels.append(record["label"].strip())
    if not texts:
        raise DataFormatError(str(path), 0, "no records")
    return texts, labels
