"""A dataset summary for people about to train on it: how much text of which kinds, a preview,
every malformed record (not just the first), so the web app can show all problems at once, and
which records do not fit a training method."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from tokenizers import Tokenizer

from ml.data.cache import PairMarkup, record_examples
from ml.data.chat import DEFAULT_CHAT_TEMPLATE
from ml.data.errors import DataFormatError
from ml.data.records import KINDS, Columns, Record, RecordKind, iter_records

# Rough characters per token of a BPE tokenizer on English text, for a size estimate.
CHARS_PER_TOKEN = 4.0
PREVIEW_RECORDS = 5
PREVIEW_CHARS = 300
# Bad lines a method check reports: enough to see the pattern, few enough to read.
MISFIT_LINES = 5

Method = Literal["pretrain", "sft", "dpo"]
# The record kinds each training method learns from (DPO: ml.train.dpo; the others: next-token
# loss, SFT on the responses and assistant turns only).
METHOD_KINDS: dict[str, tuple[RecordKind, ...]] = {
    "pretrain": ("text", "pair", "chat"),
    "sft": ("pair", "chat"),
    "dpo": ("preference",),
}


@dataclass
class DatasetReport:
    records: int = 0
    characters: int = 0
    estimated_tokens: int = 0
    preview: list[str] = field(default_factory=list)
    # Each {"file": str, "line": int, "message": str}.
    errors: list[dict[str, object]] = field(default_factory=list)
    # Records per kind: "text" (documents), "pair", "chat", "preference".
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    # Pairs, chats and preferences a model of the given context would train on cut (None when
    # no context was given).
    longer_than_context: int | None = None


def inspect_dataset(
    path: str | Path,
    columns: Columns | None = None,
    bin_dtype: str = "uint16",
    *,
    context: int | None = None,
    tokenizer: Tokenizer | None = None,
    chat_template: str | None = None,
) -> DatasetReport:
    """Summarise the dataset at `path`. With `context` (a model's block size), also count the
    examples longer than a training row of context + 1 tokens, rendered through
    `chat_template` and measured in `tokenizer`'s tokens (estimated from characters without)."""
    report = DatasetReport()
    columns = columns or Columns()
    if Path(path).suffix == ".bin":
        return _inspect_bin(Path(path), bin_dtype, report)
    markup = PairMarkup(chat_template or DEFAULT_CHAT_TEMPLATE)
    if context is not None:
        report.longer_than_context = 0
    try:
        for record in iter_records(
            path, columns, on_error=lambda e: report.errors.append(e.as_dict())
        ):
            text = record.as_text()
            report.records += record.new_document
            report.kinds[record.kind] += record.new_document
            report.characters += len(text)
            if len(report.preview) < PREVIEW_RECORDS and record.new_document:
                report.preview.append(text[:PREVIEW_CHARS])
            if context is not None and record.kind != "text":
                longest = max(_tokens(example, tokenizer) for example in _examples(record, markup))
                report.longer_than_context += longest > context + 1
    except DataFormatError as exc:  # the path itself: missing, empty directory, wrong type
        report.errors.append(exc.as_dict())
    report.estimated_tokens = round(report.characters / CHARS_PER_TOKEN)
    return report


def records_fit_method(
    path: str | Path, columns: Columns | None, method: Method, limit: int = MISFIT_LINES
) -> list[dict[str, object]]:
    """The first `limit` records that do not fit `method` (malformed, or of a kind it does
    not learn from) as {"file", "line", "message"}, in file order; empty when all fit."""
    columns = columns or Columns()
    if Path(path).suffix == ".bin":
        if method == "pretrain":
            return []
        message = "a pre-tokenized .bin holds no pairs, chats or preference records"
        return [{"file": Path(path).name, "line": 0, "message": message}]
    found: list[DataFormatError] = []

    def note(error: DataFormatError) -> None:
        found.append(error)
        if len(found) >= limit:
            # Raised through the reader, so a file of only malformed lines is not read to its end.
            raise _Enough

    try:
        for record in iter_records(path, columns, on_error=note):
            if record.kind not in METHOD_KINDS[method]:
                note(DataFormatError(record.file, record.line, _misfit(record, method, columns)))
    except _Enough:
        pass
    except DataFormatError as exc:  # the path itself: missing, empty directory, wrong type
        found.append(exc)
    return [error.as_dict() for error in found[:limit]]


class _Enough(Exception):
    """`limit` misfits are found: stop reading."""


def _misfit(record: Record, method: Method, columns: Columns) -> str:
    wanted = {
        "pretrain": "text, prompt/response pairs or chats",
        "sft": (
            f"prompt/response pairs ({columns.prompt!r}, {columns.response!r}) or chats "
            f"({columns.messages!r})"
        ),
        "dpo": (
            f"preference records ({columns.prompt!r}, {columns.chosen!r}, {columns.rejected!r})"
        ),
    }[method]
    return f"a {record.kind} record does not fit {method.upper()}, which takes {wanted}"


def _examples(record: Record, markup: PairMarkup) -> list[list[tuple[str, bool]]]:
    try:
        return record_examples(record, markup, preference=record.kind == "preference")
    except DataFormatError:  # a template that fails here fails training too; sized as plain text
        return [[(record.as_text(), True)]]


def _tokens(pieces: list[tuple[str, bool]], tokenizer: Tokenizer | None) -> int:
    if tokenizer is None:
        return round(sum(len(text) for text, _ in pieces) / CHARS_PER_TOKEN)
    encodings = tokenizer.encode_batch([text for text, _ in pieces], add_special_tokens=False)
    return sum(len(encoding.ids) for encoding in encodings)


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
