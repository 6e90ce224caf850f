"""Weight quantization for `.sou`: vectorized torch kernels that turn float tensors into the raw
bytes of each tensor type and back, and the policy that picks a type per tensor.

Block types are byte-for-byte ggml's (32 weights per block, rounding as in ggml-quants.c), so a
`.sou` tensor and a llama.cpp tensor of the same type hold the same bytes:
  Q8_0: f16 scale d, 32 x int8 q;            w = d * q
  Q4_0: f16 scale d, 16 bytes of nibbles;    w = d * (q - 8)
  Q4_1: f16 scale d, f16 min m, 16 bytes;    w = d * q + m
Nibble order: byte j holds weight j in its low nibble and weight j + 16 in its high nibble.
The K-quants (Q2_K .. Q6_K, super-blocks of 256) are in kquant.py. Asked for as a file's type, a
K type means llama.cpp's file type of that name, which is itself a mix: the policy here picks a
type per tensor the way llama-quantize does for Q2_K, Q3_K_S (our Q3_K), Q3_K_M, Q4_K_S (our
Q4_K), Q4_K_M, Q5_K_S (our Q5_K), Q5_K_M and Q6_K.
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

# llama.cpp's file types (llama-quant.cpp, llama_tensor_get_type_impl): the name a user asks
# for -> the type most matrices get; _mixed_type gives some tensors more bits. A K type's own
# name is the file type of that name (Q3_K, Q4_K, Q5_K: llama.cpp's Q3_K_S, Q4_K_S, Q5_K_S).
RECIPES = {"Q3_K_M": "Q3_K", "Q4_K_M": "Q4_K", "Q5_K_M": "Q5_K"}
FILE_TYPES = {**{name: name for name in K_TYPES}, **RECIPES}
EXPORT_TYPES = (*TENSOR_TYPES, *RECIPES)  # every `qtype` the writers accept
AS_STORED = "AS_STORED"  # importing: keep a GGUF file's tensors in their own types where .sou has them
# A K-quant needs rows of whole 256-weight super-blocks. llama.cpp substitutes a 32-block type
# for rows that don't fit (tensor_type_fallback: Q2_K/Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1,
# Q6_K -> Q8_0). .sou has Q4_0 and Q8_0 but no Q5_0/Q5_1: Q4_K takes Q4_1 (5.0 bits a weight,
# the nearest to Q5_0's 5.5) and Q5_K takes Q8_0 (Q4_1 would hold fewer bits than Q5_K itself).
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


def gqa_ratio(shapes: dict[str, tuple[int, ...]], policy: QuantPolicy | None = None) -> int:
    """Query heads per key/value head (llama.cpp's n_gqa), from the rows of the first query and
    value matrices; 1 where the model has none apart (fused QKV) or they share a head count."""
    policy = policy or QuantPolicy()
    query = next((s for n, s in shapes.items() if _matches(n, policy.query_patterns)), None)
    value = next((s for n, s in shapes.items() if _matches(n, policy.value_patterns)), None)
    if query is None or value is None or not value[0]:
        return 1
    return max(1, query[0] // value[0])


def _use_more_bits(layer: int, n_layer: int) -> bool:
    # llama.cpp's use_more_bits (llama-quant.cpp): the first and last eighth of the blocks,
    # and every third block between them.
    return (layer < n_layer // 8 or layer >= 7 * n_layer // 8
            or (layer - n_layer // 8) % 3 == 2)


def _mixed_type(file_type: str, role: str, layer: int | None, n_layer: int,
                n_gqa: int) -> str | None:
    """llama_tensor_get_type_impl's choice for a tensor of `role` in `layer` (its rules for a
    dense, non-Falcon model; the counters it keeps per role are the layer index there), or None
    where the file type's base type stands."""
    if role == "value":  # attn_v, and fused QKV, which llama.cpp counts as attn_v-like
        if file_type == "Q2_K":
            return "Q4_K" if n_gqa >= 4 else "Q3_K"
        if layer is None:
            return None
        if file_type == "Q3_K_M":
            return "Q5_K" if layer < 2 else "Q4_K"
        if file_type in ("Q4_K_M", "Q5_K_M") and _use_more_bits(layer, n_layer):
            return "Q6_K"
        if file_type == "Q4_K" and layer < 4:
            return "Q5_K"
    elif role == "down":
        if file_type == "Q2_K":
            return "Q3_K"
        if layer is None:
            return None
        if file_type == "Q3_K_M":
            return "Q5_K" if layer < n_layer // 16 else "Q4_K"
        if file_type in ("Q4_K_M", "Q5_K_M") and _use_more_bits(layer, n_layer):
            return "Q6_K"
        if file_type == "Q4_K" and layer < n_layer // 8:
            return "Q5_K"
    elif role == "attn_output":
        return {"Q2_K": "Q3_K", "Q3_K_M": "Q4_K"}.get(file_type)
    return None


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
    # Names (fnmatch) of the roles llama.cpp's file types treat apart: attn_v (fused QKV counts
    # as one), ffn_down and attn_output; queries only to count heads per key/value head.
    value_patterns: tuple[str, ...] = (
        "*.self_attn.v_proj.weight", "*.attn.v_proj.weight", "*.attn_v.weight",
        "*.attn.c_attn.weight", "*.attention.query_key_value.weight", "*.attn_qkv.weight",
    )
    down_patterns: tuple[str, ...] = (
        "*.mlp.down_proj.weight", "*.experts.*.down_proj.weight", "*.mlp.c_proj.weight",
        "*.mlp.dense_4h_to_h.weight", "*.mlp.fc_out.weight", "*.ffn_down*.weight",
    )
    attn_output_patterns: tuple[str, ...] = (
        "*.self_attn.o_proj.weight", "*.attn.c_proj.weight", "*.attention.dense.weight",
        "*.attn.out_proj.weight", "*.attn_output.weight",
    )
    query_patterns: tuple[str, ...] = (
        "*.self_attn.q_proj.weight", "*.attn.q_proj.weight", "*.attn_q.weight",
    )
    # llama.cpp leaves position tables unquantized (tensor_allows_quantization).
    position_patterns: tuple[str, ...] = ("*wpe.weight", "*embed_positions.weight",
                                          "position_embd.weight")

    def __post_init__(self):
        if self.keep_type not in FLOAT_TYPES:
            raise ValueError(f"keep_type must be one of {FLOAT_TYPES}, got {self.keep_type!r}")
        if self.output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type must be one of {OUTPUT_TYPES}, "
                             f"got {self.output_type!r}")

    def type_for(self, name: str, shape: tuple[int, ...], target: str, n_layer: int = 0,
                 n_gqa: int = 1) -> str:
        """The tensor type `name` is stored as when the file's requested type is `target` (a
        tensor type or a recipe; K types and recipes need the model's `n_layer` and `n_gqa`)."""
        if target not in EXPORT_TYPES:
            raise ValueError(f"unknown tensor type {target!r}; choose from {list(EXPORT_TYPES)}")
        if len(shape) <= 1:
            return "F32"  # norms, biases, steering vectors: tiny and precision-critical
        if target in FILE_TYPES:
            return self._file_type(name, shape, target, n_layer, n_gqa)
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

    def _file_type(self, name: str, shape: tuple[int, ...], file_type: str, n_layer: int,
                   n_gqa: int) -> str:
        # llama.cpp's llama_tensor_get_type for its K-quant file types: the output head (or the
        # token embedding when tied) -> Q6_K; attn_v, ffn_down and attn_output by _mixed_type;
        # everything else the base type; then the 32-block fallback for rows a super-block
        # doesn't divide. keep_output=False quantizes the head like the rest.
        base = FILE_TYPES[file_type]
        if self.keep_embeddings and _matches(name, self.embedding_patterns):
            return self.keep_type
        if _matches(name, self.position_patterns):
            return self.keep_type
        if _matches(name, self.output_patterns):
            wanted = "Q6_K" if self.keep_output else base
        else:
            role = next((role for role, patterns in (
                ("value", self.value_patterns), ("down", self.down_patterns),
                ("attn_output", self.attn_output_patterns)) if _matches(name, patterns)), None)
            wanted = _mixed_type(file_type, role, layer_index(name), n_layer, n_gqa) or base
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
