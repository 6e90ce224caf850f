"""The static key/value cache (gpt-fast style) and the attention mask over it.

A cache is a preallocated (max_batch, n_kv_head, max_seq_len, head_dim) buffer per layer, so
decoding never reallocates and CUDA graphs can capture it. New keys are written at the
positions of the new tokens; positions may be shared by the batch, shape (T,), or given per
row, shape (B, T), which lets rows of one batch sit at different points of their sequences
(continuous batching).
"""

from __future__ import annotations

import torch
from torch import nn


def rows_positions(input_pos: torch.Tensor, batch: int) -> torch.Tensor:
    """Broadcast positions to one row per sequence: (T,) or (B, T) -> (B, T)."""
    if input_pos.dim() == 1:
        return input_pos.unsqueeze(0).expand(batch, -1)
    if input_pos.dim() != 2 or input_pos.shape[0] != batch:
        raise ValueError(
            f"input_pos must have shape (T,) or (B={batch}, T), got {tuple(input_pos.shape)}"
        )
    return input_pos


class KVCache(nn.Module):
    """Keys and values of one attention layer for up to `max_batch` sequences."""

    def __init__(
        self,
        max_batch: int,
        max_seq_len: int,
        n_kv_head: int,
        head_dim: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ):
        super().__init__()
        shape = (max_batch, n_kv_head, max_seq_len, head_dim)
        # Not persistent: a cache is runtime state, never part of a checkpoint.
        self.register_buffer(
            "k_cache", torch.zeros(shape, dtype=dtype, device=device), persistent=False
        )
        self.register_buffer(
            "v_cache", torch.zeros(shape, dtype=dtype, device=device), persistent=False
        )

    @property
    def max_batch(self) -> int:
        return self.k_cache.shape[0]

    @property
    def max_seq_len(self) -> int:
        return self.k_cache.shape[2]

    def update(
        self,
        input_pos: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        cache_rows: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Write k, v (B, H_kv, T, D) at `input_pos` and return the batch's cache rows
        (B, H_kv, S, D); slots not yet written are hidden by `cache_mask`.

        Batch row b uses cache row b, or cache row `cache_rows[b]` when given (B,), so one
        sequence can be prefilled into a free slot while the others wait.
        """
        batch, n_kv_head, seq, head_dim = k.shape
        pos = rows_positions(input_pos, batch)  # (B, T)
        # Checked on CPU only: on an accelerator the check would stall every decode step.
        if pos.device.type == "cpu":
            if int(pos.max()) >= self.max_seq_len:
                raise ValueError(
                    f"position {int(pos.max())} is beyond the cache's max_seq_len {self.max_seq_len}"
                )
            last_row = batch - 1 if cache_rows is None else int(cache_rows.max())
            if last_row >= self.max_batch:
                raise ValueError(
                    f"cache row {last_row} exceeds the cache's max_batch {self.max_batch}"
                )
        if cache_rows is None:
            index = pos[:, None, :, None].expand(batch, n_kv_head, seq, head_dim)  # (B, H_kv, T, D)
            k_rows, v_rows = self.k_cache[:batch], self.v_cache[:batch]  # views, no copy
            k_rows.scatter_(2, index, k.to(k_rows.dtype))
            v_rows.scatter_(2, index, v.to(v_rows.dtype))
            return k_rows, v_rows
        rows = cache_rows[:, None]  # (B, 1), broadcast against pos (B, T)
        self.k_cache[rows, :, pos] = k.transpose(1, 2).to(self.k_cache.dtype)  # (B, T, H_kv, D)
        self.v_cache[rows, :, pos] = v.transpose(1, 2).to(self.v_cache.dtype)
        return self.k_cache[cache_rows], self.v_cache[cache_rows]

    def reset(self) -> None:
        self.k_cache.zero_()
        self.v_cache.zero_()


def cache_mask(input_pos: torch.Tensor, batch: int, max_seq_len: int) -> torch.Tensor:
    """Boolean mask (B, 1, T, S): query at position p sees cache slots 0..p.

    Slots beyond p hold either nothing yet or a previous sequence's leftovers; both stay hidden.
    """
    pos = rows_positions(input_pos, batch)  # (B, T)
    slots = torch.arange(max_seq_len, device=pos.device)  # (S,)
    return (slots[None, None, :] <= pos[:, :, None]).unsqueeze(1)  # (B, 1, T, S)
