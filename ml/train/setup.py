"""What a run starts from: a base model loaded from disk (`.sou` file, Hugging Face directory,
GGUF file or one of our checkpoints) with its tokenizer, or a fresh model of a preset shape."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer
from torch import nn

from ml.data import BaseTokenizer
from ml.models import build_model, preset_config
from ml.train.checkpoint import is_checkpoint, load_checkpoint
from ml.train.config import ModelSpec
from ml.train.packed import check_base_type, pack_linears, sou_model

# ModelSpec fields that reshape a preset; a loaded base model's shape is fixed.
SHAPE_FIELDS = ("n_layer", "n_head", "n_embd")


@dataclass
class BaseModel:
    model: nn.Module
    config: Any
    tokenizer: Tokenizer
    chat_template: str | None
    eos_token_ids: list[int]
    bos_token_id: int | None

    def as_base_tokenizer(self) -> BaseTokenizer:
        def text(token_id: int | None) -> str:
            return (self.tokenizer.id_to_token(token_id) or "") if token_id is not None else ""

        eos = self.eos_token_ids[0] if self.eos_token_ids else None
        return BaseTokenizer(
            tokenizer=self.tokenizer,
            chat_template=self.chat_template,
            eos_token_id=eos,
            bos_token=text(self.bos_token_id),
            eos_token=text(eos),
        )


def load_base(path: str, base_type: str = "") -> BaseModel:
    """A model to fine-tune, with the tokenizer, chat template and eos/bos it came with.

    `path`: a `.sou` file, a checkpoint directory, a `.gguf` file or a Hugging Face directory.
    `base_type` (the run's `lora.base_type`: "Q8_0", "Q4_0", "Q4_1"; "" = float32) keeps the
    base's linear layers packed as frozen QuantLinears of that type, for LoRA runs only:
    a `.sou` that already stores a layer in that type gives its blocks as they are, float
    layers are quantized at load. Without it every weight is a trainable float32 parameter.
    The trainer calls `load_base(cfg.model.base, cfg.lora.base_type)`.
    """
    check_base_type(base_type)
    if Path(path).suffix == ".sou":
        return _sou_base(path, base_type)
    if is_checkpoint(path):
        model, tokenizer, meta = load_checkpoint(path)
        base = BaseModel(
            model,
            meta.model_config,
            tokenizer,
            meta.chat_template,
            list(meta.eos_token_ids),
            meta.bos_token_id,
        )
    else:
        base = _imported_base(path)
    if base_type:
        pack_linears(base.model, base_type)
    return base


def _sou_base(path: str, base_type: str) -> BaseModel:
    model, sou = sou_model(path, base_type)
    if not sou.tokenizer_json:
        raise ValueError(f"{Path(path).name}: the base model has no tokenizer to train with")
    generation = sou.generation
    return BaseModel(
        model,
        model.config,
        Tokenizer.from_str(sou.tokenizer_json),
        sou.chat_template,
        list(generation.get("eos_token_ids") or []),
        generation.get("bos_token_id"),
    )


def _imported_base(path: str) -> BaseModel:
    from ml.model_map import load_gguf, load_hf_dir

    loaded = load_gguf(path) if Path(path).suffix == ".gguf" else load_hf_dir(path)
    if not loaded.tokenizer_json:
        raise ValueError(f"{path}: the base model has no tokenizer.json to train with")
    tokenizer = Tokenizer.from_str(loaded.tokenizer_json)
    return BaseModel(
        loaded.model,
        loaded.config,
        tokenizer,
        loaded.chat_template,
        list(loaded.eos_token_ids),
        loaded.bos_token_id,
    )


def check_base_spec(spec: ModelSpec) -> None:
    changed = [name for name in SHAPE_FIELDS if getattr(spec, name) is not None]
    if changed:
        raise ValueError(f"model.{changed[0]} cannot reshape a base model loaded from {spec.base}")


def fresh_model(spec: ModelSpec, vocab_size: int) -> tuple[nn.Module, Any]:
    """A newly initialised model of the preset's shape, sized to the tokenizer."""
    overrides = {
        name: getattr(spec, name)
        for name in (*SHAPE_FIELDS, "block_size", "dropout")
        if getattr(spec, name) is not None
    }
    config = preset_config(spec.preset, vocab_size=vocab_size, **overrides)
    return build_model(config), config


def with_dropout(model: nn.Module, config: Any, dropout: float | None) -> Any:
    """Set a loaded model's dropout (kept in its config, so checkpoints record it)."""
    if dropout is None:
        return config
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = dropout
    for module in model.modules():
        if hasattr(module, "dropout") and isinstance(module.dropout, float):
            module.dropout = dropout
    return dataclasses.replace(config, dropout=dropout)
