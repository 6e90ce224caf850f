"""Builders for `.sou` tests: a tiny model, and raw files assembled field by field so a test
can break exactly one rule of the spec."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
import torch

from ml.model_map.base import build_empty, load_weights
from ml.models import config_from_dict
from ml.sou import read_sou, write_sou
from ml.sou.constants import MAGIC, PREAMBLE, align_up

try:
    import llama_cpp
except ImportError:  # an optional native build; only the llama.cpp checks need it
    llama_cpp = None

needs_llama_cpp = pytest.mark.skipif(
    llama_cpp is None, reason="llama-cpp-python is not installed (pip install llama-cpp-python)")
TINY_CONFIG = {"arch": "llama", "n_layer": 2, "n_head": 4, "n_kv_head": 2, "n_embd": 64,
               "vocab_size": 96, "block_size": 128}


def tiny_tensors(seed: int = 0) -> dict[str, torch.Tensor]:
    """A two-layer model's worth of tensors: embeddings, matrices, norms, an odd-sized matrix,
    an output head and a steering vector."""
    g = torch.Generator().manual_seed(seed)
    tensors = {"token_embd.weight": torch.randn(96, 64, generator=g)}
    for layer in range(2):
        tensors[f"blk.{layer}.attn_norm.weight"] = torch.rand(64, generator=g) + 0.5
        tensors[f"blk.{layer}.attn_qkv.weight"] = torch.randn(128, 64, generator=g) * 0.1
        tensors[f"blk.{layer}.ffn_up.weight"] = torch.randn(160, 64, generator=g) * 0.1
    tensors["odd.weight"] = torch.randn(7, 10, generator=g)
    tensors["output.weight"] = torch.randn(96, 64, generator=g) * 0.1
    tensors["personality.steering.1"] = torch.randn(64, generator=g)
    return tensors


def write_tiny(path, qtype: str = "F32", **overrides):
    """Write the tiny model with complete metadata; keyword arguments override write_sou's."""
    arguments = {
        "config": TINY_CONFIG,
        "tensors": tiny_tensors(),
        "tokenizer_json": json.dumps({"model": {"type": "BPE", "vocab": {"a": 0, "é": 1}}},
                                     indent=2, ensure_ascii=False),
        "chat_template": "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}",
        "generation": {"temperature": 0.6, "top_k": 20, "stop": ["<|end|>"]},
        "personality": {"name": "Slough", "traits": {"warmth": 0.8}},
        "provenance": {"base_model": "tiny", "training_run_id": "run-1",
                       "dataset_sha256": "ab" * 32, "eval": {"perplexity": 12.5}},
        "qtype": qtype,
    }
    arguments.update(overrides)
    return write_sou(path, **arguments)


VALID_METADATA = {"architecture": {"arch": "gpt2"}}


def entry(name="w", type_code=0, dims=(2, 2), offset=0, length=16, crc=0) -> bytes:
    """One tensor index entry; `name` may be bytes to plant invalid UTF-8."""
    encoded = name.encode() if isinstance(name, str) else name
    return (struct.pack("<H", len(encoded)) + encoded + struct.pack("<II", type_code, len(dims))
            + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<QQI", offset, length, crc))


def build_sou(*, metadata=VALID_METADATA, entries=(), data=b"", magic=MAGIC, major=1, minor=0,
              metadata_length=None, tensor_count=None, data_offset=None, header_crc=None) -> bytes:
    """A file laid out as the spec says, with any preamble field overridable; unless given,
    data_offset and header_crc32 are computed so only the planted fault is wrong."""
    meta = metadata if isinstance(metadata, bytes) else json.dumps(metadata).encode()
    index = b"".join(entries)
    if data_offset is None:
        data_offset = align_up(32 + len(meta) + len(index))
    body = meta + index
    if data_offset <= 1 << 20:  # a planted huge data_offset gets no padding, just the fault
        body += bytes(max(0, data_offset - 32 - len(body)))
    fields = (len(meta) if metadata_length is None else metadata_length,
              len(entries) if tensor_count is None else tensor_count, data_offset)
    preamble = PREAMBLE.pack(magic, major, minor, 0, *fields)
    if header_crc is None:
        header_crc = zlib.crc32(preamble[16:] + body[:max(0, data_offset - 32)])
    return PREAMBLE.pack(magic, major, minor, header_crc, *fields) + body + data


def float_model(sou_path):
    """The `.sou` file's model with every tensor dequantized to float32: what its blocks hold."""
    with read_sou(sou_path) as sou:
        model = build_empty(config_from_dict(dict(sou.config)))
        load_weights(model, {info.name: sou.tensor(info.name, torch.float32).clone()
                             for info in sou.tensor_infos})
    return model.eval()
