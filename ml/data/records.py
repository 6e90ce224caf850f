"""Reading text records out of .txt, .jsonl, .json and .csv files and directories of them.

A record is one of four kinds (`Record.kind`):
- "text": plain text, loss on every token;
- "pair": a prompt and its response, loss on the response;
- "chat": a list of {"role": "system"|"user"|"assistant", "content"} messages ending with an
  assistant turn, loss on the assistant turns;
- "preference": a prompt (a string or a messages list), a chosen and a rejected response, for DPO.
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
from typing import Literal

from ml.data.errors import DataFormatError

TEXT_SUFFIXES = (".txt", ".jsonl", ".json", ".csv")
# A .txt file is yielded in pieces of about this many characters, cut at line ends.
TXT_CHUNK_CHARS = 1 << 20

ErrorHandler = Callable[[DataFormatError], None]


RecordKind = Literal["text", "pair", "chat", "preference"]
KINDS: tuple[RecordKind, ...] = ("text", "pair", "chat", "preference")
ROLES = ("system", "user", "assistant")

Message = dict[str, str]


@dataclass(frozen=True)
class Columns:
    """Names of the fields that hold text, a prompt and its response, a chat, or a preference."""

    text: str = "text"
    prompt: str = "prompt"
    response: str = "response"
    messages: str = "messages"
    chosen: str = "chosen"
    rejected: str = "rejected"


@dataclass(frozen=True)
class Record:
    file: str
    line: int
    text: str | None = None
    prompt: str | None = None
    response: str | None = None
    # A chat's turns, or a preference record's prompt given as a conversation.
    messages: tuple[Message, ...] | None = None
    chosen: str | None = None
    rejected: str | None = None
    # False when this record continues the previous one (the next chunk of one .txt file).
    new_document: bool = True

    @property
    def kind(self) -> RecordKind:
        if self.chosen is not None:
            return "preference"
        if self.messages is not None:
            return "chat"
        return "pair" if self.prompt is not None else "text"

    @property
    def is_pair(self) -> bool:
        return self.kind == "pair"

    def prompt_messages(self) -> list[Message]:
        """The conversation a pair's or a preference's response answers."""
        if self.messages is not None:
            return list(self.messages)
        return [{"role": "user", "content": self.prompt or ""}]

    def chat_messages(self) -> list[Message]:
        """The whole conversation of a chat or a pair (prompt, then response)."""
        if self.kind == "chat":
            return list(self.messages or ())
        return [*self.prompt_messages(), {"role": "assistant", "content": self.response or ""}]

    def replies(self) -> list[str]:
        """What the record's assistant says: a pair's response, a chat's assistant turns, a
        preference's chosen response (the reply its author wanted); nothing for plain text."""
        if self.kind == "pair":
            return [self.response or ""]
        if self.kind == "chat":
            return [m["content"] for m in self.messages or () if m["role"] == "assistant"]
        return [self.chosen or ""] if self.kind == "preference" else []

    def answered(self) -> tuple[list[Message], str] | None:
        """A conversation and the reference answer to it: a pair's prompt and response, a chat
        up to its last (assistant) turn and that turn, a preference's prompt and chosen
        response; None for plain text."""
        if self.kind == "text":
            return None
        if self.kind == "chat":
            *conversation, last = self.chat_messages()
            return conversation, last["content"]
        answer = self.chosen if self.kind == "preference" else self.response
        return self.prompt_messages(), answer or ""

    def as_text(self) -> str:
        """A plain rendering for previews and size estimates."""
        if self.kind == "text":
            return self.text or ""
        if self.kind == "preference":
            turns = [m["content"] for m in self.prompt_messages()]
            return "\n".join([*turns, self.chosen or "", self.rejected or ""])
        return "\n".join(m["content"] for m in self.chat_messages())


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
    for value, line_no in iter_json_array(file.read_text(encoding="utf-8"), name, on_error):
        record = _from_value(value, name, line_no, columns, on_error)
        if record is not None:
            yield record


def iter_json_array(text: str, name: str, on_error: ErrorHandler) -> Iterator[tuple[object, int]]:
    """Each element of a JSON array document with the line it starts on, decoded element by
    element (the text itself is whole in memory). A syntax error is reported and ends the file."""
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
        yield value, line_no
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
        # Cells are strings, so a CSV holds the string forms: text, pairs, preferences.
        if columns.text in header:
            fields = (columns.text,)
        elif {columns.prompt, columns.chosen, columns.rejected} <= set(header):
            fields = (columns.prompt, columns.chosen, columns.rejected)
        elif {columns.prompt, columns.response} <= set(header):
            fields = (columns.prompt, columns.response)
        else:
            message = f"needs {_needs(columns, 'column')}; found {header}"
            on_error(DataFormatError(name, 1, message))
            return
        line_no = reader.line_num + 1
        try:
            for row in reader:
                if None in row:
                    on_error(DataFormatError(name, line_no, "more cells than header columns"))
                elif any(row[field] is None for field in fields):
                    missing = ", ".join(repr(f) for f in fields if row[f] is None)
                    on_error(DataFormatError(name, line_no, f"missing {missing} cell"))
                else:
                    record = _from_value(row, name, line_no, columns, on_error)
                    if record is not None:
                        yield record
                line_no = reader.line_num + 1
        except csv.Error as exc:
            on_error(DataFormatError(name, reader.line_num, f"invalid CSV: {exc}"))


def _from_value(
    value: object, file: str, line: int, columns: Columns, on_error: ErrorHandler
) -> Record | None:
    """The record a decoded JSON value (or CSV row) holds; fields are tried in kind order."""
    if isinstance(value, str):
        return Record(file, line, text=value) if value else None
    if not isinstance(value, dict):
        on_error(DataFormatError(file, line, f"expected an object or string, got {_kind(value)}"))
        return None
    try:
        if columns.text in value:
            text = _string(value, columns.text)
            return Record(file, line, text=text) if text else None
        if columns.chosen in value or columns.rejected in value:
            return _preference(value, file, line, columns)
        if columns.messages in value:
            messages = _messages(value[columns.messages], columns.messages)
            if messages[-1]["role"] != "assistant":
                raise ValueError(
                    f"the last message of {columns.messages!r} must be from the assistant "
                    f"(the turn the model learns), not the {messages[-1]['role']}"
                )
            return Record(file, line, messages=messages)
        if columns.prompt in value and columns.response in value:
            prompt, response = _string(value, columns.prompt), _string(value, columns.response)
            return Record(file, line, prompt=prompt, response=response)
        raise ValueError(f"needs {_needs(columns, 'field')}")
    except ValueError as exc:
        on_error(DataFormatError(file, line, str(exc)))
        return None


def _preference(value: dict, file: str, line: int, columns: Columns) -> Record:
    for name in (columns.prompt, columns.chosen, columns.rejected):
        if name not in value:
            raise ValueError(
                f"a preference record needs {columns.prompt!r}, {columns.chosen!r} and "
                f"{columns.rejected!r} fields; {name!r} is missing"
            )
    chosen, rejected = _string(value, columns.chosen), _string(value, columns.rejected)
    if not chosen or not rejected:
        raise ValueError(f"{columns.chosen!r} and {columns.rejected!r} must not be empty")
    prompt = value[columns.prompt]
    if isinstance(prompt, str):
        return Record(file, line, prompt=prompt, chosen=chosen, rejected=rejected)
    if not isinstance(prompt, list):
        raise ValueError(f"{columns.prompt!r} must be a string or a list of messages")
    messages = _messages(prompt, columns.prompt)
    if messages[-1]["role"] != "user":
        raise ValueError(
            f"the last message of {columns.prompt!r} must be from the user (the turn the "
            f"responses answer), not the {messages[-1]['role']}"
        )
    return Record(file, line, messages=messages, chosen=chosen, rejected=rejected)


def _messages(value: object, field: str) -> tuple[Message, ...]:
    """A checked conversation: a non-empty list of {"role", "content"} objects."""
    if not isinstance(value, list):
        raise ValueError(f"{field!r} must be a list of messages, got {_kind(value)}")
    if not value:
        raise ValueError(f"{field!r} is an empty list")
    messages = []
    for number, message in enumerate(value, start=1):
        where = f"{field!r} message {number}"
        if not isinstance(message, dict):
            raise ValueError(f"{where} must be an object, got {_kind(message)}")
        role = message.get("role")
        if role not in ROLES:
            shown = repr(role) if isinstance(role, str) else _kind(role)
            raise ValueError(f"{where} has role {shown}; expected system, user or assistant")
        if "content" not in message:
            raise ValueError(f"{where} has no 'content'")
        if not isinstance(message["content"], str):
            raise ValueError(
                f"{where}: 'content' must be a string, got {_kind(message['content'])}"
            )
        messages.append({"role": role, "content": message["content"]})
    return tuple(messages)


def _string(value: dict, name: str) -> str:
    if not isinstance(value[name], str):
        raise ValueError(f"{name!r} must be a string, got {_kind(value[name])}")
    return value[name]


def _needs(columns: Columns, what: str) -> str:
    return (
        f"a {columns.text!r} {what}, {columns.prompt!r} and {columns.response!r} {what}s, "
        f"a {columns.messages!r} {what}, or {columns.prompt!r}, {columns.chosen!r} and "
        f"{columns.rejected!r} {what}s"
    )


def _kind(value: object) -> str:
    kinds = {
        list: "an array",
        dict: "an object",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }
    return kinds.get(type(value), "null")


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


_READERS = {".txt": _read_txt, ".jsonl": _read_jsonl, ".json": _read_json, ".csv": _read_csv}
