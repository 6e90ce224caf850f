"""`NativeDecoder`: decode steps and prompts of a loaded LLaMA-family model run by the native
kernels (ml/infer/kernels/decode.c), one foreign call per step or prompt chunk instead of ~20
eager PyTorch operators per layer. Decode steps use the 8-bit integer kernels (a sequence gets
the same logits alone or batched); prompts multiply float32 activations by weight tiles
dequantized once per thread, so a weight is read once for all the prompt's tokens and no
float copy of a matrix is ever made. Both read and write the model's static KV cache tensors,
so a sequence moves freely between them and the PyTorch path.

The decoder describes the model to C once (pointers to weights that stay owned by the
model), refreshes the cache pointers when the scheduler grows the cache, and is built only
when every piece is in a form the kernels read: CPU, float32 activations, block-quantized or
F16/BF16/F32 weights. Otherwise `build` returns None and the scheduler keeps the PyTorch path.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_float, c_int32, c_int64, c_void_p

import torch
from torch import nn

from ml.infer import kernels
from ml.infer.qembedding import QuantEmbedding
from ml.infer.qlinear import QuantLinear
from ml.infer.steering import Steering
from ml.models.llama import Llama
from ml.models.mistral import Mistral

BAD_INPUT = -2  # decode.c: a token, position, row or count out of range
# Prompt tokens per foreign call: bounds the call's scratch (about 23 KB per row for
# SmolLM2) while keeping enough rows to reuse each dequantized weight tile.
PROMPT_CHUNK = 128
# Families whose blocks are exactly the kernels' LLaMA block (Mistral and Phi-3 add only a
# window, checked below). Qwen3's normed heads, Mixtral's experts, Gemma, GPT-2, GPT-NeoX and
# GPT-J run in PyTorch.
NATIVE_FAMILIES = (Llama, Mistral)


class _Linear(ctypes.Structure):
    _fields_ = [("w", c_void_p), ("bias", c_void_p), ("n", c_int64), ("k", c_int64),
                ("qtype", c_int32), ("reserved", c_int32)]


class _Layer(ctypes.Structure):
    _fields_ = [("attn_norm", c_void_p), ("mlp_norm", c_void_p),
                *((name, _Linear) for name in ("q", "k", "v", "o", "gate", "up", "down")),
                ("k_cache", c_void_p), ("v_cache", c_void_p), ("steer", c_void_p)]


class _Model(ctypes.Structure):
    _fields_ = [*((name, c_int32) for name in (
                    "n_layer", "n_embd", "n_head", "n_kv_head", "head_dim", "intermediate",
                    "vocab", "max_batch", "cache_len", "rope_len")),
                ("eps", c_float), ("embed_qtype", c_int32), ("embed", c_void_p),
                ("norm", c_void_p), ("head", _Linear), ("rope_cos", c_void_p),
                ("rope_sin", c_void_p), ("layers", POINTER(_Layer))]


class Unsupported(Exception):
    """Some part of the model is not in a form the native step reads."""


def _float32(tensor: torch.Tensor | None, what: str) -> int | None:
    if tensor is None:
        return None
    if tensor.dtype != torch.float32 or not tensor.is_cpu or not tensor.is_contiguous():
        raise Unsupported(f"{what} is {tensor.dtype} on {tensor.device}")
    return tensor.data_ptr()


def _linear(module: nn.Module, what: str) -> _Linear:
    if isinstance(module, QuantLinear):
        raw, weight = module.raw, module.weight
        bias = _float32(module.bias, f"{what}.bias")
        if raw is not None and raw.is_cpu:
            if module.qtype not in kernels.TYPE_CODES:
                raise Unsupported(f"{what} is {module.qtype}, which the native step cannot read")
            return _Linear(raw.data_ptr(), bias, module.out_features, module.in_features,
                           kernels.TYPE_CODES[module.qtype])
        return _Linear(_float32(weight, what), bias, module.out_features, module.in_features, 0)
    if isinstance(module, nn.Linear):
        return _Linear(_float32(module.weight, what), _float32(module.bias, f"{what}.bias"),
                       module.out_features, module.in_features, 0)
    raise Unsupported(f"{what} is a {type(module).__name__}")


def _embedding(module: nn.Module) -> tuple[int, int]:
    if isinstance(module, QuantEmbedding):
        if module.qtype not in kernels.TYPE_CODES:
            raise Unsupported(f"the embedding is {module.qtype}, which the native step cannot read")
        return kernels.TYPE_CODES[module.qtype], module.raw.data_ptr()
    if isinstance(module, nn.Embedding):
        return 0, _float32(module.weight, "embedding")
    raise Unsupported(f"the embedding is a {type(module).__name__}")


class NativeDecoder:
    """Use `NativeDecoder.build(model, steering)`; `decode` runs one step for rows 0..B-1,
    `prefill` one prompt into a cache row."""

    def __init__(self, lib: ctypes.CDLL, model: Llama, steering: Steering | None):
        config = model.config
        self._lib, self._model_ref, self._steering = lib, model, steering
        blocks = model.blocks
        vectors = steering.vectors if steering is not None else {}
        self._layers = (_Layer * len(blocks))()
        for index, block in enumerate(blocks):
            attn, mlp, layer = block.self_attn, block.mlp, self._layers[index]
            layer.attn_norm = _float32(block.input_layernorm.weight, f"layer {index} norm")
            layer.mlp_norm = _float32(block.post_attention_layernorm.weight, f"layer {index} norm")
            for field, module in (("q", attn.q_proj), ("k", attn.k_proj), ("v", attn.v_proj),
                                  ("o", attn.o_proj), ("gate", mlp.gate_proj),
                                  ("up", mlp.up_proj), ("down", mlp.down_proj)):
                setattr(layer, field, _linear(module, f"layer {index} {field}"))
            layer.steer = _float32(vectors.get(index), f"steering vector {index}")
        embed_qtype, embed = _embedding(model.model.embed_tokens)
        cos, sin = model.rope(torch.device("cpu"))
        window = getattr(config, "sliding_window", None)
        if window is not None and window < cos.shape[0]:
            # The kernels attend to the whole cache: exact only while the context fits the window.
            raise Unsupported(f"sliding window {window} is shorter than the context {cos.shape[0]}")
        self._rope = (cos.contiguous(), sin.contiguous())  # kept alive: C reads them each step
        self._struct = _Model(
            n_layer=config.n_layer, n_embd=config.n_embd, n_head=config.n_head,
            n_kv_head=config.n_kv_head, head_dim=config.head_dim,
            intermediate=config.intermediate_size, vocab=config.vocab_size,
            rope_len=cos.shape[0], eps=config.rms_norm_eps, embed_qtype=embed_qtype,
            embed=embed, norm=_float32(model.model.norm.weight, "final norm"),
            head=_linear(model.lm_head, "output head"), rope_cos=_float32(self._rope[0], "rope"),
            rope_sin=_float32(self._rope[1], "rope"), layers=self._layers)
        self._cache_ptr: int | None = None

    @classmethod
    def build(cls, model: nn.Module, steering: Steering | None = None) -> NativeDecoder | None:
        """A decoder for `model`, or None when the kernels are off or the model does not fit."""
        lib = kernels.load()
        if lib is None or type(model) not in NATIVE_FAMILIES or model.config.head_dim % 2:
            return None
        try:
            return cls(lib, model, steering)
        except Unsupported:
            return None

    def _bind_caches(self) -> None:
        """Point C at the current caches; the scheduler replaces them when it grows them."""
        first = self._model_ref.blocks[0].self_attn.kv_cache
        if first is None:
            raise RuntimeError("set up the KV caches before decoding")
        if first.k_cache.data_ptr() == self._cache_ptr:  # the common case: nothing to walk
            return
        caches = [block.self_attn.kv_cache for block in self._model_ref.blocks]
        for layer, cache in zip(self._layers, caches, strict=True):
            layer.k_cache = _float32(cache.k_cache, "key cache")
            layer.v_cache = _float32(cache.v_cache, "value cache")
        self._struct.max_batch, _, self._struct.cache_len, _ = caches[0].k_cache.shape
        self._cache_ptr = caches[0].k_cache.data_ptr()

    def decode(self, tokens: list[int], positions: list[int],
               strengths: list[float] | None = None) -> torch.Tensor:
        """Feed tokens[b] at positions[b] into cache row b; next-token logits (B, V) float32.
        `strengths[b]` scales the steering vectors for row b."""
        batch = len(tokens)
        return self._forward(tokens, positions, None, strengths, list(range(batch)), False)

    def prefill(self, prompt: list[int], row: int, strength: float = 0.0,
                chunk: int = PROMPT_CHUNK) -> torch.Tensor:
        """Run a prompt into cache row `row` from position 0, `chunk` tokens per call; the
        next-token logits (1, V) float32. Chunking changes no number: each token's arithmetic
        does not depend on the others in its call. A one-token prompt is a decode step (the
        integer kernels), as in the PyTorch path, which tells prompts by their length."""
        if not prompt:
            raise ValueError("an empty prompt has nothing to prefill")
        float_acts = len(prompt) > 1
        logits = None
        for start in range(0, len(prompt), chunk):
            piece = prompt[start:start + chunk]
            last = [len(piece) - 1] if start + chunk >= len(prompt) else []
            logits = self._forward(piece, list(range(start, start + len(piece))),
                                   [row] * len(piece), [strength] * len(piece), last, float_acts)
        return logits

    def _forward(self, tokens: list[int], positions: list[int], rows: list[int] | None,
                 strengths: list[float] | None, logit_rows: list[int],
                 float_acts: bool) -> torch.Tensor:
        self._bind_caches()
        batch = len(tokens)
        token_ids = torch.tensor(tokens, dtype=torch.int64)  # (B,)
        where = torch.tensor(positions, dtype=torch.int64)  # (B,)
        cache_rows = None if rows is None else torch.tensor(rows, dtype=torch.int64)  # (B,)
        picked = torch.tensor(logit_rows, dtype=torch.int64)  # (L,)
        scale = (torch.tensor(strengths, dtype=torch.float32)
                 if self._steering is not None and strengths and any(strengths) else None)
        logits = torch.empty(len(logit_rows), self._struct.vocab)  # (L, V)
        status = self._lib.sg_llama_forward(
            ctypes.byref(self._struct), batch, token_ids.data_ptr(), where.data_ptr(),
            None if cache_rows is None else cache_rows.data_ptr(),
            None if scale is None else scale.data_ptr(), len(logit_rows), picked.data_ptr(),
            logits.data_ptr(), int(float_acts), torch.get_num_threads())
        if status == BAD_INPUT:
            raise ValueError(f"native step out of range: token ids {min(tokens)}..{max(tokens)} "
                             f"(vocabulary {self._struct.vocab}), positions {min(positions)}.."
                             f"{max(positions)} (cache {self._struct.cache_len}), cache rows "
                             f"{sorted(set(rows or range(batch)))} ({self._struct.max_batch} "
                             "in the cache)")
        if status != 0:
            raise RuntimeError(f"native forward failed with status {status}")
        return logits
