"""MinHash signatures for a batch of texts at once, and the compact LSH index near-dedup keeps.

Shingles are the lower-cased word n-grams of a text (words are `\\w+` runs; `shingles` below
spells the rule out one text at a time, for tests and the benchmark's reference). Everything
after the regex is NumPy over the whole batch:
- word hashes: one polynomial hash per word from a prefix sum over the batch's bytes
  (mod 2**64, so a word hashes the same wherever it stands);
- shingle hashes: the n word hashes combined, 32 bits kept;
- signatures: `num_perm` affine maps `a * x + b mod 2**32` (a odd: each is a permutation of
  the 32-bit shingle hashes, as datasketch's "affine32" scheme) of every shingle, the minimum
  per text, in cache-sized uint32 blocks (estimates are unbiased, with the binomial spread
  1/sqrt(num_perm) predicts);
- band keys: the signature cut into `bands` bands of `rows` values, each band hashed to 64 bits.
The hashes are fixed (no per-process salt), so a recipe deduplicates the same way every run.

`KeyIndex` holds the band keys seen so far in sorted NumPy segments (12 bytes a key with its
record's id), merged as they grow (a log-structured merge), so memory is a flat array per band,
not a Python object per record. `NearDuplicates` is the one near-duplicate rule, used by the
`dedup_near` step and the `duplicate_cluster` feature alike: its index takes 12 bytes x bands
per record kept (bands is at most num_perm: about 0.1 KB a record at the default threshold 0.8
and 128 permutations, up to about 1.5 KB at threshold 0.5 and 1 024), so it grows with the
number of distinct records, which is what the steps' "constant memory" leaves out."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

_NON_WORD = re.compile(r"\W+")
_WORD = re.compile(r"\w+")
_U64 = np.uint64
_BASE = 0x100000001B3  # odd multiplier of the byte polynomial
_MIX = (_U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB))
# Shingle hashes are (shingles, perms) uint32 blocks of about this many values (1 MB).
_BLOCK_VALUES = 1 << 18
# The seed of the permutations and band hashes: fixed, so results are reproducible.
_SEED = 20260


def _fmix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit moves every output bit."""
    x = x ^ (x >> _U64(30))
    x = x * _MIX[0]
    x = x ^ (x >> _U64(27))
    x = x * _MIX[1]
    return x ^ (x >> _U64(31))


@functools.lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEED)
    a = rng.integers(0, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


class _Powers:
    """BASE**i and BASE**-i mod 2**64 for i < n, grown on demand and kept between batches."""

    def __init__(self) -> None:
        self.up = np.ones(0, dtype=np.uint64)
        self.down = np.ones(0, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.up) < n:
            size = max(n, 2 * len(self.up), 1 << 16)
            self.up = _powers(_BASE, size)
            self.down = _powers(pow(_BASE, -1, 2**64), size)
        return self.up[:n], self.down[:n]


def _powers(base: int, size: int) -> np.ndarray:
    out = np.empty(size, dtype=np.uint64)
    out[0] = 1
    out[1:] = np.cumprod(np.full(size - 1, base, dtype=np.uint64))  # wraps mod 2**64
    return out


_POWERS = _Powers()


def _word_bytes() -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
        table[c] = True
    table[128:] = True  # only in texts the regex already cleaned: every non-word char is a space
    return table


_WORD_BYTE = _word_bytes()


def shingles(text: str, ngram: int) -> set[bytes]:
    """The lower-cased word n-grams of a text, as `shingle_hashes` hashes them: a text with
    fewer than `ngram` words is one shingle of all its words; one without words has none."""
    words = _WORD.findall(text.lower())
    if not words:
        return set()
    if len(words) < ngram:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + ngram]).encode() for i in range(len(words) - ngram + 1)}


def shingle_hashes(texts: Sequence[str], ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """(hashes uint64 < 2**32, owner int64): every shingle of every text and its text's index.
    A text with fewer than `ngram` words is one shingle of all its words; one without words
    has none."""
    # ASCII text is split into words on its bytes below; other text goes through the regex so
    # that "word" means what `\w` means in every script.
    pieces = [t.lower() if t.isascii() else _NON_WORD.sub(" ", t.lower()) for t in texts]
    data = " ".join(pieces).encode("utf-8") + b" "
    raw = np.frombuffer(data, dtype=np.uint8)
    word = _WORD_BYTE[raw]
    edge = np.diff(word.astype(np.int8), prepend=np.int8(0))
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    # Which text each word belongs to: the byte offset where each text's piece ends.
    piece_ends = np.cumsum([len(p) if p.isascii() else len(p.encode("utf-8")) for p in pieces])
    piece_ends += np.arange(len(pieces))  # the joining spaces
    owner = np.searchsorted(piece_ends, starts)
    up, down = _POWERS.get(len(raw))
    prefix = np.cumsum(raw.astype(np.uint64) * down, dtype=np.uint64)
    before = np.where(starts > 0, prefix[np.maximum(starts - 1, 0)], _U64(0))
    words = _fmix((prefix[ends - 1] - before) * up[ends - 1])
    return _combine(words, owner, ngram, len(texts))


def _combine(
    words: np.ndarray, owner: np.ndarray, ngram: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    per_text = np.bincount(owner, minlength=n)
    count = max(len(words) - ngram + 1, 0)
    shingles = np.zeros(count, dtype=np.uint64)
    for k in range(ngram):
        shingles = shingles * _U64(0x9E3779B97F4A7C15) + words[k : k + count]
    valid = owner[:count] == owner[ngram - 1 : ngram - 1 + count] if count else np.zeros(0, bool)
    hashes, owners = shingles[valid], owner[:count][valid]
    short = np.flatnonzero((per_text > 0) & (per_text < ngram))
    if short.size:
        # Texts shorter than one shingle: their words, combined the same way, are the shingle.
        first = np.concatenate(([0], np.cumsum(per_text)[:-1]))
        extra = []
        for t in short.tolist():
            value = 0
            for w in words[first[t] : first[t] + per_text[t]].tolist():
                value = (value * 0x9E3779B97F4A7C15 + w) & 0xFFFFFFFFFFFFFFFF
            extra.append(value)
        extra = np.array(extra, dtype=np.uint64)
        hashes = np.concatenate((hashes, extra))
        owners = np.concatenate((owners, short))
        order = np.argsort(owners, kind="stable")
        hashes, owners = hashes[order], owners[order]
    return _fmix(hashes) >> _U64(32), owners


def signatures(texts: Sequence[str], num_perm: int, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """(signatures (n, num_perm) uint32, has_shingles (n,) bool)."""
    n = len(texts)
    hashes, owner = shingle_hashes(texts, ngram)
    x = hashes.astype(np.uint32)
    a, b = _permutations(num_perm)
    out = np.full((n, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    step = max(1, _BLOCK_VALUES // num_perm)
    block = np.empty((step, num_perm), dtype=np.uint32)
    for start in range(0, len(x), step):
        who = owner[start : start + step]
        h = block[: len(who)]
        np.multiply(x[start : start + step, None], a[None, :], out=h)  # wraps mod 2**32
        np.add(h, b[None, :], out=h)
        first = np.flatnonzero(np.concatenate(([True], who[1:] != who[:-1])))
        mins = np.minimum.reduceat(h, first, axis=0)
        rows = who[first]
        out[rows] = np.minimum(out[rows], mins)
    present = np.zeros(n, dtype=bool)
    present[owner] = True
    return out, present


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: each band of `rows` signature values hashed to one key."""
    cut = sigs[:, : bands * rows].astype(np.uint64).reshape(len(sigs), bands, rows)
    keys = np.zeros((len(sigs), bands), dtype=np.uint64)
    for r in range(rows):
        keys = _fmix(keys ^ cut[:, :, r])
    return keys ^ np.arange(bands, dtype=np.uint64)


@functools.lru_cache(maxsize=64)  # up to 0.3 s at 1 024 permutations; a preview asks again
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimizing the false positive plus false
    negative probability mass around `threshold` (datasketch's rule, equal weights)."""
    s = np.linspace(0.0, 1.0, 2001)
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            p = 1.0 - (1.0 - s**rows) ** bands
            fp = np.trapezoid(np.where(s <= threshold, p, 0.0), s)
            fn = np.trapezoid(np.where(s >= threshold, 1.0 - p, 0.0), s)
            if fp + fn < best_error:
                best, best_error = (bands, rows), fp + fn
    return best


class NearDuplicates:
    """Near-duplicate detection over a stream of batches: a text is a near duplicate when one
    of its LSH bands equals a band of an earlier text that was not one (the candidate rule of
    datasketch's MinHashLSH, `optimal_bands` banding). Texts without words are never
    duplicates and are not indexed."""

    def __init__(self, threshold: float, num_perm: int, ngram: int):
        self.ngram = ngram
        self.bands, self.rows = optimal_bands(threshold, num_perm)
        self.index = [KeyIndex() for _ in range(self.bands)]

    @property
    def bytes_per_record(self) -> int:
        return 12 * self.bands

    def assign(self, texts: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """For each text, the id of the earlier text it duplicates, or -1; the others (with
        words) are indexed under their `ids` (uint32)."""
        match = np.full(len(texts), -1, dtype=np.int64)
        if not len(texts):
            return match
        # Permutations past bands * rows would decide nothing: they are not computed.
        sigs, present = signatures(texts, self.bands * self.rows, self.ngram)
        keys = band_keys(sigs, self.bands, self.rows)  # (n, bands)
        for b, index in enumerate(self.index):
            found, rep = index.lookup(keys[:, b])
            take = found & (match < 0)
            match[take] = rep[take]
        batch: list[dict[int, int]] = [{} for _ in range(self.bands)]
        new = []
        key_rows = keys.tolist()
        id_list = ids.tolist()
        for j in np.flatnonzero(present).tolist():
            if match[j] < 0:
                for b, key in enumerate(key_rows[j]):
                    rep = batch[b].get(key, -1)
                    if rep >= 0:
                        match[j] = rep
                        break
            if match[j] < 0:
                for b, key in enumerate(key_rows[j]):
                    batch[b].setdefault(key, id_list[j])
                new.append(j)
        kept = np.asarray(ids, dtype=np.uint32)[new]
        for b, index in enumerate(self.index):
            index.add(keys[new, b], kept)
        return match


class KeyIndex:
    """A set of uint64 keys, each with a uint32 value, as sorted NumPy segments."""

    def __init__(self) -> None:
        self._keys: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(k) for k in self._keys)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found bool, value uint32) for each key."""
        found = np.zeros(len(keys), dtype=bool)
        values = np.zeros(len(keys), dtype=np.uint32)
        for seg_keys, seg_values in zip(self._keys, self._values):
            at = np.searchsorted(seg_keys, keys)
            at[at == len(seg_keys)] = 0
            hit = (seg_keys[at] == keys) & ~found if len(seg_keys) else np.zeros(len(keys), bool)
            values[hit] = seg_values[at[hit]]
            found |= hit
        return found, values

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        self._keys.append(keys[order])
        self._values.append(values[order].astype(np.uint32))
        # Merge while a segment is no bigger than the one after it: O(log n) segments.
        while len(self._keys) > 1 and len(self._keys[-2]) <= 2 * len(self._keys[-1]):
            k2, v2 = self._keys.pop(), self._values.pop()
            k1, v1 = self._keys.pop(), self._values.pop()
            keys, values = _merge(k1, v1, k2, v2)
            self._keys.append(keys)
            self._values.append(values)


def _merge(
    k1: np.ndarray, v1: np.ndarray, k2: np.ndarray, v2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted segments as one, in linear time (no re-sort)."""
    at = np.searchsorted(k1, k2, side="right") + np.arange(len(k2))
    keys = np.empty(len(k1) + len(k2), dtype=k1.dtype)
    values = np.empty(len(keys), dtype=v1.dtype)
    rest = np.ones(len(keys), dtype=bool)
    rest[at] = False
    keys[at], values[at] = k2, v2
    keys[rest], values[rest] = k1, v1
    return keys, values
