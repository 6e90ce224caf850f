"""Weight mapping between our modules and other formats: Hugging Face model directories
(both ways) and GGUF files (in)."""

from ml.model_map.base import LoadedModel, ModelMapError
from ml.model_map.gguf_load import load_gguf
from ml.model_map.hf import (
    config_from_hf,
    config_to_hf,
    load_hf_dir,
    save_hf_dir,
    state_dict_from_hf,
    state_dict_to_hf,
)

__all__ = [
    "LoadedModel",
    "ModelMapError",
    "config_from_hf",
    "config_to_hf",
    "load_gguf",
    "load_hf_dir",
    "save_hf_dir",
    "state_dict_from_hf",
    "state_dict_to_hf",
]
