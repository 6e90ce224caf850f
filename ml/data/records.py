"""Reading text records out of .txt, .jsonl, .json and .csv files and directories of them.

A record is plain text (loss on every token) or a prompt/response pair (loss on the response).
Files are streamed: a .txt file comes out in chunks of lines, so a multi-GB corpus never sits
in memory. Every malformed record is reported as a `DataFormatError` with file and line, either
raised (training) or handed to `on_error` so a validator can collect them all. Files are named
relative to the path that was read (`bad.jsonl`, `inner/bad.jsonl`): the caller knows where
that is, and a server must not show its directories to the people whose data it reads.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ml.data.errors import DataFormatError

TEXT_SUFFIXES = (".txt", ".jsonl", ".json", ".csv")
# A .txt file is yielded in pieces of about this many characters, cut at line ends.
TXT_CHUNK_CHARS = 1 << 20

ErrorHandler = Callable[[DataFormatError], None]


@dataclass(frozen=True)
class Columns:
    """Names of the fields that hold text, or a prompt and its response."""

    text: str = "text"
    prompt: str = "prompt"
    response: str = "response"


@dataclass(frozen=True)
class Record:
    file: str
    line: int
    text: str | None = None
    prompt: str | None = None
    response: str | None = None
    # False when this record continues the previous one (the next chunk of one .txt file).
    new_document: bool = True

    @property
    def is_pair(self) -> bool:
        return self.prompt is not None


def raise_error(error: DataFormatError) -> None:
    raise error


def display_name(file: Path, root: Path) -> str:
    """How `file` is named in records and errors: relative to the `root` that was read."""
    return file.relative_to(root).as_posix() if root.is_dir() else file.name


def list_files(path: str | Path) -> list[Path]:
    """The data files under `path` (itself if a file), in a stable order."""
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)
        if not files:
            raise DataFormatError(root.name, 0, f"no {'/'.join(TEXT_SUFFIXES)} files found")
        return files
    if not root.exists():
        raise DataFormatError(root.name, 0, "no such file or directory")
    if root.suffix not in TEXT_SUFFIXES:
        raise DataFormatError(root.name, 0, f"unsupported file type {root.suffix!r}")
    return [root]


def iter_records(
    path: str | Path, columns: Columns = Columns(), on_error: ErrorHandler = raise_error
) -> Iterator[Record]:
    """Every record of a file or directory, in order."""
    root = Path(path)
    for file in list_files(root):
        reader = _READERS[file.suffix]
        name = display_name(file, root)
        try:
            yield from reader(file, name, columns, on_error)
        except UnicodeDecodeError as exc:
            on_error(DataFormatError(name, 0, f"not UTF-8 text ({exc.reason})"))


def _read_txt(file: Path, name: str, columns: Columns, on_error: ErrorHandler) -> Iterator[Record]:
    with open(file, encoding="utf-8", newline="") as f:
        lines: list[str] = []
        size, start, line_no = 0, 1, 0
        first = True
        for line_no, line in enumerate(f, start=1):
            lines.append(line)
            size += len(line)
            if size >= TXT_CHUNK_CHARS:
                yield Record(name, start, text="".join(lines), new_document=first)
                lines, size, start, first = [], 0, line_no + 1, False
        if lines:
            yield Record(name, start, text="".join(lines), new_document=first)


def _read_jsonl(
    file: Path, name: str, columns: Columns, on_error: ErrorHandler
) -> Iterator[Record]:
    with open(file, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                on_error(DataFormatError(name, line_no, f"invalid JSON: {exc.msg}"))
                continue
            record = _from_value(value, name, line_no, columns, on_error)
            if record is not None:
                yield record


def _read_json(file: Path, name: str, columns: Columns, on_error: ErrorHandler) -> Iterator[Record]:
    # A JSON array is decoded element by element so each record keeps its line number.
    text = file.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    if pos >= len(text) or text[pos] != "[":
        on_error(DataFormatError(name, _line_of(text, pos), "expected a JSON array of records"))
        return
    pos = _skip_space(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        line_no = _line_of(text, pos)
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            on_error(DataFormatError(name, exc.lineno, f"invalid JSON: {exc.msg}"))
            return
        record = _from_value(value, name, line_no, columns, on_error)
        if record is not None:
            yield record
        pos = _skip_space(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return
        on_error(DataFormatError(name, _line_of(text, pos), "expected ',' or ']'"))
        return


def _read_csv(file: Path, name: str, columns: Columns, on_error: ErrorHandler) -> Iterator[Record]:
    with open(file, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        has_text = columns.text in header
        has_pair = columns.prompt in header and columns.response in header
        if not has_text and not has_pair:
            message = (
                f"needs a {columns.text!r} column or {columns.prompt!r} and "
                f"{columns.response!r} columns; found {header}"
            )
            on_error(DataFormatError(name, 1, message))
            return
        line_no = reader.line_num + 1
        try:
            for row in reader:
                if None in row:
                    on_error(DataFormatError(name, line_no, "more cells than header columns"))
                elif has_text:
                    if row[columns.text]:
                        yield Record(name, line_no, text=row[columns.text])
                elif row[columns.prompt] is None or row[columns.response] is None:
                    on_error(DataFormatError(name, line_no, "missing prompt or response cell"))
                else:
                    yield Record(
                        name,
                        line_no,
                        prompt=row[columns.prompt],
                        response=row[columns.response],
                    )
                line_no = reader.line_num + 1
        except csv.Error as exc:
            on_error(DataFormatError(name, reader.line_num, f"invalid CSV: {exc}"))


def _from_value(
    value: object, file: str, line: int, columns: Columns, on_error: ErrorHandler
) -> Record | None:
    if isinstance(value, str):
        return Record(file, line, text=value) if value else None
    if not isinstance(value, dict):
        on_error(DataFormatError(file, line, f"expected an object or string, got {_kind(value)}"))
        return None
    if columns.text in value:
        text = value[columns.text]
        if not isinstance(text, str):
            on_error(DataFormatError(file, line, f"{columns.text!r} must be a string"))
            return None
        return Record(file, line, text=text) if text else None
    if columns.prompt in value and columns.response in value:
        prompt, response = value[columns.prompt], value[columns.response]
        if not isinstance(prompt, str) or not isinstance(response, str):
            message = f"{columns.prompt!r} and {columns.response!r} must be strings"
            on_error(DataFormatError(file, line, message))
            return None
        return Record(file, line, prompt=prompt, response=response)
    message = (
        f"needs a {columns.text!r} field or {columns.prompt!r} and {columns.response!r} fields"
    )
    on_error(DataFormatError(file, line, message))
    return None


def _kind(value: object) -> str:
    return {list: "an array", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "null"
    )


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


_READERS = {".txt": _read_txt, ".jsonl": _read_jsonl, ".json": _read_json, ".csv": _read_csv}
