"""Plain autoregressive generation for evaluation and the CLI: the whole (cropped) context is
run through the model for every token. Simple and exact; the serving engine in ml/infer does
the fast KV-cached version with the same sampling functions."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ml.infer.sampling import SamplingParams, sample


@torch.no_grad()
def generate_ids(
    model: nn.Module,
    prompt_ids: list[int],
    params: SamplingParams,
    max_new_tokens: int,
    block_size: int,
    stop_ids: set[int] = frozenset(),
    seed: int | None = None,
    on_token: Callable[[int], None] | None = None,
) -> list[int]:
    """The new token ids (stop token excluded) after `prompt_ids`."""
    if not prompt_ids:
        raise ValueError("the prompt is empty: give at least one token")
    device = next(model.parameters()).device
    generator = torch.Generator(device=device)
    generator.manual_seed(seed if seed is not None else torch.seed())
    model.eval()
    ids = torch.tensor([prompt_ids], dtype=torch.long, device=device)  # (1, T)
    new: list[int] = []
    for _ in range(max_new_tokens):
        context = ids[:, -block_size:]  # (1, <= block_size)
        logits = model(context)[:, -1, :]  # (1, V)
        token = sample(logits, params, context=ids, generator=generator)  # (1,)
        value = int(token.item())
        if value in stop_ids:
            break
        new.append(value)
        if on_token:
            on_token(value)
        ids = torch.cat([ids, token.view(1, 1)], dim=1)
    return new
