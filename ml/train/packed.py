"""Fine-tuning bases from `.sou` files: a trainable float32 model, or one whose frozen linear
layers stay packed in a block type (Q8_0, Q4_0, Q4_1) under LoRA adapters, the CPU analogue of
QLoRA. Also the way back: packed layers dequantized into float ones for saving and merging.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ml.infer.loader import fill_parameters
from ml.infer.qlinear import QuantLinear, as_byte_tensor
from ml.models import build_model, config_from_dict
from ml.sou import SouFile, read_sou
from ml.sou.constants import STEERING_PREFIX

BASE_TYPES = ("Q8_0", "Q4_0", "Q4_1")
HEAD = "lm_head"  # the output head's module name in every family


def check_base_type(base_type: str) -> None:
    if base_type and base_type not in BASE_TYPES:
        raise ValueError(f"lora.base_type {base_type!r} is not one of {BASE_TYPES} (or empty)")


def sou_model(path: str | Path, base_type: str = "") -> tuple[nn.Module, SouFile]:
    """The `.sou` file's model in training mode and the open file (tokenizer, template, eos).

    Without `base_type` every weight is a trainable float32 parameter (block types
    dequantized). With it, every linear layer but a tied head becomes a frozen QuantLinear of
    that type: the stored blocks when the file already holds that type, else quantized now.
    """
    check_base_type(base_type)
    sou = read_sou(path)
    config = config_from_dict(dict(sou.config))
    with torch.device("meta"):
        model = build_model(config)
    used = _pack_linears(model, sou, base_type) if base_type else set()
    # Float32 copies: a training run writes its parameters, and the file's map is read-only.
    used |= fill_parameters(model, sou, lambda name: _read_float32(sou, name), trainable=True)
    extra = sorted(info.name for info in sou.tensor_infos
                   if info.name not in used and not info.name.startswith(STEERING_PREFIX))
    if extra:
        raise ValueError(f"{Path(path).name}: tensor {extra[0]!r} is not part of a "
                         f"{config.arch} model")
    return model.train(), sou


def pack_linears(model: nn.Module, base_type: str) -> None:
    """Replace the float linear layers of `model` (a tied head excepted) with frozen
    QuantLinears of `base_type`, quantizing their weights (resuming a packed run)."""
    check_base_type(base_type)
    for name, module in _packable(model):
        layer = QuantLinear.from_float(module.weight, base_type, module.bias)
        _set_module(model, name, layer)


def unpack_linears(model: nn.Module) -> nn.Module:
    """Replace every QuantLinear in `model` with a float nn.Linear of its dequantized weight
    (frozen, as the packed one was), so peft can merge adapters into it; returns `model`."""
    for name, module in list(model.named_modules()):
        if isinstance(module, QuantLinear):
            _set_module(model, name, dequantized_linear(module))
    return model


def dequantized_linear(layer: QuantLinear) -> nn.Linear:
    linear = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                       device="meta")
    linear.weight = nn.Parameter(layer.dequantized(), requires_grad=False)
    if layer.bias is not None:
        linear.bias = nn.Parameter(layer.bias.float().clone(), requires_grad=False)
    return linear


def packed_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """`{name.weight: float32}` (and biases) for the QuantLinears of `model`, whose packed
    buffers a state dict leaves out; names as in `model.state_dict()`."""
    weights = {}
    for name, module in model.named_modules():
        if isinstance(module, QuantLinear):
            weights[f"{name}.weight"] = module.dequantized()
            if module.bias is not None:
                weights[f"{name}.bias"] = module.bias.float()
    return weights


def _packable(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    tied = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    return [(name, module) for name, module in model.named_modules()
            if type(module) is nn.Linear and id(module.weight) not in tied]


def _pack_linears(model: nn.Module, sou: SouFile, base_type: str) -> set[str]:
    stored = {info.name: info.type_name for info in sou.tensor_infos}
    used = set()
    for name, module in _packable(model):
        weight_name = f"{name}.weight"
        if weight_name not in stored:
            if name == HEAD:
                continue  # tied in the file: filled from the embedding below
            raise ValueError(f"{sou.path.name}: no tensor {weight_name!r} in the file")
        bias = sou.tensor(f"{name}.bias").float() if module.bias is not None else None
        _, shape, raw = sou.raw(weight_name)
        if tuple(shape) != (module.out_features, module.in_features):
            raise ValueError(f"{sou.path.name}: tensor {weight_name!r} has shape {tuple(shape)}, "
                             f"the architecture needs {(module.out_features, module.in_features)}")
        if stored[weight_name] == base_type:
            # The file's own blocks: the weights train against exactly what it serves.
            layer = QuantLinear.from_raw(base_type, shape, as_byte_tensor(raw), bias)
        else:
            layer = QuantLinear.from_float(sou.tensor(weight_name).float(), base_type, bias)
        _set_module(model, name, layer)
        used |= {weight_name, f"{name}.bias"}
    return used


def _read_float32(sou: SouFile, name: str) -> torch.Tensor:
    """A writable float32 copy of a tensor. F32 data is read from the file rather than copied
    out of the memory map, whose touched pages would stay resident too (twice the weights
    at peak); other types are converted from the map, which makes the copy."""
    info = sou.info(name)
    if info.type_name != "F32":
        return sou.tensor(name, torch.float32)
    tensor = torch.empty(info.shape, dtype=torch.float32)
    with open(sou.path, "rb") as handle:
        handle.seek(info.offset)
        if handle.readinto(tensor.numpy().reshape(-1).view(np.uint8)) != info.length:
            raise ValueError(f"{sou.path.name}: tensor {name!r} is cut short")
    return tensor


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent), child, module)
