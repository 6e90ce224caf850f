"""The feature registry: every per-record feature the platform can compute, with its type,
version and the function that computes it over a batch of texts.

A feature is computed from a record's text (see `record_text` in the pipeline for what that
is for pairs and chats). `compute(texts) -> list` returns one value per text, `None` where a
text has no value (the language of an empty text). Bump a feature's `version` whenever its
function changes meaning: materialized values of an older version are then recomputed.

Record-level features depend on one text only. A dataset-level feature (`scope="dataset"`,
the near-duplicate cluster) depends on the texts before it: `computer()` returns a fresh
stateful batch function that is fed a whole stream in order; `compute` over one list treats
that list as the whole dataset. Features that share an expensive pass (the personality
metrics, measured together by `ml.personality.metrics.measure`) name the same `source`, so
`compute_many` runs that pass once per batch for all of them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ml.data.features.dedup import NearDuplicateIndex

Dtype = Literal["float", "int", "str", "vector"]
BatchFn = Callable[[Sequence[str]], list]
SourceFn = Callable[[Sequence[str]], dict[str, list]]

# A tokenizer-independent token estimate: runs of word characters and single punctuation
# marks. A dataset is featurized before any model's tokenizer is chosen; BPE counts for
# English prose run about 1.1-1.3x this.
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # as ml.personality.metrics counts words


@dataclass(frozen=True)
class FeatureDef:
    name: str
    dtype: Dtype
    version: int  # bumped when the function's meaning changes; old materializations are stale
    group: str
    description: str
    compute: BatchFn
    scope: Literal["record", "dataset"] = "record"  # dataset: value depends on earlier records
    source: SourceFn | None = None  # a shared pass computing this and sibling features at once
    dim: int | None = None  # length of a "vector" feature

    def computer(self) -> BatchFn:
        """A batch function for one pass over a stream: fresh state for dataset-level features."""
        if self.scope == "dataset":
            return _stateful[self.name]()
        return self.compute


def count_tokens(text: str) -> int:
    """The token estimate used by the `tokens` feature and the length filter's "tokens" unit."""
    return len(_TOKEN.findall(text))


@functools.lru_cache(maxsize=1)
def _language_identifier():
    # The model file ships inside py3langid; loaded once per process (about 0.3 s).
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float | None]:
    """(ISO 639-1 code, probability) of a text, or (None, None) for a text without letters."""
    if not any(ch.isalpha() for ch in text):
        return None, None
    language, confidence = _language_identifier().classify(text)
    return language, round(float(confidence), 6)


def _chars(texts: Sequence[str]) -> list:
    return [len(t) for t in texts]


def _words(texts: Sequence[str]) -> list:
    return [len(_WORD.findall(t)) for t in texts]


def _tokens(texts: Sequence[str]) -> list:
    return [count_tokens(t) for t in texts]


def _language(texts: Sequence[str]) -> list:
    return [detect_language(t)[0] for t in texts]


def _language_confidence(texts: Sequence[str]) -> list:
    return [detect_language(t)[1] for t in texts]


def _duplicate_clusters() -> BatchFn:
    index = NearDuplicateIndex()
    return lambda texts: [index.add(t) for t in texts]


def _duplicate_cluster(texts: Sequence[str]) -> list:
    return _duplicate_clusters()(texts)


def _personality(texts: Sequence[str]) -> dict[str, list]:
    from ml.personality.metrics import METRIC_NAMES, measure

    measured = measure(list(texts))
    # An empty text has no personality; zeros there would skew every statistic.
    return {name: [None if m.empty else float(m.values[name]) for m in measured] for name in METRIC_NAMES}


def _embedding(texts: Sequence[str]) -> list:
    from ml.personality.embeddings import embed

    return [row.tolist() for row in embed(list(texts))]


_stateful: dict[str, Callable[[], BatchFn]] = {"duplicate_cluster": _duplicate_clusters}


def _personality_def(name: str) -> FeatureDef:
    return FeatureDef(
        name,
        "float",
        1,
        "personality",
        f"Personality metric {name} (ml.personality.metrics)",
        lambda texts: _personality(texts)[name],
        source=_personality,
    )


def _personality_names() -> tuple[str, ...]:
    from ml.personality.metrics import METRIC_NAMES

    return METRIC_NAMES


_DEFS: tuple[FeatureDef, ...] = (
    FeatureDef("chars", "int", 1, "basic", "Characters in the record's text", _chars),
    FeatureDef("words", "int", 1, "basic", "Words (letter runs, as the personality metrics count them)", _words),
    FeatureDef("tokens", "int", 1, "basic", "Token estimate: word runs and punctuation marks", _tokens),
    FeatureDef("language", "str", 1, "basic", "Most likely language (ISO 639-1, py3langid)", _language),
    FeatureDef("language_confidence", "float", 1, "basic", "Probability of that language, 0..1", _language_confidence),
    FeatureDef(
        "duplicate_cluster",
        "int",
        1,
        "dedup",
        "Near-duplicate cluster (MinHash LSH, Jaccard >= 0.8): position of the cluster's first record",
        _duplicate_cluster,
        scope="dataset",
    ),
    # "words" is a personality metric too, with the basic feature's meaning: listed once.
    *(_personality_def(name) for name in _personality_names() if name != "words"),
    FeatureDef("embedding", "vector", 1, "embedding", "all-MiniLM-L6-v2 sentence embedding (384 floats)", _embedding, dim=384),
)

FEATURES: dict[str, FeatureDef] = {f.name: f for f in _DEFS}
GROUPS: dict[str, tuple[str, ...]] = {}
for _f in _DEFS:
    GROUPS.setdefault(_f.group, ())
    GROUPS[_f.group] += (_f.name,)
GROUPS["personality"] = _personality_names()

# Features a filter can hold to a min/max: numbers only.
NUMERIC = frozenset(name for name, f in FEATURES.items() if f.dtype in ("int", "float"))


def compute_many(computers: dict[str, BatchFn], texts: Sequence[str]) -> dict[str, list]:
    """Values of several features over one batch, running each shared pass (`source`) once.
    `computers` maps names to their batch functions (from `FeatureDef.computer()`)."""
    out: dict[str, list] = {}
    shared: dict[SourceFn, dict[str, list]] = {}
    for name, fn in computers.items():
        source = FEATURES[name].source
        if source is None:
            out[name] = fn(texts)
            continue
        if source not in shared:
            shared[source] = source(texts)
        out[name] = shared[source][name]
    return out
