"""Recipes: an ordered list of step configs, parsed from a dict (TOML, JSON, the API) into
frozen dataclasses, checked field by field, and written back in one canonical form for storage.

Each step type is one dataclass below; its fields are the options a user may set (an
allow-list: anything else is refused by name). `parse_recipe` checks what the recipe alone can
tell (types, ranges, a regex that compiles, a split that sums to 1, where split and mix may
stand); `check_recipe` in `runner.py` checks what needs the inputs (columns, record kinds)."""

from __future__ import annotations

import math
import re
import string
import tomllib
import types
import typing
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import ClassVar, Literal, Union

from ml.data.pipeline.errors import RecipeError

PII_KINDS = ("email", "phone", "ip", "card")
SPLIT_PARTS = ("train", "validation", "test")
MAX_STEPS = 50
MAX_PATTERN_CHARS = 1000  # a regex longer than this is refused (compiling one can be slow)
# Outputs are bounded so that one recipe cannot fill the disk or, in a preview, the memory.
MAX_MIX_SIZE = 10**8  # records a mix may produce
MAX_MIX_FACTOR = 100  # ... and at most this many times the records of its inputs
MAX_MIX_WEIGHT = 1e6  # weights are relative shares: a wider range only loses precision
MAX_TEMPLATE_CHARS = 4096  # per template string
MAX_PLACEHOLDERS = 32  # {column} placeholders per template string
# A sample of n holds its n records until the input ends; beyond this, sample a fraction.
MAX_SAMPLE_N = 100_000


@dataclass(frozen=True)
class Normalize:
    type: ClassVar[str] = "normalize"
    nfkc: bool = True  # Unicode NFKC: full-width letters, ligatures and the like become plain
    whitespace: bool = True  # runs of spaces/tabs become one space, blank-line runs one blank line
    control: bool = True  # control characters other than newline and tab are removed


@dataclass(frozen=True)
class LengthFilter:
    type: ClassVar[str] = "length_filter"
    unit: Literal["chars", "tokens"] = "chars"  # tokens: word runs and punctuation marks
    min: int | None = None  # shorter records are dropped
    max: int | None = None  # longer records are dropped
    field: str | None = None  # a column; default the record's text


@dataclass(frozen=True)
class LanguageFilter:
    type: ClassVar[str] = "language_filter"
    languages: tuple[str, ...] = ()  # ISO 639-1 codes to keep (py3langid's labels)
    min_confidence: float = 0.0  # records identified with a lower probability are dropped
    field: str | None = None


@dataclass(frozen=True)
class RegexFilter:
    type: ClassVar[str] = "regex_filter"
    pattern: str = ""  # `regex` package syntax (Python's `re` and more), searched anywhere
    keep: Literal["match", "nonmatch"] = "match"
    field: str | None = None


@dataclass(frozen=True)
class FeatureFilter:
    type: ClassVar[str] = "feature_filter"
    feature: str = ""  # a numeric feature of ml.data.features.registry.FEATURES
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Sample:
    type: ClassVar[str] = "sample"
    n: int | None = None  # keep this many (<= MAX_SAMPLE_N; a seeded uniform choice, in order)
    fraction: float | None = None  # or keep each record with this probability
    seed: int = 0


@dataclass(frozen=True)
class DedupExact:
    type: ClassVar[str] = "dedup_exact"
    field: str | None = None  # compared after lower-casing and collapsing whitespace


@dataclass(frozen=True)
class DedupNear:
    type: ClassVar[str] = "dedup_near"
    threshold: float = 0.8  # Jaccard similarity of word n-gram sets at which records are duplicates
    num_perm: int = 128  # MinHash permutations: more is a finer estimate and slower
    ngram: int = 3  # words per shingle
    field: str | None = None


@dataclass(frozen=True)
class PiiScrub:
    type: ClassVar[str] = "pii_scrub"
    kinds: tuple[str, ...] = PII_KINDS  # replaced by <EMAIL>, <PHONE>, <IP>, <CARD>


@dataclass(frozen=True)
class Template:
    type: ClassVar[str] = "template"
    mode: Literal["pair", "chat", "text"] = "pair"
    prompt: str | None = None  # format strings: "{column}" is the record's column, "{{" a brace
    response: str | None = None
    text: str | None = None
    system: str | None = None  # chat mode: a system message before the user's turn


@dataclass(frozen=True)
class Split:
    type: ClassVar[str] = "split"
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1
    seed: int = 0
    group_by: str | None = None  # records sharing this column's value go to the same part


@dataclass(frozen=True)
class Mix:
    type: ClassVar[str] = "mix"
    weights: tuple[float, ...] = ()  # one per input, relative shares of the output
    # Records out (<= MAX_MIX_SIZE and MAX_MIX_FACTOR x the inputs' records): inputs are
    # down-sampled or up-sampled (with replacement).
    target_size: int = 0
    seed: int = 0


STEP_CLASSES = (
    Normalize,
    LengthFilter,
    LanguageFilter,
    RegexFilter,
    FeatureFilter,
    Sample,
    DedupExact,
    DedupNear,
    PiiScrub,
    Template,
    Split,
    Mix,
)
Step = Union[STEP_CLASSES]
STEP_TYPES: dict[str, type] = {cls.type: cls for cls in STEP_CLASSES}
# Steps that rewrite a record's text: values materialized before them no longer describe it.
TEXT_CHANGING = ("normalize", "pii_scrub", "template")


@dataclass(frozen=True)
class Recipe:
    steps: tuple[Step, ...]


def load_recipe_toml(path: str | Path) -> Recipe:
    """A recipe from a TOML file of `[[steps]]` tables, each with a `type`."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(None, "toml", str(exc)) from exc
    return parse_recipe(data)


def parse_recipe(data: dict) -> Recipe:
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise RecipeError(None, "steps", "a recipe is an object with a list of steps")
    raw_steps = data["steps"]
    if not raw_steps:
        raise RecipeError(None, "steps", "a recipe needs at least one step")
    if len(raw_steps) > MAX_STEPS:
        raise RecipeError(None, "steps", f"at most {MAX_STEPS} steps")
    steps = tuple(_parse_step(i, raw) for i, raw in enumerate(raw_steps))
    for i, step in enumerate(steps):
        if isinstance(step, Split) and i != len(steps) - 1:
            raise RecipeError(i, "type", "split must be the last step", step.type)
        if isinstance(step, Mix) and i != 0:
            raise RecipeError(i, "type", "mix must be the first step", step.type)
    return Recipe(steps)


def recipe_to_dict(recipe: Recipe) -> dict:
    """The canonical stored form: every option spelled out, tuples as lists."""
    return {"steps": [{"type": s.type, **_plain(asdict(s))} for s in recipe.steps]}


def _plain(values: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _parse_step(index: int, raw: object) -> Step:
    if not isinstance(raw, dict):
        raise RecipeError(index, "type", "a step is an object with a type")
    kind = raw.get("type")
    cls = STEP_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RecipeError(
            index,
            "type",
            f"unknown step type {kind!r}; one of {', '.join(STEP_TYPES)}",
            kind if isinstance(kind, str) else None,
        )
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    values = {}
    for name, value in raw.items():
        if name == "type":
            continue
        if name not in known:
            raise RecipeError(
                index, name, f"unknown option; {kind} takes {', '.join(known) or 'none'}", kind
            )
        values[name] = _coerce(value, hints[name], index, name, kind)
    for name, f in known.items():
        if name not in values and f.default is MISSING:
            raise RecipeError(index, name, "is required", kind)
    step = cls(**values)
    _CHECKS.get(kind, lambda s, i: None)(step, index)
    return step


def _coerce(value: object, hint: object, index: int, name: str, kind: str) -> object:
    """`value` as the option's declared type, or a RecipeError naming the field."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType) and type(None) in args:
        if value is None:
            return None
        (hint,) = [a for a in args if a is not type(None)]
        return _coerce(value, hint, index, name, kind)
    if origin is Literal:
        if value not in args:
            raise RecipeError(index, name, f"must be one of {', '.join(map(str, args))}", kind)
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise RecipeError(index, name, "must be a list", kind)
        return tuple(_coerce(v, args[0], index, name, kind) for v in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise RecipeError(index, name, "must be true or false", kind)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecipeError(index, name, "must be a whole number", kind)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RecipeError(index, name, "must be a number", kind)
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            number = math.inf
        if not math.isfinite(number):  # JSON's 1e400 arrives as inf
            raise RecipeError(index, name, "must be a finite number", kind)
        return number
    if not isinstance(value, str):
        raise RecipeError(index, name, "must be a string", kind)
    return value


def _fail(step: Step, index: int, name: str, message: str) -> typing.NoReturn:
    raise RecipeError(index, name, message, step.type)


def _check_range(step, index: int) -> None:
    if step.min is None and step.max is None:
        _fail(step, index, "min", "set min, max or both")
    if step.min is not None and step.max is not None and step.min > step.max:
        _fail(step, index, "max", f"must be at least min ({step.min})")
    for name in ("min", "max"):
        value = getattr(step, name)
        if value is not None and value < 0 and isinstance(step, LengthFilter):
            _fail(step, index, name, "must not be negative")


def _check_field(step, index: int) -> None:
    if step.field is not None and not step.field:
        _fail(step, index, "field", "must name a column")


def _check_length(step: LengthFilter, index: int) -> None:
    _check_range(step, index)
    _check_field(step, index)


def _check_language(step: LanguageFilter, index: int) -> None:
    from ml.data.pipeline.langid import LABELS

    if not step.languages:
        _fail(step, index, "languages", "name at least one language (ISO 639-1 code)")
    unknown = [code for code in step.languages if code not in LABELS]
    if unknown:
        _fail(step, index, "languages", f"unknown language code(s): {', '.join(unknown)}")
    if not 0.0 <= step.min_confidence <= 1.0:
        _fail(step, index, "min_confidence", "must be between 0 and 1")
    _check_field(step, index)


def _check_regex(step: RegexFilter, index: int) -> None:
    import regex

    if not step.pattern:
        _fail(step, index, "pattern", "is required")
    if len(step.pattern) > MAX_PATTERN_CHARS:
        _fail(step, index, "pattern", f"is longer than {MAX_PATTERN_CHARS} characters")
    try:
        regex.compile(step.pattern)
    except regex.error as exc:
        _fail(step, index, "pattern", f"does not compile: {exc}")
    _check_field(step, index)


def _check_feature(step: FeatureFilter, index: int) -> None:
    from ml.data.features.registry import NUMERIC

    if step.feature not in NUMERIC:
        _fail(
            step,
            index,
            "feature",
            f"unknown numeric feature {step.feature!r}; one of {', '.join(sorted(NUMERIC))}",
        )
    _check_range(step, index)


def _check_sample(step: Sample, index: int) -> None:
    if (step.n is None) == (step.fraction is None):
        _fail(step, index, "n", "set exactly one of n and fraction")
    if step.n is not None and not 1 <= step.n <= MAX_SAMPLE_N:
        _fail(
            step, index, "n", f"must be between 1 and {MAX_SAMPLE_N:,} (or sample a fraction)"
        )
    if step.fraction is not None and not 0.0 < step.fraction <= 1.0:
        _fail(step, index, "fraction", "must be above 0 and at most 1")


def _check_near(step: DedupNear, index: int) -> None:
    if not 0.0 < step.threshold < 1.0:
        _fail(step, index, "threshold", "must be between 0 and 1 (exclusive)")
    if not 16 <= step.num_perm <= 1024:
        _fail(step, index, "num_perm", "must be between 16 and 1024")
    if not 1 <= step.ngram <= 10:
        _fail(step, index, "ngram", "must be between 1 and 10")
    _check_field(step, index)


def _check_pii(step: PiiScrub, index: int) -> None:
    unknown = [k for k in step.kinds if k not in PII_KINDS]
    if unknown or not step.kinds:
        _fail(step, index, "kinds", f"choose from {', '.join(PII_KINDS)}")


def format_columns(fmt: str) -> list[str]:
    """The columns a `{column}` format string names; ValueError for anything else. A name of
    digits alone is refused: `format_map` would take it for a positional argument."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(fmt):
        if name is None:
            continue
        if not name or spec or conversion or not re.fullmatch(r"[^\[\].!:{}]+", name):
            raise ValueError(f"placeholders are plain {{column}} names, not {{{name}}}")
        if name.isdecimal():
            raise ValueError(f"{{{name}}} reads as a position, not a column: rename the column")
        names.append(name)
    return names


def _check_template(step: Template, index: int) -> None:
    needed = {"pair": ("prompt", "response"), "chat": ("prompt", "response"), "text": ("text",)}[
        step.mode
    ]
    for name in needed:
        if not getattr(step, name):
            _fail(step, index, name, f"is required in {step.mode} mode")
    for name in ("prompt", "response", "text", "system"):
        value = getattr(step, name)
        if value is None:
            continue
        if name not in needed and not (name == "system" and step.mode == "chat"):
            _fail(step, index, name, f"is not used in {step.mode} mode")
        if len(value) > MAX_TEMPLATE_CHARS:
            _fail(step, index, name, f"is longer than {MAX_TEMPLATE_CHARS} characters")
        try:
            columns = format_columns(value)
        except ValueError as exc:
            _fail(step, index, name, str(exc))
        if len(columns) > MAX_PLACEHOLDERS:
            _fail(step, index, name, f"has more than {MAX_PLACEHOLDERS} placeholders")


def _check_split(step: Split, index: int) -> None:
    for name in SPLIT_PARTS:
        if not 0.0 <= getattr(step, name) <= 1.0:
            _fail(step, index, name, "must be between 0 and 1")
    if step.train <= 0.0:
        _fail(step, index, "train", "must be above 0")
    if abs(step.train + step.validation + step.test - 1.0) > 1e-6:
        _fail(step, index, "test", "train, validation and test must sum to 1")
    if step.group_by is not None and not step.group_by:
        _fail(step, index, "group_by", "must name a column")


def _check_mix(step: Mix, index: int) -> None:
    if len(step.weights) < 2:
        _fail(step, index, "weights", "mix at least two inputs, one weight each")
    if any(not 0 < w <= MAX_MIX_WEIGHT for w in step.weights):
        _fail(step, index, "weights", f"must all be above 0 and at most {MAX_MIX_WEIGHT:g}")
    if not 1 <= step.target_size <= MAX_MIX_SIZE:
        _fail(step, index, "target_size", f"must be between 1 and {MAX_MIX_SIZE:,}")


_CHECKS: dict[str, typing.Callable] = {
    "length_filter": _check_length,
    "language_filter": _check_language,
    "regex_filter": _check_regex,
    "feature_filter": _check_feature,
    "sample": _check_sample,
    "dedup_exact": _check_field,
    "dedup_near": _check_near,
    "pii_scrub": _check_pii,
    "template": _check_template,
    "split": _check_split,
    "mix": _check_mix,
}
