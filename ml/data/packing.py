"""Batches of whole examples: instruction pairs and chats packed into rows, preference pairs
side by side.

A training row holds block_size + 1 tokens (inputs are the first block_size, targets the last).
With packing, consecutive examples fill a row whole, several short ones per row; without it each
example has a row of its own. Whatever is left of a row is padding that no target reaches, and
the first token of each example is never a target, so the loss never crosses from one example
into the next. An example longer than a row is cut to it and counted.

Like the random windows of plain text, batch number `index` is a function of (seed, index)
alone: position p = index * batch_size + i of the run walks epoch p // units through a
permutation seeded with (seed, epoch), so resuming needs only the index and every unit is
seen once per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

IGNORE_INDEX = -100  # targets the loss skips (prompt tokens, padding)


@dataclass
class ExampleStream:
    """Examples [first, stop) of a tokenized corpus whose example i spans
    tokens[bounds[i]:bounds[i + 1]]."""

    tokens: np.ndarray  # (N,) token ids
    mask: np.ndarray | None  # (N,) 1 where the token is a training target; None: all are
    bounds: np.ndarray  # (E + 1,) where each example starts, then the end
    first: int
    stop: int
    # Consecutive examples are a preference pair (chosen, rejected), batched together for DPO.
    pairs: bool = False
    # Several short examples per row (pairs are never packed: each needs its own log-prob).
    packing: bool = True
    # Rows of the last `pack`: row r holds examples rows[r] .. rows[r + 1] - 1.
    _row_tokens: int = 0
    _rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _permutation: tuple[int, int, np.ndarray] | None = None

    @property
    def start(self) -> int:
        return int(self.bounds[self.first])

    def __len__(self) -> int:
        """Tokens of this stream's examples."""
        return int(self.bounds[self.stop] - self.bounds[self.first])

    @property
    def examples(self) -> int:
        return self.stop - self.first

    def pack(self, block_size: int) -> int:
        """Lay the examples out in rows of block_size + 1 tokens; returns how many are cut
        (for pairs: how many pairs have a response cut)."""
        row = block_size + 1
        lengths = np.diff(self.bounds[self.first : self.stop + 1])  # (E,)
        too_long = lengths > row
        if self.pairs:
            self._row_tokens = row
            return int(too_long.reshape(-1, 2).any(axis=1).sum())
        starts = [0]
        if self.packing:
            # Next fit: an example goes in the current row if it fits, else opens the next one.
            used = 0
            for i, n in enumerate(np.minimum(lengths, row).tolist()):
                if used + n > row and used > 0:
                    starts.append(i)
                    used = 0
                used += n
        else:
            starts = list(range(len(lengths)))
        self._rows = np.asarray([*starts, len(lengths)] if len(lengths) else [0], np.int64)
        self._row_tokens = row
        return int(too_long.sum())

    @property
    def units(self) -> int:
        """What a batch draws: rows, or preference pairs."""
        return self.examples // 2 if self.pairs else len(self._rows) - 1

    def batch(
        self, batch_size: int, block_size: int, seed: int, index: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets for batch number `index`: two (B, T) int64 tensors, T = block_size;
        for pairs (2B, T) with T up to block_size, the B chosen rows first, then their rejected
        rows in the same order."""
        if self._row_tokens != block_size + 1:
            self.pack(block_size)
        if self.units == 0:
            raise ValueError("a split holds no examples: add records or lower data.val_fraction")
        picks = self._draw(batch_size, seed, index)
        if not self.pairs:
            spans = [(int(self._rows[r]), int(self._rows[r + 1])) for r in picks]
            return self._rows_of(spans, self._row_tokens)
        chosen = [(2 * p, 2 * p + 1) for p in picks]
        rejected = [(2 * p + 1, 2 * p + 2) for p in picks]
        spans = chosen + rejected
        longest = max(self._span_length(a, b) for a, b in spans)
        return self._rows_of(spans, max(2, min(longest, self._row_tokens)))

    def _draw(self, batch_size: int, seed: int, index: int) -> np.ndarray:
        units = self.units
        positions = index * batch_size + np.arange(batch_size)  # (B,)
        picks = np.empty(batch_size, np.int64)
        for epoch in np.unique(positions // units).tolist():
            here = positions // units == epoch
            picks[here] = self._epoch_order(seed, epoch, units)[positions[here] % units]
        return picks

    def _epoch_order(self, seed: int, epoch: int, units: int) -> np.ndarray:
        # One epoch's order is reused by the batches within it (a permutation costs O(units)).
        if self._permutation is None or self._permutation[:2] != (seed, epoch):
            order = np.random.default_rng([seed, epoch]).permutation(units)
            self._permutation = (seed, epoch, order)
        return self._permutation[2]

    def _span_length(self, a: int, b: int) -> int:
        return int(self.bounds[self.first + b] - self.bounds[self.first + a])

    def _rows_of(self, spans: list[tuple[int, int]], row: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows of `row` tokens, each examples [a, b) laid end to end, cut, then padded."""
        ids = np.zeros((len(spans), row), np.int64)
        target = np.zeros((len(spans), row), bool)
        for i, (a, b) in enumerate(spans):
            begin = int(self.bounds[self.first + a])
            end = min(int(self.bounds[self.first + b]), begin + row)
            n = end - begin
            ids[i, :n] = self.tokens[begin:end]
            target[i, :n] = True if self.mask is None else self.mask[begin:end] == 1
            # An example's first token is not predicted from the one before it.
            starts = self.bounds[self.first + a : self.first + b] - begin
            target[i, starts[starts < row]] = False
        x = torch.from_numpy(ids[:, :-1])
        y = torch.from_numpy(np.where(target[:, 1:], ids[:, 1:], IGNORE_INDEX))
        return x, y


def split_examples(
    tokens: np.ndarray,
    mask: np.ndarray | None,
    bounds: np.ndarray,
    val_fraction: float,
    pairs: bool,
    packing: bool,
) -> tuple[ExampleStream, ExampleStream]:
    """The first (1 - val_fraction) of the examples (pairs kept together) train, the rest
    validate; each side gets at least one when there are two."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    size = 2 if pairs else 1
    units = (len(bounds) - 1) // size
    cut = int(units * (1.0 - val_fraction))
    if units >= 2:
        cut = min(max(cut, 1), units - 1)
    return (
        ExampleStream(tokens, mask, bounds, 0, cut * size, pairs, packing),
        ExampleStream(tokens, mask, bounds, cut * size, units * size, pairs, packing),
    )


def whole_examples(
    tokens: np.ndarray, mask: np.ndarray | None, bounds: np.ndarray, pairs: bool, packing: bool
) -> ExampleStream:
    return ExampleStream(tokens, mask, bounds, 0, len(bounds) - 1, pairs, packing)
