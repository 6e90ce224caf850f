"""Deduplication steps: exact (a 64-bit hash of the lower-cased, whitespace-collapsed text)
and near (MinHash LSH over word n-grams, see `minhash.py`). The first record of a group is
kept; the indexes hold compact keys of kept records only, so memory grows per kept record
whatever its length: 12 bytes for exact, 12 bytes x bands for near (the report's
`index_bytes_per_record`: about 0.1 KB at the defaults, up to about 1.5 KB)."""

from __future__ import annotations

import hashlib

import numpy as np

from ml.data.pipeline.minhash import KeyIndex, NearDuplicates
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
    """A record is a near duplicate of a kept one by `NearDuplicates`' rule; it joins that
    record's cluster (records are named by their position in the step's stream)."""

    def __init__(self, step: DedupNear, report: StepReport):
        self.step = step
        self.report = report
        self.rule = NearDuplicates(step.threshold, step.num_perm, step.ngram)
        self.seen = 0
        self.clusters: set[int] = set()  # kept records that drew at least one duplicate
        report.stats.update(
            threshold=step.threshold,
            num_perm=step.num_perm,
            ngram=step.ngram,
            bands=self.rule.bands,
            rows=self.rule.rows,
            index_bytes_per_record=self.rule.bytes_per_record,
            clusters=0,
            duplicates=0,
        )

    def process(self, items: list[Item]) -> list[Item]:
        items, texts = texts_of(items, self.step.field, self.report)
        ids = np.arange(self.seen, self.seen + len(items), dtype=np.uint32)
        self.seen += len(items)
        match = self.rule.assign(texts, ids).tolist()
        out = []
        for item, rep in zip(items, match):
            if rep >= 0:
                self.report.drop(item, "near duplicate")
                self.report.stats["duplicates"] += 1
                self.clusters.add(rep)
            else:
                out.append(item)
        self.report.stats["clusters"] = len(self.clusters)
        return out
