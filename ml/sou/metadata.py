"""The metadata JSON object of a `.sou` file: its sections and the checks both the writer and
the reader apply to them. Keys this version does not know are kept and never rejected."""

from __future__ import annotations

from numbers import Real

from ml.sou.constants import (
    SECTION_ARCHITECTURE,
    SECTION_GENERATION,
    SECTION_PERSONALITY,
    SECTION_PROVENANCE,
    SECTION_TOKENIZER,
)
from ml.sou.errors import SouFormatError


def _number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Known generation keys: (is this value acceptable, what a valid value looks like).
_GENERATION_RULES = {
    "temperature": (lambda v: _number(v) and v >= 0, "a number >= 0"),
    "top_k": (lambda v: _integer(v) and v >= 0, "an integer >= 0 (0 disables it)"),
    "top_p": (lambda v: _number(v) and 0 < v <= 1, "a number in (0, 1]"),
    "min_p": (lambda v: _number(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "repetition_penalty": (lambda v: _number(v) and v > 0, "a number > 0"),
    "max_tokens": (lambda v: _integer(v) and v >= 1, "an integer >= 1"),
    "stop": (lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
             "a list of strings"),
}


def validate_metadata(metadata, offset: int) -> None:
    """Raise SouFormatError naming the first metadata field that breaks the spec.

    `offset` is where the metadata JSON starts in the file; JSON has no finer byte positions
    worth reporting, so every field error points there.
    """

    def fail(field: str, message: str):
        raise SouFormatError(f"metadata.{field}", offset, message)

    if not isinstance(metadata, dict):
        raise SouFormatError("metadata", offset, "must be a JSON object")

    arch = metadata.get(SECTION_ARCHITECTURE)
    if not isinstance(arch, dict):
        fail(SECTION_ARCHITECTURE, "missing or not an object (it holds the model config)")
    if not isinstance(arch.get("arch"), str) or not arch["arch"]:
        fail(f"{SECTION_ARCHITECTURE}.arch", "must be a non-empty string naming the architecture")

    tokenizer = metadata.get(SECTION_TOKENIZER, {})
    if not isinstance(tokenizer, dict):
        fail(SECTION_TOKENIZER, "must be an object")
    for key in ("hf_json", "chat_template"):
        if tokenizer.get(key) is not None and not isinstance(tokenizer[key], str):
            fail(f"{SECTION_TOKENIZER}.{key}", "must be a string or null")

    generation = metadata.get(SECTION_GENERATION, {})
    if not isinstance(generation, dict):
        fail(SECTION_GENERATION, "must be an object")
    for key, (valid, expected) in _GENERATION_RULES.items():
        if key in generation and not valid(generation[key]):
            fail(f"{SECTION_GENERATION}.{key}", f"must be {expected}, got {generation[key]!r}")

    personality = metadata.get(SECTION_PERSONALITY)
    if personality is not None and not isinstance(personality, dict):
        fail(SECTION_PERSONALITY, "must be an object or null")

    if not isinstance(metadata.get(SECTION_PROVENANCE, {}), dict):
        fail(SECTION_PROVENANCE, "must be an object")
