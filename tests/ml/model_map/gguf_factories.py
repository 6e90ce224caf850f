"""Tiny random models of every family as `.sou` files and GGUF files (written by our export, in
llama.cpp's layout), and GGUF files rewritten with a field or tensor changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
from gguf.quants import quantize
from torch import nn

from ml.models import build_model, config_from_dict
from ml.sou import write_sou
from ml.sou.gguf_export import export_gguf
from tests.ml.infer.factories import bpe_tokenizer_json, vocab_size

LLAMA_SHAPE = {"n_kv_head": 2, "intermediate_size": 96}
# A window of 4 on the first layer, shorter than the prompts, so the sliding mask matters.
GEMMA_SHAPE = {"query_pre_attn_scalar": 16, "sliding_window": 4,
               "layer_types": ["sliding_attention", "full_attention"]}
# Our config arch and fields of one tiny model per GGUF layout the import reads.
FAMILIES = {
    "llama": ("llama", LLAMA_SHAPE),
    "qwen2": ("llama", {**LLAMA_SHAPE, "qkv_bias": True}),
    "mistral": ("mistral", {**LLAMA_SHAPE, "sliding_window": None}),
    "mixtral": ("mixtral", {**LLAMA_SHAPE, "n_experts": 4, "n_experts_per_tok": 2}),
    "qwen3": ("qwen3", LLAMA_SHAPE),
    "phi3": ("phi3", LLAMA_SHAPE),
    "gemma2": ("gemma2", {**LLAMA_SHAPE, **GEMMA_SHAPE, "attn_logit_softcapping": 50.0,
                          "final_logit_softcapping": 30.0}),
    "gemma3": ("gemma3", {**LLAMA_SHAPE, **GEMMA_SHAPE, "qk_norm": True, "rope_theta": 1e6,
                          "rope_local_theta": 1e4, "head_dim": 32, "query_pre_attn_scalar": 32,
                          "rope_scaling": {"rope_type": "linear", "factor": 2.0}}),
    "gpt2": ("gpt2", {}),
    "gptneox": ("gpt_neox", {"intermediate_size": 96, "activation": "gelu_new"}),
}


def random_sou(family: str, path: Path, seed: int = 0, **overrides) -> tuple[nn.Module, Path]:
    """A tiny random model of `family` (normal(0, 0.2) weights, two layers) and its float .sou."""
    arch, fields = FAMILIES[family]
    torch.manual_seed(seed)
    config = config_from_dict({"arch": arch, "vocab_size": vocab_size(), "block_size": 64,
                               "n_layer": 2, "n_head": 4, "n_embd": 64, **fields, **overrides})
    model = build_model(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.2)
    source = write_sou(path, config=config.to_dict(),
                       tensors={name: p.detach() for name, p in model.named_parameters()},
                       tokenizer_json=bpe_tokenizer_json(), generation={"eos_token_ids": [2]},
                       provenance={})
    return model, source


def random_gguf(family: str, folder: Path, **overrides) -> tuple[nn.Module, Path]:
    """A tiny random model of `family` and its F32 GGUF export."""
    model, source = random_sou(family, folder / f"{family}.sou", **overrides)
    return model, export_gguf(source, folder / f"{family}.gguf").path


def rewrite_gguf(source: Path, out: Path, *, drop: str | tuple[str, ...] = (),
                 fields: dict | None = None, typed: dict[str, tuple] | None = None,
                 cut: str | None = None, joined: dict[str, list[str]] | None = None,
                 split: dict[str, list[str]] | None = None, extra: dict[str, np.ndarray] | None = None,
                 quantized: dict[str, GGMLQuantizationType] | None = None) -> Path:
    """A copy of an F32 GGUF file without the metadata field(s) `drop`, with `fields` set to
    other values (of the same type), `typed` fields set to (value, GGUFValueType, array item
    type or None), with tensor `cut` one row short, with tensors whose rows are those of others
    `joined` (which are left out), tensors `split` along their first axis into the tensors
    named, `extra` tensors added, and tensors `quantized` to the type given."""
    reader = GGUFReader(source)
    fields, joined, split = fields or {}, joined or {}, split or {}
    typed, quantized = typed or {}, quantized or {}
    drop = (drop,) if isinstance(drop, str) else drop
    parts = {name for names in joined.values() for name in names} | set(split)
    by_name = {tensor.name: tensor for tensor in reader.tensors}
    writer = GGUFWriter(out, fields.get("general.architecture",
                                        reader.fields["general.architecture"].contents()))
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in (*drop, *typed, "general.architecture"):
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == GGUFValueType.ARRAY else None
        writer.add_key_value(key, fields.get(key, field.contents()), kind, sub_type=sub)
    for key, (value, kind, sub) in typed.items():
        writer.add_key_value(key, value, kind, sub_type=sub)
    for tensor in reader.tensors:
        if tensor.name in parts:
            continue
        data = np.array(tensor.data)
        if tensor.name in quantized:
            blocks = quantize(data.astype(np.float32), quantized[tensor.name])
            writer.add_tensor(tensor.name, blocks, raw_shape=blocks.shape,
                              raw_dtype=quantized[tensor.name])
            continue
        writer.add_tensor(tensor.name, data[:-1] if tensor.name == cut else data)
    for name, names in split.items():
        for index, part in enumerate(names):
            writer.add_tensor(part, np.array(by_name[name].data[index]))
    for name, names in joined.items():
        writer.add_tensor(name, np.concatenate([np.array(by_name[n].data) for n in names]))
    for name, data in (extra or {}).items():
        writer.add_tensor(name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def alias_tensors(source: Path, out: Path) -> Path:
    """A copy of a GGUF file whose tensors all point at the first tensor's bytes, cut to the
    length of the largest: small on disk, its tensors' shapes unchanged."""
    out.write_bytes(source.read_bytes())
    reader = GGUFReader(out, "r+")
    start = min(tensor.data_offset for tensor in reader.tensors)
    largest = max(tensor.n_bytes for tensor in reader.tensors)
    for tensor in reader.tensors:
        tensor.field.parts[5][0] = 0  # the offset, relative to the start of the data
    reader.data.flush()
    del reader
    with out.open("r+b") as file:
        file.truncate(start + largest)
    return out
