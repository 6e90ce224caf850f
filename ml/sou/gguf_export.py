"""Exporting a `.sou` file to GGUF, llama.cpp's format, so the model runs in llama.cpp and Ollama.

Tensors are named and laid out as llama.cpp's own converter writes them (gguf-py's tensor name
map, Q/K rows of "llama" models permuted to interleaved rotary pairs, which our GGUF import
undoes; GPT-NeoX's fused qkv rows regrouped; Phi-3's gate and up joined into one `ffn_up`;
Mixtral's experts stacked into `ffn_*_exps`; Gemma's norm weights stored as the (1 + w) they
scale by), hyperparameters go under `<arch>.*`, and the
tokenizer (byte-level BPE, a character-level vocabulary in byte-level form, or BPE with byte
fallback as llama.cpp's SentencePiece vocabulary, see `gguf_vocab`: tokens, token types,
merges or scores, special ids) and chat template under `tokenizer.*`. Block-quantized tensors are
copied as stored: ggml's block layouts are ours, so their bytes are identical. Exporting at a
type first requantizes to a temporary `.sou` beside the output, then streams tensor by tensor
from the memory map, so no second copy of the model is held in memory.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from gguf import (
    MODEL_ARCH,
    GGMLQuantizationType,
    GGUFWriter,
    LlamaFileType,
    RopeScalingType,
    TokenType,
    get_tensor_name_map,
)
from gguf.vocab import bytes_to_unicode

from ml.sou.constants import STEERING_PREFIX, tensor_byte_length
from ml.sou.quant import QuantPolicy
from ml.sou.reader import SouFile

# Our config `arch` -> llama.cpp's architecture (a LLaMA with qkv biases is Qwen2's layout;
# llama.cpp runs Mixtral as a LLaMA with experts). llama.cpp has no GPT-J graph.
GGUF_ARCHS = {"llama": "llama", "mistral": "llama", "mixtral": "llama", "qwen3": "qwen3",
              "phi3": "phi3", "gemma2": "gemma2", "gemma3": "gemma3", "gpt2": "gpt2",
              "gpt_neox": "gptneox"}
# llama.cpp's converter permutes Q/K rows of these (rotary pairs interleaved), not Qwen's.
PERMUTED = ("llama",)
# llama.cpp's graphs for these read an output head even when the model ties it to the embedding.
NEEDS_OUTPUT = ("gptneox",)
# Tensors llama.cpp keeps inside one joined tensor: our name -> (its GGUF part, place in it).
# Phi-3's ffn_up holds gate then up rows (llama.cpp's SwiGLU splits it in halves); Mixtral's
# ffn_*_exps stack the experts.
JOINED = {
    "phi3": (re.compile(r"model\.layers\.(\d+)\.mlp\.(gate|up)_proj\.weight"),
             lambda layer, kind: (f"blk.{layer}.ffn_up.weight", ("gate", "up").index(kind))),
    "mixtral": (re.compile(r"model\.layers\.(\d+)\.mlp\.experts\.(\d+)\.(gate|up|down)_proj\.weight"),
                lambda layer, expert, kind: (f"blk.{layer}.ffn_{kind}_exps.weight", int(expert))),
}
# Gemma's RMSNorms scale by (1 + w); llama.cpp's by w, so its converter stores 1 + w.
GEMMA_NORMS = ("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm", "output_norm",
               "attn_q_norm", "attn_k_norm")
# tokenizer.ggml.pre names llama.cpp knows, by the pre-tokenizer regex a tokenizer.json splits
# with (llama.cpp's llama-vocab.cpp picks its own copy of the regex by this name).
PRE_BY_REGEX = {
    (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+"
     r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"): "llama-bpe",
    (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+"
     r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"): "qwen2",
}
# The requested type -> general.file_type (llama.cpp shows it as the model's type).
FILE_TYPES = {
    "F32": LlamaFileType.ALL_F32, "F16": LlamaFileType.MOSTLY_F16,
    "BF16": LlamaFileType.MOSTLY_BF16, "Q4_0": LlamaFileType.MOSTLY_Q4_0,
    "Q4_1": LlamaFileType.MOSTLY_Q4_1, "Q8_0": LlamaFileType.MOSTLY_Q8_0,
    "Q2_K": LlamaFileType.MOSTLY_Q2_K, "Q3_K": LlamaFileType.MOSTLY_Q3_K_S,
    "Q4_K": LlamaFileType.MOSTLY_Q4_K_S, "Q5_K": LlamaFileType.MOSTLY_Q5_K_S,
    "Q6_K": LlamaFileType.MOSTLY_Q6_K, "Q4_K_M": LlamaFileType.MOSTLY_Q4_K_M,
    "Q5_K_M": LlamaFileType.MOSTLY_Q5_K_M, "Q3_K_M": LlamaFileType.MOSTLY_Q3_K_M,
}


class GGUFExportError(ValueError):
    """A model GGUF cannot carry faithfully; the message names the architecture or field."""


@dataclass
class GGUFExportReport:
    """What an export wrote."""

    path: Path  # the .gguf file
    arch: str  # llama.cpp's architecture name
    tensors_by_type: dict[str, int] = field(default_factory=dict)  # tensor count per type
    file_bytes: int = 0
    warnings: list[str] = field(default_factory=list)  # what GGUF or llama.cpp has no place for


@dataclass
class _Tensor:
    """One output tensor: its GGUF name, type, PyTorch-order shape and how to get its data."""

    name: str
    type_name: str
    shape: tuple[int, ...]
    data: Callable[[], np.ndarray]  # float32/float16 values, or the raw bytes of block types


def _unfaithful(config: dict) -> str | None:
    """What of a Phi-3, Mixtral or Gemma config llama.cpp's graph for it cannot compute, if any."""
    arch = config["arch"]
    head_dim = config.get("head_dim") or config["n_embd"] // config["n_head"]
    rope_type = (config.get("rope_scaling") or {}).get("rope_type")
    if config.get("qkv_bias") or config.get("o_bias"):
        return "attention biases"
    if arch == "phi3" and (rope_type or head_dim != config["n_embd"] // config["n_head"]):
        return "rope scaling or a head width other than n_embd / n_head"
    if not arch.startswith("gemma"):
        return None
    if rope_type not in (None, "linear"):
        return f"{rope_type} rope scaling"
    # llama.cpp scales scores by head_dim ** -0.5, or (n_embd / n_head) ** -0.5 when the layer
    # count is that of Gemma 2 27B (46) or Gemma 3 27B (62).
    big = config["n_layer"] == {"gemma2": 46, "gemma3": 62}[arch]
    if config["query_pre_attn_scalar"] != (config["n_embd"] // config["n_head"] if big else head_dim):
        return f"query_pre_attn_scalar {config['query_pre_attn_scalar']} (llama.cpp derives it)"
    if arch == "gemma2" and (not config.get("tie_word_embeddings", True) or config.get("qk_norm")
                             or config.get("attn_logit_softcapping") is None
                             or config.get("final_logit_softcapping") is None):
        return "an untied head, q/k norms or no soft-caps (llama.cpp's Gemma 2 has neither)"
    if arch == "gemma3" and (not config.get("qk_norm") or config.get("attn_logit_softcapping")):
        return "attention soft-capping or no q/k norms (llama.cpp's Gemma 3 has neither)"
    if arch == "gemma3" and rope_type and config.get("rope_local_theta") is None:
        # Ours then scales the sliding layers' rotary too; llama.cpp's Gemma 3 never does.
        return "rope scaling on its sliding layers"
    return None


def gguf_arch(config: dict) -> str:
    """llama.cpp's architecture for our config, or GGUFExportError naming the unsupported one."""
    arch = config.get("arch", "")
    if arch not in GGUF_ARCHS:
        raise GGUFExportError(f"GGUF export not supported for {arch or 'an unnamed'} "
                              f"architecture (supported: {', '.join(sorted(GGUF_ARCHS))})")
    if arch in ("phi3", "mixtral", "gemma2", "gemma3") and (reason := _unfaithful(config)):
        raise GGUFExportError(f"GGUF export not supported for {arch} with {reason}")
    if arch in ("llama", "mistral") and config.get("qkv_bias"):
        if config.get("o_bias") or config.get("rope_scaling"):
            raise GGUFExportError(f"GGUF export not supported for {arch} with qkv and output "
                                  "biases or rope scaling")
        return "qwen2"
    if arch == "qwen3" and (config.get("qkv_bias") or config.get("o_bias")):
        raise GGUFExportError("GGUF export not supported for qwen3 with attention biases")
    if arch == "gpt_neox" and config.get("activation") not in ("gelu", "gelu_new", "gelu_fast"):
        raise GGUFExportError(f"GGUF export not supported for gpt_neox with the "
                              f"{config.get('activation')} activation (llama.cpp uses GELU)")
    return GGUF_ARCHS[arch]


def check_exportable(config: dict, tokenizer_json: str | None) -> None:
    """Raise GGUFExportError unless a model of this config and tokenizer exports to GGUF."""
    try:
        gguf_arch(config)
    except KeyError as exc:  # a config written by hand or by an older writer
        raise GGUFExportError(f"the model's config has no {exc.args[0]!r}") from None
    _vocabulary(tokenizer_json, [])


# -- hyperparameters ------------------------------------------------------------------------
def _llama_hparams(writer: GGUFWriter, config: dict, warn: list[str]) -> None:
    n_embd, n_head = config["n_embd"], config["n_head"]
    head_dim = config.get("head_dim") or n_embd // n_head
    writer.add_context_length(config["block_size"])
    writer.add_embedding_length(n_embd)
    writer.add_block_count(config["n_layer"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(config.get("n_kv_head") or n_head)
    if head_dim != n_embd // n_head:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_rope_dimension_count(head_dim)
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_freq_base(config["rope_theta"])
    writer.add_vocab_size(config["vocab_size"])
    scaling = config.get("rope_scaling") or {}
    if scaling.get("rope_type") == "linear":
        writer.add_rope_scaling_type(RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(scaling["factor"])
    if config.get("n_experts"):
        writer.add_expert_count(config["n_experts"])
        writer.add_expert_used_count(config["n_experts_per_tok"])
    window = config.get("sliding_window")
    if window is not None and window < config["block_size"] and "layer_types" not in config:
        warn.append(f"llama.cpp runs this {config['arch']} model without its sliding window "
                    f"of {window} tokens: prompts longer than that are attended in full")


def _exact_gelu_warning(config: dict, warn: list[str]) -> None:
    if config.get("activation") == "gelu":
        warn.append("llama.cpp computes GELU with the tanh approximation; this model was "
                    "trained with the exact GELU, so its logits differ slightly there")


def _neox_hparams(writer: GGUFWriter, config: dict, warn: list[str]) -> None:
    head_dim = config["n_embd"] // config["n_head"]
    writer.add_context_length(config["block_size"])
    writer.add_embedding_length(config["n_embd"])
    writer.add_block_count(config["n_layer"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_rope_dimension_count(int(config["rotary_pct"] * head_dim))
    writer.add_rope_freq_base(config["rope_theta"])
    writer.add_head_count(config["n_head"])
    writer.add_parallel_residual(config["use_parallel_residual"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    _exact_gelu_warning(config, warn)


def _gpt2_hparams(writer: GGUFWriter, config: dict, warn: list[str]) -> None:
    writer.add_context_length(config["block_size"])
    writer.add_embedding_length(config["n_embd"])
    writer.add_feed_forward_length(4 * config["n_embd"])
    writer.add_block_count(config["n_layer"])
    writer.add_head_count(config["n_head"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    _exact_gelu_warning(config, warn)


def _gemma_hparams(writer: GGUFWriter, config: dict, warn: list[str]) -> None:
    _llama_hparams(writer, config, warn)
    if config.get("attn_logit_softcapping"):
        writer.add_attn_logit_softcapping(config["attn_logit_softcapping"])
    if config.get("final_logit_softcapping"):
        writer.add_final_logit_softcapping(config["final_logit_softcapping"])
    writer.add_rope_freq_base_swa(config.get("rope_local_theta") or config["rope_theta"])
    kinds = config.get("layer_types") or ["full_attention"] * config["n_layer"]
    sliding = [kind == "sliding_attention" for kind in kinds]
    if config.get("sliding_window") and any(sliding):
        writer.add_sliding_window(config["sliding_window"])
        writer.add_sliding_window_pattern(sliding)  # per layer, so any layout is kept
    elif config["arch"] == "gemma2":
        # llama.cpp's Gemma 2 graph aborts without a sliding layer: a window as long as the
        # context slides past nothing, so every layer attends in full, as ours do.
        writer.add_sliding_window(config["block_size"])
        writer.add_sliding_window_pattern([True] * config["n_layer"])


HPARAMS = {"gpt2": _gpt2_hparams, "gptneox": _neox_hparams, "gemma2": _gemma_hparams,
           "gemma3": _gemma_hparams}


# -- tensors --------------------------------------------------------------------------------
def llama_cpp_permute(rows: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's `permute`: each head's rows from rotate-half order to interleaved rotary
    pairs. Works on float rows and on rows of block bytes alike (blocks never cross rows)."""
    shape = rows.shape
    return (rows.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:])
            .swapaxes(1, 2).reshape(shape))


def neox_qkv_rows(rows: np.ndarray, n_head: int) -> np.ndarray:
    """GPT-NeoX's fused qkv rows from per-head [q, k, v] groups to all q, then k, then v, as
    llama.cpp's converter writes them (float rows or rows of block bytes alike)."""
    shape = rows.shape
    return rows.reshape(n_head, 3, shape[0] // n_head // 3, *shape[1:]).swapaxes(0, 1).reshape(shape)


Reorder = Callable[[np.ndarray], np.ndarray]


def _source_tensor(sou: SouFile, name: str, out_name: str, reorder: Reorder | None) -> _Tensor:
    info = sou.info(name)

    def data() -> np.ndarray:
        if len(info.shape) == 1 and info.type_name != "F32":
            values = sou.tensor(name, torch.float32).numpy()  # llama.cpp keeps vectors in F32
        elif info.type_name in ("F32", "F16"):
            values = sou.tensor(name).numpy()
        else:  # block types and BF16: their bytes, one row per row of weights
            values = sou.raw(name)[2].reshape(info.shape[0], -1)
        return values if reorder is None else reorder(values)

    type_name = "F32" if len(info.shape) == 1 else info.type_name
    return _Tensor(out_name, type_name, info.shape, data)


def _joined(name: str, parts: list[_Tensor], stack: bool) -> _Tensor:
    """One tensor of `parts` in order: stacked on a new first axis, or their rows concatenated
    (float values and rows of block bytes alike). llama.cpp reads one type per tensor."""
    types = sorted({part.type_name for part in parts})
    if len(types) > 1:
        raise GGUFExportError(f"{name} joins tensors stored as {', '.join(types)}; export at one "
                              "type to give them the same")
    first = parts[0].shape
    shape = (len(parts), *first) if stack else (sum(part.shape[0] for part in parts), *first[1:])

    def data() -> np.ndarray:
        arrays = [part.data() for part in parts]
        return np.stack(arrays) if stack else np.concatenate(arrays)

    return _Tensor(name, types[0], shape, data)


def _constant(name: str, values: torch.Tensor) -> _Tensor:
    array = values.to(torch.float32).numpy()
    return _Tensor(name, "F32", tuple(array.shape), lambda: array)


def _rope_factors(config: dict) -> torch.Tensor:
    """llama.cpp's `rope_freqs` for llama3 scaling: how much each frequency is slowed."""
    from ml.models import config_from_dict
    from ml.models.llama import rope_inv_freq

    scaled = config_from_dict(dict(config))
    plain = config_from_dict({**config, "rope_scaling": None})
    return rope_inv_freq(plain) / rope_inv_freq(scaled)


def _plan(sou: SouFile, arch: str, warn: list[str]) -> list[_Tensor]:
    config = sou.config
    names = get_tensor_name_map(MODEL_ARCH[arch.upper()], config["n_layer"])
    reorders = _reorders(arch, config)
    plan = []
    joins: dict[str, dict[int, _Tensor]] = {}
    pattern, target = JOINED.get(config["arch"], (None, None))
    for info in sou.tensor_infos:
        if info.name.startswith(STEERING_PREFIX):
            continue
        match = pattern.fullmatch(info.name) if pattern else None
        if match:
            out_name, place = target(*match.groups())
            joins.setdefault(out_name, {})[place] = _source_tensor(sou, info.name, out_name, None)
            continue
        out_name = names.get_name(info.name, try_suffixes=(".weight", ".bias"))
        if out_name is None:
            raise GGUFExportError(f"tensor {info.name!r} has no place in a {arch} GGUF file")
        plan.append(_source_tensor(sou, info.name, out_name, reorders.get(out_name.split(".")[-2])))
    plan += [_joined(out_name, [parts[place] for place in sorted(parts)], config["arch"] == "mixtral")
             for out_name, parts in joins.items()]
    written = {tensor.name for tensor in plan}
    if arch in NEEDS_OUTPUT and "output.weight" not in written:  # a tied head, written twice
        embedding = next(tensor for tensor in plan if tensor.name == "token_embd.weight")
        plan.append(_Tensor("output.weight", embedding.type_name, embedding.shape, embedding.data))
    # llama.cpp's GPT-2 and GPT-NeoX graphs require the biases a model may train without.
    plan += [tensor for tensor in _zero_biases(arch, config) if tensor.name not in written]
    if (config.get("rope_scaling") or {}).get("rope_type") == "llama3":
        plan.append(_constant("rope_freqs.weight", _rope_factors(config)))
    if sou.steering_vectors():
        warn.append("personality steering vectors are not exported (GGUF has no place for them)")
    return plan


def _reorders(arch: str, config: dict) -> dict[str, Reorder]:
    """How rows of a tensor (by its GGUF part name) are rearranged for llama.cpp."""
    if arch in PERMUTED:
        heads = {"attn_q": config["n_head"], "attn_k": config.get("n_kv_head") or config["n_head"]}
        return {part: (lambda rows, n=n: llama_cpp_permute(rows, n)) for part, n in heads.items()}
    if arch == "gptneox":
        return {"attn_qkv": lambda rows: neox_qkv_rows(rows, config["n_head"])}
    if arch.startswith("gemma"):
        return dict.fromkeys(GEMMA_NORMS, lambda values: values + 1.0)
    return {}


def _zero_biases(arch: str, config: dict) -> list[_Tensor]:
    width = config["n_embd"]
    if arch == "gpt2":
        widths = {"attn_norm": width, "attn_qkv": 3 * width, "attn_output": width,
                  "ffn_norm": width, "ffn_up": 4 * width, "ffn_down": width}
    elif arch == "gptneox":
        widths = {"attn_qkv": 3 * width, "attn_output": width}
    else:
        return []
    biases = [_constant(f"blk.{layer}.{part}.bias", torch.zeros(size))
              for layer in range(config["n_layer"]) for part, size in widths.items()]
    return [*biases, _constant("output_norm.bias", torch.zeros(width))]


# -- tokenizer ------------------------------------------------------------------------------
def _pre_tokenizer(tokenizer: dict, warn: list[str]) -> str:
    """tokenizer.ggml.pre for a byte-level BPE tokenizer.json, or GGUFExportError."""
    pre = tokenizer.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    kinds = [part.get("type") for part in parts]
    if "ByteLevel" not in kinds:
        raise GGUFExportError(f"GGUF export supports byte-level BPE tokenizers; this one "
                              f"pre-tokenizes with {kinds or 'nothing'}")
    byte_level = parts[kinds.index("ByteLevel")]
    if kinds == ["ByteLevel"] and byte_level.get("use_regex", True):
        return "gpt-2"
    if (kinds == ["Digits", "ByteLevel"] and parts[0].get("individual_digits")
            and byte_level.get("use_regex", True)):
        return "smollm"
    if kinds == ["Split", "ByteLevel"]:
        regex = parts[0].get("pattern", {}).get("Regex")
        if regex in PRE_BY_REGEX:
            return PRE_BY_REGEX[regex]
    warn.append(f"llama.cpp has no pre-tokenizer named for this tokenizer ({kinds}); it "
                "splits text the GPT-2 way, so some texts may tokenize differently there")
    return "default"


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _tokenizer(tokenizer_json: str | None) -> dict:
    """The tokenizer.json as a dict whose fields the export reads have the shapes it expects,
    or GGUFExportError naming the first field that does not (a `.sou` upload carries any JSON)."""
    if tokenizer_json is None:
        raise GGUFExportError("the model has no tokenizer; llama.cpp needs one in the file")
    try:
        tokenizer = json.loads(tokenizer_json)
    except ValueError:
        raise GGUFExportError("the model's tokenizer is not valid JSON") from None
    if not isinstance(tokenizer, dict):
        raise GGUFExportError("the model's tokenizer is not a JSON object")
    model = tokenizer.get("model") or {}
    if not isinstance(model, dict):
        raise GGUFExportError("tokenizer field model is not an object")
    vocab = model.get("vocab")
    # The kinds read here map text to ids; others (a Unigram's list) are refused by kind.
    if model.get("type") in ("BPE", "WordLevel") and (not isinstance(vocab, dict) or not all(
            isinstance(k, str) and _is_id(v) for k, v in vocab.items())):
        raise GGUFExportError("tokenizer field model.vocab is not a map of token text to id")
    if model.get("unk_token") is not None and not isinstance(model["unk_token"], str):
        raise GGUFExportError("tokenizer field model.unk_token is not a string")
    merges = model.get("merges", [])
    if not isinstance(merges, list) or not all(
            isinstance(m, str) or (isinstance(m, list) and all(isinstance(p, str) for p in m)) for m in merges):
        raise GGUFExportError("tokenizer field model.merges is not a list of merges")
    added = tokenizer.get("added_tokens", [])
    if not isinstance(added, list) or not all(
            isinstance(t, dict) and isinstance(t.get("content"), str) and _is_id(t.get("id")) for t in added):
        raise GGUFExportError("tokenizer field added_tokens is not a list of tokens with content and id")
    for name in ("pre_tokenizer", "padding", "normalizer", "post_processor"):
        if not isinstance(tokenizer.get(name) or {}, dict):
            raise GGUFExportError(f"tokenizer field {name} is not an object")
    pre = tokenizer.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else []
    if not isinstance(parts, list) or not all(
            isinstance(p, dict) and isinstance(p.get("pattern", {}), dict) for p in parts):
        raise GGUFExportError("tokenizer field pre_tokenizer.pretokenizers is not a list of objects")
    pad_id = (tokenizer.get("padding") or {}).get("pad_id")
    if pad_id is not None and not _is_id(pad_id):
        raise GGUFExportError("tokenizer field padding.pad_id is not a token id")
    return tokenizer


@dataclass
class _Vocabulary:
    """A tokenizer as GGUF holds it: byte-level BPE ("gpt2") or SentencePiece ("llama")."""

    tokens: dict[int, str]  # id -> token text in byte-level form, or with "▁" for spaces
    merges: list[str]  # "left right", highest priority first (byte-level BPE only)
    pre: str  # tokenizer.ggml.pre
    unknown: int | None = None  # what characters outside the vocabulary become
    model: str = "gpt2"  # tokenizer.ggml.model
    scores: dict[int, float] | None = None  # SentencePiece's join priorities
    types: dict[int, TokenType] = field(default_factory=dict)  # byte tokens
    add_space_prefix: bool | None = None  # SentencePiece's leading "▁"


def _vocabulary(tokenizer_json: str | None, warn: list[str]) -> _Vocabulary:
    """The tokenizer as GGUF writes it, or GGUFExportError: byte-level BPE (GPT-2, Llama 3,
    Qwen, SmolLM) as it is, and a character-level vocabulary (what our NanoGPT models train
    with) as byte-level tokens whose only merges join the bytes of one character, so
    llama.cpp splits text into the same characters. BPE with byte fallback (LLaMA 2, Mistral,
    Gemma) goes out as llama.cpp's SentencePiece vocabulary (`gguf_vocab`)."""
    tokenizer = _tokenizer(tokenizer_json)
    model = tokenizer.get("model") or {}
    whole = {token["content"] for token in tokenizer.get("added_tokens", [])}
    whole.add(model.get("unk_token"))
    if model.get("type") == "WordLevel" and all(
            len(text) == 1 for text in model.get("vocab", {}) if text not in whole):
        return _characters(model["vocab"], whole, model.get("unk_token"))
    if model.get("type") != "BPE":
        raise GGUFExportError(f"GGUF export supports BPE (byte-level or with byte fallback) and "
                              f"character-level tokenizers; this one is {model.get('type')}")
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    if model.get("byte_fallback"):
        return _sentencepiece(tokenizer, merges, warn)
    tokens = {token_id: text for text, token_id in model["vocab"].items()}
    return _Vocabulary(tokens, merges, _pre_tokenizer(tokenizer, warn))


def _sentencepiece(tokenizer: dict, merges: list[str], warn: list[str]) -> _Vocabulary:
    from ml.sou.gguf_vocab import sentencepiece_vocabulary

    try:
        spm = sentencepiece_vocabulary(tokenizer, merges, warn)
    except ValueError as exc:
        raise GGUFExportError(str(exc)) from None
    return _Vocabulary(spm.tokens, [], "default", spm.unknown, "llama", spm.scores, spm.types,
                       spm.add_space_prefix)


def _characters(vocab: dict[str, int], whole: set[str], unknown: str | None) -> _Vocabulary:
    symbol = bytes_to_unicode()
    tokens, merges = {}, []
    for text, token_id in vocab.items():
        if text in whole:  # special and unknown tokens keep their text
            tokens[token_id] = text
            continue
        parts = [symbol[byte] for byte in text.encode("utf-8")]
        for end in range(1, len(parts)):  # a multi-byte character: join its bytes in order
            merges.append(f"{''.join(parts[:end])} {parts[end]}")
        tokens[token_id] = "".join(parts)
    # The GPT-2 split never cuts inside a character, and no merge crosses one.
    return _Vocabulary(tokens, merges, "gpt-2", vocab.get(unknown))


def _token_table(vocabulary: _Vocabulary, tokenizer: dict, vocab_size: int
                 ) -> tuple[list[str], list[TokenType], list[float]]:
    """Every embedding row's token text, type and SentencePiece score."""
    from ml.sou.gguf_vocab import user_defined_text

    tokens: list[str | None] = [None] * vocab_size
    types = [TokenType.NORMAL] * vocab_size
    scores = [0.0] * vocab_size
    for token_id, text in vocabulary.tokens.items():
        if token_id < vocab_size:
            tokens[token_id] = text
            types[token_id] = vocabulary.types.get(token_id, TokenType.NORMAL)
            scores[token_id] = (vocabulary.scores or {}).get(token_id, 0.0)
    for added in tokenizer.get("added_tokens", []):
        if added["id"] < vocab_size:
            special = added.get("special")
            tokens[added["id"]] = (added["content"] if special or vocabulary.model != "llama"
                                   else user_defined_text(added))
            types[added["id"]] = TokenType.CONTROL if special else TokenType.USER_DEFINED
    if vocabulary.unknown is not None:
        if vocabulary.unknown >= vocab_size:
            raise GGUFExportError(f"tokenizer field model.unk_token has id {vocabulary.unknown}, outside "
                                  f"the model's {vocab_size} embeddings")
        types[vocabulary.unknown] = TokenType.UNKNOWN
    for token_id, text in enumerate(tokens):
        if text is None:  # embedding rows past the tokenizer: llama.cpp needs a token each
            tokens[token_id], types[token_id] = f"[PAD{token_id}]", TokenType.UNUSED
            scores[token_id] = -10000.0  # what llama.cpp's converter gives unused rows
    return tokens, types, scores


def _write_tokenizer(writer: GGUFWriter, tokenizer_json: str | None, vocab_size: int,
                     generation: dict, warn: list[str]) -> None:
    from ml.sou.gguf_vocab import template_specials

    vocabulary = _vocabulary(tokenizer_json, warn)
    tokenizer = _tokenizer(tokenizer_json)
    tokens, types, scores = _token_table(vocabulary, tokenizer, vocab_size)
    writer.add_tokenizer_model(vocabulary.model)
    writer.add_tokenizer_pre(vocabulary.pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    if vocabulary.model == "llama":
        writer.add_token_scores(scores)
        writer.add_add_space_prefix(bool(vocabulary.add_space_prefix))
    else:
        writer.add_token_merges(vocabulary.merges)
    if vocabulary.unknown is not None:
        writer.add_unk_token_id(vocabulary.unknown)
    eos = generation.get("eos_token_ids") or []
    if eos:
        writer.add_eos_token_id(eos[0])
    if len(eos) > 1:
        writer.add_eot_token_id(eos[1])
    # Our engine's plain prompts start with the file's BOS, else with what the tokenizer's
    # post-processor puts first (LLaMA 2's <s>), and end with what it puts last; so llama.cpp's.
    first, last = template_specials(tokenizer)
    bos = generation.get("bos_token_id", first)
    if bos is not None:
        writer.add_bos_token_id(bos)
    writer.add_add_bos_token(bos is not None)
    writer.add_add_eos_token(last is not None and last in eos[:1])
    padding = tokenizer.get("padding") or {}
    if padding.get("pad_id") is not None:
        writer.add_pad_token_id(padding["pad_id"])


# -- writing --------------------------------------------------------------------------------
def _tensor_info(writer: GGUFWriter, tensor: _Tensor) -> None:
    if tensor.type_name in ("F32", "F16"):
        dtype = np.dtype(np.float32 if tensor.type_name == "F32" else np.float16)
        nbytes = int(np.prod(tensor.shape)) * dtype.itemsize
        writer.add_tensor_info(tensor.name, tensor.shape, dtype, nbytes)
        return
    # Block types (and BF16) go in as rows of bytes; gguf-py turns that into the weight shape.
    nbytes = tensor_byte_length(tensor.type_name, tensor.shape)
    byte_shape = (*tensor.shape[:-1], nbytes // max(1, int(np.prod(tensor.shape[:-1]))))
    writer.add_tensor_info(tensor.name, byte_shape, np.dtype(np.uint8), nbytes,
                           raw_dtype=GGMLQuantizationType[tensor.type_name])


def _write_gguf(sou: SouFile, out: Path, name: str, qtype: str | None,
                warn: list[str]) -> GGUFExportReport:
    config = sou.config
    arch = gguf_arch(config)
    plan = _plan(sou, arch, warn)
    writer = GGUFWriter(out, arch)
    try:
        _write_contents(writer, sou, out, name, qtype, plan, warn)
    finally:  # a failed export must not keep the partial file open in a long-lived worker
        writer.close()
    counts = Counter(tensor.type_name for tensor in plan)
    return GGUFExportReport(path=out, arch=arch, tensors_by_type=dict(counts),
                            file_bytes=out.stat().st_size, warnings=warn)


def _write_contents(writer: GGUFWriter, sou: SouFile, out: Path, name: str, qtype: str | None,
                    plan: list[_Tensor], warn: list[str]) -> None:
    config, arch = sou.config, writer.arch
    writer.add_name(name)
    file_type = FILE_TYPES.get(qtype or sou.provenance.get("quantization", {}).get("type", ""))
    if file_type is not None:
        writer.add_file_type(file_type)
    writer.add_quantization_version(2)
    HPARAMS.get(arch, _llama_hparams)(writer, config, warn)
    _write_tokenizer(writer, sou.tokenizer_json, config["vocab_size"], sou.generation, warn)
    if sou.chat_template:
        writer.add_chat_template(sou.chat_template)
    for tensor in plan:
        _tensor_info(writer, tensor)
    writer.write_header_to_file(out)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in plan:  # one tensor in memory at a time
        writer.write_tensor_data(np.ascontiguousarray(tensor.data()))


def export_gguf(sou_path: str | os.PathLike, out: str | os.PathLike, qtype: str | None = None,
                policy: QuantPolicy | None = None, name: str | None = None) -> GGUFExportReport:
    """A `.sou` file as a GGUF file llama.cpp loads; with `qtype` (a tensor type or a recipe
    such as Q4_K_M) the weights are first requantized from the `.sou` file's own. The output
    appears only when complete. `name` is the model's general.name (what llama.cpp and Ollama
    show); without it, the recorded base model's name or else the output file's."""
    from ml.sou.requantize import quantize_file

    out = Path(out)
    partial = out.with_name(f".{out.name}.exporting")
    requantized = out.with_name(f".{out.name}.sou.exporting")
    warn: list[str] = []
    try:
        source = Path(sou_path)
        with SouFile(source) as sou:
            check_exportable(sou.config, sou.tokenizer_json)
        if qtype is not None:
            warn += quantize_file(source, requantized, qtype, policy).warnings
            source = requantized
        with SouFile(source) as sou:
            title = name or sou.provenance.get("base_model") or out.stem
            report = _write_gguf(sou, partial, title, qtype, warn)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
        requantized.unlink(missing_ok=True)
    report.path, report.file_bytes = out, out.stat().st_size
    return report
