"""Batches of examples: instruction pairs and chats packed into rows, text documents
continued across rows, preference pairs side by side.

A training row holds block_size + 1 tokens (inputs are the first block_size, targets the last).
Examples are laid out as pieces: a pair or a chat is one piece, cut to a row if longer (and
counted); a plain text document longer than a row (a whole .txt file beside chats, say) is
split into row-sized pieces that overlap by one token, so each of its tokens after the first is
a target exactly once. With packing, consecutive pieces fill a row, several short ones per row;
without it each piece has a row of its own. Whatever is left of a row is padding that no target
reaches, and the first token of each piece is never a target, so the loss never crosses from
one example into the next.

A preference pair whose prompt and responses do not fit a row keeps the end of its prompt (cut
from the left, the same tokens for both rows, as TRL's keep_end) and both responses whole; a
pair whose longer response leaves no room for a single prompt token is left out and counted
apart (`dropped`), since it could teach nothing and would count as a wrong answer.

Limitation: examples packed into one row are not isolated from each other. Attention is the
plain causal mask over the whole row, so an example also attends to the examples before it in
its row, and positions count on from the row's start rather than restarting at each example.
Targets never cross examples, but the context an example is scored in does; rows without
packing (`data.packing = false`) avoid it at the cost of padding.

Like the random windows of plain text, batch number `index` is a function of (seed, index)
alone: position p = index * batch_size + i of the run walks epoch p // units through a
permutation seeded with (seed, epoch), so resuming needs only the index and every unit is
seen once per epoch.

Two options change that walk (ml/data/scores.py gives each example its record's score):
- a curriculum (`order`): examples are packed in the order of their scores, and every epoch
  walks the rows in that order instead of a permutation;
- weights (`weights`): an epoch is `units` rows drawn with replacement, each with probability
  proportional to the mean weight of its examples (a pair's own weight), seeded with
  (seed, epoch); without a curriculum, examples are packed in the order of their weights so
  that a row holds examples of like weight. With both, the drawn rows are walked in the
  curriculum's order.
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
    # Several short pieces per row (pairs are never packed: each needs its own log-prob).
    packing: bool = True
    # (E,) True where the example is a plain text document, continued across rows; None: none.
    plain: np.ndarray | None = None
    # Preference pairs left out by the last `pack`: their responses do not fit a row.
    dropped: int = 0
    # (E,) a score per example of the corpus: units come in this order (a curriculum); NaN last.
    order: np.ndarray | None = None
    # The highest score first instead of the lowest.
    descending: bool = False
    # (E,) a weight per example of the corpus (>= 0): units are drawn in proportion to it.
    weights: np.ndarray | None = None
    # The last `pack`: piece p is tokens[_begin[p]:_end[p]]; row r holds pieces
    # _rows[r] .. _rows[r + 1] - 1 (for pairs, pieces 2k and 2k + 1 are pair k).
    _row_tokens: int = 0
    _begin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _rows: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    _unit_weights: np.ndarray | None = None  # (units,) drawing probabilities; None: uniform
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
        """Lay the examples out in rows of block_size + 1 tokens; returns how many pairs and
        chats are cut (for preference pairs: how many have their prompt shortened; those left
        out are in `dropped`)."""
        row = block_size + 1
        arranged = self._arrangement()  # (E,) the stream's examples in the order they are laid out
        begin = self.bounds[self.first : self.stop].astype(np.int64)[arranged]  # (E,)
        end = self.bounds[self.first + 1 : self.stop + 1].astype(np.int64)[arranged]  # (E,)
        self._row_tokens = row
        self._permutation = None
        if self.pairs:
            return self._pack_pairs(begin, end, row, arranged)
        lengths = end - begin
        plain = np.zeros(len(lengths), bool)
        if self.plain is not None:
            plain = self.plain[self.first : self.stop].astype(bool)[arranged]
        # A long text's piece k starts block_size tokens after piece k - 1, on its last token.
        split = plain & (lengths > row)
        counts = np.where(split, -(-(lengths - 1) // block_size), 1)  # (E,) pieces per example
        example = np.repeat(np.arange(len(lengths)), counts)  # (P,)
        k = np.arange(len(example)) - np.repeat(np.cumsum(counts) - counts, counts)
        self._begin = begin[example] + k * block_size
        self._end = np.minimum(self._begin + row, end[example])
        starts = [0]
        if self.packing:
            # Next fit: a piece goes in the current row if it fits, else opens the next one.
            used = 0
            for i, n in enumerate((self._end - self._begin).tolist()):
                if used + n > row and used > 0:
                    starts.append(i)
                    used = 0
                used += n
        else:
            starts = list(range(len(example)))
        self._rows = np.asarray([*starts, len(example)] if len(example) else [0], np.int64)
        self._unit_weights = None
        if self.weights is not None and len(example):
            piece_weights = self.weights[self.first : self.stop][arranged][example]  # (P,)
            sums = np.add.reduceat(piece_weights, self._rows[:-1])
            self._unit_weights = _probabilities(sums / np.diff(self._rows))
        return int((~plain & (lengths > row)).sum())

    def _arrangement(self) -> np.ndarray:
        """The stream's examples (0 .. E - 1) in the order rows are packed: by the curriculum's
        scores, else by weight, else as read; a pair's two examples stay together."""
        size = 2 if self.pairs else 1
        keys = self.order if self.order is not None else self.weights
        if keys is None:
            return np.arange(self.stop - self.first)
        unit_keys = keys[self.first : self.stop : size]  # (units,) a pair's first example's
        descending = self.order is not None and self.descending
        # Stable, with the unscored (NaN) units last whichever way it goes.
        ranked = np.where(np.isnan(unit_keys), np.inf, -unit_keys if descending else unit_keys)
        units = np.argsort(ranked, kind="stable")
        return (units[:, None] * size + np.arange(size)).reshape(-1)

    def _pack_pairs(self, begin: np.ndarray, end: np.ndarray, row: int, arranged: np.ndarray) -> int:
        # Each row's response starts at its first target; both rows of a pair keep the same
        # prompt tokens, as many as the longer response leaves room for.
        response = np.array([_first_target(self.mask, b, e) for b, e in zip(begin, end)])
        response = response.astype(np.int64).reshape(-1)  # (E,)
        longest = (end - response).reshape(-1, 2).max(axis=1)  # (E / 2,)
        keep = longest <= row - 1  # room for the responses after one prompt token
        room = np.repeat(row - longest, 2)  # (E,)
        kept = np.repeat(keep, 2)
        cut_begin = np.maximum(begin, response - room)
        self._begin, self._end = cut_begin[kept], end[kept]
        self._rows = np.arange(len(self._begin) + 1, dtype=np.int64)
        self.dropped = int((~keep).sum())
        self._unit_weights = None
        if self.weights is not None and keep.any():
            pair_weights = self.weights[self.first : self.stop][arranged][0::2]  # (E / 2,)
            self._unit_weights = _probabilities(pair_weights[keep])
        return int((cut_begin > begin).reshape(-1, 2).any(axis=1)[keep].sum())

    @property
    def units(self) -> int:
        """What a batch draws: rows, or preference pairs."""
        return len(self._begin) // 2 if self.pairs else len(self._rows) - 1

    def batch(
        self, batch_size: int, block_size: int, seed: int, index: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets for batch number `index`: two (B, T) int64 tensors, T = block_size;
        for pairs (2B, T) with T up to block_size, the B chosen rows first, then their rejected
        rows in the same order."""
        if self._row_tokens != block_size + 1:
            self.pack(block_size)
        if self.units == 0:
            dropped = (
                f" ({self.dropped} preference pairs were left out: their responses do not fit "
                f"a row of {self._row_tokens} tokens)"
                if self.dropped
                else ""
            )
            raise ValueError(
                f"a split holds no examples{dropped}: add records or lower data.val_fraction"
            )
        picks = self._draw(batch_size, seed, index)
        if not self.pairs:
            spans = [(int(self._rows[r]), int(self._rows[r + 1])) for r in picks]
            return self._rows_of(spans, self._row_tokens)
        chosen = [(2 * p, 2 * p + 1) for p in picks]
        rejected = [(2 * p + 1, 2 * p + 2) for p in picks]
        spans = chosen + rejected
        longest = max(int(self._end[a] - self._begin[a]) for a, _ in spans)
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
            rng = np.random.default_rng([seed, epoch])
            if self._unit_weights is not None:
                order = rng.choice(units, size=units, p=self._unit_weights)
                if self.order is not None:
                    order.sort()  # rows are packed in the curriculum's order
            elif self.order is not None:
                order = np.arange(units)
            else:
                order = rng.permutation(units)
            self._permutation = (seed, epoch, order)
        return self._permutation[2]

    def _rows_of(self, spans: list[tuple[int, int]], row: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows of `row` tokens, each pieces [a, b) laid end to end, cut, then padded."""
        ids = np.zeros((len(spans), row), np.int64)
        target = np.zeros((len(spans), row), bool)
        for i, (a, b) in enumerate(spans):
            used = 0
            for piece in range(a, b):
                begin = int(self._begin[piece])
                end = min(int(self._end[piece]), begin + row - used)
                n = end - begin
                ids[i, used : used + n] = self.tokens[begin:end]
                if self.mask is None:
                    target[i, used : used + n] = True
                else:
                    target[i, used : used + n] = self.mask[begin:end] == 1
                # A piece's first token is not predicted from the one before it in the row.
                target[i, used] = False
                used += n
                if used >= row:
                    break
        x = torch.from_numpy(ids[:, :-1])
        y = torch.from_numpy(np.where(target[:, 1:], ids[:, 1:], IGNORE_INDEX))
        return x, y


def _probabilities(weights: np.ndarray) -> np.ndarray:
    """Weights (>= 0, some above 0) as probabilities summing to 1."""
    total = weights.sum()
    if not total > 0:
        raise ValueError("every training row weighs 0: no example can be drawn")
    return weights / total


def _first_target(mask: np.ndarray | None, begin: int, end: int) -> int:
    """Where an example's targets (a preference's response) start; `end` when it has none."""
    if mask is None:
        return begin
    targets = np.flatnonzero(mask[begin:end])
    return begin + int(targets[0]) if len(targets) else end


def split_examples(
    tokens: np.ndarray,
    mask: np.ndarray | None,
    bounds: np.ndarray,
    val_fraction: float,
    pairs: bool,
    packing: bool,
    plain: np.ndarray | None = None,
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
        ExampleStream(tokens, mask, bounds, 0, cut * size, pairs, packing, plain),
        ExampleStream(tokens, mask, bounds, cut * size, units * size, pairs, packing, plain),
    )


def whole_examples(
    tokens: np.ndarray,
    mask: np.ndarray | None,
    bounds: np.ndarray,
    pairs: bool,
    packing: bool,
    plain: np.ndarray | None = None,
) -> ExampleStream:
    """All the examples of a tokenized corpus as one split (a separate validation file)."""
    return ExampleStream(tokens, mask, bounds, 0, len(bounds) - 1, pairs, packing, plain)
