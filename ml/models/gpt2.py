"""The GPT-2 family: learned positions, pre-LayerNorm blocks, fused qkv projection, GELU MLP,
tied embeddings. NanoGPT is its small, optionally bias-free configuration with the exact GELU.

Module names follow Hugging Face's GPT2LMHeadModel (`transformer.h.0.attn.c_attn`, ...) so weight
mapping is a rename-free copy; the linears are plain `nn.Linear` (HF's Conv1D weights are
stored transposed on load).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.attention import Attention, CausalLM, Positions, embedding
from ml.models.head_loss import head_loss


@dataclass
class GPT2Config:
    arch: Literal["gpt2"] = "gpt2"  # dispatch key for config_from_dict
    vocab_size: int = 50257  # rows of the embedding; set from the tokenizer
    block_size: int = 1024  # maximum context: rows of the position embedding
    n_layer: int = 12  # transformer blocks
    n_head: int = 12  # attention heads per block
    n_embd: int = 768  # residual stream width
    dropout: float = 0.0  # on attention weights and residual branches while training
    bias: bool = True  # biases in linears and LayerNorms (GPT-2 has them; nanoGPT may drop them)
    layer_norm_eps: float = 1e-5  # LayerNorm epsilon, as GPT-2 checkpoints were trained with
    # MLP activation by its Hugging Face name: GPT-2's tanh approximation ("gelu_new") or the
    # exact erf form ("gelu") nanoGPT trains with, which is also cheaper to compute on CPUs.
    activation: Literal["gelu_new", "gelu"] = "gelu_new"

    def __post_init__(self):
        if self.n_embd % self.n_head != 0:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if self.activation not in ("gelu_new", "gelu"):
            raise ValueError(f"activation {self.activation!r} is not 'gelu_new' or 'gelu'")

    def to_dict(self) -> dict:
        return asdict(self)


class GPT2Attention(Attention):
    def __init__(self, config: GPT2Config):
        head_dim = config.n_embd // config.n_head
        super().__init__(config.n_head, config.n_head, head_dim, config.dropout)
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, positions: Positions) -> torch.Tensor:
        batch, seq, width = x.shape  # (B, T, C)
        q, k, v = self.c_attn(x).split(width, dim=2)  # 3 x (B, T, C)
        q, k, v = (
            t.view(batch, seq, self.n_head, self.head_dim).transpose(1, 2) for t in (q, k, v)
        )  # (B, H, T, D)
        y = self.attend(q, k, v, positions)  # (B, T, C)
        return self.resid_dropout(self.c_proj(y))


class GPT2MLP(nn.Module):
    def __init__(self, config: GPT2Config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)
        self.approximate = "tanh" if config.activation == "gelu_new" else "none"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.gelu(self.c_fc(x), approximate=self.approximate)  # (B, T, 4C)
        return self.dropout(self.c_proj(hidden))


class GPT2Block(nn.Module):
    def __init__(self, config: GPT2Config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias)
        self.attn = GPT2Attention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias)
        self.mlp = GPT2MLP(config)

    def forward(self, x: torch.Tensor, positions: Positions) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), positions)  # (B, T, C)
        return x + self.mlp(self.ln_2(x))


class GPT2(CausalLM):
    def __init__(self, config: GPT2Config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            {
                "wte": embedding(config.vocab_size, config.n_embd),
                "wpe": embedding(config.block_size, config.n_embd),
                "drop": nn.Dropout(config.dropout),
                "h": nn.ModuleList(GPT2Block(config) for _ in range(config.n_layer)),
                "ln_f": nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # GPT-2 always ties input and output
        if not self.lm_head.weight.is_meta:  # meta: weights come from a file (see embedding())
            self.apply(self._init_weights)
            # GPT-2's scaled init: residual projections shrink with depth so the stream's
            # variance stays put.
            for name, param in self.named_parameters():
                if name.endswith("c_proj.weight"):
                    nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @property
    def blocks(self) -> nn.ModuleList:
        return self.transformer.h

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(
        self,
        idx: torch.Tensor,
        input_pos: torch.Tensor | None = None,
        cache_rows: torch.Tensor | None = None,
        logits_at: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
        reduction: str = "mean",
    ) -> torch.Tensor:
        """idx (B, T) token ids at `input_pos` ((T,) or (B, T); default 0..T-1) -> logits
        (B, T, vocab_size); with `logits_at` (B,), only row b's index logits_at[b] is scored,
        giving (B, 1, vocab_size) (generation needs each prompt's last token only). With caches
        set up, `cache_rows` (B,) picks each row's cache slot.

        With `targets` (B, T) (next tokens, IGNORE_INDEX where nothing is predicted) the loss
        is returned instead of logits: "mean" a scalar, "sum" a scalar, "none" (B, T) per-token
        NLL; the head scores only targeted positions, in chunks (see ml.models.head_loss)."""
        positions = self._positions(idx, input_pos, cache_rows)
        x = self.transformer.wte(idx) + self.transformer.wpe(positions.input_pos)  # (B, T, C)
        x = self.transformer.drop(x)
        x = self.run_blocks(x, positions)
        if targets is not None:
            return head_loss(x, self.transformer.ln_f, self.lm_head, targets, reduction)
        x = self.scored_positions(x, logits_at)  # (B, T or 1, C)
        return self.lm_head(self.transformer.ln_f(x))  # (B, T, V)
