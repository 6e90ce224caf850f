"""Hugging Face model directories, both ways: config.json + safetensors (single or sharded) +
tokenizer files in, and out again in a form `transformers` loads.

Our module names already follow HF's, so mapping tensors is mostly copying; GPT-2's Conv1D
weights are stored (in, out) by HF and transposed here. `open_hf_dir` gives the model as a
skeleton and reads its weights from the memory-mapped safetensors one tensor at a time, for
converters; `load_hf_dir` fills the model with all of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from ml.model_map.base import (
    LoadedModel,
    ModelMapError,
    build_empty,
    check_shapes,
    load_weights,
)
from ml.models import GPT2Config, LlamaConfig, ModelConfig
from ml.models.gemma import GemmaConfig
from ml.models.gptj import GPTJConfig
from ml.models.mistral import MistralConfig, Phi3Config
from ml.models.mixtral import MixtralConfig
from ml.models.neox import ACTIVATIONS, GPTNeoXConfig
from ml.models.qwen3 import Qwen3Config
from ml.sou.lazy import LazyTensors

LLAMA_LIKE = ("llama", "qwen2")
# LLaMA variants with their own config class: HF model_type -> (config class, HF class name).
LLAMA_VARIANTS: dict[str, tuple[type[MistralConfig], str]] = {
    "mistral": (MistralConfig, "MistralForCausalLM"),
    "phi3": (Phi3Config, "Phi3ForCausalLM"),
    "qwen3": (Qwen3Config, "Qwen3ForCausalLM"),
    "mixtral": (MixtralConfig, "MixtralForCausalLM"),
}
# Gemma's HF model_type -> our arch (Gemma 3's text-only checkpoints say gemma3_text).
GEMMA_TYPES = {"gemma2": "gemma2", "gemma3_text": "gemma3"}
GEMMA_CLASSES = {"gemma2": "Gemma2ForCausalLM", "gemma3": "Gemma3ForCausalLM"}
SUPPORTED_MODEL_TYPES = ("gpt2", *LLAMA_LIKE, *LLAMA_VARIANTS, "gpt_neox", "gptj", *GEMMA_TYPES)
# Mixtral's per-expert names in hub checkpoints -> ours (the LLaMA MLP's).
MIXTRAL_EXPERT = re.compile(r"\.block_sparse_moe\.experts\.(\d+)\.(w[123])\.")
MIXTRAL_NAMES = {"w1": "gate_proj", "w2": "down_proj", "w3": "up_proj"}
GPT2_CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
# Buffers some checkpoints carry that we derive instead.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias", ".attention.bias",
                    ".attention.masked_bias", "rotary_emb.inv_freq")
# GPT-NeoX hub checkpoints name the output head embed_out; transformers 5 and we say lm_head.
NEOX_HEAD = "embed_out.weight"


# Fields read as sizes (checked positive integers before any is used, so a config.json from
# anyone's repo is a ModelMapError naming the field, not a crash in a division) and as objects.
SIZE_FIELDS = ("vocab_size", "n_positions", "n_layer", "n_head", "n_embd", "n_inner", "max_position_embeddings",
               "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "hidden_size", "head_dim",
               "intermediate_size", "num_local_experts", "num_experts_per_tok")
OBJECT_FIELDS = ("rope_scaling", "rope_parameters")


def _check_field_types(hf: dict, source: str) -> None:
    for key in SIZE_FIELDS:
        value = hf.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            raise ModelMapError(f"{source}: field {key!r} must be a positive integer, not {value!r}")
    for key in OBJECT_FIELDS:
        if hf.get(key) is not None and not isinstance(hf[key], dict):
            raise ModelMapError(f"{source}: field {key!r} must be an object, not {hf[key]!r}")


def _require(hf: dict, key: str, source: str):
    if key not in hf:
        raise ModelMapError(f"{source}: field {key!r} is missing")
    return hf[key]


def _rope_from_hf(hf: dict, source: str) -> tuple[float, dict | None]:
    """(rope_theta, rope_scaling) from either transformers 4 (`rope_theta` + `rope_scaling`)
    or transformers 5 (`rope_parameters`) fields."""
    params = hf.get("rope_parameters") or {}
    scaling = hf.get("rope_scaling") or params
    if not isinstance(params, dict) or not isinstance(scaling, dict):  # Gemma nests them per layer kind
        raise ModelMapError(f"{source}: rope_parameters and rope_scaling must be objects")
    theta = float(params.get("rope_theta", hf.get("rope_theta", 10000.0)))
    rope_type = scaling.get("rope_type", scaling.get("type", "default"))
    if rope_type == "default":
        return theta, None
    if rope_type == "linear":
        return theta, {"rope_type": "linear", "factor": float(scaling["factor"])}
    if rope_type == "llama3":
        keys = ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings")
        return theta, {"rope_type": "llama3", **{k: scaling[k] for k in keys}}
    raise ModelMapError(f"{source}: rope_scaling type {rope_type!r} is not supported")


def config_from_hf(hf: dict, source: str = "config.json") -> ModelConfig:
    """Our config from a Hugging Face config.json dict."""
    _check_field_types(hf, source)
    model_type = hf.get("model_type")
    if model_type == "gpt2":
        activation = hf.get("activation_function", "gelu_new")
        if activation not in ("gelu_new", "gelu_pytorch_tanh", "gelu"):
            raise ModelMapError(f"{source}: activation_function {activation!r} is not supported")
        n_embd = _require(hf, "n_embd", source)
        if hf.get("n_inner") not in (None, 4 * n_embd):
            raise ModelMapError(f"{source}: n_inner {hf['n_inner']} is not 4 * n_embd")
        if hf.get("scale_attn_by_inverse_layer_idx") or hf.get("scale_attn_weights") is False:
            raise ModelMapError(f"{source}: non-standard attention scaling is not supported")
        return GPT2Config(
            vocab_size=_require(hf, "vocab_size", source),
            block_size=_require(hf, "n_positions", source),
            n_layer=_require(hf, "n_layer", source),
            n_head=_require(hf, "n_head", source),
            n_embd=n_embd,
            layer_norm_eps=hf.get("layer_norm_epsilon", 1e-5),
            activation="gelu" if activation == "gelu" else "gelu_new",  # the other two are tanh
        )
    if model_type in LLAMA_LIKE or model_type in LLAMA_VARIANTS:
        return _llama_config_from_hf(hf, model_type, source)
    if model_type == "gpt_neox":
        return _neox_config_from_hf(hf, source)
    if model_type == "gptj":
        return _gptj_config_from_hf(hf, source)
    if model_type in GEMMA_TYPES:
        return _gemma_config_from_hf(hf, GEMMA_TYPES[model_type], source)
    raise ModelMapError(
        f"{source}: not supported: model_type {model_type!r} (supported: "
        f"{', '.join(SUPPORTED_MODEL_TYPES)})"
    )


def _neox_config_from_hf(hf: dict, source: str) -> GPTNeoXConfig:
    params = hf.get("rope_parameters") or {}
    if (hf.get("rope_scaling") or {}).get("rope_type", params.get("rope_type", "default")) \
            not in ("default", None):
        raise ModelMapError(f"{source}: rope scaling is not supported for gpt_neox")
    activation = hf.get("hidden_act", "gelu")
    if activation not in ACTIVATIONS:
        raise ModelMapError(f"{source}: hidden_act {activation!r} is not supported")
    try:
        return GPTNeoXConfig(
            vocab_size=_require(hf, "vocab_size", source),
            block_size=_require(hf, "max_position_embeddings", source),
            n_layer=_require(hf, "num_hidden_layers", source),
            n_head=_require(hf, "num_attention_heads", source),
            n_embd=_require(hf, "hidden_size", source),
            intermediate_size=_require(hf, "intermediate_size", source),
            # transformers 4 spells these rotary_pct / rotary_emb_base, 5 rope_parameters.
            rotary_pct=float(params.get("partial_rotary_factor", hf.get("rotary_pct", 0.25))),
            rope_theta=float(params.get("rope_theta", hf.get("rotary_emb_base", 10000.0))),
            layer_norm_eps=hf.get("layer_norm_eps", 1e-5),
            use_parallel_residual=bool(hf.get("use_parallel_residual", True)),
            activation=activation,
            attention_bias=bool(hf.get("attention_bias", True)),
            tie_word_embeddings=bool(hf.get("tie_word_embeddings", False)),
        )
    except ValueError as exc:
        raise ModelMapError(f"{source}: {exc}") from None


def _gemma_config_from_hf(hf: dict, arch: str, source: str) -> GemmaConfig:
    activation = hf.get("hidden_activation") or hf.get("hidden_act", "gelu_pytorch_tanh")
    if activation not in ("gelu_pytorch_tanh", "gelu_tanh"):
        raise ModelMapError(f"{source}: hidden_activation {activation!r} is not supported")
    params = hf.get("rope_parameters") or {}
    if "full_attention" in params:  # transformers 5: one rope entry per layer type
        theta, scaling = _rope_from_hf({"rope_parameters": params["full_attention"]}, source)
        local_theta = params.get("sliding_attention", {}).get("rope_theta")
    else:
        theta, scaling = _rope_from_hf(hf, source)
        local_theta = hf.get("rope_local_base_freq")
    n_layer = _require(hf, "num_hidden_layers", source)
    # Configs from before layer_types: Gemma 2 alternates, Gemma 3 has one full layer in 6.
    pattern = 2 if arch == "gemma2" else hf.get("sliding_window_pattern", 6)
    layer_types = hf.get("layer_types") or [
        "sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n_layer)]
    if hf.get("attention_bias"):
        raise ModelMapError(f"{source}: attention_bias is not supported for {arch}")
    try:
        return GemmaConfig(
            arch=arch,
            vocab_size=_require(hf, "vocab_size", source),
            block_size=_require(hf, "max_position_embeddings", source),
            n_layer=n_layer,
            n_head=_require(hf, "num_attention_heads", source),
            n_embd=_require(hf, "hidden_size", source),
            n_kv_head=hf.get("num_key_value_heads"),
            head_dim=hf.get("head_dim"),
            intermediate_size=_require(hf, "intermediate_size", source),
            rms_norm_eps=hf.get("rms_norm_eps", 1e-6),
            rope_theta=theta,
            rope_scaling=scaling,
            tie_word_embeddings=bool(hf.get("tie_word_embeddings", True)),
            query_pre_attn_scalar=_require(hf, "query_pre_attn_scalar", source),
            attn_logit_softcapping=hf.get("attn_logit_softcapping"),
            final_logit_softcapping=hf.get("final_logit_softcapping"),
            sliding_window=hf.get("sliding_window"),
            layer_types=list(layer_types),
            qk_norm=arch == "gemma3",
            rope_local_theta=None if arch == "gemma2" else float(local_theta or 10000.0),
        )
    except ValueError as exc:
        raise ModelMapError(f"{source}: {exc}") from None


def _attention_shape_to_hf(config) -> dict:
    """The size fields LLaMA-shaped configs (LLaMA, Qwen2, Gemma) spell the same way in HF."""
    return {
        "vocab_size": config.vocab_size,
        "max_position_embeddings": config.block_size,
        "num_hidden_layers": config.n_layer,
        "num_attention_heads": config.n_head,
        "num_key_value_heads": config.n_kv_head,
        "hidden_size": config.n_embd,
        "head_dim": config.head_dim,
        "intermediate_size": config.intermediate_size,
    }


def _gemma_config_to_hf(config: GemmaConfig) -> dict:
    hf = {
        "architectures": [GEMMA_CLASSES[config.arch]],
        "model_type": "gemma2" if config.arch == "gemma2" else "gemma3_text",
        **_attention_shape_to_hf(config),
        "hidden_activation": "gelu_pytorch_tanh",
        "rms_norm_eps": config.rms_norm_eps,
        "tie_word_embeddings": config.tie_word_embeddings,
        "query_pre_attn_scalar": config.query_pre_attn_scalar,
        "attn_logit_softcapping": config.attn_logit_softcapping,
        "final_logit_softcapping": config.final_logit_softcapping,
        "sliding_window": config.sliding_window,
        "layer_types": config.layer_types or ["full_attention"] * config.n_layer,
        "attention_bias": False,
        "pad_token_id": None,  # the classes default to 0, which need not be a padding token
        # transformers 4 spellings; 5 reads rope_parameters below.
        "rope_theta": config.rope_theta,
        "rope_scaling": config.rope_scaling,
    }
    full = {"rope_type": "default", **(config.rope_scaling or {}), "rope_theta": config.rope_theta}
    if config.arch == "gemma2":
        hf["rope_parameters"] = full
    else:
        local = config.rope_local_theta or config.rope_theta
        hf["rope_local_base_freq"] = local
        hf["rope_parameters"] = {"full_attention": full,
                                 "sliding_attention": {"rope_type": "default", "rope_theta": local}}
    return hf


def _gptj_config_from_hf(hf: dict, source: str) -> GPTJConfig:
    if hf.get("activation_function", "gelu_new") != "gelu_new":
        raise ModelMapError(f"{source}: activation_function {hf['activation_function']!r} "
                            "is not supported")
    if hf.get("tie_word_embeddings"):
        raise ModelMapError(f"{source}: tied embeddings are not supported for gptj")
    try:
        return GPTJConfig(
            vocab_size=_require(hf, "vocab_size", source),
            block_size=_require(hf, "n_positions", source),
            n_layer=_require(hf, "n_layer", source),
            n_head=_require(hf, "n_head", source),
            n_embd=_require(hf, "n_embd", source),
            intermediate_size=hf.get("n_inner"),
            rotary_dim=hf.get("rotary_dim"),
            layer_norm_eps=hf.get("layer_norm_epsilon", 1e-5),
        )
    except ValueError as exc:
        raise ModelMapError(f"{source}: {exc}") from None


def _llama_config_from_hf(hf: dict, model_type: str, source: str) -> LlamaConfig:
    if hf.get("hidden_act", "silu") != "silu":
        raise ModelMapError(f"{source}: hidden_act {hf['hidden_act']!r} is not supported")
    if hf.get("mlp_bias"):
        raise ModelMapError(f"{source}: mlp_bias is not supported")
    if hf.get("use_sliding_window"):  # Qwen2/3: a window on some layers only
        raise ModelMapError(f"{source}: use_sliding_window is not supported")
    params = hf.get("rope_parameters") or {}
    if float(params.get("partial_rotary_factor", hf.get("partial_rotary_factor", 1.0))) != 1.0:
        raise ModelMapError(f"{source}: partial_rotary_factor is not supported for {model_type}")
    theta, scaling = _rope_from_hf(hf, source)
    attention_bias = bool(hf.get("attention_bias", False))
    fields = {
        "vocab_size": _require(hf, "vocab_size", source),
        "block_size": _require(hf, "max_position_embeddings", source),
        "n_layer": _require(hf, "num_hidden_layers", source),
        "n_head": _require(hf, "num_attention_heads", source),
        "n_embd": _require(hf, "hidden_size", source),
        "n_kv_head": hf.get("num_key_value_heads"),
        "head_dim": hf.get("head_dim"),
        "intermediate_size": _require(hf, "intermediate_size", source),
        "rms_norm_eps": hf.get("rms_norm_eps", 1e-6),
        "rope_theta": theta,
        "rope_scaling": scaling,
        "tie_word_embeddings": bool(hf.get("tie_word_embeddings", False)),
        "qkv_bias": model_type == "qwen2" or attention_bias,
        "o_bias": attention_bias,
    }
    if model_type in LLAMA_LIKE:
        return LlamaConfig(**fields)
    fields["sliding_window"] = None if model_type == "qwen3" else hf.get("sliding_window")
    if model_type == "mixtral":
        fields["n_experts"] = _require(hf, "num_local_experts", source)
        fields["n_experts_per_tok"] = _require(hf, "num_experts_per_tok", source)
    try:
        return LLAMA_VARIANTS[model_type][0](**fields)
    except ValueError as exc:
        raise ModelMapError(f"{source}: {exc}") from None


def config_to_hf(config: ModelConfig) -> dict:
    """A config.json dict `transformers` builds the matching model from."""
    if isinstance(config, GPT2Config):
        return {
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "vocab_size": config.vocab_size,
            "n_positions": config.block_size,
            "n_layer": config.n_layer,
            "n_head": config.n_head,
            "n_embd": config.n_embd,
            "n_inner": None,
            "activation_function": config.activation,
            "layer_norm_epsilon": config.layer_norm_eps,
            "tie_word_embeddings": True,
        }
    if isinstance(config, GPTNeoXConfig):
        return {
            "architectures": ["GPTNeoXForCausalLM"],
            "model_type": "gpt_neox",
            "vocab_size": config.vocab_size,
            "max_position_embeddings": config.block_size,
            "num_hidden_layers": config.n_layer,
            "num_attention_heads": config.n_head,
            "hidden_size": config.n_embd,
            "intermediate_size": config.intermediate_size,
            # Both spellings, as for LLaMA: transformers 4 and 5 each read theirs.
            "rotary_pct": config.rotary_pct,
            "rotary_emb_base": config.rope_theta,
            "rope_parameters": {"rope_type": "default", "rope_theta": config.rope_theta,
                                "partial_rotary_factor": config.rotary_pct},
            "layer_norm_eps": config.layer_norm_eps,
            "use_parallel_residual": config.use_parallel_residual,
            "hidden_act": config.activation,
            "attention_bias": config.attention_bias,
            "tie_word_embeddings": config.tie_word_embeddings,
        }
    if isinstance(config, GPTJConfig):
        return {
            "architectures": ["GPTJForCausalLM"],
            "model_type": "gptj",
            "vocab_size": config.vocab_size,
            "n_positions": config.block_size,
            "n_layer": config.n_layer,
            "n_head": config.n_head,
            "n_embd": config.n_embd,
            "n_inner": config.intermediate_size,
            "rotary_dim": config.rotary_dim,
            "activation_function": "gelu_new",
            "layer_norm_epsilon": config.layer_norm_eps,
            "tie_word_embeddings": False,
        }
    if isinstance(config, GemmaConfig):
        return _gemma_config_to_hf(config)
    if config.o_bias and not config.qkv_bias:
        raise ModelMapError("o_bias without qkv_bias has no Hugging Face equivalent")
    if config.arch in LLAMA_VARIANTS:
        return _variant_config_to_hf(config)
    # Qwen2 is the HF family with biases on q, k, v but not o.
    qwen2 = config.qkv_bias and not config.o_bias
    rope = {"rope_type": "default", **(config.rope_scaling or {}), "rope_theta": config.rope_theta}
    hf = {
        "architectures": ["Qwen2ForCausalLM" if qwen2 else "LlamaForCausalLM"],
        "model_type": "qwen2" if qwen2 else "llama",
        **_attention_shape_to_hf(config),
        "hidden_act": "silu",
        "rms_norm_eps": config.rms_norm_eps,
        # Both spellings: transformers 4 reads rope_theta/rope_scaling, 5 reads rope_parameters.
        "rope_theta": config.rope_theta,
        "rope_scaling": config.rope_scaling,
        "rope_parameters": rope,
        "tie_word_embeddings": config.tie_word_embeddings,
    }
    if qwen2:
        hf["use_sliding_window"] = False
    else:
        hf["attention_bias"] = config.qkv_bias
        hf["mlp_bias"] = False
    return hf


def _variant_config_to_hf(config: MistralConfig) -> dict:
    if config.qkv_bias != config.o_bias:
        raise ModelMapError(f"{config.arch}: q/k/v biases without the output's have no "
                            "Hugging Face equivalent")
    hf = config_to_hf(LlamaConfig(**{k: v for k, v in config.to_dict().items()
                                     if k in LlamaConfig.__dataclass_fields__ and k != "arch"}))
    hf.update(model_type=config.arch, architectures=[LLAMA_VARIANTS[config.arch][1]],
              sliding_window=config.sliding_window, attention_bias=config.qkv_bias,
              # Phi-3's class defaults it to 32000, outside smaller vocabularies.
              pad_token_id=None)
    if isinstance(config, MixtralConfig):
        hf.update(num_local_experts=config.n_experts, num_experts_per_tok=config.n_experts_per_tok)
    return hf


def _split_fused(config: LlamaConfig, name: str, tensor: torch.Tensor) -> dict[str, torch.Tensor]:
    """Phi-3's fused qkv / gate-up linears and transformers 5's fused Mixtral experts -> ours."""
    if name.endswith(".self_attn.qkv_proj.weight"):
        stem = name[: -len("qkv_proj.weight")]
        q_rows = config.n_head * config.head_dim
        kv_rows = config.n_kv_head * config.head_dim
        q, k, v = tensor.split([q_rows, kv_rows, kv_rows], dim=0)
        return {f"{stem}q_proj.weight": q, f"{stem}k_proj.weight": k, f"{stem}v_proj.weight": v}
    if name.endswith(".mlp.gate_up_proj.weight"):
        stem = name[: -len("gate_up_proj.weight")]
        gate, up = tensor.chunk(2, dim=0)
        return {f"{stem}gate_proj.weight": gate, f"{stem}up_proj.weight": up}
    if name.endswith(".mlp.experts.gate_up_proj"):  # (E, 2I, C)
        stem = name[: -len("gate_up_proj")]
        out = {}
        for expert, fused in enumerate(tensor):
            gate, up = fused.chunk(2, dim=0)
            out[f"{stem}{expert}.gate_proj.weight"] = gate
            out[f"{stem}{expert}.up_proj.weight"] = up
        return out
    if name.endswith(".mlp.experts.down_proj"):  # (E, C, I)
        stem = name[: -len("down_proj")]
        return {f"{stem}{expert}.down_proj.weight": w for expert, w in enumerate(tensor)}
    name = name.replace(".block_sparse_moe.gate.", ".mlp.gate.")
    name = MIXTRAL_EXPERT.sub(lambda m: f".mlp.experts.{m[1]}.{MIXTRAL_NAMES[m[2]]}.", name)
    return {name: tensor}


def _fuse_for_hf(config: LlamaConfig, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Our Phi-3 and Mixtral names -> the layouts their hub checkpoints use."""
    out = {}
    for name, tensor in state.items():
        if config.arch == "phi3" and name.endswith(".self_attn.q_proj.weight"):
            stem = name[: -len("q_proj.weight")]
            parts = [state[f"{stem}{p}_proj.weight"] for p in "qkv"]
            out[f"{stem}qkv_proj.weight"] = torch.cat(parts, dim=0)
        elif config.arch == "phi3" and name.endswith(".mlp.gate_proj.weight"):
            stem = name[: -len("gate_proj.weight")]
            out[f"{stem}gate_up_proj.weight"] = torch.cat([tensor, state[f"{stem}up_proj.weight"]])
        elif config.arch == "phi3" and name.endswith(
            (".self_attn.k_proj.weight", ".self_attn.v_proj.weight", ".mlp.up_proj.weight")
        ):
            continue
        elif config.arch == "mixtral":
            name = name.replace(".mlp.gate.", ".block_sparse_moe.gate.")
            for hf_name, ours in MIXTRAL_NAMES.items():
                name = re.sub(rf"\.mlp\.experts\.(\d+)\.{ours}\.",
                              rf".block_sparse_moe.experts.\1.{hf_name}.", name)
            out[name] = tensor
        else:
            out[name] = tensor
    return out


def state_dict_from_hf(
    config: ModelConfig, tensors: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """HF tensor names and layouts -> ours (validation happens when loading into the model)."""
    state = {}
    for name, tensor in tensors.items():
        if name.endswith(IGNORED_SUFFIXES):
            continue
        if isinstance(config, GPT2Config):
            # The original GPT-2 checkpoints have no "transformer." prefix.
            if not name.startswith(("transformer.", "lm_head.")):
                name = "transformer." + name
            if name.endswith(GPT2_CONV1D):
                tensor = tensor.t()
        elif config.arch in ("phi3", "mixtral"):
            state.update(_split_fused(config, name, tensor))
            continue
        elif name == NEOX_HEAD:
            name = "lm_head.weight"
        state[name] = tensor
    return state


def state_dict_to_hf(model: nn.Module) -> dict[str, torch.Tensor]:
    """Our weights under HF names and layouts, each tensor stored once (safetensors refuses shared)."""
    config = model.config
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if isinstance(config, GPT2Config) or getattr(config, "tie_word_embeddings", False):
        state.pop("lm_head.weight")
    if isinstance(config, GPT2Config):
        for name, tensor in list(state.items()):
            if name.endswith(GPT2_CONV1D):
                state[name] = tensor.t()
        if not config.bias:
            # HF's GPT-2 always has biases; zeros make it compute our bias-free function.
            for name, tensor in list(state.items()):
                if name.endswith(".weight") and not name.endswith(("wte.weight", "wpe.weight")):
                    width = tensor.shape[1] if name.endswith(GPT2_CONV1D) else tensor.shape[0]
                    state[name[: -len("weight")] + "bias"] = torch.zeros(width, dtype=tensor.dtype)
    elif isinstance(config, LlamaConfig):
        state = _fuse_for_hf(config, state)
    elif isinstance(config, GPTNeoXConfig) and "lm_head.weight" in state:
        state[NEOX_HEAD] = state.pop("lm_head.weight")  # the hub's name; transformers 5 maps it
    return {k: v.contiguous() for k, v in state.items()}


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelMapError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc


def _tensor_files(root: Path) -> dict[str, tuple[Path, tuple[int, ...]]]:
    """Each HF tensor name -> (the safetensors file holding it, its shape), from the files'
    headers alone; a name in two shards is the later shard's."""
    index = _read_json(root / "model.safetensors.index.json")
    if index is not None:
        shards = sorted(set(index.get("weight_map", {}).values()))
        if not shards:
            raise ModelMapError(f"{root / 'model.safetensors.index.json'}: empty weight_map")
    elif (root / "model.safetensors").is_file():
        shards = ["model.safetensors"]
    else:
        raise ModelMapError(f"{root}: no model.safetensors or model.safetensors.index.json")
    files = {}
    for shard in shards:
        path = (root / shard).resolve()
        if root.resolve() not in path.parents:
            raise ModelMapError(f"shard {shard!r} points outside {root}")
        try:
            with safe_open(path, "pt") as handle:
                for name in handle.keys():
                    files[name] = (path, tuple(handle.get_slice(name).get_shape()))
        except (SafetensorError, OSError) as exc:
            raise ModelMapError(f"{path}: {exc}") from exc
    return files


def _read_tensor(path: Path, name: str) -> torch.Tensor:
    try:
        with safe_open(path, "pt") as handle:
            return handle.get_tensor(name)
    except (SafetensorError, OSError) as exc:
        raise ModelMapError(f"{path}: {exc}") from exc


# Fused tensors (Phi-3's qkv, Mixtral's experts) kept while their parts are asked for: two, as
# Mixtral's parts alternate between its gate-up and down tensors.
FUSED_KEPT = 2


def _lazy_state(config: ModelConfig, files: dict[str, tuple[Path, tuple[int, ...]]]) -> LazyTensors:
    """Our names -> tensors, each read from its file and mapped (transposed, split out of a
    fused tensor) when asked for; the mapping is worked out once on shapes alone."""
    origin, shapes = {}, {}
    for hf_name, (_, shape) in files.items():
        placeholder = torch.empty(shape, device="meta")
        for ours, tensor in state_dict_from_hf(config, {hf_name: placeholder}).items():
            origin[ours], shapes[ours] = hf_name, tuple(tensor.shape)
    fused: dict[str, dict[str, torch.Tensor]] = {}  # the latest fused tensors, split

    def read(name: str) -> torch.Tensor:
        hf_name = origin[name]
        parts = fused.get(hf_name)
        if parts is None:
            parts = state_dict_from_hf(config, {hf_name: _read_tensor(files[hf_name][0], hf_name)})
            if len(parts) > 1:  # its other parts are asked for next: read it once for all
                fused[hf_name] = parts
                if len(fused) > FUSED_KEPT:
                    del fused[next(iter(fused))]
        return parts[name].float()

    return LazyTensors(shapes, read)


def _chat_template(root: Path, tokenizer_config: dict) -> str | None:
    template = tokenizer_config.get("chat_template")
    if isinstance(template, list):  # named templates; "default" is the chat one
        template = next((t["template"] for t in template if t.get("name") == "default"), None)
    if template is None and (root / "chat_template.jinja").is_file():
        template = (root / "chat_template.jinja").read_text(encoding="utf-8")
    return template


def _as_id_list(value) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, list) else [int(value)]


def open_hf_dir(path: str | Path) -> tuple[LoadedModel, LazyTensors]:
    """A Hugging Face model directory's model without its weights (the skeleton on the meta
    device: names, shapes, ties) and the weights as float32 tensors read one at a time when
    asked for. Names and shapes are checked against the model before anything is read."""
    root = Path(path)
    hf = _read_json(root / "config.json")
    if hf is None:
        raise ModelMapError(f"{root}: no config.json")
    config = config_from_hf(hf, str(root / "config.json"))
    model = build_empty(config)
    weights = _lazy_state(config, _tensor_files(root))
    check_shapes(model, weights.shapes)

    tokenizer_path = root / "tokenizer.json"
    tokenizer_json = (
        tokenizer_path.read_text(encoding="utf-8") if tokenizer_path.is_file() else None
    )
    tokenizer_config = _read_json(root / "tokenizer_config.json") or {}
    generation = _read_json(root / "generation_config.json") or {}
    eos = generation.get("eos_token_id", hf.get("eos_token_id"))
    bos = generation.get("bos_token_id", hf.get("bos_token_id"))
    loaded = LoadedModel(
        model=model.eval(),
        config=config,
        tokenizer_json=tokenizer_json,
        chat_template=_chat_template(root, tokenizer_config),
        eos_token_ids=_as_id_list(eos),
        bos_token_id=None if bos is None else int(bos),
        source={"format": "hf", "path": str(root), "model_type": hf.get("model_type")},
    )
    return loaded, weights


def load_hf_dir(path: str | Path) -> LoadedModel:
    """Load a Hugging Face model directory into our modules (float32, eval mode)."""
    loaded, weights = open_hf_dir(path)
    load_weights(loaded.model, dict(weights))
    return loaded


def _token_text(tokenizer_json: str | None, token_id: int | None) -> str | None:
    if tokenizer_json is None or token_id is None:
        return None
    from tokenizers import Tokenizer

    return Tokenizer.from_str(tokenizer_json).id_to_token(token_id)


def save_hf_dir(
    model: nn.Module,
    path: str | Path,
    tokenizer_json: str | None = None,
    chat_template: str | None = None,
    *,
    eos_token_ids: list[int] | None = None,
    bos_token_id: int | None = None,
) -> None:
    """Write config.json, model.safetensors and, when given, tokenizer and generation files."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    hf = config_to_hf(model.config)
    eos_ids = list(eos_token_ids or [])
    if eos_ids:
        hf["eos_token_id"] = eos_ids[0] if len(eos_ids) == 1 else eos_ids
    if bos_token_id is not None:
        hf["bos_token_id"] = bos_token_id
    (root / "config.json").write_text(json.dumps(hf, indent=2), encoding="utf-8")
    save_file(state_dict_to_hf(model), root / "model.safetensors", metadata={"format": "pt"})

    generation = {k: hf[k] for k in ("eos_token_id", "bos_token_id") if k in hf}
    if generation:
        (root / "generation_config.json").write_text(
            json.dumps(generation, indent=2), encoding="utf-8"
        )
    if tokenizer_json is not None:
        (root / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
        tokenizer_config = {"tokenizer_class": "PreTrainedTokenizerFast"}
        eos_text = _token_text(tokenizer_json, eos_ids[0] if eos_ids else None)
        bos_text = _token_text(tokenizer_json, bos_token_id)
        if eos_text is not None:
            tokenizer_config["eos_token"] = eos_text
        if bos_text is not None:
            tokenizer_config["bos_token"] = bos_text
        if chat_template is not None:
            tokenizer_config["chat_template"] = chat_template
        (root / "tokenizer_config.json").write_text(
            json.dumps(tokenizer_config, indent=2), encoding="utf-8"
        )
    elif chat_template is not None:
        (root / "chat_template.jinja").write_text(chat_template, encoding="utf-8")
