"""Model implementations: the GPT-2 and LLaMA families (with the Mistral, Phi-3, Qwen3, Mixtral
and Gemma 2/3 variants), GPT-NeoX and GPT-J, their configs and named presets, and the static KV
cache they decode with."""

from ml.models.gpt2 import GPT2, GPT2Config
from ml.models.kv_cache import KVCache
from ml.models.llama import Llama, LlamaConfig
from ml.models.presets import (
    PRESETS,
    ModelConfig,
    build_model,
    config_from_dict,
    preset_config,
)

__all__ = [
    "GPT2",
    "PRESETS",
    "GPT2Config",
    "KVCache",
    "Llama",
    "LlamaConfig",
    "ModelConfig",
    "build_model",
    "config_from_dict",
    "preset_config",
]
