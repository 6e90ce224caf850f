"""The server's filesystem as users meet it. Users name their files only by plain file names
(display names: every stored path is built from ids we generated), and no message a user
reads carries a server path: a worker's error names the file, never where it lies."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

MAX_FILENAME_CHARS = 255
# An absolute path of two or more parts, not inside a URL or a relative path (`a/b`).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~:/\\-])(?:/[^\s/'\"`:;,()<>\[\]{}|]+){2,}/?")


def plain_filename(name: str, *, field: str = "filename") -> str:
    """`name` if it is one plain file name; a path, a hidden or reserved name, or control
    characters are refused rather than trimmed, so what is stored is what the user sent."""
    name = name.strip()
    if (
        not name
        or len(name) > MAX_FILENAME_CHARS
        or "/" in name
        or "\\" in name
        or name.startswith(".")
        or any(ord(char) < 32 or ord(char) == 127 for char in name)
    ):
        raise ValidationError({field: ["give a plain file name without folders, such as data.jsonl"]})
    return name


def hide_server_paths(text: str) -> str:
    """`text` with every absolute path cut to its last part (`/srv/media/4/30/bad.jsonl`
    becomes `bad.jsonl`): library and system errors name the server's files by path."""
    return _ABSOLUTE_PATH.sub(lambda match: match.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def error_text(exc: BaseException) -> str:
    """What a user is told when work on their behalf failed: the error's kind and message,
    without server paths."""
    return hide_server_paths(f"{type(exc).__name__}: {exc}")
