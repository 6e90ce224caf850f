"""Gemma 2 and Gemma 3 (text): the LLaMA layout with an embedding scaled by sqrt(n_embd),
RMSNorms that scale by (1 + weight), a norm before and after both attention and MLP, a GeGLU
MLP, scores scaled by `query_pre_attn_scalar`, layers alternating between a sliding window
and full attention, and for Gemma 2 tanh soft-capping of attention scores and output logits.
Gemma 3 drops the soft-caps, normalises query and key heads and gives its sliding layers their
own rotary base. Module names follow Hugging Face's Gemma2ForCausalLM / Gemma3ForCausalLM.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ml.data.dataset import IGNORE_INDEX
from ml.models.llama import Llama, LlamaAttention, LlamaConfig, LlamaMLP, RMSNorm, rope_tables
from ml.models.mistral import window_mask
from ml.models.rotary import position_rows

LAYER_TYPES = ("sliding_attention", "full_attention")


@dataclass
class GemmaConfig(LlamaConfig):
    arch: str = "gemma2"  # "gemma2" or "gemma3"
    tie_word_embeddings: bool = True  # every Gemma ties its head to the embedding
    query_pre_attn_scalar: int = 256  # scores are scaled by its inverse square root
    attn_logit_softcapping: float | None = None  # cap * tanh(score / cap) (Gemma 2: 50)
    final_logit_softcapping: float | None = None  # the same on output logits (Gemma 2: 30)
    sliding_window: int | None = 4096  # window of the layers marked "sliding_attention"
    layer_types: list[str] | None = None  # per layer, one of LAYER_TYPES; None = all full
    qk_norm: bool = False  # RMSNorm over each query and key head (Gemma 3)
    rope_local_theta: float | None = None  # rotary base of sliding layers; None = rope_theta

    def __post_init__(self):
        super().__post_init__()
        if self.arch not in ("gemma2", "gemma3"):
            raise ValueError(f"arch {self.arch!r} is not 'gemma2' or 'gemma3'")
        if self.layer_types is not None:
            if len(self.layer_types) != self.n_layer:
                raise ValueError(f"layer_types has {len(self.layer_types)} entries for "
                                 f"{self.n_layer} layers")
            unknown = sorted(set(self.layer_types) - set(LAYER_TYPES))
            if unknown:
                raise ValueError(f"layer_types {unknown} are not among {LAYER_TYPES}")


class GemmaRMSNorm(RMSNorm):
    """Scales by (1 + weight), so a fresh norm (weight 0) is the identity scale."""

    def __init__(self, dim: int, eps: float):
        super().__init__(dim, eps)
        nn.init.zeros_(self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x32 * (1.0 + self.weight.float())).to(x.dtype)


class GemmaAttention(LlamaAttention):
    def __init__(self, config: GemmaConfig):
        super().__init__(config)
        self.scale = config.query_pre_attn_scalar**-0.5
        self.softcap = config.attn_logit_softcapping
        if config.qk_norm:
            self.q_norm = GemmaRMSNorm(config.head_dim, config.rms_norm_eps)
            self.k_norm = GemmaRMSNorm(config.head_dim, config.rms_norm_eps)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        q, k, v = super().heads(x)  # (B, H|H_kv, T, D)
        if hasattr(self, "q_norm"):
            q, k = self.q_norm(q), self.k_norm(k)
        return q, k, v


class GemmaMLP(LlamaMLP):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # GeGLU: tanh-approximated GELU gate
        hidden = F.gelu(self.gate_proj(x), approximate="tanh") * self.up_proj(x)
        return self.dropout(self.down_proj(hidden))


class GemmaBlock(nn.Module):
    def __init__(self, config: GemmaConfig):
        super().__init__()
        eps = config.rms_norm_eps
        self.input_layernorm = GemmaRMSNorm(config.n_embd, eps)
        self.self_attn = GemmaAttention(config)
        self.post_attention_layernorm = GemmaRMSNorm(config.n_embd, eps)
        self.pre_feedforward_layernorm = GemmaRMSNorm(config.n_embd, eps)
        self.mlp = GemmaMLP(config)
        self.post_feedforward_layernorm = GemmaRMSNorm(config.n_embd, eps)
        self.kind = "full_attention"  # set by the model from config.layer_types

    def forward(self, x: torch.Tensor, contexts: dict) -> torch.Tensor:
        rope, positions = contexts[self.kind]
        x = x + self.post_attention_layernorm(
            self.self_attn(self.input_layernorm(x), rope, positions))  # (B, T, C)
        return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))


class Gemma(Llama):
    block_class = GemmaBlock

    def __init__(self, config: GemmaConfig):
        super().__init__(config)
        self.model["norm"] = GemmaRMSNorm(config.n_embd, config.rms_norm_eps)
        for block, kind in zip(self.blocks, config.layer_types or [], strict=False):
            block.kind = kind
        self._local_rope: tuple[torch.Tensor, torch.Tensor] | None = None

    def local_rope(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """cos, sin of the sliding layers: their own base, no scaling (Gemma 3)."""
        config = self.config
        if config.rope_local_theta is None:
            return self.rope(device)
        stale = (self._local_rope is None or self._local_rope[0].device != device
                 or self._local_rope[0].shape[0] != self._rope_positions)
        if stale:
            local = dataclasses.replace(config, rope_theta=config.rope_local_theta,
                                        rope_scaling=None)
            self._local_rope = rope_tables(local, device, self._rope_positions)
        return self._local_rope

    def forward(self, idx, input_pos=None, cache_rows=None, logits_at=None, targets=None,
                reduction: str = "mean") -> torch.Tensor:
        """As `Llama.forward`: logits (B, T or 1, V), or the loss when `targets` are given."""
        positions = self._positions(idx, input_pos, cache_rows)
        x = self.dropout(self.model.embed_tokens(idx))  # (B, T, C)
        x = x * torch.tensor(math.sqrt(self.config.n_embd), dtype=x.dtype)
        local = positions._replace(
            mask=window_mask(positions, idx.shape[0], self.config.sliding_window))
        contexts = {
            "full_attention": (position_rows(self.rope(x.device), positions.input_pos, x.dtype),
                               positions),
            "sliding_attention": (position_rows(self.local_rope(x.device), positions.input_pos,
                                                x.dtype), local),
        }
        x = self.run_blocks(x, contexts)
        if targets is not None:
            return self._loss(self._logits(x), targets, reduction)
        return self._logits(self.scored_positions(x, logits_at))  # (B, T, V)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.lm_head(self.model.norm(x))  # (B, T, V)
        cap = self.config.final_logit_softcapping
        return logits if cap is None else torch.tanh(logits / cap) * cap

    @staticmethod
    def _loss(logits: torch.Tensor, targets: torch.Tensor, reduction: str) -> torch.Tensor:
        """The capped logits' cross-entropy, reduced as `head_loss` reduces (which scores the
        plain head and so cannot apply the cap)."""
        losses = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(),
                                 ignore_index=IGNORE_INDEX, reduction="none").view(targets.shape)
        if reduction == "none":
            return losses
        total = losses.sum()
        return total if reduction == "sum" else total / (targets != IGNORE_INDEX).sum().clamp(min=1)
