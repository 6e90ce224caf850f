"""A `.sou` file into a runnable model: the architecture is built without allocating, float
tensors are filled in (zero-copy from the memory map where type and device allow), and
block-quantized linear layers are replaced by quantized ones that keep their weights packed.
"""

from __future__ import annotations

import torch
from torch import nn

from ml.infer.qlinear import QuantLinear
from ml.models import build_model, config_from_dict
from ml.sou import SouFile
from ml.sou.constants import BLOCK_TYPES, STEERING_PREFIX


class ModelLoadError(ValueError):
    """The file's tensors do not fit the architecture its config describes."""


def default_dtype(device: torch.device) -> torch.dtype:
    """float32 on CPU (half precision is slow there), float16 on accelerators (what
    QuantLinear expands block-quantized weights to there, so no per-layer casts)."""
    return torch.float32 if device.type == "cpu" else torch.float16


def _quantized_linear(sou: SouFile, name: str, linear: nn.Linear, device) -> QuantLinear:
    type_name, shape, raw = sou.raw(f"{name}.weight")
    bias = sou.tensor(f"{name}.bias") if linear.bias is not None else None
    return QuantLinear.from_raw(type_name, shape, torch.from_numpy(raw), bias, device)


def _replace_quantized_linears(model: nn.Module, sou: SouFile, device) -> set[str]:
    """Swap every linear stored as a block type; returns the tensor names it consumed."""
    stored = {info.name: info.type_name for info in sou.tensor_infos}
    consumed = set()
    for name, module in list(model.named_modules()):
        if not isinstance(module, nn.Linear) or stored.get(f"{name}.weight") not in BLOCK_TYPES:
            continue
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child,
                _quantized_linear(sou, name, module, device))
        consumed |= {f"{name}.weight", f"{name}.bias"}
    return consumed


def _fill_parameters(model: nn.Module, sou: SouFile, device, dtype) -> set[str]:
    """Every remaining (meta) parameter from the file; tied parameters filled once, from the
    first of their names the file has. Returns the tensor names read."""
    groups: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        if param.device.type == "meta":
            groups.setdefault(id(param), []).append(name)
    stored = {info.name for info in sou.tensor_infos}
    read = set()
    for names in groups.values():
        source = next((n for n in names if n in stored), None)
        if source is None:
            raise ModelLoadError(f"{sou.path}: no tensor {names[0]!r} in the file")
        reference = model.get_parameter(names[0])
        tensor = sou.tensor(source)
        if tuple(tensor.shape) != tuple(reference.shape):
            raise ModelLoadError(f"{sou.path}: tensor {source!r} has shape {tuple(tensor.shape)}, "
                                 f"the architecture needs {tuple(reference.shape)}")
        param = nn.Parameter(tensor.to(device=device, dtype=dtype), requires_grad=False)
        for name in names:
            owner, _, attr = name.rpartition(".")
            setattr(model.get_submodule(owner), attr, param)
        read.add(source)
    return read


def load_model(sou: SouFile, device: torch.device, dtype: torch.dtype) -> nn.Module:
    """The file's model on `device` in eval mode, float weights in `dtype`."""
    try:
        config = config_from_dict(dict(sou.config))
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"{sou.path}: architecture: {exc}") from None
    with torch.device("meta"):
        model = build_model(config)
    used = _replace_quantized_linears(model, sou, device)
    used |= _fill_parameters(model, sou, device, dtype)
    extra = sorted(info.name for info in sou.tensor_infos
                   if info.name not in used and not info.name.startswith(STEERING_PREFIX))
    if extra:
        raise ModelLoadError(f"{sou.path}: tensor {extra[0]!r} is not part of a "
                             f"{config.arch} model ({len(extra)} unexpected in all)")
    return model.eval()
