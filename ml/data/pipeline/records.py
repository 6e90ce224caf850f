"""Records as a recipe sees them: the parsed JSON object of each input record (a .txt
paragraph is {"text": ...}), with where it came from kept aside for reports.

A record's text (what filters, dedup and features read by default) follows its kind, with the
input's column names: the text column; else the messages' contents; else prompt and response;
else a preference's prompt, chosen and rejected. Reading streams every file: a .jsonl/.csv
line at a time, a .txt paragraph at a time (cut at `ml.data.records.TXT_CHUNK_CHARS` when a
paragraph runs on), so memory does not grow with the input; a .json array is the exception,
read and parsed whole. A line that is not UTF-8 is reported with its number and reading goes
on: a .jsonl or .csv record on it, or the .txt paragraph holding it, is left out."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ml.data.errors import DataFormatError
from ml.data.records import (
    TXT_CHUNK_CHARS,
    Columns,
    display_name,
    iter_json_array,
    list_files,
)

ErrorHandler = Callable[[DataFormatError], None]
DEFAULT_COLUMNS = Columns()


@dataclass(frozen=True)
class RecipeInput:
    path: Path
    columns: Columns = DEFAULT_COLUMNS
    name: str = ""  # how reports and errors name this input (a dataset's name, not a server path)
    # Materialized features (Parquet, one row per record in reading order), read by
    # feature_filter instead of computing the values again.
    features_path: Path | None = None


class Item:
    """One record in flight: its data and where it came from."""

    __slots__ = ("data", "columns", "file", "line", "source", "position", "part")

    def __init__(
        self, data: dict, columns: Columns, file: str, line: int, source: int, position: int
    ):
        self.data = data
        self.columns = columns
        self.file = file  # file name within its input, for reports
        self.line = line  # 1-based line (or paragraph start) in that file
        self.source = source  # index of the input it was read from
        self.position = position  # index among that input's records: the feature row
        self.part = "data"  # the output file it goes to (split sets train/validation/test)


def record_kind(data: dict, columns: Columns) -> str:
    if columns.text in data:
        return "text"
    if columns.chosen in data or columns.rejected in data:
        return "preference"
    if columns.messages in data:
        return "chat"
    if columns.prompt in data and columns.response in data:
        return "pair"
    return "other"


def text_fields(data: dict, columns: Columns) -> tuple[str, ...]:
    """The columns that hold the record's text, for steps that rewrite it."""
    kind = record_kind(data, columns)
    return {
        "text": (columns.text,),
        "chat": (columns.messages,),
        "pair": (columns.prompt, columns.response),
        "preference": (columns.prompt, columns.chosen, columns.rejected),
    }.get(kind, tuple(k for k, v in data.items() if isinstance(v, str)))


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # a conversation
        return "\n".join(
            m.get("content", "")
            for m in value
            if isinstance(m, dict) and isinstance(m.get("content"), str)
        )
    raise ValueError("is not text")


def record_text(data: dict, columns: Columns = DEFAULT_COLUMNS, field: str | None = None) -> str:
    """The text a step reads: `field` when given, else the record's text (see the docstring).
    Raises KeyError for a missing field, ValueError for one that is not text."""
    if field is not None:
        return _as_text(data[field])
    value = data.get(columns.text)
    if isinstance(value, str):
        return value
    return "\n".join(_as_text(data[name]) for name in text_fields(data, columns) if name in data)


def rewrite_text(data: dict, columns: Columns, fn: Callable[[str], str]) -> dict:
    """`data` with `fn` applied to every text field (messages' contents included)."""
    out = dict(data)
    for name in text_fields(data, columns):
        value = data.get(name)
        if isinstance(value, str):
            out[name] = fn(value)
        elif isinstance(value, list):
            out[name] = [
                {**m, "content": fn(m["content"])}
                if isinstance(m, dict) and isinstance(m.get("content"), str)
                else m
                for m in value
            ]
    return out


def _raise(error: DataFormatError) -> None:
    raise error


class InputReader:
    """Streams one input's records as (data, file, line), counting the bytes read."""

    def __init__(self, spec: RecipeInput, on_error: ErrorHandler = _raise):
        self.spec = spec
        self.on_error = on_error
        self.bytes_read = 0

    def __iter__(self) -> Iterator[tuple[dict, str, int]]:
        root = Path(self.spec.path)
        for file in list_files(root):
            name = display_name(file, root)
            try:
                yield from _READERS[file.suffix](self, file, name)
            except UnicodeDecodeError as exc:
                self.on_error(DataFormatError(name, 0, f"not UTF-8 text ({exc.reason})"))

    def _jsonl(self, file: Path, name: str) -> Iterator[tuple[dict, str, int]]:
        with open(file, "rb") as f:
            for line_no, line in enumerate(f, start=1):
                self.bytes_read += len(line)
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    self.on_error(
                        DataFormatError(name, line_no, f"invalid JSON: {getattr(exc, 'msg', exc)}")
                    )
                    continue
                data = self._as_record(value, name, line_no)
                if data is not None:
                    yield data, name, line_no

    def _json(self, file: Path, name: str) -> Iterator[tuple[dict, str, int]]:
        # A JSON array is one document: it is read whole, so a .json input takes memory in
        # proportion to its size; .jsonl streams. Elements are numbered by the line they start
        # on, as dataset validation (ml.data.records) numbers them.
        raw = file.read_bytes()
        self.bytes_read += len(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            self.on_error(DataFormatError(name, line, "not UTF-8 text (a .json array is read whole)"))
            return
        for value, line in iter_json_array(text, name, self.on_error):
            data = self._as_record(value, name, line)
            if data is not None:
                yield data, name, line

    def _csv(self, file: Path, name: str) -> Iterator[tuple[dict, str, int]]:
        with open(file, "rb") as f:
            bad: list[int] = []  # lines that were not UTF-8, in order
            reader = csv.DictReader(self._decoded(f, bad))
            line_no = 2
            try:
                for row in reader:
                    end = reader.line_num
                    while bad and bad[0] < line_no:  # the header's (its names are garbled)
                        self.on_error(DataFormatError(name, bad.pop(0), "not UTF-8 text"))
                    if bad and bad[0] <= end:
                        self.on_error(DataFormatError(name, bad[0], "not UTF-8 text"))
                        while bad and bad[0] <= end:
                            bad.pop(0)
                    elif None in row:
                        self.on_error(
                            DataFormatError(name, line_no, "more cells than header columns")
                        )
                    else:
                        yield {k: v for k, v in row.items() if v is not None}, name, line_no
                    line_no = end + 1
            except csv.Error as exc:
                self.on_error(DataFormatError(name, reader.line_num, f"invalid CSV: {exc}"))

    def _decoded(self, f, bad: list[int]) -> Iterator[str]:
        """Each line of `f` as text; a line that is not UTF-8 is replaced by its decoding with
        U+FFFD (so the lines after it keep their numbers) and its number added to `bad`."""
        for line_no, raw in enumerate(f, start=1):
            self.bytes_read += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("utf-8", errors="replace")
                bad.append(line_no)
            yield line

    def _txt(self, file: Path, name: str) -> Iterator[tuple[dict, str, int]]:
        """Paragraphs; one with a line that is not UTF-8 is reported at that line and left
        out, and reading goes on with the next paragraph."""
        with open(file, "rb") as f:
            lines: list[str] = []
            size, start, bad = 0, 1, 0
            for line_no, raw in enumerate(f, start=1):
                self.bytes_read += len(raw)
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = "?"  # stands in for the line so the paragraph goes on to its end
                    bad = bad or line_no
                if not line.strip():
                    yield from self._paragraph(lines, name, start, bad)
                    lines, size, start, bad = [], 0, line_no + 1, 0
                    continue
                lines.append(line)
                size += len(line)
                if size >= TXT_CHUNK_CHARS:
                    yield from self._paragraph(lines, name, start, bad)
                    lines, size, start, bad = [], 0, line_no + 1, 0
            yield from self._paragraph(lines, name, start, bad)

    def _paragraph(
        self, lines: list[str], name: str, start: int, bad: int
    ) -> Iterator[tuple[dict, str, int]]:
        if bad:
            self.on_error(DataFormatError(name, bad, "not UTF-8 text"))
        elif lines:
            yield {"text": "".join(lines).rstrip("\n")}, name, start

    def _as_record(self, value: object, name: str, line: int) -> dict | None:
        if isinstance(value, dict):
            return value
        if isinstance(value, str):
            return {"text": value} if value else None
        self.on_error(DataFormatError(name, line, "expected an object or a string"))
        return None


_READERS = {
    ".jsonl": InputReader._jsonl,
    ".json": InputReader._json,
    ".csv": InputReader._csv,
    ".txt": InputReader._txt,
}


def input_bytes(spec: RecipeInput) -> int:
    return sum(f.stat().st_size for f in list_files(spec.path))


def iter_texts(spec: RecipeInput) -> Iterator[str]:
    """Each record's text in reading order (one per feature row); unreadable records are skipped
    as a recipe run skips them, so row i is the i-th record a recipe reads."""
    for data, _, _ in InputReader(spec, on_error=lambda error: None):
        try:
            yield record_text(data, spec.columns)
        except (KeyError, ValueError):
            yield ""
