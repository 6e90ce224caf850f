"""Turning next-token logits into a token: small pure functions, composed by `sample`.

Each filter takes logits (B, V) and returns new logits with excluded tokens at -inf, so
they chain in any order; `SamplingParams` holds the user's knobs and their neutral values.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SamplingParams:
    # 0 picks the most likely token (greedy); higher flattens the distribution.
    temperature: float = 1.0
    # Keep only the k most likely tokens; 0 keeps all.
    top_k: int = 0
    # Keep the smallest set of tokens whose probability sums to top_p; 1.0 keeps all.
    top_p: float = 1.0
    # Drop tokens less likely than min_p times the most likely one; 0 keeps all.
    min_p: float = 0.0
    # >1 makes tokens already in the context less likely (CTRL-style); 1.0 is off.
    repetition_penalty: float = 1.0


def apply_repetition_penalty(
    logits: torch.Tensor, context: torch.Tensor, penalty: float
) -> torch.Tensor:
    """logits (B, V), context (B, T) token ids: seen tokens' positive logits are divided by
    `penalty`, negative ones multiplied, so both become less likely."""
    if penalty == 1.0 or context.numel() == 0:
        return logits
    seen = torch.gather(logits, 1, context)  # (B, T)
    seen = torch.where(seen > 0, seen / penalty, seen * penalty)
    return logits.scatter(1, context, seen)


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return logits / temperature


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    if k <= 0 or k >= logits.size(-1):
        return logits
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (B, 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus sampling: keep the most likely tokens until their mass reaches p."""
    if p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    # A token is dropped when the mass before it already reaches p (the top one always stays).
    drop_sorted = probs.cumsum(dim=-1) - probs >= p
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def min_p_filter(logits: torch.Tensor, min_p: float) -> torch.Tensor:
    if min_p <= 0.0:
        return logits
    probs = logits.softmax(dim=-1)
    threshold = min_p * probs.max(dim=-1, keepdim=True).values  # (B, 1)
    return logits.masked_fill(probs < threshold, float("-inf"))


def sample(
    logits: torch.Tensor,
    params: SamplingParams,
    context: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One next token per row: logits (B, V), context (B, T) -> token ids (B,)."""
    logits = logits.float()
    if context is not None:
        logits = apply_repetition_penalty(logits, context, params.repetition_penalty)
    if params.temperature <= 0.0:
        return logits.argmax(dim=-1)
    logits = apply_temperature(logits, params.temperature)
    logits = top_k_filter(logits, params.top_k)
    logits = top_p_filter(logits, params.top_p)
    logits = min_p_filter(logits, params.min_p)
    probs = logits.softmax(dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
