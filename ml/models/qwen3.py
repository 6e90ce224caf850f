"""Qwen3: the LLaMA block with RMSNorm over each query and key head before rotary positions
(`self_attn.q_norm`, `self_attn.k_norm`, one weight per head channel, shared by the heads)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ml.models.llama import LlamaAttention, LlamaBlock, RMSNorm
from ml.models.mistral import Mistral, MistralConfig


@dataclass
class Qwen3Config(MistralConfig):
    arch: str = "qwen3"
    sliding_window: int | None = None  # Qwen3 checkpoints ship with the window switched off


class Qwen3Attention(LlamaAttention):
    def __init__(self, config: Qwen3Config):
        super().__init__(config)
        self.q_norm = RMSNorm(config.head_dim, config.rms_norm_eps)
        self.k_norm = RMSNorm(config.head_dim, config.rms_norm_eps)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        q, k, v = super().heads(x)  # (B, H|H_kv, T, D)
        return self.q_norm(q), self.k_norm(k), v


class Qwen3Block(LlamaBlock):
    attention_class = Qwen3Attention


class Qwen3(Mistral):
    block_class = Qwen3Block
