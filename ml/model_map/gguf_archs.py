"""What each GGUF architecture means in our modules: the config its `<arch>.*` metadata and
tensor shapes describe, and where each of our tensors lies in the file. This is the inverse of
ml/sou/gguf_export.py, which writes llama.cpp's layout: Q/K rows of "llama" files permuted to
interleaved rotary pairs (Mistral and Mixtral are "llama" files; Mixtral's experts stacked in
`ffn_*_exps`), Phi-3's gate and up joined in `ffn_up` (and q, k, v in `attn_qkv` as Hub files
have them), GPT-NeoX's fused qkv regrouped to all q, k, then v, Gemma's norms stored as 1 + w.
A GGUF file means what llama.cpp computes from it, so GPT-2 and GPT-NeoX get its
tanh-approximated GELU, Gemma its derived score scale and sliding-window pattern (Gemma 2 its
default soft-caps and window when the file lacks them), and Phi-3 no sliding window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from gguf import MODEL_ARCH, ReaderField, get_tensor_name_map
from torch import nn

from ml.model_map.base import ModelMapError
from ml.models import GPT2Config, LlamaConfig, ModelConfig
from ml.models.gemma import GemmaConfig
from ml.models.mistral import Phi3Config
from ml.models.mixtral import MixtralConfig
from ml.models.neox import GPTNeoXConfig
from ml.models.qwen3 import Qwen3Config
from ml.sou.gguf_export import GEMMA_NORMS  # the Gemma norms files store as 1 + w

SUPPORTED_ARCHS = ("llama", "qwen2", "qwen3", "phi3", "gemma2", "gemma3", "gpt2", "gptneox")
# llama.cpp permutes Q and K rows of "llama" models (interleaved rotary pairs), no others.
PERMUTED_ARCHS = ("llama",)
# Layers per sliding-window cycle llama.cpp assumes when a Gemma file lists no pattern (the
# last layer of each cycle attends in full).
GEMMA_WINDOW_CYCLE = {"gemma2": 2, "gemma3": 6}
# llama.cpp scales Gemma's scores by (n_embd / n_head) ** -0.5 at these layer counts (the 27B
# models), by head_dim ** -0.5 otherwise.
GEMMA_WIDE_SCALE_LAYERS = {"gemma2": 46, "gemma3": 62}
# What llama.cpp's Gemma 2 hparams hold when the file lacks the key (older conversions wrote
# neither soft-cap), so such files get the caps and window of every Gemma 2 model.
GEMMA2_DEFAULTS = {"attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
                   "sliding_window": 4096}
# Files that may carry a copy of the embedding as their output head for a model that ties them:
# arch -> (copy, original).
TIED_COPIES = {"gpt2": ("output.weight", "token_embd.weight")}

Reorder = Callable[[torch.Tensor], torch.Tensor]


class Source(NamedTuple):
    """Where one of our tensors lies in the file."""

    tensor: str  # the GGUF tensor's name
    # Its rows [start, stop), counting all dims but the last flattened (a vector's elements);
    # None = the whole tensor.
    rows: tuple[int, int] | None = None
    reorder: Reorder | None = None  # rows rearranged back (also works on rows of block bytes)
    offset: float = 0.0  # added to the values (Gemma's norms are stored as 1 + w)


def field_value(fields: dict[str, ReaderField], key: str, path: Path, default=None):
    """The field's value, `default` when missing; text that is not UTF-8 is refused by name."""
    field = fields.get(key)
    if field is None:
        return default
    try:
        return field.contents()
    except UnicodeDecodeError:
        raise ModelMapError(f"{path}: metadata field {key!r} is not UTF-8 text") from None


def text_field(fields: dict[str, ReaderField], key: str, path: Path) -> str | None:
    """A string field (None when missing), refused by name when it holds anything else."""
    value = field_value(fields, key, path)
    if value is not None and not isinstance(value, str):
        raise ModelMapError(f"{path}: metadata field {key!r} is {value!r}, expected text")
    return value


class Metadata:
    """A file's `<arch>.*` fields, each read with the check its use needs; errors name the key."""

    def __init__(self, fields: dict[str, ReaderField], arch: str, path: Path):
        self.fields, self.arch, self.path = fields, arch, path

    def raw(self, key: str, default=None):
        return field_value(self.fields, f"{self.arch}.{key}", self.path, default)

    def odd(self, key: str, value, expected: str) -> ModelMapError:
        return ModelMapError(f"{self.path}: metadata field '{self.arch}.{key}' is {value!r}, "
                             f"expected {expected}")

    def count(self, key: str, default: int | None = None, required: bool = True) -> int | None:
        """A positive integer; missing: `default`, or an error when required without one."""
        value = self.raw(key)
        if value is None:
            if default is None and required:
                raise ModelMapError(f"{self.path}: metadata field '{self.arch}.{key}' is missing")
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.odd(key, value, "a positive integer")
        return value

    def number(self, key: str, default: float | None = None) -> float | None:
        """A finite float at its shortest decimal (GGUF stores float32: 1e-05 was meant, not
        9.99999974e-06); missing: `default`."""
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.odd(key, value, "a number")
        return float(str(np.float32(value)))

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.odd(key, value, "true or false")
        return value


# -- config ---------------------------------------------------------------------------------
def _block_count(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> int:
    """block_count, checked against the blocks the file has tensors for (before a model of
    that many layers is built)."""
    n_layer = meta.count("block_count")
    blocks = {name.split(".")[1] for name in shapes if name.startswith("blk.")}
    # Compared without building range(n_layer): the count is the file's and may be 2**64 - 1.
    if len(blocks) != n_layer or not all(b.isdecimal() and int(b) < n_layer for b in blocks):
        raise ModelMapError(f"{meta.path}: metadata field '{meta.arch}.block_count' is {n_layer}, "
                            f"the file has tensors for {len(blocks)} blocks")
    return n_layer


def _vocab_size(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> int:
    """The embedding's rows; a vocab_size field must agree (checked before a model of that
    many rows is built)."""
    if "token_embd.weight" not in shapes:
        raise ModelMapError(f"{meta.path}: tensor 'token_embd.weight' is missing")
    rows = shapes["token_embd.weight"][0]
    if meta.count("vocab_size", rows) != rows:
        raise meta.odd("vocab_size", meta.raw("vocab_size"),
                       f"the {rows} rows of tensor 'token_embd.weight'")
    return rows


def _rope_scaling(meta: Metadata) -> dict | None:
    scaling_type = meta.raw("rope.scaling.type", "none")
    if scaling_type == "none":
        return None
    if scaling_type != "linear":
        raise ModelMapError(f"{meta.path}: {meta.arch}.rope.scaling.type {scaling_type!r} is "
                            "not supported")
    factor = meta.number("rope.scaling.factor")
    if factor is None:
        raise ModelMapError(f"{meta.path}: metadata field '{meta.arch}.rope.scaling.factor' is "
                            "missing")
    return {"rope_type": "linear", "factor": factor}


def _llama_fields(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> dict:
    """The fields every LLaMA-family config shares."""
    n_embd, n_head = meta.count("embedding_length"), meta.count("attention.head_count")
    head_dim = meta.count("attention.key_length", n_embd // n_head or 1)
    rope_dim = meta.count("rope.dimension_count", head_dim)
    if rope_dim != head_dim:
        raise ModelMapError(f"{meta.path}: {meta.arch}.rope.dimension_count {rope_dim} != head "
                            f"size {head_dim}")
    if rope_dim % 2:  # rotary pairs: llama.cpp's permuted rows cannot be undone otherwise
        raise meta.odd("attention.key_length" if meta.raw("rope.dimension_count") is None
                       else "rope.dimension_count", rope_dim, "an even head size")
    return {
        "vocab_size": _vocab_size(meta, shapes),
        "block_size": meta.count("context_length"),
        "n_layer": _block_count(meta, shapes),
        "n_head": n_head,
        "n_embd": n_embd,
        "n_kv_head": meta.count("attention.head_count_kv", n_head),
        "head_dim": head_dim,
        "intermediate_size": meta.count("feed_forward_length"),
        "rms_norm_eps": meta.number("attention.layer_norm_rms_epsilon", 1e-5),
        "rope_theta": meta.number("rope.freq_base", 10000.0),
        "rope_scaling": _rope_scaling(meta),
        "tie_word_embeddings": "output.weight" not in shapes,
        "qkv_bias": "blk.0.attn_q.bias" in shapes or "blk.0.attn_qkv.bias" in shapes,
        "o_bias": "blk.0.attn_output.bias" in shapes,
    }


def _llama(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> LlamaConfig:
    fields = _llama_fields(meta, shapes)
    experts = meta.count("expert_count", required=False)
    if not experts:  # Mistral is a "llama" file too: the same network without a window
        return LlamaConfig(**fields)
    router = shapes.get("blk.0.ffn_gate_inp.weight")
    if router is None or router[0] != experts:  # checked before building that many experts
        raise ModelMapError(f"{meta.path}: metadata field 'llama.expert_count' is {experts}, "
                            f"tensor 'blk.0.ffn_gate_inp.weight' has shape {router}")
    return MixtralConfig(**fields, n_experts=experts,
                         n_experts_per_tok=meta.count("expert_used_count"))


def _phi3(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> LlamaConfig:
    # llama.cpp ignores phi3.attention.sliding_window ("Phi SWA is currently disabled") and
    # attends in full, so the file's window is not applied.
    return Phi3Config(**_llama_fields(meta, shapes))


def _gemma(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> LlamaConfig:
    fields = _llama_fields(meta, shapes)
    arch, n_layer = meta.arch, fields["n_layer"]
    wide = n_layer == GEMMA_WIDE_SCALE_LAYERS[arch]
    window = meta.count("attention.sliding_window", GEMMA2_DEFAULTS["sliding_window"]
                        if arch == "gemma2" else None, required=False)
    layer_types = _gemma_layer_types(meta, n_layer) if window else None
    if arch == "gemma3":  # its sliding layers keep their own base, unscaled
        local_theta = meta.number("rope.freq_base_swa", 10000.0)
    else:
        local_theta = meta.number("rope.freq_base_swa")
        local_theta = None if local_theta == fields["rope_theta"] else local_theta
    caps = {key: meta.number(key, GEMMA2_DEFAULTS[key])
            for key in ("attn_logit_softcapping", "final_logit_softcapping")}
    return GemmaConfig(
        **fields, arch=arch,
        query_pre_attn_scalar=fields["n_embd"] // fields["n_head"] if wide else fields["head_dim"],
        sliding_window=window, layer_types=layer_types,
        qk_norm="blk.0.attn_q_norm.weight" in shapes, rope_local_theta=local_theta,
        **(caps if arch == "gemma2" else {}))  # llama.cpp's Gemma 3 applies no soft-caps


def _gemma_layer_types(meta: Metadata, n_layer: int) -> list[str]:
    """Per layer, sliding or full: the file's pattern (a flag per layer, or a cycle length),
    else llama.cpp's cycle for the architecture."""
    pattern = meta.raw("attention.sliding_window_pattern", GEMMA_WINDOW_CYCLE[meta.arch])
    if isinstance(pattern, list):
        if len(pattern) != n_layer or not all(isinstance(flag, bool) for flag in pattern):
            raise meta.odd("attention.sliding_window_pattern", pattern,
                            f"{n_layer} true/false flags, one per layer")
        sliding = pattern
    elif isinstance(pattern, int) and not isinstance(pattern, bool) and pattern >= 1:
        sliding = [layer % pattern < pattern - 1 for layer in range(n_layer)]
    else:
        raise meta.odd("attention.sliding_window_pattern", pattern, "flags or a cycle length")
    return ["sliding_attention" if flag else "full_attention" for flag in sliding]


def _gpt2(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> GPT2Config:
    n_embd = meta.count("embedding_length")
    if meta.count("feed_forward_length", 4 * n_embd) != 4 * n_embd:
        raise meta.odd("feed_forward_length", meta.raw("feed_forward_length"),
                        f"4 x embedding_length ({4 * n_embd}) as in GPT-2")
    return GPT2Config(vocab_size=_vocab_size(meta, shapes), block_size=meta.count("context_length"),
                      n_layer=_block_count(meta, shapes), n_head=meta.count("attention.head_count"),
                      n_embd=n_embd, bias="blk.0.attn_qkv.bias" in shapes,
                      layer_norm_eps=meta.number("attention.layer_norm_epsilon", 1e-5))


def _gptneox(meta: Metadata, shapes: dict[str, tuple[int, ...]]) -> GPTNeoXConfig:
    n_embd, n_head = meta.count("embedding_length"), meta.count("attention.head_count")
    head_dim = n_embd // n_head or 1
    rope_dim = meta.count("rope.dimension_count", head_dim)
    if rope_dim > head_dim or rope_dim % 2:
        raise meta.odd("rope.dimension_count", rope_dim,
                        f"an even width of at most the head size {head_dim}")
    config = GPTNeoXConfig(
        vocab_size=_vocab_size(meta, shapes), block_size=meta.count("context_length"),
        n_layer=_block_count(meta, shapes), n_head=n_head, n_embd=n_embd,
        intermediate_size=meta.count("feed_forward_length"), rotary_pct=rope_dim / head_dim,
        rope_theta=meta.number("rope.freq_base", 10000.0),
        layer_norm_eps=meta.number("attention.layer_norm_epsilon", 1e-5),
        use_parallel_residual=meta.flag("use_parallel_residual", True), activation="gelu_new",
        attention_bias="blk.0.attn_qkv.bias" in shapes,
        tie_word_embeddings="output.weight" not in shapes)
    if config.rotary_dim != rope_dim:  # a width rotary_pct cannot express exactly
        raise meta.odd("rope.dimension_count", rope_dim, f"a share of the head size {head_dim}")
    return config


CONFIGS = {"llama": _llama, "qwen2": lambda meta, shapes: LlamaConfig(**_llama_fields(meta, shapes)),
           "qwen3": lambda meta, shapes: Qwen3Config(**_llama_fields(meta, shapes)),
           "phi3": _phi3, "gemma2": _gemma, "gemma3": _gemma, "gpt2": _gpt2, "gptneox": _gptneox}


def config_from_gguf(fields: dict[str, ReaderField], shapes: dict[str, tuple[int, ...]],
                     path: Path) -> tuple[str, ModelConfig]:
    """(general.architecture, our config) from a GGUF file's metadata and its tensors' shapes
    (GGUF names, PyTorch order)."""
    arch = text_field(fields, "general.architecture", path)
    if arch is None:
        raise ModelMapError(f"{path}: metadata field 'general.architecture' is missing")
    if arch not in SUPPORTED_ARCHS:
        raise ModelMapError(f"{path}: not supported: {arch} (general.architecture; supported: "
                            f"{', '.join(SUPPORTED_ARCHS)})")
    if "rope_freqs.weight" in shapes:
        raise ModelMapError(
            f"{path}: tensor 'rope_freqs.weight' (per-frequency rope factors) is not supported")
    try:
        return arch, CONFIGS[arch](Metadata(fields, arch, path), shapes)
    except ModelMapError:
        raise
    except (ValueError, TypeError) as exc:  # the config's own checks (head counts, ...)
        raise ModelMapError(f"{path}: the metadata describe no valid {arch} model: {exc}") from None


# -- tensors --------------------------------------------------------------------------------
def unpermute_rope_rows(weight: torch.Tensor, n_head: int) -> torch.Tensor:
    """Inverse of llama.cpp's `permute`: rows of each head go from interleaved rotary pairs
    back to the rotate-half layout (works for weights (rows, cols) and biases (rows,))."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, rows // n_head // 2, 2, *weight.shape[1:])
        .transpose(1, 2)
        .reshape(weight.shape)
    )


def neox_qkv_per_head(rows: torch.Tensor, n_head: int) -> torch.Tensor:
    """GPT-NeoX's fused qkv rows from all q, then k, then v (llama.cpp's order) back to
    per-head [q, k, v] groups."""
    shape = rows.shape
    return rows.reshape(3, n_head, shape[0] // n_head // 3, *shape[1:]).transpose(0, 1).reshape(shape)


def layout(model: nn.Module, arch: str, present: set[str]
           ) -> tuple[dict[str, Source], dict[str, tuple[int, ...]]]:
    """({our tensor: its Source}, {GGUF tensor: the shape it must have}) for `model` (built
    from the file's config) and the GGUF tensors `present` in the file."""
    config = model.config
    names = get_tensor_name_map(MODEL_ARCH[arch.upper()], config.n_layer)
    sources: dict[str, Source] = {}
    expected: dict[str, tuple[int, ...]] = {}
    for ours, param in model.named_parameters():
        shape = tuple(param.shape)
        joined = _joined(config, ours, shape, present)
        if joined is not None:
            sources[ours], expected[joined[0].tensor] = joined
            continue
        gguf_name = names.get_name(ours, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:  # our modules and gguf-py's name map disagree: a bug here
            raise ModelMapError(f"tensor {ours!r} has no place in a {arch} GGUF file")
        sources[ours] = Source(gguf_name, None, _reorder(config, arch, gguf_name),
                               -1.0 if arch.startswith("gemma") and _part(gguf_name) in GEMMA_NORMS
                               else 0.0)
        expected[gguf_name] = shape
    return sources, expected


def _part(gguf_name: str) -> str:
    return gguf_name.split(".")[-2]


def _reorder(config: ModelConfig, arch: str, gguf_name: str) -> Reorder | None:
    part = _part(gguf_name)
    if arch in PERMUTED_ARCHS and part in ("attn_q", "attn_k"):
        heads = config.n_head if part == "attn_q" else config.n_kv_head
        return lambda rows: unpermute_rope_rows(rows, heads)
    if arch == "gptneox" and part == "attn_qkv":
        return lambda rows: neox_qkv_per_head(rows, config.n_head)
    return None


def _joined(config: ModelConfig, ours: str, shape: tuple[int, ...], present: set[str]
            ) -> tuple[Source, tuple[int, ...]] | None:
    """(Source, the joined tensor's shape) for a tensor llama.cpp keeps inside a larger one:
    Phi-3's gate/up halves of ffn_up and q/k/v of attn_qkv, Mixtral's experts of ffn_*_exps
    (or of their own `ffn_*.<expert>` tensors, as older files have them)."""
    parts = ours.split(".")
    if config.arch == "mixtral" and len(parts) == 8 and parts[3:5] == ["mlp", "experts"]:
        layer, expert, kind = parts[2], int(parts[5]), parts[6].removesuffix("_proj")
        single = f"blk.{layer}.ffn_{kind}.{expert}.weight"  # older files: a tensor per expert
        if single in present:
            return Source(single), shape
        rows = shape[0]
        return (Source(f"blk.{layer}.ffn_{kind}_exps.weight", (expert * rows, (expert + 1) * rows)),
                (config.n_experts, *shape))
    if config.arch != "phi3" or len(parts) != 6:
        return None
    layer, module, kind = parts[2], parts[3], parts[4]
    if module == "mlp" and kind in ("gate_proj", "up_proj"):
        start = 0 if kind == "gate_proj" else shape[0]
        return (Source(f"blk.{layer}.ffn_up.weight", (start, start + shape[0])),
                (2 * shape[0], *shape[1:]))
    fused = f"blk.{layer}.attn_qkv.{parts[5]}"
    if module == "self_attn" and kind in ("q_proj", "k_proj", "v_proj") and fused in present:
        q, kv = config.n_head * config.head_dim, config.n_kv_head * config.head_dim
        start = {"q_proj": 0, "k_proj": q, "v_proj": q + kv}[kind]
        return Source(fused, (start, start + shape[0])), (q + 2 * kv, *shape[1:])
    return None
