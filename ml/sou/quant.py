"""Weight quantization for `.sou`: vectorized torch kernels that turn float tensors into the raw
bytes of each tensor type and back, and the policy that picks a type per tensor.

Block types are byte-for-byte ggml's (32 weights per block, rounding as in ggml-quants.c), so a
`.sou` tensor and a llama.cpp tensor of the same type hold the same bytes:
  Q8_0: f16 scale d, 32 x int8 q;            w = d * q
  Q4_0: f16 scale d, 16 bytes of nibbles;    w = d * (q - 8)
  Q4_1: f16 scale d, f16 min m, 16 bytes;    w = d * q + m
Nibble order: byte j holds weight j in its low nibble and weight j + 16 in its high nibble.
The K-quants (Q2_K .. Q6_K, super-blocks of 256) are in kquant.py; the mixed recipes Q4_K_M and
Q5_K_M are a policy here that picks a K-quant per tensor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

import torch

from ml.sou.constants import BLOCK_TYPES, FLOAT_TYPES, K_TYPES, TENSOR_TYPES, tensor_byte_length
from ml.sou.kquant import dequantize_k, quantize_k

QK = 32  # weights per block of Q8_0, Q4_0 and Q4_1 (the K-quants' 256 live in kquant.py)

_FLOAT_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def _round_half_away(x: torch.Tensor) -> torch.Tensor:
    # C's roundf, written exactly as gguf-py does so ties and near-ties match bit for bit.
    a = x.abs()
    floored = a.floor()
    return torch.sign(x) * (floored + (2 * (a - floored)).floor())


def _inverse(d: torch.Tensor) -> torch.Tensor:
    return torch.where(d == 0, torch.zeros_like(d), 1 / d)


def _pack_nibbles(q: torch.Tensor) -> torch.Tensor:
    q = q.to(torch.uint8).view(-1, 2, QK // 2)  # (n, 2, 16): first half, second half
    return q[:, 0, :] | (q[:, 1, :] << 4)  # (n, 16)


def _unpack_nibbles(packed: torch.Tensor) -> torch.Tensor:
    return torch.cat([packed & 0x0F, packed >> 4], dim=-1)  # (n, 32)


def _f16_bytes(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.float16).view(torch.uint8)  # (n, 1) -> (n, 2)


def _quantize_q8_0(blocks: torch.Tensor) -> torch.Tensor:
    d = blocks.abs().amax(dim=-1, keepdim=True) / 127  # (n, 1)
    q = _round_half_away(blocks * _inverse(d)).to(torch.int8)  # (n, 32)
    return torch.cat([_f16_bytes(d), q.view(torch.uint8)], dim=-1)  # (n, 34)


def _quantize_q4_0(blocks: torch.Tensor) -> torch.Tensor:
    # The signed value of largest magnitude maps to -8, so the full 16 levels are used.
    peak = blocks.gather(-1, blocks.abs().argmax(dim=-1, keepdim=True))  # (n, 1)
    d = peak / -8
    q = torch.trunc(blocks * _inverse(d) + 8.5).clamp(0, 15)  # (n, 32)
    return torch.cat([_f16_bytes(d), _pack_nibbles(q)], dim=-1)  # (n, 18)


def _quantize_q4_1(blocks: torch.Tensor) -> torch.Tensor:
    low = blocks.amin(dim=-1, keepdim=True)  # (n, 1)
    d = (blocks.amax(dim=-1, keepdim=True) - low) / 15
    q = torch.trunc((blocks - low) * _inverse(d) + 0.5).clamp(0, 15)  # (n, 32)
    return torch.cat([_f16_bytes(d), _f16_bytes(low), _pack_nibbles(q)], dim=-1)  # (n, 20)


_QUANTIZERS = {"Q8_0": _quantize_q8_0, "Q4_0": _quantize_q4_0, "Q4_1": _quantize_q4_1}


def quantize(tensor: torch.Tensor, type_name: str) -> torch.Tensor:
    """The raw bytes of `tensor` stored as `type_name`: a flat uint8 tensor on its device."""
    if not tensor.is_floating_point():
        raise ValueError(f".sou stores floating-point tensors, got {tensor.dtype}")
    tensor = tensor.detach()
    if type_name in FLOAT_TYPES:
        return tensor.to(_FLOAT_DTYPES[type_name]).contiguous().view(-1).view(torch.uint8)
    tensor_byte_length(type_name, tuple(tensor.shape))  # raises if rows don't fill blocks
    if type_name in K_TYPES:
        return quantize_k(tensor, type_name).to(tensor.device)
    blocks = tensor.to(torch.float32).reshape(-1, QK)  # (n_blocks, 32)
    return _QUANTIZERS[type_name](blocks).reshape(-1)


def dequantize(raw: torch.Tensor, type_name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """Weights from raw bytes. Float types come back as views in their own dtype (no copy);
    block types as new float32 tensors."""
    if raw.numel() != tensor_byte_length(type_name, shape):
        raise ValueError(f"{raw.numel()} bytes cannot hold a {type_name} tensor of shape {shape}")
    if type_name in FLOAT_TYPES:
        return raw.view(_FLOAT_DTYPES[type_name]).view(shape)
    if type_name in K_TYPES:
        return dequantize_k(raw, type_name).view(shape)
    blocks = raw.view(-1, TENSOR_TYPES[type_name].type_size)  # (n_blocks, type_size)
    d = blocks[:, 0:2].view(torch.float16).float()  # (n, 1)
    if type_name == "Q8_0":
        weights = blocks[:, 2:].view(torch.int8).float() * d
    elif type_name == "Q4_0":
        weights = (_unpack_nibbles(blocks[:, 2:]).to(torch.int8) - 8).float() * d
    else:  # Q4_1
        low = blocks[:, 2:4].view(torch.float16).float()
        weights = _unpack_nibbles(blocks[:, 4:]).float() * d + low
    return weights.view(shape)  # (n, 32) -> shape


OUTPUT_TYPES = (*FLOAT_TYPES, "Q8_0")  # what a kept output head may be stored as

# Mixed recipes: the name a user asks for -> the type most matrices get; policy rules below
# give some tensors more bits, as llama.cpp's recipes of the same name do.
RECIPES = {"Q4_K_M": "Q4_K", "Q5_K_M": "Q5_K"}
EXPORT_TYPES = (*TENSOR_TYPES, *RECIPES)  # every `qtype` the writers accept
AS_STORED = "AS_STORED"  # importing: keep a GGUF file's tensors in their own types where .sou has them
# A K-quant needs rows of whole 256-weight super-blocks. llama.cpp substitutes a 32-block type
# for rows that don't fit (llama-quant.cpp: Q2_K/Q3_K -> IQ4_NL, Q4_K -> Q5_0, Q5_K -> Q5_1,
# Q6_K -> Q8_0); these are the nearest types .sou has at or above those bits per weight.
K_FALLBACK = {"Q2_K": "Q4_0", "Q3_K": "Q4_0", "Q4_K": "Q4_1", "Q5_K": "Q8_0", "Q6_K": "Q8_0"}
_LAYER_INDEX = re.compile(r"\.(?:layers|h|blocks|blk)\.(\d+)\.")


def layer_index(name: str) -> int | None:
    """The transformer block a tensor belongs to ("model.layers.3.mlp..." -> 3), if any."""
    match = _LAYER_INDEX.search(f".{name}")
    return int(match.group(1)) if match else None


def layer_count(names) -> int:
    """How many transformer blocks a model with these tensor names has."""
    indices = [i for i in map(layer_index, names) if i is not None]
    return max(indices) + 1 if indices else 0


def _use_more_bits(layer: int, n_layer: int) -> bool:
    # llama.cpp's use_more_bits (llama-quant.cpp): the first and last eighth of the blocks,
    # and every third block between them.
    return (layer < n_layer // 8 or layer >= 7 * n_layer // 8
            or (layer - n_layer // 8) % 3 == 2)


@dataclass(frozen=True)
class QuantPolicy:
    """Which tensors keep more precision than the requested type."""

    keep_embeddings: bool = False  # lookups, not matmuls: quantizing them costs little quality
    keep_output: bool = True  # the output head is the matrix most sensitive to quantization
    keep_type: str = "F16"  # what a kept embedding becomes when the target is a block type
    # What a kept output head becomes when the target is a block type: 8-bit blocks hold the
    # head within rounding of float (llama.cpp keeps it at 8 bits or more too) at half F16's
    # bytes, and every generated token reads the whole head.
    output_type: str = "Q8_0"
    embedding_patterns: tuple[str, ...] = (  # names (fnmatch) of embedding tables
        "*wte.weight", "*wpe.weight", "*embed_tokens.weight", "*embed_positions.weight",
        "token_embd.weight", "*tok_embeddings.weight",
    )
    output_patterns: tuple[str, ...] = (  # names (fnmatch) of the output head
        "lm_head.weight", "*.lm_head.weight", "output.weight",
    )
    # Matrices the mixed recipes give Q6_K in the blocks use_more_bits picks (llama.cpp's
    # attn_v and ffn_down), and fused QKV matrices, which take one step more bits throughout.
    value_patterns: tuple[str, ...] = ("*.self_attn.v_proj.weight", "*.attn_v.weight")
    down_patterns: tuple[str, ...] = ("*.mlp.down_proj.weight", "*.ffn_down.weight",
                                      "*.mlp.c_proj.weight")
    fused_qkv_patterns: tuple[str, ...] = ("*.attn.c_attn.weight", "*.attn_qkv.weight")

    def __post_init__(self):
        if self.keep_type not in FLOAT_TYPES:
            raise ValueError(f"keep_type must be one of {FLOAT_TYPES}, got {self.keep_type!r}")
        if self.output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type must be one of {OUTPUT_TYPES}, "
                             f"got {self.output_type!r}")

    def type_for(self, name: str, shape: tuple[int, ...], target: str, n_layer: int = 0) -> str:
        """The tensor type `name` is stored as when the file's requested type is `target` (a
        tensor type or a recipe; recipes need the model's `n_layer`)."""
        if target not in EXPORT_TYPES:
            raise ValueError(f"unknown tensor type {target!r}; choose from {list(EXPORT_TYPES)}")
        if len(shape) <= 1:
            return "F32"  # norms, biases, steering vectors: tiny and precision-critical
        if target in RECIPES:
            return self._recipe_type(name, shape, target, n_layer)
        if target not in BLOCK_TYPES:
            return target
        if self.keep_output and _matches(name, self.output_patterns):
            # A tied head is also the embedding table: keep_embeddings asks for float there.
            if self.keep_embeddings and _matches(name, self.embedding_patterns):
                return self.keep_type
            return _fitting(self.output_type, shape)
        if self.keep_embeddings and _matches(name, self.embedding_patterns):
            return self.keep_type
        return _fitting(target, shape)

    def _recipe_type(self, name: str, shape: tuple[int, ...], recipe: str, n_layer: int) -> str:
        # llama.cpp's llama_tensor_get_type (llama-quant.cpp) for LLAMA_FTYPE_MOSTLY_Q4_K_M and
        # _Q5_K_M: the output head (or the token embedding when tied) -> Q6_K; attn_v and
        # ffn_down -> Q6_K where use_more_bits(layer, n_layer); attn_qkv -> Q5_K (Q4_K_M) or
        # Q6_K (Q5_K_M); everything else the recipe's base type.
        base = RECIPES[recipe]
        layer = layer_index(name)
        if _matches(name, self.output_patterns):
            wanted = "Q6_K"
        elif _matches(name, self.fused_qkv_patterns):
            wanted = "Q5_K" if recipe == "Q4_K_M" else "Q6_K"
        elif (layer is not None and _use_more_bits(layer, n_layer)
              and _matches(name, self.value_patterns + self.down_patterns)):
            wanted = "Q6_K"
        else:
            wanted = base
        return _fitting(wanted, shape)


def _fitting(type_name: str, shape: tuple[int, ...]) -> str:
    """`type_name` if rows of `shape` fill its blocks, else the nearest type whose do."""
    if type_name in K_FALLBACK and shape[-1] % TENSOR_TYPES[type_name].block_size:
        type_name = K_FALLBACK[type_name]
    if TENSOR_TYPES[type_name].block_size > 1 and shape[-1] % TENSOR_TYPES[type_name].block_size:
        return "F16"  # rows that don't fill whole blocks cannot be block-quantized
    return type_name


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)
