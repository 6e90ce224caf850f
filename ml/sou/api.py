"""The high-level `.sou` API: write a model in one call, open one, verify one, and estimate the
memory it needs to run."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import torch

from ml.sou.constants import (
    SECTION_ARCHITECTURE,
    SECTION_GENERATION,
    SECTION_PERSONALITY,
    SECTION_PROVENANCE,
    SECTION_TOKENIZER,
)
from ml.sou.errors import SouFormatError
from ml.sou.lazy import shapes_of
from ml.sou.quant import EXPORT_TYPES, QuantPolicy, gqa_ratio, layer_count, quantize
from ml.sou.reader import SouFile
from ml.sou.writer import SouWriter, TensorSpec

KV_DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2}


def tool_version() -> str:
    """What goes into provenance.created_by."""
    try:
        return f"sloughgpt {version('sloughgpt')}"
    except PackageNotFoundError:
        return "sloughgpt"


def write_sou(
    path: str | os.PathLike,
    *,
    config: dict,
    tensors: Mapping[str, torch.Tensor],
    tokenizer_json: str | None = None,
    chat_template: str | None = None,
    generation: dict,
    personality: dict | None = None,
    provenance: dict,
    qtype: str = "F32",
    policy: QuantPolicy | None = None,
    stored: dict[str, tuple[str, np.ndarray]] | None = None,
) -> Path:
    """Write a complete `.sou` file; matrices become `qtype` as `policy` allows, except the
    tensors in `stored` ({name: (type, bytes)}), which are written as they are. Each tensor
    is taken from `tensors` when it is written, so a `LazyTensors` is read one at a time."""
    if qtype not in EXPORT_TYPES:
        raise ValueError(f"unknown qtype {qtype!r}; choose from {list(EXPORT_TYPES)}")
    if tokenizer_json is not None:
        try:
            json.loads(tokenizer_json)
        except ValueError as exc:
            raise ValueError(f"tokenizer_json is not valid JSON: {exc}") from None
    policy = policy or QuantPolicy()
    metadata = {
        SECTION_ARCHITECTURE: config,
        SECTION_TOKENIZER: {"hf_json": tokenizer_json, "chat_template": chat_template},
        SECTION_GENERATION: generation,
        SECTION_PERSONALITY: personality,
        SECTION_PROVENANCE: {**provenance, "created_by": tool_version()},
    }
    n_layer = layer_count(tensors)
    shapes = shapes_of(tensors)
    n_gqa = gqa_ratio(shapes, policy)
    stored = stored or {}
    specs = [TensorSpec(name, stored[name][0] if name in stored
                        else policy.type_for(name, shape, qtype, n_layer, n_gqa),
                        shape) for name, shape in shapes.items()]
    with SouWriter(path) as writer:
        writer.write_header(metadata, specs)
        for spec in specs:
            # Passed straight on, so a tensor is released before the next one is read.
            writer.write_tensor(spec.name, stored[spec.name][1] if spec.name in stored
                                else quantize(tensors[spec.name], spec.type_name).cpu().numpy())
        return writer.finish()


def read_sou(path: str | os.PathLike) -> SouFile:
    """Open and validate a `.sou` file; raises SouFormatError if it breaks the spec."""
    return SouFile(path)


def verify(path: str | os.PathLike) -> list[str]:
    """Every problem found in the file (structure, then each tensor's checksum); [] if none."""
    try:
        sou = SouFile(path)
    except SouFormatError as exc:
        return [str(exc)]
    with sou:
        return sou.checksum_problems()


def _config_int(config: dict, key: str) -> int:
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"architecture config needs a positive integer {key!r} to size the KV "
                         f"cache, has {value!r}")
    return value


def memory_estimate(sou: SouFile, context_length: int, batch: int = 1,
                    kv_dtype: str = "F16") -> dict:
    """Bytes to hold the weights as stored plus a full KV cache of `context_length` x `batch`.

    KV cache = 2 (K and V) * n_layer * n_kv_head * head_dim * context * batch * dtype bytes;
    n_kv_head falls back to n_head (models without grouped-query attention), head_dim to
    n_embd / n_head.
    """
    if kv_dtype not in KV_DTYPE_BYTES:
        raise ValueError(f"kv_dtype must be one of {list(KV_DTYPE_BYTES)}, got {kv_dtype!r}")
    config = sou.config
    n_layer = _config_int(config, "n_layer")
    n_head = _config_int(config, "n_head")
    n_kv_head = _config_int(config, "n_kv_head") if "n_kv_head" in config else n_head
    if "head_dim" in config:
        head_dim = _config_int(config, "head_dim")
    else:
        head_dim = _config_int(config, "n_embd") // n_head
    weights = sum(info.length for info in sou.tensor_infos)
    kv_cache = (2 * n_layer * n_kv_head * head_dim * context_length * batch
                * KV_DTYPE_BYTES[kv_dtype])
    return {
        "weights_bytes": weights,
        "kv_cache_bytes": kv_cache,
        "total_bytes": weights + kv_cache,
        "context_length": context_length,
        "batch": batch,
        "kv_dtype": kv_dtype,
        "n_layer": n_layer,
        "n_kv_head": n_kv_head,
        "head_dim": head_dim,
    }
