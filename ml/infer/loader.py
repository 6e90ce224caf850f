"""A `.sou` file into a runnable model: the architecture is built without allocating, float
tensors are filled in (zero-copy from the memory map where type and device allow), and
block-quantized linear layers are replaced by quantized ones that keep their weights packed.
On CPU, embedding tables and the output head also stay in their stored type: a tied F16 table
is then the file's bytes, shared by lookup and head, instead of a float32 copy twice its size.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ml.infer.qembedding import QuantEmbedding
from ml.infer.qlinear import QuantLinear, as_byte_tensor
from ml.models import build_model, config_from_dict
from ml.sou import SouFile
from ml.sou.constants import BLOCK_TYPES, STEERING_PREFIX

HEAD = "lm_head"  # the output projection's module name in every family
STORED_TABLE_TYPES = ("F16", "BF16", *BLOCK_TYPES)  # kept as stored on CPU (F32 is a view anyway)


class ModelLoadError(ValueError):
    """The file's tensors do not fit the architecture its config describes."""


def default_dtype(device: torch.device) -> torch.dtype:
    """float32 on CPU (half precision is slow there), float16 on accelerators (what
    QuantLinear expands block-quantized weights to there, so no per-layer casts)."""
    return torch.float32 if device.type == "cpu" else torch.float16


def _check_shape(sou: SouFile, tensor_name: str, shape, needed) -> None:
    if tuple(shape) != tuple(needed):
        raise ModelLoadError(f"{sou.path.name}: tensor {tensor_name!r} has shape "
                             f"{tuple(shape)}, the architecture needs {tuple(needed)}")


def _quantized_linear(sou: SouFile, name: str, linear: nn.Linear, device,
                      weight_name: str | None = None) -> QuantLinear:
    weight_name = weight_name or f"{name}.weight"
    type_name, shape, raw = sou.raw(weight_name)
    _check_shape(sou, weight_name, shape, (linear.out_features, linear.in_features))
    bias = sou.tensor(f"{name}.bias") if linear.bias is not None else None
    return QuantLinear.from_raw(type_name, shape, as_byte_tensor(raw), bias, device)


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name), child, module)


def _replace_quantized_linears(model: nn.Module, sou: SouFile, device) -> set[str]:
    """Swap every linear stored as a block type; returns the tensor names it consumed."""
    stored = {info.name: info.type_name for info in sou.tensor_infos}
    consumed = set()
    for name, module in list(model.named_modules()):
        if not isinstance(module, nn.Linear) or stored.get(f"{name}.weight") not in BLOCK_TYPES:
            continue
        _set_module(model, name, _quantized_linear(sou, name, module, device))
        consumed |= {f"{name}.weight", f"{name}.bias"}
    return consumed


def _keep_stored_tables(model: nn.Module, sou: SouFile, device, dtype) -> set[str]:
    """On CPU, embeddings stored as F16/BF16/blocks become QuantEmbeddings and the output head
    a QuantLinear over its stored bytes (the embedding's own, when tied). Returns the names read."""
    if device.type != "cpu":
        return set()
    stored = {info.name: info.type_name for info in sou.tensor_infos}
    head = dict(model.named_modules()).get(HEAD)
    consumed = set()
    for name, module in list(model.named_modules()):
        weight_name = f"{name}.weight"
        if not isinstance(module, nn.Embedding) or stored.get(weight_name) not in STORED_TABLE_TYPES:
            continue
        type_name, shape, raw = sou.raw(weight_name)
        _check_shape(sou, weight_name, shape, (module.num_embeddings, module.embedding_dim))
        if isinstance(head, nn.Linear) and head.weight is module.weight:  # tied
            _set_module(model, HEAD, _quantized_linear(sou, HEAD, head, device, weight_name))
            consumed.add(f"{HEAD}.bias")
        _set_module(model, name, QuantEmbedding(type_name, *shape, as_byte_tensor(raw), dtype))
        consumed.add(weight_name)
    head = dict(model.named_modules()).get(HEAD)
    if isinstance(head, nn.Linear) and stored.get(f"{HEAD}.weight") in ("F16", "BF16"):
        _set_module(model, HEAD, _quantized_linear(sou, HEAD, head, device))
        consumed |= {f"{HEAD}.weight", f"{HEAD}.bias"}
    return consumed


def fill_parameters(model: nn.Module, sou: SouFile, read: Callable[[str], torch.Tensor],
                    trainable: bool = False) -> set[str]:
    """Every remaining (meta) parameter from the file, as `read(tensor_name)` gives it (a view
    for serving, a writable copy for training); tied parameters filled once, from the first of
    their names the file has. Returns the tensor names read."""
    groups: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        if param.device.type == "meta":
            groups.setdefault(id(param), []).append(name)
    stored = {info.name for info in sou.tensor_infos}
    used = set()
    for names in groups.values():
        source = next((n for n in names if n in stored), None)
        if source is None:
            raise ModelLoadError(f"{sou.path.name}: no tensor {names[0]!r} in the file")
        reference = model.get_parameter(names[0])
        tensor = read(source)
        _check_shape(sou, source, tensor.shape, reference.shape)
        param = nn.Parameter(tensor, requires_grad=trainable)
        for name in names:
            owner, _, attr = name.rpartition(".")
            setattr(model.get_submodule(owner), attr, param)
        used.add(source)
    return used


def load_model(sou: SouFile, device: torch.device, dtype: torch.dtype) -> nn.Module:
    """The file's model on `device` in eval mode, float weights in `dtype`."""
    try:
        config = config_from_dict(dict(sou.config))
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"{sou.path.name}: architecture: {exc}") from None
    with torch.device("meta"):
        model = build_model(config)
    used = _replace_quantized_linears(model, sou, device)
    used |= _keep_stored_tables(model, sou, device, dtype)
    used |= fill_parameters(model, sou,
                            lambda name: sou.tensor(name).to(device=device, dtype=dtype))
    extra = sorted(info.name for info in sou.tensor_infos
                   if info.name not in used and not info.name.startswith(STEERING_PREFIX))
    if extra:
        raise ModelLoadError(f"{sou.path.name}: tensor {extra[0]!r} is not part of a "
                             f"{config.arch} model ({len(extra)} unexpected in all)")
    return model.eval()
