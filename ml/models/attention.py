"""What every causal language model here shares: the attention core (optional KV cache,
grouped-query heads, `scaled_dot_product_attention`) and the model-level switches (caches,
gradient checkpointing, parameter count).

Projections stay in the family files as plain `nn.Linear` modules named like Hugging Face's,
so LoRA and quantized linears can replace them by name; the cache plugs in here.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from ml.models.kv_cache import KVCache, cache_mask


class Positions(NamedTuple):
    """Where the new tokens sit, computed once per forward and handed to every layer."""

    input_pos: torch.Tensor  # (T,) shared by the batch or (B, T) per row
    mask: torch.Tensor | None  # (B, 1, T, S) over the cache; None means plain causal
    cache_rows: torch.Tensor | None  # (B,) cache row of each batch row; None means row b


def embedding(num_embeddings: int, embedding_dim: int) -> nn.Embedding:
    """An embedding table; on the meta device (a model about to be filled from a file) its
    random reset is skipped, since initialising meta tensors loads torch's decomposition
    machinery (~70 MB of modules) for values nobody reads."""
    weight = torch.empty(num_embeddings, embedding_dim)
    if weight.is_meta:
        return nn.Embedding(num_embeddings, embedding_dim, _weight=weight)
    return nn.Embedding(num_embeddings, embedding_dim)


def softcapped_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                         mask: torch.Tensor | None, scale: float, softcap: float,
                         dropout: float) -> torch.Tensor:
    """Attention whose scores are squashed to (-softcap, softcap) by tanh before the softmax
    (Gemma 2), which SDPA cannot express. q (B, H, T, D), k, v (B, H, S, D) -> (B, H, T, D)."""
    scores = torch.tanh(q @ k.transpose(-2, -1) * scale / softcap) * softcap  # (B, H, T, S)
    if mask is None:  # plain causal: no cache, so the keys are the new tokens
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
    scores = scores.masked_fill(~mask, float("-inf"))
    weights = F.dropout(F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype), dropout)
    return weights @ v


class Attention(nn.Module):
    """Base of a self-attention layer: subclasses project and position q, k, v; this runs them."""

    scale: float | None = None  # score scale; None is 1 / sqrt(head_dim)
    softcap: float | None = None  # tanh cap on the scores (Gemma 2); None leaves them as they are

    def __init__(self, n_head: int, n_kv_head: int, head_dim: int, dropout: float):
        super().__init__()
        if n_head % n_kv_head != 0:
            raise ValueError(f"n_head {n_head} is not a multiple of n_kv_head {n_kv_head}")
        self.n_head = n_head
        self.n_kv_head = n_kv_head
        self.head_dim = head_dim
        self.dropout = dropout
        self.kv_cache: KVCache | None = None

    def attend(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        positions: Positions,
    ) -> torch.Tensor:
        """q (B, H, T, D), k and v (B, H_kv, T, D) -> (B, T, H * D)."""
        batch, _, seq, _ = q.shape
        if self.kv_cache is not None:
            k, v = self.kv_cache.update(
                positions.input_pos, k, v, positions.cache_rows
            )  # (B, H_kv, S, D)
        repeats = self.n_head // self.n_kv_head
        if repeats > 1:
            # Repeating is portable across SDPA backends, masks and devices.
            k = k.repeat_interleave(repeats, dim=1)  # (B, H, S, D)
            v = v.repeat_interleave(repeats, dim=1)
        dropout = self.dropout if self.training else 0.0
        if self.softcap is not None:
            scale = self.scale or self.head_dim**-0.5
            y = softcapped_attention(q, k, v, positions.mask, scale, self.softcap, dropout)
        else:
            y = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=positions.mask,
                dropout_p=dropout,
                is_causal=positions.mask is None,
                scale=self.scale,
            )  # (B, H, T, D)
        return y.transpose(1, 2).reshape(batch, seq, self.n_head * self.head_dim)


class CausalLM(nn.Module):
    """Model-level plumbing shared by the families; subclasses set `self.config` and expose
    their transformer blocks as the `blocks` property."""

    config: object
    blocks: nn.ModuleList

    def __init__(self):
        super().__init__()
        self.gradient_checkpointing = False

    def num_params(self) -> int:
        """Parameters counted once (tied embeddings are one tensor)."""
        return sum(p.numel() for p in self.parameters())

    def set_gradient_checkpointing(self, enabled: bool) -> None:
        """Recompute each block's activations in backward: less memory, about a third more compute."""
        self.gradient_checkpointing = enabled

    def attention_layers(self) -> list[Attention]:
        return [m for m in self.modules() if isinstance(m, Attention)]

    def setup_caches(
        self,
        max_batch_size: int,
        max_seq_len: int,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        """Give every attention layer a fresh static cache; forward then needs `input_pos`."""
        if max_seq_len > self.config.block_size:
            raise ValueError(
                f"max_seq_len {max_seq_len} exceeds the model's block_size {self.config.block_size}"
            )
        reference = next(self.parameters())
        for layer in self.attention_layers():
            layer.kv_cache = KVCache(
                max_batch_size,
                max_seq_len,
                layer.n_kv_head,
                layer.head_dim,
                dtype=dtype or reference.dtype,
                device=device or reference.device,
            )

    def clear_caches(self) -> None:
        for layer in self.attention_layers():
            layer.kv_cache = None

    def _cache_len(self) -> int | None:
        for layer in self.attention_layers():
            return layer.kv_cache.max_seq_len if layer.kv_cache is not None else None
        return None

    def _positions(
        self, idx: torch.Tensor, input_pos: torch.Tensor | None, cache_rows: torch.Tensor | None
    ) -> Positions:
        batch, seq = idx.shape
        if input_pos is None:
            # Known from the shape alone: reading positions back would break torch.compile graphs.
            if seq > self.config.block_size:
                raise ValueError(
                    f"position {seq - 1} is beyond block_size {self.config.block_size}"
                )
            input_pos = torch.arange(seq, device=idx.device)
        else:
            if input_pos.shape[-1] != seq:
                raise ValueError(f"input_pos covers {input_pos.shape[-1]} tokens but idx has {seq}")
            # Checked on CPU only: on an accelerator the check would stall every decode step.
            if input_pos.device.type == "cpu" and int(input_pos.max()) >= self.config.block_size:
                raise ValueError(
                    f"position {int(input_pos.max())} is beyond block_size {self.config.block_size}"
                )
        cache_len = self._cache_len()
        if cache_len is None:
            if cache_rows is not None:
                raise ValueError("cache_rows given but no caches are set up (call setup_caches)")
            return Positions(input_pos, None, None)
        return Positions(input_pos, cache_mask(input_pos, batch, cache_len), cache_rows)

    @staticmethod
    def scored_positions(x: torch.Tensor, logits_at: torch.Tensor | None) -> torch.Tensor:
        """x (B, T, C) -> the positions the head scores: row b's logits_at[b] only, (B, 1, C)
        (the head is the largest matrix: generation needs each prompt's last token), or all."""
        if logits_at is None:
            return x
        return x[torch.arange(x.shape[0], device=x.device), logits_at].unsqueeze(1)

    def run_blocks(self, x: torch.Tensor, *args) -> torch.Tensor:
        """Each block in turn, under activation checkpointing when it is switched on."""
        for block in self.blocks:
            if self.gradient_checkpointing and self.training:
                x = checkpoint(block, x, *args, use_reentrant=False)
            else:
                x = block(x, *args)
        return x
