"""GPT-NeoX / Pythia: LayerNorm blocks with a fused per-head qkv projection, rotary positions
on the first `rotary_pct` of each head and, in most checkpoints, a parallel residual
(x + attn(ln1(x)) + mlp(ln2(x))). Module names follow Hugging Face's GPTNeoXForCausalLM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.attention import Attention, CausalLM, Positions, embedding
from ml.models.head_loss import head_loss
from ml.models.rotary import apply_partial_rope, partial_rope_tables, position_rows

ACTIVATIONS = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}  # F.gelu forms


@dataclass
class GPTNeoXConfig:
    arch: str = "gpt_neox"  # dispatch key for config_from_dict
    vocab_size: int = 50304  # rows of the embedding; set from the tokenizer
    block_size: int = 2048  # maximum context: rows of the rotary table
    n_layer: int = 6  # transformer blocks
    n_head: int = 8  # attention heads per block
    n_embd: int = 512  # residual stream width
    intermediate_size: int = 2048  # MLP hidden width
    dropout: float = 0.0  # on attention weights and residual branches while training
    rotary_pct: float = 0.25  # share of each head's channels that carry rotary positions
    rope_theta: float = 10000.0  # rotary base
    layer_norm_eps: float = 1e-5  # LayerNorm epsilon from the checkpoint
    use_parallel_residual: bool = True  # attention and MLP read the same input (Pythia)
    activation: str = "gelu"  # MLP activation by its Hugging Face name
    attention_bias: bool = True  # biases on the qkv and output projections
    tie_word_embeddings: bool = False  # output head shares the input embedding

    def __post_init__(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} is not one of {list(ACTIVATIONS)}")
        if self.rotary_dim % 2:
            raise ValueError(f"rotary_pct {self.rotary_pct} gives an odd rotary width")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def rotary_dim(self) -> int:
        return int(self.head_dim * self.rotary_pct)

    def to_dict(self) -> dict:
        return asdict(self)


class GPTNeoXAttention(Attention):
    def __init__(self, config: GPTNeoXConfig):
        super().__init__(config.n_head, config.n_head, config.head_dim, config.dropout)
        self.query_key_value = nn.Linear(config.n_embd, 3 * config.n_embd,
                                         bias=config.attention_bias)
        self.dense = nn.Linear(config.n_embd, config.n_embd, bias=config.attention_bias)

    def forward(self, x: torch.Tensor, rope, positions: Positions) -> torch.Tensor:
        batch, seq, _ = x.shape  # (B, T, C)
        qkv = self.query_key_value(x).view(batch, seq, self.n_head, 3 * self.head_dim)
        q, k, v = qkv.transpose(1, 2).chunk(3, dim=-1)  # 3 x (B, H, T, D): q, k, v per head
        q, k = (apply_partial_rope(t, *rope, interleaved=False) for t in (q, k))
        return self.dense(self.attend(q, k, v, positions))  # (B, T, C)


class GPTNeoXMLP(nn.Module):
    def __init__(self, config: GPTNeoXConfig):
        super().__init__()
        self.dense_h_to_4h = nn.Linear(config.n_embd, config.intermediate_size)
        self.dense_4h_to_h = nn.Linear(config.intermediate_size, config.n_embd)
        self.approximate = ACTIVATIONS[config.activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense_4h_to_h(F.gelu(self.dense_h_to_4h(x), approximate=self.approximate))


class GPTNeoXBlock(nn.Module):
    def __init__(self, config: GPTNeoXConfig):
        super().__init__()
        self.parallel = config.use_parallel_residual
        self.input_layernorm = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.post_attention_layernorm = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.attention = GPTNeoXAttention(config)
        self.mlp = GPTNeoXMLP(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, rope, positions: Positions) -> torch.Tensor:
        attended = self.dropout(self.attention(self.input_layernorm(x), rope, positions))
        if self.parallel:
            return x + attended + self.dropout(self.mlp(self.post_attention_layernorm(x)))
        x = x + attended
        return x + self.dropout(self.mlp(self.post_attention_layernorm(x)))


class GPTNeoX(CausalLM):
    def __init__(self, config: GPTNeoXConfig):
        super().__init__()
        self.config = config
        self.gpt_neox = nn.ModuleDict({
            "embed_in": embedding(config.vocab_size, config.n_embd),
            "layers": nn.ModuleList(GPTNeoXBlock(config) for _ in range(config.n_layer)),
            "final_layer_norm": nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps),
        })
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.gpt_neox.embed_in.weight
        self._rope: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def blocks(self) -> nn.ModuleList:
        return self.gpt_neox.layers

    def rope(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self._rope is None or self._rope[0].device != device:
            config = self.config
            self._rope = partial_rope_tables(config.rotary_dim, config.rope_theta,
                                             config.block_size, device, interleaved=False)
        return self._rope

    def forward(self, idx, input_pos=None, cache_rows=None, logits_at=None, targets=None,
                reduction: str = "mean") -> torch.Tensor:
        """As `Llama.forward`: logits (B, T or 1, V), or the loss when `targets` are given."""
        positions = self._positions(idx, input_pos, cache_rows)
        x = self.gpt_neox.embed_in(idx)  # (B, T, C)
        rope = position_rows(self.rope(x.device), positions.input_pos, x.dtype)
        x = self.run_blocks(x, rope, positions)
        norm = self.gpt_neox.final_layer_norm
        if targets is not None:
            return head_loss(x, norm, self.lm_head, targets, reduction)
        return self.lm_head(norm(self.scored_positions(x, logits_at)))  # (B, T, V)
