"""Personality steering: the file's `personality.steering.<layer>` vectors added to the residual
stream after chosen decoder blocks, scaled per batch row so requests with different strengths
(or none) share one forward pass."""

from __future__ import annotations

import torch
from torch import nn


class Steering:
    """Forward hooks on the decoder blocks; `set_strengths` before each forward says how much
    each batch row is steered (0 for none)."""

    def __init__(self, blocks: nn.ModuleList, vectors: dict[int, torch.Tensor],
                 layers: list[int] | None, device: torch.device, dtype: torch.dtype):
        chosen = sorted(vectors) if layers is None else list(layers)
        for layer in chosen:
            if layer not in vectors:
                raise ValueError(f"no steering vector for layer {layer}; the file has "
                                 f"{sorted(vectors) or 'none'}")
            if not 0 <= layer < len(blocks):
                raise ValueError(f"steering layer {layer} is outside the model's "
                                 f"{len(blocks)} blocks")
        self.layers = chosen
        self.vectors = {layer: vectors[layer].to(device=device, dtype=dtype) for layer in chosen}
        self._device, self._dtype = device, dtype
        self._scale: torch.Tensor | None = None  # (B, 1, 1) or None when no row is steered
        self._handles = [blocks[layer].register_forward_hook(self._hook(layer))
                         for layer in chosen]

    def set_strengths(self, strengths: list[float]) -> None:
        """One strength per batch row of the next forward."""
        if not self.layers or not any(strengths):
            self._scale = None
            return
        self._scale = torch.tensor(strengths, device=self._device,
                                   dtype=self._dtype).view(-1, 1, 1)

    def _hook(self, layer: int):
        def add_vector(module, args, output):
            if self._scale is None:
                return None
            return output + self._scale * self.vectors[layer]  # (B, T, C)
        return add_vector

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
