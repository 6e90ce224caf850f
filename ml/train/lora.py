"""LoRA through peft on our own modules: adapters on chosen nn.Linear layers of a frozen base,
their weights saved apart from the base, and merged back into full weights for export."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ml.train.config import LoraSpec

# Every attention and MLP projection, by architecture (the module names ml.models uses).
DEFAULT_TARGETS = {
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "gpt2": ["c_attn", "c_proj", "c_fc"],
}


def lora_settings(spec: LoraSpec, arch: str) -> dict[str, Any]:
    """The JSON-safe adapter description stored in a checkpoint's config.json."""
    targets = list(spec.target_modules) or DEFAULT_TARGETS.get(arch)
    if not targets:
        raise ValueError(f"lora.target_modules must be set for architecture {arch!r}")
    return {"r": spec.r, "alpha": spec.alpha, "dropout": spec.dropout, "target_modules": targets}


def apply_lora(model: nn.Module, settings: dict[str, Any]) -> nn.Module:
    """Freeze `model` and wrap it with fresh adapters (LoRA B starts at zero: same outputs)."""
    # peft (and the transformers it loads) is imported only by runs that use LoRA: it is slow.
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=settings["r"],
        lora_alpha=settings["alpha"],
        lora_dropout=settings["dropout"],
        target_modules=list(settings["target_modules"]),
    )
    try:
        return get_peft_model(model, config)
    except ValueError as exc:  # peft names no layer when none matches
        raise ValueError(f"LoRA targets {settings['target_modules']} do not match: {exc}") from exc


def attach_adapters(
    model: nn.Module, settings: dict[str, Any], adapter: dict[str, torch.Tensor]
) -> nn.Module:
    """`model` with saved adapter weights loaded on top."""
    from peft import set_peft_model_state_dict

    wrapped = apply_lora(model, settings)
    result = set_peft_model_state_dict(wrapped, adapter)
    if result.unexpected_keys:
        raise ValueError(f"adapter weights do not match the model: {result.unexpected_keys[:5]}")
    return wrapped


def merge_lora(model: nn.Module) -> nn.Module:
    """Fold the adapters into the base weights and return the plain model (for export)."""
    return model.merge_and_unload() if is_lora(model) else model


def is_lora(model: nn.Module) -> bool:
    """Whether `model` is a peft wrapper, without importing peft for plain models."""
    return type(model).__module__.startswith("peft.")
