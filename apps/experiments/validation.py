"""Checks on what clients send: metric points (a hand-written loop, because a serializer per
point is far too slow for 10k points per request), params, tags and artifact names. Each
error names the field and, for points, the index: `metrics[12].value`."""

from __future__ import annotations

import math
import re

from django.core.exceptions import ValidationError

MAX_POINTS_PER_REQUEST = 10_000
MAX_KEYS_PER_REQUEST = 1_000
MAX_KEY_LENGTH = 250
MAX_PARAMS = 1_000
MAX_PARAM_VALUE_LENGTH = 6_000
MAX_TAG_VALUE_LENGTH = 5_000
MAX_ARTIFACT_PATH_LENGTH = 500
MAX_STEP = 2**63 - 1
# The lowest step MLflow's API takes (any 64-bit integer); /api/v1 steps start at 0.
MIN_INT64 = -(2**63)
# Idempotency keys: a UUID, or any token of this alphabet and length the client chooses.
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# PostgreSQL text and jsonb cannot hold NUL; other control characters make names unreadable.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_POINT_FIELDS = frozenset({"key", "value", "step", "timestamp"})

MetricRow = tuple[str, int, float, float]  # (key, step, value, timestamp in epoch seconds)


def _fail(field: str, message: str):
    raise ValidationError({field: [message]})


def _key_error(key) -> str | None:
    if not isinstance(key, str) or not key:
        return "Must be a non-empty string."
    if len(key) > MAX_KEY_LENGTH:
        return f"At most {MAX_KEY_LENGTH} characters."
    if _CONTROL.search(key):
        return "Must not contain control characters."
    return None


def _finite(value) -> float | None:
    """`value` as a finite float, or None; bools are not numbers here."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int:
        try:
            converted = float(value)
        except OverflowError:
            return None
        return converted if math.isfinite(converted) else None
    return None


def metric_points_clean(raw, *, now: float, min_step: int = 0) -> list[MetricRow]:
    if not isinstance(raw, list):
        _fail("metrics", "Expected a list of points.")
    if not raw:
        _fail("metrics", "Send at least one point.")
    if len(raw) > MAX_POINTS_PER_REQUEST:
        _fail("metrics", f"At most {MAX_POINTS_PER_REQUEST} points per request; got {len(raw)}.")
    rows: list[MetricRow] = []
    keys: set[str] = set()
    for index, item in enumerate(raw):
        where = f"metrics[{index}]"
        if type(item) is not dict:
            _fail(where, "Expected an object with key, value and step.")
        if not item.keys() <= _POINT_FIELDS:
            extra = min(item.keys() - _POINT_FIELDS)
            _fail(f"{where}.{extra}", "Unknown field; a point has key, value, step, timestamp.")
        key = item.get("key")
        if type(key) is not str or key not in keys:
            if (problem := _key_error(key)) is not None:
                _fail(f"{where}.key", problem)
            keys.add(key)
            if len(keys) > MAX_KEYS_PER_REQUEST:
                _fail(f"{where}.key", f"At most {MAX_KEYS_PER_REQUEST} distinct keys per request.")
        value = _finite(item.get("value"))
        if value is None:
            _fail(f"{where}.value", "Must be a finite number (not NaN or infinity).")
        step = item.get("step")
        if type(step) is not int or not min_step <= step <= MAX_STEP:
            lowest = "-2^63" if min_step == MIN_INT64 else min_step
            _fail(f"{where}.step", f"Must be a whole number from {lowest} to 2^63-1.")
        timestamp = item.get("timestamp")
        if timestamp is None:
            timestamp = now
        else:
            timestamp = _finite(timestamp)
            if timestamp is None or timestamp < 0:
                _fail(f"{where}.timestamp", "Must be seconds since the epoch (a number >= 0).")
        rows.append((key, step, value, timestamp))
    return rows


def idempotency_key_clean(raw: str) -> str:
    if not _IDEMPOTENCY_KEY.fullmatch(raw):
        _fail("Idempotency-Key", "1 to 64 characters of letters, digits, '_', '.', ':' or '-'.")
    return raw


def params_clean(raw, *, field: str = "params") -> dict:
    """Keys -> JSON scalars, types kept (numbers stay numbers for search)."""
    if not isinstance(raw, dict):
        _fail(field, "Expected an object of name -> value.")
    if len(raw) > MAX_PARAMS:
        _fail(field, f"At most {MAX_PARAMS} params.")
    for key, value in raw.items():
        if (problem := _key_error(key)) is not None:
            _fail(f"{field}.{key}", f"Param name: {problem}")
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            if _finite(value) is None or isinstance(value, int) and abs(value) > MAX_STEP:
                _fail(f"{field}.{key}", "Numbers must be finite and fit in 64 bits.")
        elif isinstance(value, str):
            if len(value) > MAX_PARAM_VALUE_LENGTH or "\x00" in value:
                _fail(
                    f"{field}.{key}",
                    f"Text of at most {MAX_PARAM_VALUE_LENGTH} characters, no NUL.",
                )
        else:
            _fail(f"{field}.{key}", "Must be a number, a string, true, false or null.")
    return dict(raw)


def tags_clean(raw, *, allow_null: bool = False, field: str = "tags") -> dict:
    """Keys -> strings; with allow_null, a null value means "remove this tag"."""
    if not isinstance(raw, dict):
        _fail(field, "Expected an object of name -> text.")
    if len(raw) > MAX_PARAMS:
        _fail(field, f"At most {MAX_PARAMS} tags.")
    for key, value in raw.items():
        if (problem := _key_error(key)) is not None:
            _fail(f"{field}.{key}", f"Tag name: {problem}")
        if value is None and allow_null:
            continue
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE_LENGTH or "\x00" in value:
            _fail(f"{field}.{key}", f"Must be text of at most {MAX_TAG_VALUE_LENGTH} characters.")
    return dict(raw)


def artifact_path_clean(raw: str) -> str:
    """A display name that is a plain relative path: no `..`, no absolute paths, no
    backslashes or control characters. The stored file's location never uses it."""
    if not isinstance(raw, str) or not raw.strip():
        _fail("path", "Give the artifact a name.")
    if len(raw) > MAX_ARTIFACT_PATH_LENGTH:
        _fail("path", f"At most {MAX_ARTIFACT_PATH_LENGTH} characters.")
    if _CONTROL.search(raw):
        _fail("path", "Must not contain NUL or other control characters.")
    if "\\" in raw:
        _fail("path", "Use / to separate folders.")
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        _fail("path", "Must be a relative path.")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        _fail("path", "Must not contain '..'.")
    if not parts:
        _fail("path", "Give the artifact a name.")
    return "/".join(parts)
