"""The language-modelling loss shared by training, evaluation and benchmarks."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ml.data import IGNORE_INDEX


def next_token_loss(
    logits: torch.Tensor, targets: torch.Tensor, masked: bool = False
) -> torch.Tensor:
    """Mean cross-entropy of logits (B, T, V) against targets (B, T).

    `masked` data may hold batches whose targets are all IGNORE_INDEX (a window inside a
    prompt); those count as loss 0 instead of the NaN a plain mean would give.
    """
    flat_logits = logits.reshape(-1, logits.size(-1))  # (B * T, V)
    flat_targets = targets.reshape(-1)  # (B * T,)
    if not masked:
        return F.cross_entropy(flat_logits, flat_targets, ignore_index=IGNORE_INDEX)
    total = F.cross_entropy(flat_logits, flat_targets, ignore_index=IGNORE_INDEX, reduction="sum")
    return total / (flat_targets != IGNORE_INDEX).sum().clamp(min=1)
