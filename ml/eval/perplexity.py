"""Perplexity of a model on a text or a dataset: exp of the mean next-token loss over
consecutive non-overlapping windows, so every token is scored once and the number is
reproducible."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from ml.data import BaseTokenizer, DataConfig, TokenStream, prepare_data
from ml.data.dataset import IGNORE_INDEX


@dataclass
class PerplexityResult:
    loss: float  # mean cross-entropy per scored token (nats)
    perplexity: float
    tokens: int  # tokens scored


def perplexity_of_text(
    model: nn.Module, tokenizer: Tokenizer, text: str, block_size: int, batch_size: int = 8
) -> PerplexityResult:
    ids = np.asarray(tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)
    return perplexity_of_stream(model, TokenStream(ids, None, 0, len(ids)), block_size, batch_size)


def perplexity_of_dataset(
    model: nn.Module,
    tokenizer: Tokenizer,
    path: str,
    block_size: int,
    batch_size: int = 8,
    max_batches: int = 0,
    chat_template: str | None = None,
    eos_token_id: int | None = None,
    cache_dir: str = "",
) -> PerplexityResult:
    """A whole file or directory (any format the trainer reads), in the model's tokens."""
    cfg = DataConfig(path=path, tokenizer="base", cache_dir=cache_dir, val_fraction=0.5)
    data = prepare_data(cfg, BaseTokenizer(tokenizer, chat_template, eos_token_id))
    stream = data.train
    whole = TokenStream(stream.tokens, stream.mask, 0, len(stream.tokens))
    return perplexity_of_stream(model, whole, block_size, batch_size, max_batches)


@torch.no_grad()
def perplexity_of_stream(
    model: nn.Module,
    stream: TokenStream,
    block_size: int,
    batch_size: int = 8,
    max_batches: int = 0,
) -> PerplexityResult:
    n = len(stream)
    if n < 2:
        raise ValueError("need at least 2 tokens to measure perplexity")
    device = next(model.parameters()).device
    model.eval()
    starts = list(range(stream.start, stream.start + n - 1, block_size))
    total, count = 0.0, 0
    for b, first in enumerate(range(0, len(starts), batch_size)):
        if max_batches and b >= max_batches:
            break
        x, y = _windows(stream, starts[first : first + batch_size], block_size)
        logits = model(x.to(device))  # (B, T, V)
        losses = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1).float(),
            y.to(device).flatten(),
            ignore_index=IGNORE_INDEX,
            reduction="sum",
        )
        total += losses.item()
        count += int((y != IGNORE_INDEX).sum())
    loss = total / max(count, 1)
    return PerplexityResult(loss=loss, perplexity=math.exp(min(loss, 50.0)), tokens=count)


def _windows(stream: TokenStream, starts: list[int], block_size: int):
    """Inputs and targets (B, T) for windows at `starts`; short tails are padded and ignored."""
    end = stream.start + len(stream)
    x = torch.zeros(len(starts), block_size, dtype=torch.long)
    y = torch.full((len(starts), block_size), IGNORE_INDEX, dtype=torch.long)
    for row, s in enumerate(starts):
        length = min(block_size, end - 1 - s)
        chunk = torch.from_numpy(np.asarray(stream.tokens[s : s + length + 1], dtype=np.int64))
        x[row, :length] = chunk[:-1]
        y[row, :length] = chunk[1:]
        if stream.mask is not None:
            keep = torch.from_numpy(np.asarray(stream.mask[s + 1 : s + length + 1]) == 1)
            y[row, :length] = torch.where(keep, y[row, :length], IGNORE_INDEX)
    return x, y
