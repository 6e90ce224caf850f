"""Tiny configs of both families, small enough for CPU tests to run in milliseconds."""

from ml.models import GPT2Config, LlamaConfig


def tiny_gpt2(**overrides) -> GPT2Config:
    fields = {"vocab_size": 97, "block_size": 32, "n_layer": 2, "n_head": 4, "n_embd": 32}
    return GPT2Config(**{**fields, **overrides})


def tiny_llama(**overrides) -> LlamaConfig:
    fields = {
        "vocab_size": 97,
        "block_size": 32,
        "n_layer": 2,
        "n_head": 4,
        "n_kv_head": 2,
        "n_embd": 32,
        "intermediate_size": 48,
    }
    return LlamaConfig(**{**fields, **overrides})


def tiny_configs():
    """One of each family plus the variants with different code paths."""
    return [
        tiny_gpt2(),
        tiny_gpt2(bias=False),
        tiny_llama(),
        tiny_llama(tie_word_embeddings=True, qkv_bias=True),
        tiny_llama(n_kv_head=4, rope_scaling={"rope_type": "linear", "factor": 2.0}),
    ]
