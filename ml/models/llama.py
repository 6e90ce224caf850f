"""The LLaMA family: RMSNorm, rotary positions (with llama3 or linear scaling), SwiGLU MLP,
grouped-query attention, tied or untied embeddings and optional qkv bias (Qwen2). Enough for
Llama 2/3, SmolLM2 and Qwen2-style checkpoints.

Module names follow Hugging Face's LlamaForCausalLM (`model.layers.0.self_attn.q_proj`, ...) and
rotary embedding uses its rotate-half layout, so HF weights load as they are.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ml.models.attention import Attention, CausalLM, Positions, embedding
from ml.models.head_loss import head_loss

ROPE_TYPES = ("default", "linear", "llama3")


@dataclass
class LlamaConfig:
    arch: str = "llama"  # dispatch key for config_from_dict; variants subclass with their own
    vocab_size: int = 32000  # rows of the embedding; set from the tokenizer
    block_size: int = 2048  # maximum context: rows of the rotary table
    n_layer: int = 32  # transformer blocks
    n_head: int = 32  # query heads per block
    n_embd: int = 4096  # residual stream width
    dropout: float = 0.0  # on attention weights and residual branches while training
    n_kv_head: int | None = None  # key/value heads (grouped-query attention); None = n_head
    head_dim: int | None = None  # width of one head; None = n_embd // n_head
    intermediate_size: int = 11008  # SwiGLU hidden width
    rms_norm_eps: float = 1e-5  # RMSNorm epsilon from the checkpoint
    rope_theta: float = 10000.0  # rotary base; larger bases reach further (Llama 3: 500000)
    rope_scaling: dict | None = None  # {"rope_type": "linear"|"llama3", "factor": ..., ...}
    tie_word_embeddings: bool = False  # output head shares the embedding (small models do)
    qkv_bias: bool = False  # biases on q, k, v projections (Qwen2)
    o_bias: bool = False  # bias on the output projection (Llama's attention_bias sets both)
    initializer_range: float = 0.02  # std of the normal init for fresh weights

    def __post_init__(self):
        if self.n_kv_head is None:
            self.n_kv_head = self.n_head
        if self.head_dim is None:
            if self.n_embd % self.n_head != 0:
                raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
            self.head_dim = self.n_embd // self.n_head
        if self.n_head % self.n_kv_head != 0:
            raise ValueError(
                f"n_head {self.n_head} is not a multiple of n_kv_head {self.n_kv_head}"
            )
        if self.rope_scaling is not None:
            rope_type = self.rope_scaling.get("rope_type")
            if rope_type not in ROPE_TYPES:
                raise ValueError(f"rope_scaling.rope_type {rope_type!r} is not one of {ROPE_TYPES}")

    def to_dict(self) -> dict:
        return asdict(self)


def rope_inv_freq(config: LlamaConfig) -> torch.Tensor:
    """Rotation frequency of each pair of head channels (D/2,), with the configured scaling."""
    dim = config.head_dim
    inv_freq = 1.0 / (
        config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
    )
    scaling = config.rope_scaling or {"rope_type": "default"}
    rope_type = scaling["rope_type"]
    if rope_type == "linear":
        # Positions divided by the factor: a longer context squeezed into the trained range.
        return inv_freq / scaling["factor"]
    if rope_type == "llama3":
        # Llama 3.1: slow (long-wavelength) frequencies are stretched, fast ones kept, the
        # band between blended smoothly.
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old_len = scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > old_len / low, inv_freq / factor, inv_freq)
        smooth = (old_len / wavelen - low) / (high - low)
        blended = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelen >= old_len / high) & (wavelen <= old_len / low)
        return torch.where(medium, blended, scaled)
    return inv_freq


def rope_tables(config: LlamaConfig, device: torch.device,
                length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin for the first `length` positions (default block_size) (S, D), halves
    repeated for rotate-half."""
    positions = torch.arange(length or config.block_size, dtype=torch.float32, device=device)
    freqs = torch.outer(positions, rope_inv_freq(config).to(device))  # (S, D/2)
    angles = torch.cat((freqs, freqs), dim=-1)  # (S, D)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x (B, H, T, D) rotated by cos, sin (B or 1, 1, T, D)."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Normalise in float32 so half-precision activations do not lose the small variances.
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


class LlamaAttention(Attention):
    def __init__(self, config: LlamaConfig):
        super().__init__(config.n_head, config.n_kv_head, config.head_dim, config.dropout)
        q_width = config.n_head * config.head_dim
        kv_width = config.n_kv_head * config.head_dim
        self.q_proj = nn.Linear(config.n_embd, q_width, bias=config.qkv_bias)
        self.k_proj = nn.Linear(config.n_embd, kv_width, bias=config.qkv_bias)
        self.v_proj = nn.Linear(config.n_embd, kv_width, bias=config.qkv_bias)
        self.o_proj = nn.Linear(q_width, config.n_embd, bias=config.o_bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, T, C) -> q (B, H, T, D), k and v (B, H_kv, T, D), before rotary positions;
        families that normalise q and k per head (Qwen3) override this."""
        batch, seq, _ = x.shape
        q = self.q_proj(x).view(batch, seq, self.n_head, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq, self.n_kv_head, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, self.n_kv_head, self.head_dim).transpose(1, 2)
        return q, k, v

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor],
        positions: Positions,
    ) -> torch.Tensor:
        q, k, v = self.heads(x)  # (B, H|H_kv, T, D)
        cos, sin = rope
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)  # (B, H|H_kv, T, D)
        y = self.attend(q, k, v, positions)  # (B, T, H * D)
        return self.resid_dropout(self.o_proj(y))


class LlamaMLP(nn.Module):
    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.n_embd, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x)))


class LlamaBlock(nn.Module):
    # Variants of the family (Qwen3's normed heads, Mixtral's experts) swap these parts.
    attention_class: type[nn.Module] = LlamaAttention
    mlp_class: type[nn.Module] = LlamaMLP

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.self_attn = self.attention_class(config)
        self.post_attention_layernorm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.mlp = self.mlp_class(config)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor],
        positions: Positions,
    ) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x), rope, positions)  # (B, T, C)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(CausalLM):
    block_class: type[nn.Module] = LlamaBlock  # the family's variants bring their own blocks

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.config = config
        self.model = nn.ModuleDict(
            {
                "embed_tokens": embedding(config.vocab_size, config.n_embd),
                "layers": nn.ModuleList(self.block_class(config) for _ in range(config.n_layer)),
                "norm": RMSNorm(config.n_embd, config.rms_norm_eps),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.dropout = nn.Dropout(config.dropout)
        if not self.model.embed_tokens.weight.is_meta:  # meta: weights come from a file
            self.apply(self._init_weights)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        # cos, sin (positions, D) in float32, derived from the config on first use on a device;
        # not buffers, so checkpoints carry weights only and models built on "meta" need no fix-up.
        self._rope: tuple[torch.Tensor, torch.Tensor] | None = None
        self._rope_positions = config.block_size

    @property
    def blocks(self) -> nn.ModuleList:
        return self.model.layers

    def rope(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self._rope is None or self._rope[0].device != device:
            self._rope = rope_tables(self.config, device, self._rope_positions)
        return self._rope

    def limit_positions(self, positions: int) -> None:
        """Keep rope tables for the first `positions` only: an engine serving a 512-token
        window of an 8192-token model then holds 0.25 MB of tables instead of 4."""
        if not 1 <= positions <= self.config.block_size:
            raise ValueError(f"positions {positions} must be in 1..{self.config.block_size}")
        self._rope_positions, self._rope = positions, None

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=self.config.initializer_range)
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
        pos = positions.input_pos
        rows = pos if pos.dim() == 2 else pos.unsqueeze(0)  # (B or 1, T)
        x = self.dropout(self.model.embed_tokens(idx))  # (B, T, C)
        cos_table, sin_table = self.rope(x.device)
        cos = cos_table[rows].unsqueeze(1).to(x.dtype)  # (B or 1, 1, T, D)
        sin = sin_table[rows].unsqueeze(1).to(x.dtype)
        x = self.run_blocks(x, (cos, sin), positions)
        if targets is not None:
            return head_loss(x, self.model.norm, self.lm_head, targets, reduction)
        x = self.scored_positions(x, logits_at)  # (B, T or 1, C)
        return self.lm_head(self.model.norm(x))  # (B, T, V)
