"""Mixtral: the Mistral block with a sparse mixture of SwiGLU experts in place of the MLP.
A router scores every expert per token; the top `n_experts_per_tok` run and their outputs are
summed with the router's softmax weights renormalised over the chosen few.

Experts are plain `LlamaMLP`s (`mlp.experts.<e>.gate_proj`, ...) so quantized linears and
LoRA find them by name; ml/model_map/hf.py maps Hugging Face's per-expert w1/w2/w3 and
transformers 5's fused expert tensors onto them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.llama import LlamaBlock, LlamaMLP
from ml.models.mistral import Mistral, MistralConfig


@dataclass
class MixtralConfig(MistralConfig):
    arch: str = "mixtral"
    sliding_window: int | None = None  # Mixtral 8x7B attends to its whole context
    n_experts: int = 8  # SwiGLU experts per block
    n_experts_per_tok: int = 2  # experts each token runs through

    def __post_init__(self):
        super().__post_init__()
        if not 1 <= self.n_experts_per_tok <= self.n_experts:
            raise ValueError(f"n_experts_per_tok {self.n_experts_per_tok} must be in "
                             f"1..n_experts ({self.n_experts})")


class SparseMoE(nn.Module):
    def __init__(self, config: MixtralConfig):
        super().__init__()
        self.top_k = config.n_experts_per_tok
        self.gate = nn.Linear(config.n_embd, config.n_experts, bias=False)  # the router
        self.experts = nn.ModuleList(LlamaMLP(config) for _ in range(config.n_experts))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape  # (B, T, C)
        tokens = x.reshape(-1, shape[-1])  # (N, C)
        probs = F.softmax(self.gate(tokens), dim=-1, dtype=torch.float32)  # (N, E)
        weights, chosen = probs.topk(self.top_k, dim=-1)  # (N, K)
        weights = (weights / weights.sum(dim=-1, keepdim=True)).to(x.dtype)
        out = torch.zeros_like(tokens)
        # Expert by expert over the tokens that chose it: each weight matrix is read once.
        for index, expert in enumerate(self.experts):
            rows, slot = torch.where(chosen == index)  # (M,), (M,)
            if rows.numel():
                out.index_add_(0, rows, expert(tokens[rows]) * weights[rows, slot, None])
        return out.view(shape)


class MixtralBlock(LlamaBlock):
    mlp_class = SparseMoE


class Mixtral(Mistral):
    block_class = MixtralBlock
