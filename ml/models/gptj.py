"""GPT-J: one LayerNorm feeding attention and MLP in parallel (x + attn(ln(x)) + mlp(ln(x))),
bias-free q/k/v/out projections, interleaved rotary positions on the first `rotary_dim`
channels of each head, and an output head with a bias. Module names follow Hugging Face's
GPTJForCausalLM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.attention import Attention, CausalLM, Positions, embedding
from ml.models.head_loss import head_loss
from ml.models.rotary import apply_partial_rope, partial_rope_tables, position_rows

ROPE_THETA = 10000.0  # fixed in GPT-J


@dataclass
class GPTJConfig:
    arch: str = "gptj"  # dispatch key for config_from_dict
    vocab_size: int = 50400  # rows of the embedding; set from the tokenizer
    block_size: int = 2048  # maximum context: rows of the rotary table
    n_layer: int = 28  # transformer blocks
    n_head: int = 16  # attention heads per block
    n_embd: int = 4096  # residual stream width
    intermediate_size: int | None = None  # MLP hidden width; None = 4 * n_embd
    rotary_dim: int | None = 64  # head channels that carry rotary positions; None = all
    dropout: float = 0.0  # on attention weights and residual branches while training
    layer_norm_eps: float = 1e-5  # LayerNorm epsilon from the checkpoint

    def __post_init__(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if self.intermediate_size is None:
            self.intermediate_size = 4 * self.n_embd
        if self.rotary_dim is None:
            self.rotary_dim = self.head_dim
        if self.rotary_dim % 2 or not 0 < self.rotary_dim <= self.head_dim:
            raise ValueError(f"rotary_dim {self.rotary_dim} must be even and in 2..{self.head_dim}")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)


class GPTJAttention(Attention):
    def __init__(self, config: GPTJConfig):
        super().__init__(config.n_head, config.n_head, config.head_dim, config.dropout)
        self.q_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.k_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.v_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.out_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)

    def forward(self, x: torch.Tensor, rope, positions: Positions) -> torch.Tensor:
        batch, seq, _ = x.shape  # (B, T, C)
        q, k, v = (proj(x).view(batch, seq, self.n_head, self.head_dim).transpose(1, 2)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))  # (B, H, T, D)
        q, k = (apply_partial_rope(t, *rope, interleaved=True) for t in (q, k))
        return self.out_proj(self.attend(q, k, v, positions))  # (B, T, C)


class GPTJMLP(nn.Module):
    def __init__(self, config: GPTJConfig):
        super().__init__()
        self.fc_in = nn.Linear(config.n_embd, config.intermediate_size)
        self.fc_out = nn.Linear(config.intermediate_size, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_out(F.gelu(self.fc_in(x), approximate="tanh"))  # gelu_new


class GPTJBlock(nn.Module):
    def __init__(self, config: GPTJConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.attn = GPTJAttention(config)
        self.mlp = GPTJMLP(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, rope, positions: Positions) -> torch.Tensor:
        normed = self.ln_1(x)  # (B, T, C): one norm feeds both branches
        return x + self.dropout(self.attn(normed, rope, positions) + self.mlp(normed))


class GPTJ(CausalLM):
    def __init__(self, config: GPTJConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict({
            "wte": embedding(config.vocab_size, config.n_embd),
            "h": nn.ModuleList(GPTJBlock(config) for _ in range(config.n_layer)),
            "ln_f": nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps),
        })
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)
        self._rope: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def blocks(self) -> nn.ModuleList:
        return self.transformer.h

    def rope(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self._rope is None or self._rope[0].device != device:
            self._rope = partial_rope_tables(self.config.rotary_dim, ROPE_THETA,
                                             self.config.block_size, device, interleaved=True)
        return self._rope

    def forward(self, idx, input_pos=None, cache_rows=None, logits_at=None, targets=None,
                reduction: str = "mean") -> torch.Tensor:
        """As `Llama.forward`: logits (B, T or 1, V), or the loss when `targets` are given."""
        positions = self._positions(idx, input_pos, cache_rows)
        x = self.transformer.wte(idx)  # (B, T, C)
        rope = position_rows(self.rope(x.device), positions.input_pos, x.dtype)
        x = self.run_blocks(x, rope, positions)
        if targets is not None:
            return head_loss(x, self.transformer.ln_f, self.lm_head, targets, reduction)
        return self.lm_head(self.transformer.ln_f(self.scored_positions(x, logits_at)))
