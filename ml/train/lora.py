"""LoRA through peft on our own modules: adapters on chosen linear layers of a frozen base
(float nn.Linear, or QuantLinear kept packed in a block type), their weights saved apart from
the base, and merged back into full float weights for export."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from ml.models import build_model, config_from_dict
from ml.train.config import LoraSpec

# Every attention and MLP projection, by architecture (the module names ml.models uses). The
# LLaMA-shaped families share LLaMA's names; Mixtral's apply to every expert, never the router.
_LLAMA_NAMES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
DEFAULT_TARGETS = {
    "gpt2": ["c_attn", "c_proj", "c_fc"],
    **{arch: _LLAMA_NAMES for arch in ("llama", "mistral", "phi3", "qwen3", "mixtral", "gemma2", "gemma3")},
    "gpt_neox": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
    "gptj": ["q_proj", "k_proj", "v_proj", "out_proj", "fc_in", "fc_out"],
}


def lora_target_names(arch: str) -> list[str]:
    """The module names LoRA can target in architecture `arch` (each family's linear layers),
    for checking a run's `lora.target_modules` before it starts."""
    with torch.device("meta"):  # one block shows every layer name, and nothing is allocated
        model = build_model(config_from_dict({"arch": arch, "n_layer": 1}))
    return sorted({name.rpartition(".")[2] for name, module in model.named_modules()
                   if isinstance(module, nn.Linear)})


def check_targets(targets: list[str], arch: str) -> None:
    """ValueError naming the valid modules when a target is not a linear layer of `arch` (the
    message the CLI prints and the portal shows under the targets field)."""
    valid = lora_target_names(arch)
    unknown = [name for name in targets if name not in valid]
    if unknown:
        raise ValueError(f"lora.target_modules {', '.join(map(repr, unknown))}: not a layer of this "
                         f"{arch} model; valid: {', '.join(valid)}")


def lora_settings(spec: LoraSpec, arch: str) -> dict[str, Any]:
    """The JSON-safe adapter description stored in a checkpoint's config.json."""
    targets = list(spec.target_modules) or DEFAULT_TARGETS.get(arch)
    if not targets:
        raise ValueError(f"lora.target_modules must be set for architecture {arch!r}")
    check_targets(targets, arch)
    return {"r": spec.r, "alpha": spec.alpha, "dropout": spec.dropout, "target_modules": targets,
            "base_type": spec.base_type}


def apply_lora(model: nn.Module, settings: dict[str, Any]) -> nn.Module:
    """Freeze `model` and wrap it with fresh adapters (LoRA B starts at zero: same outputs).
    Packed layers (QuantLinear) get adapters too; their weights never get gradients."""
    # peft (and the transformers it loads) is imported only by runs that use LoRA: it is slow.
    from peft import LoraConfig, get_peft_model

    from ml.infer.qlinear import QuantLinear
    from ml.train.lora_packed import PackedLoraLinear

    config = LoraConfig(
        r=settings["r"],
        lora_alpha=settings["alpha"],
        lora_dropout=settings["dropout"],
        target_modules=list(settings["target_modules"]),
    )
    config._register_custom_module({QuantLinear: PackedLoraLinear})
    try:
        with warnings.catch_warnings():
            # peft warns about any layer type it does not know; QuantLinear is registered above.
            warnings.filterwarnings("ignore", "Unsupported layer type", UserWarning)
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
    """Fold the adapters into the base weights and return the plain float model (for export);
    a packed base is dequantized first, so the merged weights are base + delta in float."""
    if not is_lora(model):
        return model
    from ml.train.packed import unpack_linears

    unpack_linears(model)
    return model.merge_and_unload()


def is_lora(model: nn.Module) -> bool:
    """Whether `model` is a peft wrapper, without importing peft for plain models."""
    return type(model).__module__.startswith("peft.")
