"""Tokenizers, all as HF `tokenizers.Tokenizer` objects so any of them saves to one
`tokenizer.json` that checkpoints and the .sou format store verbatim.

- character level: a WordLevel model over the characters seen, split one character at a time;
- byte-level BPE trained on the data with a vocabulary size the user picks;
- the base model's own tokenizer (loaded from its tokenizer.json text).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

# Separates documents in the token stream, and ends generation for models trained here.
EOS_TOKEN = "<|endoftext|>"
UNK_TOKEN = "<unk>"


def build_char_tokenizer(texts: Iterable[str]) -> Tokenizer:
    """One token per distinct character, ids in sorted character order (as in nanoGPT)."""
    chars: set[str] = set()
    for text in texts:
        chars.update(text)
    vocab = {c: i for i, c in enumerate(sorted(chars))}
    # WordLevel needs its unknown token in the vocabulary; it maps characters unseen in training.
    vocab[UNK_TOKEN] = len(vocab)
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token=UNK_TOKEN))
    # `[\s\S]` matches every character including newlines, one at a time.
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()
    tokenizer.add_special_tokens([EOS_TOKEN])
    return tokenizer


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """A GPT-2 style byte-level BPE learned from `texts`."""
    if vocab_size < 257:
        raise ValueError(f"bpe_vocab_size must be at least 257 (256 bytes + EOS), got {vocab_size}")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def tokenizer_from_json(text: str) -> Tokenizer:
    return Tokenizer.from_str(text)


def tokenizer_hash(tokenizer: Tokenizer) -> str:
    """Identifies a tokenizer by content, for cache keys."""
    return hashlib.sha256(tokenizer.to_str().encode()).hexdigest()


def eos_token_id(tokenizer: Tokenizer) -> int | None:
    return tokenizer.token_to_id(EOS_TOKEN)


def token_dtype(vocab_size: int) -> str:
    """The smallest unsigned type that holds every id."""
    return "uint16" if vocab_size <= 1 << 16 else "uint32"
