"""Language identification for a batch of texts at once, with py3langid's model and answers.

py3langid walks each text's bytes through its feature DFA one byte at a time in Python, which
dominates a language filter's cost. Here the walk advances every text of a batch together (one
NumPy step per byte position, texts sorted by length so the live ones are a prefix), then the
naive Bayes scores come from the same tables. Scores, probabilities and labels are py3langid's
(`classify` with `norm_probs=True`), up to float rounding."""

from __future__ import annotations

import functools
import json
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Texts longer than this many bytes are identified from their start: the language is settled
# long before, and it bounds a batch's walk.
MAX_BYTES = 4096


@dataclass(frozen=True)
class _Model:
    nb_classes: list[str]
    nb_ptc: np.ndarray  # (features, classes) float16 log-probabilities
    nb_pc: np.ndarray  # (classes,) float32 priors
    nextmove: np.ndarray  # the DFA's transitions, uint32
    rowbase: np.ndarray  # state -> its row in nextmove, pre-shifted by 8
    output: np.ndarray  # state -> feature emitted, or -1
    alias_pairs: tuple[tuple[int, int], ...]  # (first, duplicate) columns of a repeated label


_ARRAYS = ("nb_ptc", "nb_pc", "nextmove", "rowbase", "output")


def _cache_dir() -> Path:
    import py3langid

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sloughgpt" / "langid" / getattr(py3langid, "__version__", "0")


def _unpack() -> dict:
    """py3langid's tables, decompressed (about a second and 150 MB while it runs)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return {
        "nb_classes": list(ident.nb_classes),
        "nb_ptc": np.asarray(ident.nb_ptc),
        "nb_pc": np.asarray(ident.nb_pc, dtype=np.float32),
        "nextmove": np.frombuffer(ident.tk_nextmove, dtype=np.uint32),
        "rowbase": np.asarray(ident.tk_row, dtype=np.int64) << 8,
        "output": np.asarray(ident.tk_output, dtype=np.int32),
    }


def _write_cache(folder: Path, tables: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in _ARRAYS:
        partial = folder / f"{name}.{os.getpid()}.partial.npy"
        np.save(partial, tables[name])
        os.replace(partial, folder / f"{name}.npy")
    partial = folder / f"classes.{os.getpid()}.partial"
    partial.write_text(json.dumps(tables["nb_classes"]))
    os.replace(partial, folder / "classes.json")  # written last: the cache is complete


@functools.lru_cache(maxsize=1)
def _model() -> _Model:
    """The tables, memory-mapped from an uncompressed copy made on first use: processes then
    share them through the page cache and only the pages a batch touches are resident."""
    folder = _cache_dir()
    try:
        if not (folder / "classes.json").exists():
            _write_cache(folder, _unpack())
        tables = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        tables["nb_classes"] = json.loads((folder / "classes.json").read_text())
    except OSError:  # no writable cache: keep the tables in memory
        tables = _unpack()
    first: dict[str, int] = {}
    pairs = []
    for i, label in enumerate(tables["nb_classes"]):
        if label in first:
            pairs.append((first[label], i))
        first.setdefault(label, i)
    return _Model(alias_pairs=tuple(pairs), **tables)


def labels() -> frozenset[str]:
    return frozenset(_model().nb_classes)


class _Labels:
    """`code in LABELS` without loading the model at import time."""

    def __contains__(self, code: object) -> bool:
        return code in labels()


LABELS = _Labels()


def _encode(text: str) -> bytes:
    # As py3langid prepares a text: all-caps text is lower-cased, then NFC, then UTF-8.
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf-8", errors="surrogatepass")[:MAX_BYTES]


def classify_batch(texts: Sequence[str]) -> list[tuple[str, float]]:
    """(language, probability) per text; ("und", 0.0) for a text with no features."""
    ident = _model()
    nextmove, rowbase, output = ident.nextmove, ident.rowbase, ident.output
    encoded = [_encode(t) for t in texts]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    order = np.argsort(-lengths, kind="stable")
    n, width = len(encoded), int(lengths.max(initial=0))
    grid = np.zeros((width, n), dtype=np.uint8)  # (position, text in length order)
    for column, i in enumerate(order.tolist()):
        b = encoded[i]
        if b:
            grid[: len(b), column] = np.frombuffer(b, dtype=np.uint8)
    live = np.searchsorted(
        -lengths[order], -np.arange(width), side="right"
    )  # texts still going at t
    state = np.zeros(n, dtype=np.int64)
    visited = np.zeros((width, n), dtype=np.int32)  # the state after each byte
    for t in range(width):
        k = int(live[t])
        state[:k] = nextmove[rowbase[state[:k]] + grid[t, :k]]
        visited[t, :k] = state[:k]
    # Unwalked cells hold state 0, which emits no feature.
    feature = output[visited]
    t_at, text = np.nonzero(feature >= 0)
    scores = _scores(ident, n, text, feature[t_at, text])
    return _decide(ident, scores, lengths[order], order)


def _scores(ident, n: int, text: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """(n, languages) naive Bayes log scores, texts in length order; NaN rows have no features."""
    from scipy import sparse

    scores = np.full((n, len(ident.nb_classes)), np.nan, dtype=np.float32)
    if not len(text):
        return scores
    # Counts per (text, feature): the sparse matrix sums repeated entries.
    ones = np.ones(len(text), dtype=np.float32)
    counts = sparse.csr_matrix((ones, (text, feature)), shape=(n, ident.nb_ptc.shape[0]))
    counts.sum_duplicates()
    # Only the table rows this batch uses are widened from float16 (a fraction of 28 MB).
    used = np.flatnonzero(np.bincount(counts.indices, minlength=ident.nb_ptc.shape[0]))
    column = np.zeros(ident.nb_ptc.shape[0], dtype=np.int64)
    column[used] = np.arange(len(used))
    weights = sparse.csr_matrix(
        (np.log1p(counts.data), column[counts.indices], counts.indptr), shape=(n, len(used))
    )
    table = ident.nb_ptc[used].astype(np.float32)
    has = counts.indptr[1:] > counts.indptr[:-1]
    scores[has] = (weights @ table)[has] + ident.nb_pc
    return scores


def _decide(
    ident, scores: np.ndarray, lengths: np.ndarray, order: np.ndarray
) -> list[tuple[str, float]]:
    n = len(order)
    out: list[tuple[str, float]] = [("und", 0.0)] * n
    has = ~np.isnan(scores[:, 0])
    if not has.any():
        return out
    s = scores[has] * (1.0 / np.sqrt(np.maximum(lengths[has], 1)))[:, None].astype(np.float32)
    s = np.exp(s - s.max(axis=1, keepdims=True))
    s /= s.sum(axis=1, keepdims=True)
    for i, j in ident.alias_pairs:  # py3langid folds a script alias into its first label
        s[:, i] += s[:, j]
        s[:, j] = 0.0
    best = s.argmax(axis=1)
    confidence = s[np.arange(len(best)), best]
    classes = ident.nb_classes
    for position, b, c in zip(np.flatnonzero(has).tolist(), best.tolist(), confidence.tolist()):
        out[int(order[position])] = (classes[b], c)
    return out
