"""Measurable personality metrics on any text, in batches: sentiment (VADER), financial tone
(Loughran-McDonald), readability (textstat's Flesch formulas), formality (Heylighen-Dewaele
F-score over spaCy part-of-speech tags), emoji density, verbosity, question and exclamation
rates, first- and second-person rates; and `PersonalityProfile`, the mean and spread of each
metric over a set of texts. Input rules: each text is capped at `MAX_TEXT_CHARS`; empty,
truncated and probably-non-English texts are still measured and carry a warning saying so."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import emoji
import numpy as np
from textstat.textstat import textstatistics

from ml.personality import lexicons

MAX_TEXT_CHARS = 20_000  # bounds tagger and sentiment time on pasted books; longer is cut
EMPTY_TEXT = "empty text"  # the warning an empty or whitespace-only text carries

METRIC_NAMES = (
    "vader_compound",  # -1..1 overall sentiment
    "vader_pos",  # share of positive sentiment mass, 0..1
    "vader_neg",
    "vader_neu",
    "lm_positive",  # Loughran-McDonald category words per word
    "lm_negative",
    "lm_uncertainty",
    "lm_litigious",
    "lm_constraining",
    "flesch_reading_ease",  # higher is easier; about 0..100 for ordinary prose
    "flesch_kincaid_grade",  # US school grade
    "formality",  # Heylighen-Dewaele F, 0..100; about 40 chat, 60+ formal writing
    "emoji_density",  # emoji per word
    "words",  # verbosity
    "question_rate",  # share of sentences that ask
    "exclamation_rate",  # share of sentences that exclaim
    "first_person_rate",  # I/me/we... per word
    "second_person_rate",  # you/your/thou... per word
)

# Closed-class pronoun sets (with the archaic forms that old texts use for the same person).
_FIRST = "i me my mine myself we us our ours ourselves i'm i've i'd i'll we're we've we'd we'll"
_SECOND = (
    "you your yours yourself yourselves you're you've you'd you'll "
    "thou thee thy thine thyself ye u ur"
)
FIRST_PERSON = frozenset(_FIRST.split())
SECOND_PERSON = frozenset(_SECOND.split())

# Heylighen-Dewaele categories on Penn Treebank tags; IN holds prepositions (and
# subordinating conjunctions, which Penn does not separate).
_FORMAL = "NN NNS NNP NNPS JJ JJR JJS IN"
_DEICTIC = "PRP PRP$ WP WP$ VB VBD VBG VBN VBP VBZ MD RB RBR RBS WRB UH"
_FORMAL_TAGS = frozenset(_FORMAL.split())
_DEICTIC_TAGS = frozenset(_DEICTIC.split())
_ARTICLES = frozenset(("a", "an", "the"))

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE = re.compile(r"[^.!?\n]*[^.!?\s][^.!?\n]*([.!?]*)")


@dataclasses.dataclass(frozen=True)
class TextMetrics:
    """The metrics of one text, keyed by `METRIC_NAMES`, with any input warnings."""

    values: dict[str, float]
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return EMPTY_TEXT in self.warnings


@dataclasses.dataclass
class PersonalityProfile:
    """Mean and spread (population standard deviation) of every metric over a set of texts."""

    n_texts: int
    mean: dict[str, float]
    std: dict[str, float]
    warnings: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PersonalityProfile:
        missing = [k for k in ("n_texts", "mean", "std") if k not in data]
        if missing:
            raise ValueError(f"profile: missing field(s) {', '.join(missing)}")
        unknown = set(data["mean"]) ^ set(METRIC_NAMES)
        if unknown:
            raise ValueError(f"profile: metric names differ from this version: {sorted(unknown)}")
        return cls(
            n_texts=int(data["n_texts"]),
            mean={k: float(v) for k, v in data["mean"].items()},
            std={k: float(v) for k, v in data["std"].items()},
            warnings=list(data.get("warnings", [])),
        )


def _readability():
    # textstat's "en_US" counts syllables with the CMU dictionary, which it fetches through
    # nltk's downloader at run time (impossible offline); "en-US" keeps the English Flesch
    # constants and counts syllables with pyphen's en_US hyphenation dictionary instead.
    stats = textstatistics()
    stats.set_lang("en-US")
    return stats


_STATS = _readability()


def prepare_texts(texts: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Check types, cap lengths; returns the texts to measure and per-text warnings."""
    if isinstance(texts, str):
        raise TypeError("expected a list of texts, got a single string")
    prepared, notes = [], []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text {i}: expected str, got {type(text).__name__}")
        warn = []
        if len(text) > MAX_TEXT_CHARS:
            warn.append(f"truncated from {len(text)} to {MAX_TEXT_CHARS} characters")
            text = text[:MAX_TEXT_CHARS]
        if not text.strip():
            warn.append(EMPTY_TEXT)
        prepared.append(text)
        notes.append(warn)
    return prepared, notes


def _looks_non_english(words: list[str]) -> bool:
    if len(words) < 5:
        return False
    letters = "".join(words)
    ascii_share = sum(c.isascii() for c in letters) / len(letters)
    stop = lexicons.english_stop_words()
    return ascii_share < 0.5 or not any(w.lower() in stop for w in words)


def _sentence_rates(text: str) -> tuple[float, float]:
    ends = [m.group(1) for m in _SENTENCE.finditer(text)]
    if not ends:
        return 0.0, 0.0
    return (
        sum("?" in e for e in ends) / len(ends),
        sum("!" in e for e in ends) / len(ends),
    )


def _formality(doc) -> float:
    words = [t for t in doc if not (t.is_punct or t.is_space)]
    if not words:
        return 50.0  # no evidence either way: the scale's midpoint
    formal = sum(t.tag_ in _FORMAL_TAGS or t.lower_ in _ARTICLES for t in words)
    deictic = sum(t.tag_ in _DEICTIC_TAGS for t in words)
    return (100.0 * (formal - deictic) / len(words) + 100.0) / 2.0


def _one(text: str, doc, warn: list[str]) -> TextMetrics:
    words = _WORD.findall(text)
    n = len(words)
    per_word = 1.0 / n if n else 0.0
    upper = [w.upper() for w in words]
    lower = [w.lower().replace("’", "'") for w in words]
    lm = lexicons.loughran_mcdonald()
    sentiment = lexicons.vader().polarity_scores(text)
    questions, exclamations = _sentence_rates(text)
    if _looks_non_english(words):
        warn.append("text does not look like English; lexicon metrics may not apply")
    values = {
        "vader_compound": sentiment["compound"],
        "vader_pos": sentiment["pos"],
        "vader_neg": sentiment["neg"],
        "vader_neu": sentiment["neu"],
        **{f"lm_{cat}": sum(w in lm[cat] for w in upper) * per_word for cat in lm},
        "flesch_reading_ease": _STATS.flesch_reading_ease(text) if n else 0.0,
        "flesch_kincaid_grade": _STATS.flesch_kincaid_grade(text) if n else 0.0,
        "formality": _formality(doc),
        # Every emoji is outside ASCII; skipping ASCII text avoids the library's slow scan.
        "emoji_density": (0 if text.isascii() else emoji.emoji_count(text)) / max(n, 1),
        "words": float(n),
        "question_rate": questions,
        "exclamation_rate": exclamations,
        "first_person_rate": sum(w in FIRST_PERSON for w in lower) * per_word,
        "second_person_rate": sum(w in SECOND_PERSON for w in lower) * per_word,
    }
    return TextMetrics(values={k: float(values[k]) for k in METRIC_NAMES}, warnings=tuple(warn))


def measure(texts: Sequence[str]) -> list[TextMetrics]:
    """The metrics of each text (batched through the tagger)."""
    prepared, notes = prepare_texts(texts)
    docs = lexicons.tagger().pipe(prepared, batch_size=64)
    return [_one(text, doc, warn) for text, doc, warn in zip(prepared, docs, notes)]


def as_matrix(metrics: Sequence[TextMetrics]) -> np.ndarray:
    """Metrics as features, shape (N, len(METRIC_NAMES)) float64 in `METRIC_NAMES` order."""
    return np.array([[m.values[k] for k in METRIC_NAMES] for m in metrics], dtype=np.float64)


def profile_of(metrics: Sequence[TextMetrics]) -> PersonalityProfile:
    """Aggregate already-measured texts into a profile."""
    if not metrics:
        raise ValueError("a profile needs at least one text")
    x = as_matrix(metrics)
    warnings = [f"text {i}: {w}" for i, m in enumerate(metrics) for w in m.warnings]
    return PersonalityProfile(
        n_texts=len(metrics),
        mean=dict(zip(METRIC_NAMES, x.mean(0).tolist())),
        std=dict(zip(METRIC_NAMES, x.std(0).tolist())),
        warnings=warnings,
    )


def profile(texts: Sequence[str]) -> PersonalityProfile:
    """Measure texts and aggregate them: the batch API's one-call form."""
    return profile_of(measure(texts))
