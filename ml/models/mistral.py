"""Mistral: the LLaMA block with sliding-window attention (each token sees the last
`sliding_window` positions, itself included). Phi-3 is the same network stored with fused
qkv and gate/up projections, so it shares this module under its own config (the fused
tensors are split and joined by ml/model_map/hf.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ml.models.attention import Positions
from ml.models.kv_cache import rows_positions
from ml.models.llama import Llama, LlamaConfig


@dataclass
class MistralConfig(LlamaConfig):
    arch: str = "mistral"
    sliding_window: int | None = 4096  # keys older than this many positions are not attended

    def __post_init__(self):
        super().__post_init__()
        if self.sliding_window is not None and self.sliding_window < 1:
            raise ValueError(f"sliding_window {self.sliding_window} must be >= 1")


@dataclass
class Phi3Config(MistralConfig):
    arch: str = "phi3"
    sliding_window: int | None = None  # Phi-3 mini 4k uses 2047; most others none


def window_mask(positions: Positions, batch: int, window: int | None) -> torch.Tensor | None:
    """The causal mask of `positions` narrowed to the last `window` keys: (B, 1, T, S) bool,
    or None (plain causal) when no window applies. Without a cache the keys are the new tokens."""
    if window is None:
        return positions.mask
    pos = rows_positions(positions.input_pos, batch)  # (B, T)
    if positions.mask is None:
        keys = pos[:, None, :]  # (B, 1, T): key j sits where new token j does
        causal = keys <= pos[:, :, None]  # (B, T, T)
    else:
        keys = torch.arange(positions.mask.shape[-1], device=pos.device)[None, None, :]  # (1, 1, S)
        causal = positions.mask[:, 0]  # (B, T, S)
    return (causal & (keys > pos[:, :, None] - window)).unsqueeze(1)  # (B, 1, T, S)


class Mistral(Llama):
    def _positions(self, idx, input_pos, cache_rows) -> Positions:
        positions = super()._positions(idx, input_pos, cache_rows)
        window = self.config.sliding_window
        if window is None or window >= self.config.block_size:
            return positions
        return positions._replace(mask=window_mask(positions, idx.shape[0], window))
