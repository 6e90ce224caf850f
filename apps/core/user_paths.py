"""The server's filesystem as users meet it. Users name their files only by plain file names
(display names: every stored path is built from ids we generated), and no message a user
reads carries a server path: a worker's error names the file, never where it lies."""

from __future__ import annotations

import functools
import os
import re
import site
import sys
import sysconfig
import tempfile
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from .storage import is_plain_name

# A character of one part of a path as messages quote it (a space ends it, as do quotes).
_PART_CHAR = r"[^\s/'\"`:;,()<>\[\]{}|]"
# `file://` and a host, when a path is written as a URL.
_FILE_URL = r"(?i:file://)[\w.-]*"
# An absolute path of two or more parts, not inside a web URL or a relative path (`a/b`).
_ABSOLUTE_PATH = re.compile(rf"(?<![\w.~:/\\-])(?:{_FILE_URL})?(?:/{_PART_CHAR}+){{2,}}/?")


def plain_filename(name: str, *, field: str = "filename") -> str:
    """`name` if it is one plain file name; a path, a hidden or reserved name, or control
    characters are refused rather than trimmed, so what is stored is what the user sent."""
    name = name.strip()
    if not is_plain_name(name):  # the storage layer's rule for the last part of a key
        raise ValidationError({field: ["give a plain file name without folders, such as data.jsonl"]})
    return name


@functools.cache
def _process_roots() -> frozenset[str]:
    """The folders of this process that errors name: Python's own (stdlib, site-packages),
    the home directory and the temporary one."""
    return frozenset({
        sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), site.getusersitepackages(),
        *sysconfig.get_paths().values(), str(Path.home()), tempfile.gettempdir(),
    })


def _server_roots() -> dict[str, str]:
    """Each folder of the server a message may name, by what a bare mention of it becomes,
    as written and resolved (a root behind a link is printed either way)."""
    roots = {*_process_roots(), *(str(getattr(settings, name, "")) for name in ("MEDIA_ROOT", "VAR_DIR", "BASE_DIR"))}
    roots |= {os.path.realpath(root) for root in roots if root}
    homes = {str(Path.home()), os.path.realpath(Path.home())}
    return {root.rstrip("/"): "~" if root in homes else Path(root).name for root in roots if root.strip("/")}


@functools.lru_cache(maxsize=8)
def _roots_pattern(roots: tuple[str, ...]) -> re.Pattern:
    # Longest first, so a root inside another (MEDIA_ROOT in VAR_DIR) is taken whole; the
    # root may hold spaces, the rest of the path is cut where a message's path would end.
    alternatives = "|".join(re.escape(root) for root in sorted(roots, key=len, reverse=True))
    return re.compile(rf"(?<![\w.~-])(?:{_FILE_URL})?(?P<root>{alternatives})"
                      rf"(?P<rest>(?:/{_PART_CHAR}+)*)/?(?!{_PART_CHAR})")


def _last_part(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def hide_server_paths(text: str, *, known: Mapping[str, str] | None = None) -> str:
    """`text` with every server path cut to its last part (`/srv/media/4/30/bad.jsonl`
    becomes `bad.jsonl`): library and system errors name the server's files by path.
    `known` maps paths the caller can name as the user knows them (their file's name) to
    that name. The server's own folders are found as written, so a space in one (a home
    directory, `/home/Jo Smith/...`) cannot hide the rest; any other absolute path is cut
    where it ends."""
    for path, shown in sorted((known or {}).items(), key=lambda item: len(item[0]), reverse=True):
        text = text.replace(path, shown)
    roots = _server_roots()
    text = _roots_pattern(tuple(sorted(roots))).sub(
        lambda match: _last_part(match["rest"]) if match["rest"] else roots[match["root"]], text
    )
    return _ABSOLUTE_PATH.sub(lambda match: _last_part(match.group(0)), text)


def error_text(exc: BaseException, *, known: Mapping[str, str] | None = None) -> str:
    """What a user is told when work on their behalf failed: the error's kind and message,
    without server paths (`known` as for hide_server_paths)."""
    return hide_server_paths(f"{type(exc).__name__}: {exc}", known=known)
