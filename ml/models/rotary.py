"""Rotary positions over part of each head (GPT-NeoX/Pythia and GPT-J rotate only the first
`rotary_dim` channels) in either pair layout: rotate-half (NeoX, LLaMA: channel i pairs with
i + dim/2) or interleaved (GPT-J: channel 2i pairs with 2i + 1)."""

from __future__ import annotations

import torch


def partial_rope_tables(rotary_dim: int, theta: float, length: int, device: torch.device,
                        interleaved: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin (length, rotary_dim) in float32, laid out for `apply_partial_rope`."""
    inv_freq = 1.0 / theta ** (torch.arange(0, rotary_dim, 2, device=device).float() / rotary_dim)
    freqs = torch.outer(torch.arange(length, dtype=torch.float32, device=device), inv_freq)
    if interleaved:
        angles = freqs.repeat_interleave(2, dim=-1)  # (S, R): each angle on its pair
    else:
        angles = torch.cat((freqs, freqs), dim=-1)  # (S, R): halves repeated
    return angles.cos(), angles.sin()


def apply_partial_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                       interleaved: bool) -> torch.Tensor:
    """x (B, H, T, D) with its first R channels rotated by cos, sin (B or 1, 1, T, R)."""
    rotary_dim = cos.shape[-1]
    rot, rest = x[..., :rotary_dim], x[..., rotary_dim:]
    if interleaved:
        rotated = torch.stack((-rot[..., 1::2], rot[..., ::2]), dim=-1).flatten(-2)
    else:
        half = rotary_dim // 2
        rotated = torch.cat((-rot[..., half:], rot[..., :half]), dim=-1)
    return torch.cat((rot * cos + rotated * sin, rest), dim=-1)


def position_rows(tables: tuple[torch.Tensor, torch.Tensor], input_pos: torch.Tensor,
                  dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The tables' rows at `input_pos` ((T,) or (B, T)) as (B or 1, 1, T, R) in `dtype`."""
    rows = input_pos if input_pos.dim() == 2 else input_pos.unsqueeze(0)  # (B or 1, T)
    cos, sin = tables
    return cos[rows].unsqueeze(1).to(dtype), sin[rows].unsqueeze(1).to(dtype)
