"""`Engine`: a loaded `.sou` model that turns prompts (text or chat messages) into streamed text.

It owns the model, tokenizer and sampling defaults of one file, resolves each request's
settings over the file's, refuses prompts that do not fit the context (never truncating them),
and hands the work to a `BatchScheduler`, so concurrent callers share decode steps.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import torch
from tokenizers import Tokenizer

from ml.data.chat import render_chat
from ml.infer.loader import default_dtype, load_model
from ml.infer.native import NativeDecoder
from ml.infer.sampling import SamplingParams
from ml.infer.scheduler import BatchScheduler, Delta, DeltaStream, Request
from ml.infer.steering import Steering
from ml.models.llama import Llama
from ml.sou import SouFile, read_sou

Prompt = str | list[dict[str, str]]  # plain text, or chat messages {"role", "content"}
T = TypeVar("T")

SAMPLING_KEYS = ("temperature", "top_k", "top_p", "min_p", "repetition_penalty")
# Steering strength for a file that has vectors but states none: vectors are written scaled to
# the residual stream's norm, so this adds a tenth of it (what `persona steer` stores).
DEFAULT_STEERING_STRENGTH = 0.1


class ContextLengthError(ValueError):
    """A prompt plus the tokens asked for does not fit the model's context."""

    def __init__(self, prompt_tokens: int, max_tokens: int, context: int):
        self.prompt_tokens, self.max_tokens, self.context = prompt_tokens, max_tokens, context
        super().__init__(f"the prompt has {prompt_tokens} tokens and max_tokens is {max_tokens}: "
                         f"{prompt_tokens + max_tokens} exceeds the context length of {context} "
                         "tokens; shorten the prompt or lower max_tokens")


def within_context(call: Callable[..., T], prompt: Prompt, *, chosen: bool, **settings) -> T:
    """`call(prompt, **settings)` (`Engine.request` or `Engine.stream`); a reply length that is
    a default (not `chosen` by the user) yields to the prompt, shrinking to what the prompt
    leaves of the context instead of failing, as OpenAI's does."""
    try:
        return call(prompt, **settings)
    except ContextLengthError as exc:
        if chosen or exc.prompt_tokens >= exc.context:
            raise
        return call(prompt, **{**settings, "max_tokens": exc.context - exc.prompt_tokens})


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _tensor_bytes(model: torch.nn.Module) -> int:
    # Keyed by address: tied parameters, and a head and embedding viewing the same file
    # bytes, count once.
    tensors = {(t.data_ptr(), t.numel() * t.element_size()) for t in (*model.parameters(),
                                                                       *model.buffers())}
    return sum(size for _, size in tensors)


def _return_freed_memory() -> None:
    """Hand memory freed while loading back to the OS: glibc keeps the ~25 MB the tokenizer's
    JSON parse leaves behind otherwise. A no-op where there is no malloc_trim."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class Engine:
    """Use `Engine.load(path)`; `stream` and `complete` are safe to call from many threads."""

    def __init__(self, sou: SouFile, *, device: torch.device, dtype: torch.dtype, max_batch: int,
                 max_seq_len: int | None, steering_layers: list[int] | None,
                 compile_decode: bool = False):
        if sou.tokenizer_json is None:
            raise ValueError(f"{sou.path}: the file has no tokenizer, so text cannot be encoded")
        self.path = sou.path
        self.sou = sou  # kept open: weights may be views of its memory map
        self.device, self.dtype = device, dtype
        self.model = load_model(sou, device, dtype)
        self.weights_bytes = _tensor_bytes(self.model)  # before any KV cache exists
        self.config = self.model.config
        self.tokenizer = Tokenizer.from_str(sou.tokenizer_json)
        self.chat_template = sou.chat_template
        self.defaults = sou.generation
        self.personality = sou.personality
        block_size = self.config.block_size
        if max_seq_len is not None and not 1 <= max_seq_len <= block_size:
            raise ValueError(f"max_seq_len {max_seq_len} must be in 1..{block_size} (the "
                             "model's context)")
        self.context_length = max_seq_len or block_size
        if isinstance(self.model, Llama):
            self.model.limit_positions(self.context_length)
        vectors = sou.steering_vectors()
        self.steering = (Steering(self.model.blocks, vectors, steering_layers, device, dtype)
                         if vectors else None)
        # Decode steps run natively where the model allows (CPU, float32); prefill in PyTorch.
        native = (NativeDecoder.build(self.model, self.steering)
                  if device.type == "cpu" and dtype == torch.float32 else None)
        self.scheduler = BatchScheduler(self.model, self.tokenizer, max_batch=max_batch,
                                        max_seq_len=self.context_length, device=device,
                                        dtype=dtype, steering=self.steering, native=native,
                                        compile_decode=compile_decode and native is None)
        _return_freed_memory()

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | torch.device | None = None,
             max_batch: int = 8, max_seq_len: int | None = None, *,
             dtype: torch.dtype | None = None, steering_layers: list[int] | None = None,
             compile_decode: bool = False) -> Engine:
        """Open `path` on `device` (CUDA when available), decoding up to `max_batch` requests
        together with contexts of up to `max_seq_len` tokens (default: the model's).
        `compile_decode` runs PyTorch decode steps through torch.compile (for GPUs; the CPU's
        native decode kernels ignore it)."""
        device = resolve_device(device)
        return cls(read_sou(Path(path)), device=device, dtype=dtype or default_dtype(device),
                   max_batch=max_batch, max_seq_len=max_seq_len,
                   steering_layers=steering_layers, compile_decode=compile_decode)

    # -- prompts ---------------------------------------------------------------------------
    def _token_text(self, token_id: int | None) -> str:
        return "" if token_id is None else self.tokenizer.id_to_token(token_id) or ""

    def encode(self, prompt: Prompt) -> list[int]:
        """Prompt token ids: chat messages through the file's chat template, text as it is
        (after the file's BOS token, when it asks for one)."""
        if isinstance(prompt, str):
            ids = self.tokenizer.encode(prompt).ids
            bos = self.defaults.get("bos_token_id")
            return [bos] + ids if bos is not None and ids[:1] != [bos] else ids
        if not self.chat_template:
            raise ValueError(f"{self.path}: the file has no chat template; pass a text prompt")
        eos = self.defaults.get("eos_token_ids") or [None]
        text = render_chat(self.chat_template, prompt, add_generation_prompt=True,
                           bos_token=self._token_text(self.defaults.get("bos_token_id")),
                           eos_token=self._token_text(eos[0]))
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    @property
    def default_steering_strength(self) -> float:
        """What a request that names no steering strength gets: the file's, else the default."""
        return (self.personality or {}).get("steering_strength", DEFAULT_STEERING_STRENGTH)

    @property
    def prompt_steering_scale(self) -> float:
        """How many times harder the prompt's positions are steered than generated tokens:
        the file's prompt strength over its strength (1 for a file that stores one strength),
        so a request's steering_strength scales both."""
        strength = self.default_steering_strength
        prompt = (self.personality or {}).get("prompt_steering_strength", strength)
        return prompt / strength if strength else 1.0

    def request(self, prompt: Prompt, *, max_tokens: int | None = None,
                stop: list[str] | None = None, seed: int | None = None,
                steering_strength: float | None = None,
                prompt_steering_strength: float | None = None, ignore_eos: bool = False,
                **sampling) -> Request:
        """A scheduler request: the file's defaults under the given settings; raises
        ContextLengthError when prompt + max_tokens exceed the context. `steering_strength`
        applies to generated tokens; the prompt gets `prompt_steering_strength`, by default
        steering_strength times the file's `prompt_steering_scale`."""
        unknown = sorted(set(sampling) - set(SAMPLING_KEYS))
        if unknown:
            raise TypeError(f"unknown sampling setting(s) {', '.join(unknown)}")
        params = SamplingParams(**{key: sampling[key] if sampling.get(key) is not None
                                   else self.defaults[key] for key in SAMPLING_KEYS})
        max_tokens = self.defaults["max_tokens"] if max_tokens is None else max_tokens
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        ids = self.encode(prompt)
        if len(ids) + max_tokens > self.context_length:
            raise ContextLengthError(len(ids), max_tokens, self.context_length)
        if steering_strength is None:
            steering_strength = self.default_steering_strength
        if prompt_steering_strength is None:
            prompt_steering_strength = steering_strength * self.prompt_steering_scale
        return Request(
            prompt_ids=tuple(ids),
            params=params,
            max_tokens=max_tokens,
            stop=tuple(self.defaults["stop"] if stop is None else stop),
            stop_token_ids=frozenset() if ignore_eos else frozenset(
                self.defaults.get("eos_token_ids") or ()),
            seed=seed,
            steering_strength=float(steering_strength) if self.steering else 0.0,
            prompt_steering_strength=float(prompt_steering_strength) if self.steering else 0.0,
        )

    # -- generating ------------------------------------------------------------------------
    def submit(self, request: Request) -> DeltaStream:
        """Queue a prepared request on the shared batch; thread-safe."""
        return self.scheduler.submit(request)

    def stream(self, prompt: Prompt, **settings) -> Iterator[Delta]:
        """Text deltas of the continuation, one per generated token; the last one carries the
        finish reason ("stop" or "length"). Settings: temperature, top_k, top_p, min_p,
        repetition_penalty, max_tokens, stop, seed, steering_strength, ignore_eos."""
        return iter(self.submit(self.request(prompt, **settings)))

    def complete(self, prompt: Prompt, **settings) -> str:
        """The whole continuation at once."""
        return "".join(delta.text for delta in self.stream(prompt, **settings))

    # -- accounting ------------------------------------------------------------------------
    @property
    def kv_bytes_per_position(self) -> int:
        """KV-cache bytes one token position takes in one batch row, over every layer."""
        layers = self.model.attention_layers()
        per_position = sum(2 * layer.n_kv_head * layer.head_dim for layer in layers)
        return per_position * torch.empty((), dtype=self.dtype).element_size()

    def memory_bytes(self) -> int:
        """Weights plus a KV cache grown to its limit (max_batch x context)."""
        kv = self.kv_bytes_per_position * self.context_length * self.scheduler.max_batch
        return self.weights_bytes + kv
