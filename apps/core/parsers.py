"""JSON request bodies, read once for the whole API (DRF's parser and the /v1 views).

Two inputs would otherwise turn into a 500: JSON nested deeper than Python's recursion
limit (`[[[[...` in 200 kB), and the NUL character (`\\u0000`), which PostgreSQL's text and
jsonb cannot store. Both are refused here as the body's fault, naming where they are."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

# Far deeper than any body the API takes (training configs nest 3 levels), far shallower
# than the recursion that parsing and serializing would need.
MAX_JSON_DEPTH = 32
NUL_MESSAGE = "Must not contain the NUL character (\\u0000)."


class JSONInputError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def _nul_path(value, path: str) -> str | None:
    """The dotted path of the first string (key or value) holding NUL, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return where
            if (found := _nul_path(item, where)) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _nul_path(item, f"{path}[{index}]")) is not None:
                return found
    return None


def _too_deep(value) -> bool:
    """Level by level (no recursion): does any container sit below MAX_JSON_DEPTH levels?"""
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [child for node in level
                 for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, (dict, list))]
        if not level:
            return False
    return True


def json_check(data, text: str) -> None:
    """Refuses a parsed body that is too deep or holds NUL (only escaped NUL can parse)."""
    if isinstance(data, (dict, list)) and _too_deep(data):
        raise JSONInputError(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
    if "\\u0000" in text and (field := _nul_path(data, "")) is not None:
        field = field.replace("\x00", "\\u0000")  # a key holding NUL, written as sent
        raise JSONInputError(NUL_MESSAGE, field=field or "non_field_errors")


def json_loads(raw: bytes | str, *, allow_nan: bool = False):
    """Parses a request body; every way it can be wrong is a JSONInputError."""
    try:
        text = raw.decode(settings.DEFAULT_CHARSET) if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=None if allow_nan else _refuse_constant)
    except RecursionError:
        raise JSONInputError(
            f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONInputError(f"The body is not valid JSON: {exc}") from None
    json_check(data, text)
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the checks above: 400 parse_error, or a validation_error
    naming the field that holds NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return json_loads(stream.read(), allow_nan=not self.strict)
        except JSONInputError as exc:
            if exc.field:
                raise ValidationError({exc.field: [exc.message]}) from None
            raise ParseError(exc.message) from None
