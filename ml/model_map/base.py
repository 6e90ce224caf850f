"""What every loader returns and the one error type they raise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from ml.models import ModelConfig, build_model
from ml.sou.lazy import shapes_of


class ModelMapError(ValueError):
    """A checkpoint that cannot be mapped onto our modules; the message names the tensor or field."""


@dataclass
class LoadedModel:
    model: nn.Module  # our module with the checkpoint's weights, in eval mode
    config: ModelConfig  # its config, ready for `to_dict()`
    tokenizer_json: str | None  # Hugging Face tokenizer.json text, when the checkpoint has one
    chat_template: str | None  # Jinja chat template, when the checkpoint has one
    eos_token_ids: list[int] = field(default_factory=list)  # generation stops at any of these
    bos_token_id: int | None = None  # prepended by tokenizers that want it
    source: dict = field(default_factory=dict)  # format, path and what the file said about itself


def build_empty(config: ModelConfig) -> nn.Module:
    """The model's structure without allocating or initialising weights (the checkpoint fills them)."""
    with torch.device("meta"):
        return build_model(config)


def check_shapes(model: nn.Module, shapes: Mapping[str, tuple[int, ...]]) -> None:
    """Raise ModelMapError naming the first tensor of `model` missing from `shapes` (our names)
    or of another shape there, or the first name in `shapes` the model has no place for."""
    all_names = dict(model.named_parameters(remove_duplicate=False))
    for name, reference in model.named_parameters():
        if name not in shapes:
            raise ModelMapError(
                f"missing tensor {name!r} (expected shape {tuple(reference.shape)})"
            )
        if tuple(shapes[name]) != tuple(reference.shape):
            raise ModelMapError(
                f"tensor {name!r} has shape {tuple(shapes[name])}, expected {tuple(reference.shape)}"
            )
    extra = sorted(set(shapes) - set(all_names))
    if extra:
        raise ModelMapError(f"unexpected tensor {extra[0]!r} ({len(extra)} unexpected in all)")


def load_weights(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Put `state` (our names) into `model` (built by `build_empty`), naming the first missing,
    extra or misshapen tensor. Tied parameters stay tied: each is filled from its first name."""
    check_shapes(model, shapes_of(state))
    all_names = dict(model.named_parameters(remove_duplicate=False))
    filled = {id(reference): nn.Parameter(state[name].float(),
                                          requires_grad=reference.requires_grad)
              for name, reference in model.named_parameters()}
    full = {name: filled[id(param)] for name, param in all_names.items()}
    model.load_state_dict(full, strict=True, assign=True)
