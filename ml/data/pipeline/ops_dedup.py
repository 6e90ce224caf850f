"""Deduplication steps: exact (a 64-bit hash of the lower-cased, whitespace-collapsed text)
and near (MinHash LSH over word n-grams, see `minhash.py`). The first record of a group is
kept; the index holds compact keys of kept records only, so memory grows by a few dozen bytes
per kept record whatever their length."""

from __future__ import annotations

import hashlib

import numpy as np

from ml.data.pipeline.minhash import KeyIndex, band_keys, optimal_bands, signatures
from ml.data.pipeline.ops_filter import texts_of
from ml.data.pipeline.recipe import DedupExact, DedupNear
from ml.data.pipeline.records import Item
from ml.data.pipeline.report import StepReport


def exact_key(text: str) -> int:
    canonical = " ".join(text.lower().split()).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "little")


class DedupExactOp:
    def __init__(self, step: DedupExact, report: StepReport):
        self.step = step
        self.report = report
        self.index = KeyIndex()
        report.stats["duplicates"] = 0

    def process(self, items: list[Item]) -> list[Item]:
        items, texts = texts_of(items, self.step.field, self.report)
        keys = np.fromiter((exact_key(t) for t in texts), dtype=np.uint64, count=len(texts))
        seen, _ = self.index.lookup(keys)
        batch: set[int] = set()
        out, new = [], []
        for item, key, old in zip(items, keys.tolist(), seen.tolist()):
            if old or key in batch:
                self.report.drop(item, "duplicate")
                self.report.stats["duplicates"] += 1
                continue
            batch.add(key)
            new.append(key)
            out.append(item)
        self.index.add(np.array(new, dtype=np.uint64), np.zeros(len(new), dtype=np.uint32))
        return out


class DedupNearOp:
    """A record is a near duplicate when one of its LSH bands equals a band of a kept record
    (the candidate rule of datasketch's MinHashLSH); it joins that record's cluster."""

    def __init__(self, step: DedupNear, report: StepReport):
        self.step = step
        self.report = report
        self.bands, self.rows = optimal_bands(step.threshold, step.num_perm)
        self.index = [KeyIndex() for _ in range(self.bands)]
        self.kept = 0  # ids of kept records, the cluster names
        self.clusters: set[int] = set()  # kept records that drew at least one duplicate
        report.stats.update(
            threshold=step.threshold,
            num_perm=step.num_perm,
            ngram=step.ngram,
            bands=self.bands,
            rows=self.rows,
            clusters=0,
            duplicates=0,
        )

    def process(self, items: list[Item]) -> list[Item]:
        items, texts = texts_of(items, self.step.field, self.report)
        if not items:
            return []
        # Permutations past bands * rows would decide nothing: they are not computed.
        sigs, present = signatures(texts, self.bands * self.rows, self.step.ngram)
        keys = band_keys(sigs, self.bands, self.rows)  # (n, bands)
        match = np.full(len(items), -1, dtype=np.int64)
        for b, index in enumerate(self.index):
            found, rep = index.lookup(keys[:, b])
            take = found & (match < 0)
            match[take] = rep[take]
        batch: list[dict[int, int]] = [{} for _ in range(self.bands)]
        out, new_keys, new_ids = [], [], []
        key_rows = keys.tolist()
        for j, item in enumerate(items):
            rep = int(match[j])
            if present[j] and rep < 0:
                for b, key in enumerate(key_rows[j]):
                    rep = batch[b].get(key, -1)
                    if rep >= 0:
                        break
            if present[j] and rep >= 0:
                self.report.drop(item, "near duplicate")
                self.report.stats["duplicates"] += 1
                self.clusters.add(rep)
                continue
            if present[j]:
                for b, key in enumerate(key_rows[j]):
                    batch[b].setdefault(key, self.kept)
                new_keys.append(j)
                new_ids.append(self.kept)
            self.kept += 1
            out.append(item)
        ids = np.array(new_ids, dtype=np.uint32)
        for b, index in enumerate(self.index):
            index.add(keys[new_keys, b], ids)
        self.report.stats["clusters"] = len(self.clusters)
        return out
