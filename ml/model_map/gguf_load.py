"""GGUF files (llama.cpp's format) into our LLaMA-family modules: metadata -> config, tensors
dequantized with `gguf.quants`, llama.cpp's Q/K row permutation undone, and the embedded
tokenizer and chat template extracted. `open_gguf` gives the model as a skeleton and reads its
weights one tensor at a time, for converters; `load_gguf` fills the model with all of them.

Reading is delegated to the `gguf` package's memory-mapped GGUFReader; anything it or we find
wrong surfaces as one ModelMapError naming the field or tensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from gguf import GGUFReader, ReaderField, ReaderTensor
from gguf.quants import dequantize

from ml.model_map.base import (
    LoadedModel,
    ModelMapError,
    build_empty,
    check_shapes,
    load_weights,
)
from ml.models import LlamaConfig
from ml.sou.constants import TENSOR_TYPES, tensor_byte_length
from ml.sou.lazy import LazyTensors

# llama.cpp permutes Q and K rows of "llama" models (interleaved rotary pairs); Qwen2 it leaves as is.
PERMUTED_ARCHS = ("llama",)
SUPPORTED_ARCHS = ("llama", "qwen2")

BLOCK_NAMES = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
# Rows dequantized per step: bounds the temporaries of a large tensor to a few MB.
DEQUANTIZE_ELEMENTS = 1 << 22
TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
# tokenizer.ggml.<key> -> the name transformers' GGUF tokenizer converter expects.
TOKENIZER_FIELDS = {
    "model": "tokenizer_type",
    "pre": "pre_tokenizer_type",
    "tokens": "tokens",
    "scores": "scores",
    "token_type": "token_type",
    "merges": "merges",
    "precompiled_charsmap": "precompiled_charsmap",
    "bos_token_id": "bos_token_id",
    "eos_token_id": "eos_token_id",
    "unknown_token_id": "unk_token_id",
    "padding_token_id": "pad_token_id",
    "add_space_prefix": "add_prefix_space",
}


def _value(fields: dict[str, ReaderField], key: str, default=None):
    field = fields.get(key)
    return default if field is None else field.contents()


def _required(fields: dict[str, ReaderField], key: str, path: Path):
    value = _value(fields, key)
    if value is None:
        raise ModelMapError(f"{path}: metadata field {key!r} is missing")
    return value


def _float(value) -> float:
    """GGUF stores float32; its shortest decimal (1e-05, not 9.99999974e-06) is what was meant."""
    return float(str(np.float32(value)))


def config_from_gguf(
    fields: dict[str, ReaderField], tensor_names: set[str], path: Path
) -> LlamaConfig:
    """Our config from a GGUF file's `<arch>.*` metadata and which tensors it has."""
    arch = _required(fields, "general.architecture", path)
    if arch not in SUPPORTED_ARCHS:
        raise ModelMapError(
            f"{path}: general.architecture {arch!r} is not supported ({', '.join(SUPPORTED_ARCHS)})"
        )
    if "rope_freqs.weight" in tensor_names:
        raise ModelMapError(
            f"{path}: tensor 'rope_freqs.weight' (per-frequency rope factors) is not supported"
        )
    n_embd = int(_required(fields, f"{arch}.embedding_length", path))
    n_head = int(_required(fields, f"{arch}.attention.head_count", path))
    head_dim = int(_value(fields, f"{arch}.attention.key_length", n_embd // n_head))
    rope_dim = int(_value(fields, f"{arch}.rope.dimension_count", head_dim))
    if rope_dim != head_dim:
        raise ModelMapError(
            f"{path}: {arch}.rope.dimension_count {rope_dim} != head size {head_dim}"
        )
    scaling_type = _value(fields, f"{arch}.rope.scaling.type", "none")
    if scaling_type == "linear":
        rope_scaling = {
            "rope_type": "linear",
            "factor": _float(_required(fields, f"{arch}.rope.scaling.factor", path)),
        }
    elif scaling_type == "none":
        rope_scaling = None
    else:
        raise ModelMapError(f"{path}: {arch}.rope.scaling.type {scaling_type!r} is not supported")
    if "token_embd.weight" not in tensor_names:
        raise ModelMapError(f"{path}: tensor 'token_embd.weight' is missing")
    vocab_size = _value(fields, f"{arch}.vocab_size")
    if vocab_size is None:
        vocab_size = len(_required(fields, "tokenizer.ggml.tokens", path))
    return LlamaConfig(
        vocab_size=int(vocab_size),
        block_size=int(_required(fields, f"{arch}.context_length", path)),
        n_layer=int(_required(fields, f"{arch}.block_count", path)),
        n_head=n_head,
        n_embd=n_embd,
        n_kv_head=int(_value(fields, f"{arch}.attention.head_count_kv", n_head)),
        head_dim=head_dim,
        intermediate_size=int(_required(fields, f"{arch}.feed_forward_length", path)),
        rms_norm_eps=_float(_value(fields, f"{arch}.attention.layer_norm_rms_epsilon", 1e-5)),
        rope_theta=_float(_value(fields, f"{arch}.rope.freq_base", 10000.0)),
        rope_scaling=rope_scaling,
        tie_word_embeddings="output.weight" not in tensor_names,
        qkv_bias="blk.0.attn_q.bias" in tensor_names,
        o_bias="blk.0.attn_output.bias" in tensor_names,
    )


def unpermute_rope_rows(weight: torch.Tensor, n_head: int) -> torch.Tensor:
    """Inverse of llama.cpp's `permute`: rows of each head go from interleaved rotary pairs
    back to the rotate-half layout (works for weights (rows, cols) and biases (rows,))."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, rows // n_head // 2, 2, *weight.shape[1:])
        .transpose(1, 2)
        .reshape(weight.shape)
    )


def _shape(tensor: ReaderTensor) -> tuple[int, ...]:
    """PyTorch's (rows, cols) order; GGUF lists dims inner first."""
    return tuple(int(d) for d in reversed(tensor.shape.tolist()))


def _tensor(tensor: ReaderTensor, path: Path) -> torch.Tensor:
    """Dequantized float32 tensor in PyTorch's order, made a block of rows at a time into its
    own buffer (unquantized tensors are copied out of the read-only memory map)."""
    data = tensor.data if tensor.data.ndim > 1 else tensor.data[np.newaxis]
    data = data.reshape(-1, data.shape[-1])  # rows of blocks, or of values when unquantized
    try:
        values = np.empty(_shape(tensor), dtype=np.float32)
        rows = values.reshape(len(data), -1)
        step = max(1, DEQUANTIZE_ELEMENTS // max(1, rows.shape[1]))
        # Blocks never span rows, so dequantizing whole rows at a time gives the same values.
        for start in range(0, len(data), step):
            block = dequantize(data[start:start + step], tensor.tensor_type)
            rows[start:start + step] = block.reshape(-1, rows.shape[1])
    except (NotImplementedError, ValueError) as exc:
        raise ModelMapError(
            f"{path}: tensor {tensor.name!r} ({tensor.tensor_type.name}): {exc}"
        ) from exc
    return torch.from_numpy(values)


def stored_tensors(path: str | Path) -> tuple[dict[str, tuple[str, tuple[int, ...], np.ndarray]],
                                               dict[str, str]]:
    """The file's tensors as stored, for keeping their blocks instead of re-rounding them:
    ({our name: (type, shape, row-major bytes)} for the types `.sou` stores, with llama.cpp's
    Q/K row permutation undone row by row, {our name: GGUF type} for the others). Each
    tensor's byte count is checked against its type and shape before it is used."""
    path = Path(path)
    reader = _reader(path)
    by_name = {t.name: t for t in reader.tensors}
    config = config_from_gguf(reader.fields, set(by_name), path)
    arch = _value(reader.fields, "general.architecture")
    kept, other = {}, {}
    for name, tensor in by_name.items():
        ours = _our_name(name)
        if ours is None:
            raise ModelMapError(f"{path}: unexpected tensor {name!r}")
        type_name = tensor.tensor_type.name
        if type_name not in TENSOR_TYPES:
            other[ours] = type_name
            continue
        shape = _shape(tensor)
        data = np.ascontiguousarray(tensor.data).reshape(-1).view(np.uint8)
        try:
            expected = tensor_byte_length(type_name, shape)
        except ValueError as exc:
            raise ModelMapError(f"{path}: tensor {name!r} at byte {tensor.data_offset}: "
                                f"{exc}") from None
        if data.nbytes != expected:
            raise ModelMapError(f"{path}: tensor {name!r} at byte {tensor.data_offset}: "
                                f"{type_name} {shape} takes {expected} bytes, the file holds "
                                f"{data.nbytes}")
        rows = torch.from_numpy(data.reshape(shape[0], -1) if shape else data)
        n_head = {".attn_q.": config.n_head, ".attn_k.": config.n_kv_head}
        for part, heads in n_head.items():
            if arch in PERMUTED_ARCHS and part in name:
                rows = unpermute_rope_rows(rows, heads)
        kept[ours] = (type_name, shape, rows.contiguous().numpy().reshape(-1))
    return kept, other


def _our_name(gguf_name: str) -> str | None:
    stem, _, suffix = gguf_name.rpartition(".")
    if stem in TOP_NAMES:
        return f"{TOP_NAMES[stem]}.{suffix}"
    parts = stem.split(".")
    if len(parts) == 3 and parts[0] == "blk" and parts[2] in BLOCK_NAMES:
        return f"model.layers.{parts[1]}.{BLOCK_NAMES[parts[2]]}.{suffix}"
    return None


def _tokenizer_json(fields: dict[str, ReaderField], path: Path) -> str:
    """The embedded tokenizer as tokenizer.json text, via transformers' GGUF converter."""
    try:
        from transformers.integrations.gguf import convert_gguf_tokenizer
    except ImportError:  # transformers 4 keeps it in integrations.ggml
        from transformers.integrations.ggml import convert_gguf_tokenizer

    tokenizer = {
        name: _value(fields, f"tokenizer.ggml.{key}")
        for key, name in TOKENIZER_FIELDS.items()
        if f"tokenizer.ggml.{key}" in fields
    }
    try:
        converted, _ = convert_gguf_tokenizer(_value(fields, "general.architecture"), tokenizer)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelMapError(f"{path}: tokenizer metadata cannot be converted: {exc}") from exc
    return converted.to_str()


def _reader(path: Path) -> GGUFReader:
    try:
        return GGUFReader(path)
    except (ValueError, OSError, IndexError, KeyError) as exc:
        raise ModelMapError(f"{path}: not a readable GGUF file: {exc}") from exc


class OpenGGUF(NamedTuple):
    loaded: LoadedModel  # its model is the skeleton on the meta device: names, shapes, ties
    weights: LazyTensors  # our names -> float32 tensors, read from the file when asked for
    vocabulary: list[str] | None  # tokenizer.ggml.tokens, when the file has a tokenizer


def open_gguf(path: str | Path) -> OpenGGUF:
    """A LLaMA-family GGUF file's model without its weights, and the weights as a mapping that
    dequantizes (and un-permutes) one tensor from the memory-mapped file each time it is asked
    for one. Names and shapes are checked against the model before anything is read."""
    path = Path(path)
    reader = _reader(path)
    fields = reader.fields
    by_name = {t.name: t for t in reader.tensors}
    config = config_from_gguf(fields, set(by_name), path)
    arch = _value(fields, "general.architecture")
    tensors = {}
    for name, tensor in by_name.items():
        ours = _our_name(name)
        if ours is None:
            raise ModelMapError(f"{path}: unexpected tensor {name!r}")
        tensors[ours] = tensor
    shapes = {name: _shape(tensor) for name, tensor in tensors.items()}
    model = build_empty(config)
    check_shapes(model, shapes)
    heads = ({".attn_q.": config.n_head, ".attn_k.": config.n_kv_head}
             if arch in PERMUTED_ARCHS else {})

    def read(name: str) -> torch.Tensor:
        tensor = tensors[name]
        weight = _tensor(tensor, path)
        for part, n_head in heads.items():
            if part in tensor.name:
                weight = unpermute_rope_rows(weight, n_head)
        return weight

    eos = [
        _value(fields, k) for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id")
    ]
    bos = _value(fields, "tokenizer.ggml.bos_token_id")
    has_tokenizer = "tokenizer.ggml.tokens" in fields
    quant_types = sorted({t.tensor_type.name for t in reader.tensors})
    loaded = LoadedModel(
        model=model.eval(),
        config=config,
        tokenizer_json=_tokenizer_json(fields, path) if has_tokenizer else None,
        chat_template=_value(fields, "tokenizer.chat_template"),
        eos_token_ids=list(dict.fromkeys(int(e) for e in eos if e is not None)),
        bos_token_id=None if bos is None else int(bos),
        source={
            "format": "gguf",
            "path": str(path),
            "architecture": arch,
            "name": _value(fields, "general.name"),
            "tensor_types": quant_types,
        },
    )
    # Only the tensors' entries stay referenced: the parsed metadata (hundreds of thousands
    # of small arrays for a vocabulary) is released before the weights are read.
    return OpenGGUF(loaded, LazyTensors(shapes, read),
                    _value(fields, "tokenizer.ggml.tokens") if has_tokenizer else None)


def load_gguf(path: str | Path) -> LoadedModel:
    """Load a LLaMA-family GGUF file into our modules (float32, eval mode)."""
    loaded, weights, _ = open_gguf(path)
    load_weights(loaded.model, dict(weights))
    return loaded
