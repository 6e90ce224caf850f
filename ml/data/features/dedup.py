"""Near-duplicate clusters for the `duplicate_cluster` feature: MinHash signatures over word
n-gram shingles, indexed with datasketch's LSH, assigned one record at a time so a stream of
any length is clustered with one pass. A record joins the cluster of the first earlier record
the index finds similar (Jaccard estimate >= threshold); otherwise it starts its own cluster,
named by its position in the stream. Memory grows with the number of distinct clusters (one
signature each), not with the text."""

from __future__ import annotations

import re

from datasketch import MinHash, MinHashLSH

DEFAULT_THRESHOLD = 0.8  # Jaccard similarity over shingles at which two texts count as duplicates
DEFAULT_NUM_PERM = 128  # MinHash permutations: estimate error ~ 1/sqrt(128) ~ 0.09
DEFAULT_NGRAM = 3  # words per shingle; 3 ignores shared stock phrases but catches edited copies

_WORD = re.compile(r"\w+")


def shingles(text: str, ngram: int) -> set[bytes]:
    """The lower-cased word n-grams of a text (the whole text when shorter than n words)."""
    words = _WORD.findall(text.lower())
    if len(words) <= ngram:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + ngram]).encode() for i in range(len(words) - ngram + 1)}


class NearDuplicateIndex:
    """Assigns each text a cluster id in reading order (see the module docstring)."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM, ngram: int = DEFAULT_NGRAM):
        self.num_perm = num_perm
        self.ngram = ngram
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._position = 0
        self.clusters = 0  # distinct clusters so far
        self.duplicates = 0  # texts that joined an earlier cluster

    def add(self, text: str) -> int:
        position = self._position
        self._position += 1
        signature = MinHash(num_perm=self.num_perm)
        signature.update_batch(list(shingles(text, self.ngram)))
        found = self._lsh.query(signature)
        if found:
            self.duplicates += 1
            return min(found)
        # Only a cluster's first member is indexed: later members would match it anyway.
        self._lsh.insert(position, signature)
        self.clusters += 1
        return position
