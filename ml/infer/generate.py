"""Generation as a ladder of small functions over a model with static KV caches (gpt-fast
style): last-position logits -> sample a batch of rows -> prefill one prompt into a cache slot
-> decode one token for every row -> generate a whole sequence.

Rows of a batch may sample with different settings; rows that share settings are sampled in
one call, so the common case (every row greedy, or every row alike) costs one kernel launch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from ml.infer.sampling import SamplingParams, sample


@dataclass
class RowSampling:
    """How one batch row picks its next token."""

    params: SamplingParams  # temperature, top-k/p, min-p, repetition penalty
    generator: torch.Generator | None = None  # seeded requests draw from their own stream
    context: torch.Tensor | None = None  # (T,) ids seen so far, for the repetition penalty


def last_logits(model: nn.Module, idx: torch.Tensor, input_pos: torch.Tensor,
                cache_rows: torch.Tensor | None = None) -> torch.Tensor:
    """idx (B, T) at input_pos -> logits of each row's last position (B, V), in float32."""
    last = torch.full((idx.shape[0],), idx.shape[1] - 1, device=idx.device)
    return model(idx, input_pos, cache_rows, logits_at=last)[:, -1].float()


def sample_rows(logits: torch.Tensor, rows: list[RowSampling]) -> torch.Tensor:
    """logits (B, V), one RowSampling per row -> next token ids (B,) on logits' device."""
    out = torch.empty(len(rows), dtype=torch.long, device=logits.device)
    groups: dict[SamplingParams, list[int]] = {}
    for i, row in enumerate(rows):
        if row.generator is not None or (row.context is not None
                                         and row.params.repetition_penalty != 1.0):
            context = None if row.context is None else row.context.unsqueeze(0)
            out[i:i + 1] = sample(logits[i:i + 1], row.params, context, row.generator)
        else:
            groups.setdefault(row.params, []).append(i)
    for params, members in groups.items():
        if len(members) == len(rows):
            return sample(logits, params)
        index = torch.tensor(members, device=logits.device)
        out[index] = sample(logits[index], params)
    return out


def prefill(model: nn.Module, prompt: torch.Tensor, slot: int) -> torch.Tensor:
    """Run a prompt (T,) into cache row `slot`; returns the next-token logits (1, V)."""
    positions = torch.arange(prompt.numel(), device=prompt.device)  # (T,)
    rows = torch.tensor([slot], device=prompt.device)
    return last_logits(model, prompt.view(1, -1), positions, rows)


def decode_one(model: nn.Module, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """One step for cache rows 0..B-1: tokens (B, 1) at positions (B, 1) -> logits (B, V)."""
    return last_logits(model, tokens, positions)


@torch.inference_mode()
def generate(model: nn.Module, prompt_ids: list[int], max_tokens: int, params: SamplingParams,
             generator: torch.Generator | None = None,
             stop_token_ids: frozenset[int] = frozenset()) -> Iterator[int]:
    """Token ids of one continuation, using cache row 0 (caches must be set up and large
    enough for prompt + max_tokens). Stops after a stop token, which is yielded."""
    device = next(model.parameters()).device
    seen = torch.tensor(prompt_ids, device=device)  # (T,) grows by one token per step
    logits = prefill(model, seen, 0)
    for count in range(max_tokens):
        token = sample_rows(logits, [RowSampling(params, generator, seen)])  # (1,)
        yield int(token[0])
        if int(token[0]) in stop_token_ids or count == max_tokens - 1:
            return
        position = torch.tensor([[seen.numel()]], device=device)
        seen = torch.cat([seen, token])
        logits = decode_one(model, token.view(1, 1), position)
