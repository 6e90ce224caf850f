"""Checkpoint directories: what a training run leaves behind and everything else loads.

    model.safetensors   full weights of the base model under its plain names; tied tensors once
                        (a base packed in a block type is stored dequantized)
    adapter.safetensors LoRA weights, only for LoRA runs (config.json "lora" says how, and its
                        "base_type" which packing the frozen base trained in)
    config.json         the model config (with "arch") at top level, plus "training" (the run's
                        TrainConfig), "lora", "chat_template", "eos_token_ids", "bos_token_id"
    tokenizer.json      the tokenizer, verbatim
    trainer_state.json  step, best validation loss, data position, RNG states (resumable only)
    optimizer.pt        optimizer, scheduler and grad-scaler state (resumable only); the
                        optimizer's is None when dcp/ holds it
    dcp/                weights and optimizer state as a multi-process run's processes held them
                        (torch.distributed.checkpoint, sharded), loadable at any world size
                        (resumable checkpoints of multi-process DDP/FSDP runs only)

A directory is written under a temporary name and renamed into place, so an interrupted save
never leaves a half checkpoint where a good one was.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from torch import nn

from ml.models import build_model, config_from_dict

# config.json keys that are not part of the model config.
EXTRA_KEYS = ("training", "lora", "chat_template", "eos_token_ids", "bos_token_id")
# The sharded training state's directory inside a checkpoint.
SHARDED_DIR = "dcp"


@dataclass
class CheckpointMeta:
    model_config: Any
    training: dict[str, Any] = field(default_factory=dict)
    lora: dict[str, Any] | None = None
    chat_template: str | None = None
    eos_token_ids: list[int] = field(default_factory=list)
    bos_token_id: int | None = None
    # trainer_state.json when the checkpoint is resumable, else None.
    state: dict[str, Any] | None = None


def save_checkpoint(
    directory: str | Path,
    *,
    weights: dict[str, torch.Tensor],
    meta: CheckpointMeta,
    tokenizer: Tokenizer,
    adapter: dict[str, torch.Tensor] | None = None,
    training_state: dict[str, Any] | None = None,
    sharded: Path | None = None,
) -> Path:
    """Write a checkpoint; `training_state` (optimizer etc.) and `meta.state` make it resumable.

    `weights` come from `model_weights` (or a distributed gather of them). `sharded`: a
    directory `dcp.save` wrote, moved in as dcp/.
    """
    directory = Path(directory)
    tmp = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(_contiguous_cpu(weights), str(tmp / "model.safetensors"))
    if adapter is not None:
        save_file(_contiguous_cpu(adapter), str(tmp / "adapter.safetensors"))
    config = dict(meta.model_config.to_dict())
    config.update(
        training=meta.training,
        lora=meta.lora,
        chat_template=meta.chat_template,
        eos_token_ids=list(meta.eos_token_ids),
        bos_token_id=meta.bos_token_id,
    )
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    (tmp / "tokenizer.json").write_text(tokenizer.to_str())
    if meta.state is not None:
        (tmp / "trainer_state.json").write_text(json.dumps(meta.state))
    if training_state is not None:
        torch.save(training_state, tmp / "optimizer.pt")
    if sharded is not None:
        os.rename(sharded, tmp / SHARDED_DIR)
    _replace_dir(tmp, directory)
    return directory


def load_checkpoint(
    directory: str | Path, device: str | torch.device = "cpu", merge_lora: bool = True
) -> tuple[nn.Module, Tokenizer, CheckpointMeta]:
    """(model, tokenizer, meta) from a checkpoint; LoRA adapters are merged unless asked not to."""
    directory = Path(directory)
    meta = read_meta(directory)
    model = build_model(meta.model_config)
    load_weights(model, directory / "model.safetensors")
    if meta.lora is not None:
        from ml.train.lora import attach_adapters
        from ml.train.lora import merge_lora as merge

        if not merge_lora and meta.lora.get("base_type"):
            # Adapters trained over a packed base resume over the same packing (dequantized
            # blocks quantize back to themselves).
            from ml.train.packed import pack_linears

            pack_linears(model, meta.lora["base_type"])
        model = attach_adapters(model, meta.lora, load_file(str(directory / "adapter.safetensors")))
        if merge_lora:
            model = merge(model)
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    return model.to(device), tokenizer, meta


def read_meta(directory: str | Path) -> CheckpointMeta:
    directory = Path(directory)
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{directory} is not a checkpoint: no config.json")
    config = json.loads(config_path.read_text())
    extras = {key: config.pop(key, None) for key in EXTRA_KEYS}
    state_path = directory / "trainer_state.json"
    return CheckpointMeta(
        model_config=config_from_dict(config),
        training=extras["training"] or {},
        lora=extras["lora"],
        chat_template=extras["chat_template"],
        eos_token_ids=extras["eos_token_ids"] or [],
        bos_token_id=extras["bos_token_id"],
        state=json.loads(state_path.read_text()) if state_path.is_file() else None,
    )


def load_training_state(directory: str | Path) -> dict[str, Any]:
    """Optimizer/scheduler/scaler state; tensors and plain containers only (weights_only)."""
    return torch.load(Path(directory) / "optimizer.pt", map_location="cpu", weights_only=True)


def is_checkpoint(path: str | Path) -> bool:
    """A directory written by save_checkpoint (as opposed to a Hugging Face model directory)."""
    config = Path(path) / "config.json"
    if not config.is_file() or not (Path(path) / "model.safetensors").is_file():
        return False
    return "arch" in json.loads(config.read_text())


def model_weights(
    model: nn.Module, state_dict: dict[str, torch.Tensor] | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor] | None]:
    """(base weights under plain names, LoRA adapter weights or None) of a model or PeftModel.

    `state_dict` is the model's own, when it had to be gathered first (FSDP).
    """
    from ml.train.lora import is_lora

    state = model.state_dict() if state_dict is None else state_dict
    if state_dict is None:
        from ml.train.packed import packed_weights

        # Packed (QuantLinear) layers keep their weights out of the state dict: saved as floats.
        state = {**state, **packed_weights(model)}
    adapter = None
    if is_lora(model):
        from peft import get_peft_model_state_dict

        adapter = get_peft_model_state_dict(model, state_dict=state)
    return plain_weights(state), adapter


def plain_weights(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict without LoRA tensors or peft's name hops, tied tensors stored once."""
    weights: dict[str, torch.Tensor] = {}
    seen: set[tuple[int, int]] = set()
    for name, tensor in state.items():
        if ".lora_" in name:
            continue
        # Tied weights (GPT-2's wte and lm_head) share storage; safetensors refuses aliases.
        key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset())
        if key in seen:
            continue
        seen.add(key)
        weights[name.removeprefix("base_model.model.").replace(".base_layer.", ".")] = tensor
    return weights


def load_weights(model: nn.Module, path: str | Path) -> None:
    """Load model.safetensors strictly, except for tied aliases stored once."""
    weights = load_file(str(path))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    # A tied alias (lm_head.weight) counts as loaded when its shared tensor was.
    loaded_ids = {id(p) for n, p in model.named_parameters(remove_duplicate=False) if n in weights}
    params = dict(model.named_parameters(remove_duplicate=False))
    missing = [n for n in missing if n not in params or id(params[n]) not in loaded_ids]
    if missing or unexpected:
        raise ValueError(
            f"{path}: weights do not match the model (missing {missing[:5]}, "
            f"unexpected {unexpected[:5]})"
        )


def _contiguous_cpu(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}


def _replace_dir(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)
