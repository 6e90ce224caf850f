"""The split step (train/validation/test) and the mix source (several inputs, weighted, to a
target size). Both are seeded: the same inputs and recipe give the same records in each part."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np

from ml.data.pipeline.recipe import SPLIT_PARTS, Mix, Split
from ml.data.pipeline.records import Item
from ml.data.pipeline.report import StepReport


class SplitOp:
    """Each record goes to a part with the part's probability; with `group_by`, the part is a
    seeded hash of the group's value, so a group never straddles parts."""

    def __init__(self, step: Split, report: StepReport):
        self.step = step
        self.report = report
        self.edges = np.cumsum([step.train, step.validation, step.test])
        self.edges[-1] = 1.0 + 1e-9
        self.rng = np.random.default_rng(step.seed)
        self.counts = {part: 0 for part in SPLIT_PARTS}
        report.stats["parts"] = self.counts

    def _group_draw(self, value: object) -> float:
        digest = hashlib.blake2b(f"{self.step.seed}\x00{value}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") / 2**64

    def process(self, items: list[Item]) -> list[Item]:
        if self.step.group_by is None:
            draws = self.rng.random(len(items)).tolist()
            out = items
        else:
            draws, out = [], []
            for item in items:
                if self.step.group_by not in item.data:
                    self.report.fail(item, f"no column {self.step.group_by!r}")
                    continue
                draws.append(self._group_draw(item.data[self.step.group_by]))
                out.append(item)
        for item, part in zip(out, np.searchsorted(self.edges, draws, side="right").tolist()):
            item.part = SPLIT_PARTS[part]
            self.counts[item.part] += 1
        return out


def mix_plan(step: Mix, counts: Sequence[int]) -> list[int]:
    """Records to take from each input: the target split by weight (largest remainders)."""
    total = sum(step.weights)
    shares = [step.target_size * w / total for w in step.weights]
    plan = [int(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: plan[i] - shares[i])[
        : step.target_size - sum(plan)
    ]:
        plan[i] += 1
    return [p if c else 0 for p, c in zip(plan, counts)]


def copies(rng: np.random.Generator, need: int, available: int) -> Iterator[int]:
    """How many times to emit each of `available` records, in order, so that `need` are
    emitted: a seeded choice without replacement when need <= available (selection sampling),
    with replacement otherwise (sequential binomials give a multinomial draw)."""
    left = need
    for remaining in range(available, 0, -1):
        if need <= available:
            take = 1 if rng.random() * remaining < left else 0
        else:
            take = int(rng.binomial(left, 1.0 / remaining)) if left else 0
        left -= take
        yield take


def interleave(streams: Sequence[Iterator[Item]], plan: Sequence[int]) -> Iterator[Item]:
    """Items of all streams, the one furthest behind its planned share first."""
    done = [0] * len(streams)
    live = [i for i, p in enumerate(plan) if p > 0]
    while live:
        i = min(live, key=lambda k: done[k] / plan[k])
        item = next(streams[i], None)
        if item is None:
            live.remove(i)
            continue
        done[i] += 1
        yield item
