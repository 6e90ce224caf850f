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
metrics, measured together by `ml.personality.metrics.measure`; language and its confidence)
name the same `source`, so `compute_many` runs that pass once per batch for all of them.

The rules are the recipe steps' own: language is `ml.data.pipeline.langid` (as the language
filter decides), duplicate clusters are `ml.data.pipeline.minhash.NearDuplicates` with the
dedup_near step's defaults, so a feature filter and a step never disagree. FEATURES, GROUPS
and NUMERIC are built on first use: listing the personality metrics imports them (about a
second), which reading a recipe or counting tokens does not need."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

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


def _language_pass(texts: Sequence[str]) -> dict[str, list]:
    """Language (ISO 639-1) and its probability per text, None for a text without letters."""
    from ml.data.pipeline.langid import classify_batch

    languages: list = [None] * len(texts)
    confidences: list = [None] * len(texts)
    todo = [i for i, t in enumerate(texts) if any(ch.isalpha() for ch in t)]
    for i, (language, confidence) in zip(todo, classify_batch([texts[i] for i in todo])):
        if language != "und":
            languages[i], confidences[i] = language, round(float(confidence), 6)
    return {"language": languages, "language_confidence": confidences}


def _chars(texts: Sequence[str]) -> list:
    return [len(t) for t in texts]


def _words(texts: Sequence[str]) -> list:
    return [len(_WORD.findall(t)) for t in texts]


def _tokens(texts: Sequence[str]) -> list:
    return [count_tokens(t) for t in texts]


def _language(texts: Sequence[str]) -> list:
    return _language_pass(texts)["language"]


def _language_confidence(texts: Sequence[str]) -> list:
    return _language_pass(texts)["language_confidence"]


def _duplicate_clusters() -> BatchFn:
    """Each text's cluster: the stream position of the first text of its near-duplicate
    group (its own position when it duplicates none)."""
    from ml.data.pipeline.minhash import NearDuplicates
    from ml.data.pipeline.recipe import DedupNear

    step = DedupNear()
    rule = NearDuplicates(step.threshold, step.num_perm, step.ngram)
    seen = 0

    def clusters(texts: Sequence[str]) -> list:
        nonlocal seen
        ids = np.arange(seen, seen + len(texts), dtype=np.uint32)
        seen += len(texts)
        match = rule.assign(texts, ids)
        return np.where(match >= 0, match, ids.astype(np.int64)).tolist()

    return clusters


def _duplicate_cluster(texts: Sequence[str]) -> list:
    return _duplicate_clusters()(texts)


def _personality(texts: Sequence[str]) -> dict[str, list]:
    from ml.personality.metrics import METRIC_NAMES, measure

    measured = measure(list(texts))
    # An empty text has no personality; zeros there would skew every statistic.
    return {
        name: [None if m.empty else float(m.values[name]) for m in measured]
        for name in METRIC_NAMES
    }


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


@functools.lru_cache(maxsize=1)
def _tables() -> dict:
    defs: tuple[FeatureDef, ...] = (
        FeatureDef("chars", "int", 1, "basic", "Characters in the record's text", _chars),
        FeatureDef(
            "words",
            "int",
            1,
            "basic",
            "Words (letter runs, as the personality metrics count them)",
            _words,
        ),
        FeatureDef(
            "tokens", "int", 1, "basic", "Token estimate: word runs and punctuation marks", _tokens
        ),
        # Version 2: the language filter's identification (the first 4 KB of a text).
        FeatureDef(
            "language",
            "str",
            2,
            "basic",
            "Most likely language (ISO 639-1, py3langid's model, as the language filter)",
            _language,
            source=_language_pass,
        ),
        FeatureDef(
            "language_confidence",
            "float",
            2,
            "basic",
            "Probability of that language, 0..1",
            _language_confidence,
            source=_language_pass,
        ),
        # Version 2: the dedup_near step's rule (a text without words is in no one's cluster).
        FeatureDef(
            "duplicate_cluster",
            "int",
            2,
            "dedup",
            "Near-duplicate cluster (the dedup_near step's MinHash LSH, Jaccard >= 0.8): "
            "position of the cluster's first record",
            _duplicate_cluster,
            scope="dataset",
        ),
        # "words" is a personality metric too, with the basic feature's meaning: listed once.
        *(_personality_def(name) for name in _personality_names() if name != "words"),
        FeatureDef(
            "embedding",
            "vector",
            1,
            "embedding",
            "all-MiniLM-L6-v2 sentence embedding (384 floats)",
            _embedding,
            dim=384,
        ),
    )
    features = {f.name: f for f in defs}
    groups: dict[str, tuple[str, ...]] = {}
    for f in defs:
        groups[f.group] = groups.get(f.group, ()) + (f.name,)
    groups["personality"] = _personality_names()
    return {
        "FEATURES": features,
        "GROUPS": groups,
        # Features a filter can hold to a min/max: numbers only.
        "NUMERIC": frozenset(n for n, f in features.items() if f.dtype in ("int", "float")),
    }


FEATURES: dict[str, FeatureDef]
GROUPS: dict[str, tuple[str, ...]]
NUMERIC: frozenset[str]


def __getattr__(name: str):
    """FEATURES, GROUPS and NUMERIC, built on first use (see the module docstring)."""
    if name in ("FEATURES", "GROUPS", "NUMERIC"):
        return _tables()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compute_many(computers: dict[str, BatchFn], texts: Sequence[str]) -> dict[str, list]:
    """Values of several features over one batch, running each shared pass (`source`) once.
    `computers` maps names to their batch functions (from `FeatureDef.computer()`)."""
    out: dict[str, list] = {}
    shared: dict[SourceFn, dict[str, list]] = {}
    for name, fn in computers.items():
        source = _tables()["FEATURES"][name].source
        if source is None:
            out[name] = fn(texts)
            continue
        if source not in shared:
            shared[source] = source(texts)
        out[name] = shared[source][name]
    return out
