"""Builders for chat tests: a tiny random LLaMA written as a `.sou` (byte-level BPE tokenizer,
a simple chat template, no end-of-sequence token so every reply runs to max_tokens) and
registered as a ready model version of its owner, plus conversations."""

from __future__ import annotations

import functools
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from apps.chat import services
from apps.registry import storage
from apps.registry.models import ModelVersion, RegisteredModel
from ml.models import Llama, LlamaConfig
from ml.sou import write_sou

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
CORPUS = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps.",
    "To be, or not to be, that is the question. Whether 'tis nobler in the mind to suffer.",
    "Tell me a story about the sea, the ships and the sailors who crossed it.",
]


@functools.cache
def tokenizer_json() -> str:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(CORPUS, trainer)
    return tokenizer.to_str()


def write_tiny_sou(path: Path, *, block_size: int = 2048, seed: int = 0,
                   max_tokens: int = 16, width: int = 64, layers: int = 2) -> Path:
    """A random LLaMA (2 layers, 64 wide unless told) whose replies default to `max_tokens`;
    greedy replies are deterministic per seed."""
    vocab = Tokenizer.from_str(tokenizer_json()).get_vocab_size()
    config = LlamaConfig(vocab_size=vocab, block_size=block_size, n_layer=layers, n_head=4,
                         n_kv_head=2, n_embd=width, intermediate_size=2 * width,
                         tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = Llama(config)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:  # larger than init, so greedy replies vary instead of repeating
                param.normal_(0.0, 0.2)
    tensors = {name: param.detach() for name, param in model.named_parameters()}
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_sou(path, config=config.to_dict(), tensors=tensors, tokenizer_json=tokenizer_json(),
                     chat_template=CHAT_TEMPLATE,
                     generation={"temperature": 0.0, "repetition_penalty": 1.0, "max_tokens": max_tokens,
                                 "eos_token_ids": []},
                     provenance={"base_model": "tiny-random"})


def model_version(user, name: str = "tiny", *, block_size: int = 2048, max_tokens: int = 16,
                  write_file: bool = True, width: int = 64, layers: int = 2) -> ModelVersion:
    """A ready version (1.0.0, then 1.0.1, ...) whose canonical file (under MEDIA_ROOT) is a
    tiny random model with a `block_size` context, replying `max_tokens` by default."""
    registered, _ = RegisteredModel.objects.get_or_create(owner=user, name=name)
    created = ModelVersion.objects.create(
        owner=user, registered_model=registered, major=1, minor=0, patch=registered.versions.count(),
        source=ModelVersion.Source.SOU_UPLOAD, status=ModelVersion.Status.READY,
        architecture={"arch": "llama", "block_size": block_size},
    )
    if write_file:
        write_tiny_sou(storage.canonical_sou(user.pk, created.pk), block_size=block_size,
                       max_tokens=max_tokens, width=width, layers=layers)
    return created


def conversation(user, version: ModelVersion | None = None, **fields):
    version = version or model_version(user, write_file=False)
    return services.conversation_create(user=user, model_version_id=version.pk, **fields)
