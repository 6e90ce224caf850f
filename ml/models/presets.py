"""Named model shapes and the config plumbing: presets, dict round-trip, model construction."""

from __future__ import annotations

import dataclasses

from torch import nn

from ml.models.gemma import Gemma, GemmaConfig
from ml.models.gpt2 import GPT2, GPT2Config
from ml.models.gptj import GPTJ, GPTJConfig
from ml.models.llama import Llama, LlamaConfig
from ml.models.mistral import Mistral, MistralConfig, Phi3Config
from ml.models.mixtral import Mixtral, MixtralConfig
from ml.models.neox import GPTNeoX, GPTNeoXConfig
from ml.models.qwen3 import Qwen3, Qwen3Config

# The LLaMA variants subclass LlamaConfig, so `LlamaConfig` covers them here.
ModelConfig = GPT2Config | LlamaConfig | GPTNeoXConfig | GPTJConfig

_FAMILIES: dict[str, tuple[type, type[nn.Module]]] = {
    "gpt2": (GPT2Config, GPT2),
    "llama": (LlamaConfig, Llama),
    "mistral": (MistralConfig, Mistral),
    "phi3": (Phi3Config, Mistral),
    "qwen3": (Qwen3Config, Qwen3),
    "mixtral": (MixtralConfig, Mixtral),
    "gpt_neox": (GPTNeoXConfig, GPTNeoX),
    "gptj": (GPTJConfig, GPTJ),
    "gemma2": (GemmaConfig, Gemma),
    "gemma3": (GemmaConfig, Gemma),
}
_CONFIG_CLASSES: dict[str, type] = {arch: pair[0] for arch, pair in _FAMILIES.items()}
_MODEL_CLASSES: dict[str, type[nn.Module]] = {arch: pair[1] for arch, pair in _FAMILIES.items()}

PRESETS: dict[str, ModelConfig] = {
    # nanoGPT's CPU Shakespeare example; vocab_size is replaced by the tokenizer's.
    "nanogpt-char": GPT2Config(
        vocab_size=65,
        block_size=64,
        n_layer=4,
        n_head=4,
        n_embd=128,
        dropout=0.0,
        bias=False,
        activation="gelu",
    ),
    "gpt2-small": GPT2Config(),  # 124M
    "gpt2-medium": GPT2Config(n_layer=24, n_head=16, n_embd=1024),  # 350M
    # A few-million-parameter llama for quick experiments with the SmolLM2 tokenizer.
    "llama-tiny": LlamaConfig(
        vocab_size=49152,
        block_size=512,
        n_layer=4,
        n_head=4,
        n_kv_head=2,
        n_embd=128,
        intermediate_size=352,
        rope_theta=10000.0,
        tie_word_embeddings=True,
    ),
    "smollm2-135m": LlamaConfig(
        vocab_size=49152,
        block_size=8192,
        n_layer=30,
        n_head=9,
        n_kv_head=3,
        n_embd=576,
        intermediate_size=1536,
        rope_theta=100000.0,
        tie_word_embeddings=True,
    ),
    "smollm2-360m": LlamaConfig(
        vocab_size=49152,
        block_size=8192,
        n_layer=32,
        n_head=15,
        n_kv_head=5,
        n_embd=960,
        intermediate_size=2560,
        rope_theta=100000.0,
        tie_word_embeddings=True,
    ),
    "llama2-7b": LlamaConfig(block_size=4096, rms_norm_eps=1e-5),
    "llama3.2-1b": LlamaConfig(
        vocab_size=128256,
        block_size=131072,
        n_layer=16,
        n_head=32,
        n_kv_head=8,
        n_embd=2048,
        intermediate_size=8192,
        rope_theta=500000.0,
        rope_scaling={
            "rope_type": "llama3",
            "factor": 32.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192,
        },
        tie_word_embeddings=True,
    ),
    "qwen2-0.5b": LlamaConfig(
        vocab_size=151936,
        block_size=32768,
        n_layer=24,
        n_head=14,
        n_kv_head=2,
        n_embd=896,
        intermediate_size=4864,
        rms_norm_eps=1e-6,
        rope_theta=1000000.0,
        tie_word_embeddings=True,
        qkv_bias=True,
    ),
}


def preset_config(name: str, **overrides) -> ModelConfig:
    """A copy of the named preset with fields replaced, e.g. `vocab_size=len(tokenizer)`."""
    if name not in PRESETS:
        raise ValueError(
            f"unknown model preset {name!r}; known presets: {', '.join(sorted(PRESETS))}"
        )
    base = PRESETS[name]
    known = {f.name for f in dataclasses.fields(base)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"preset {name!r} has no field(s) {', '.join(unknown)}")
    return dataclasses.replace(base, **overrides)


def config_from_dict(d: dict) -> ModelConfig:
    """Inverse of `config.to_dict()`; dispatches on d["arch"]."""
    arch = d.get("arch")
    if arch not in _CONFIG_CLASSES:
        raise ValueError(
            f"config field 'arch' is {arch!r}; expected one of {sorted(_CONFIG_CLASSES)}"
        )
    cls = _CONFIG_CLASSES[arch]
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"{arch} config has no field(s) {', '.join(unknown)}")
    return cls(**d)


def build_model(config: ModelConfig) -> nn.Module:
    """A freshly initialised model for the config (build under `torch.device("meta")` to size it)."""
    return _MODEL_CLASSES[config.arch](config)
