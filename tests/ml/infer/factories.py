"""Tiny models and tokenizers built on the spot: transformers GPT-2 and LLaMA models with two
layers saved as Hugging Face directories, a byte-level BPE tokenizer trained on a few lines, and
`.sou` files imported from them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from ml.sou.convert import import_hf_dir

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps.",
    "Grüße aus Köln, Äpfel und Öl. 北京欢迎你。 😀🎉",
    "def add(a, b):\n    return a + b\n",
    "To be, or not to be, that is the question.",
]


@cache
def bpe_tokenizer_json(vocab_size: int = 320) -> str:
    """A byte-level BPE tokenizer (any text encodes, multi-byte characters span tokens)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer)
    return tokenizer.to_str()


def vocab_size() -> int:
    return Tokenizer.from_str(bpe_tokenizer_json()).get_vocab_size()


def hf_model(family: str, seed: int = 0, std: float = 0.2,
             **overrides) -> transformers.PreTrainedModel:
    """A random two-layer transformers model of `family` ("gpt2" or "llama"); the default
    weight scale makes greedy choices clear-cut, a smaller one keeps activations gentle."""
    torch.manual_seed(seed)
    if family == "gpt2":
        fields = {"vocab_size": vocab_size(), "n_positions": 128, "n_embd": 32, "n_layer": 2, "n_head": 4}
        model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**{**fields, **overrides}))
    else:
        fields = {"vocab_size": vocab_size(), "hidden_size": 64, "intermediate_size": 96,
                      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                      "max_position_embeddings": 128, "rms_norm_eps": 1e-5}
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**{**fields, **overrides}))
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, std)
    return model.eval()


def hf_dir(path: Path, family: str = "llama", *, generation: dict | None = None,
           seed: int = 0, std: float = 0.2, **overrides) -> Path:
    """A Hugging Face directory: weights, tokenizer, chat template, generation config."""
    model = hf_model(family, seed, std, **overrides)
    model.save_pretrained(path)
    (path / "tokenizer.json").write_text(bpe_tokenizer_json())
    eos_id = Tokenizer.from_str(bpe_tokenizer_json()).token_to_id("<|im_end|>")
    (path / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|im_end|>",
        "chat_template": CHAT_TEMPLATE}))
    (path / "generation_config.json").write_text(json.dumps(
        {"eos_token_id": eos_id, **(generation or {})}))
    return path


def sou_file(tmp_path: Path, family: str = "llama", qtype: str = "F32", **overrides) -> Path:
    """A `.sou` file imported from a fresh tiny Hugging Face directory."""
    source = hf_dir(tmp_path / f"hf-{family}", family, **overrides)
    out = tmp_path / f"{family}-{qtype}.sou"
    import_hf_dir(source, out, qtype)
    return out
