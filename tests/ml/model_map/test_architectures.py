"""More architectures from Hugging Face: for each family, a tiny random transformers model
loads into our modules with the same logits (prompt and a cached decode step), exports back
to a directory transformers loads with the same logits, and survives a `.sou` round trip."""

import json

import pytest
import torch
import transformers

from ml.infer.loader import load_model
from ml.model_map import ModelMapError, load_hf_dir, save_hf_dir
from ml.sou import read_sou
from ml.sou.api import write_sou
from tests.ml.model_map.test_hf import VOCAB, randomise

LLAMA_SHAPE = {
    "vocab_size": VOCAB,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
    "pad_token_id": 0,
}
PROMPT = 12  # tokens; longer than the sliding windows below, so the windows matter


def llama_shaped(config_class, model_class, **overrides):
    return lambda: model_class(config_class(**{**LLAMA_SHAPE, **overrides}))


HF_MODELS = {
    "mistral": llama_shaped(transformers.MistralConfig, transformers.MistralForCausalLM,
                            sliding_window=5),
    "qwen3": llama_shaped(transformers.Qwen3Config, transformers.Qwen3ForCausalLM, head_dim=8,
                          tie_word_embeddings=True),
    "mixtral": llama_shaped(transformers.MixtralConfig, transformers.MixtralForCausalLM,
                            num_local_experts=4, num_experts_per_tok=2),
    "gemma2": llama_shaped(transformers.Gemma2Config, transformers.Gemma2ForCausalLM, head_dim=8,
                           query_pre_attn_scalar=16, sliding_window=5,
                           attn_logit_softcapping=2.0, final_logit_softcapping=3.0),
    "gemma3": llama_shaped(transformers.Gemma3TextConfig, transformers.Gemma3ForCausalLM,
                           head_dim=8, query_pre_attn_scalar=16, sliding_window=5,
                           layer_types=["sliding_attention", "full_attention"],
                           rope_parameters={
                               "full_attention": {"rope_type": "linear", "factor": 2.0,
                                                  "rope_theta": 100000.0},
                               "sliding_attention": {"rope_type": "default",
                                                     "rope_theta": 1000.0}}),
    "gpt_neox": lambda: transformers.GPTNeoXForCausalLM(transformers.GPTNeoXConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=64, rotary_pct=0.5)),
    "gpt_neox-sequential": lambda: transformers.GPTNeoXForCausalLM(transformers.GPTNeoXConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=64, use_parallel_residual=False)),
    "gptj": lambda: transformers.GPTJForCausalLM(transformers.GPTJConfig(
        vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64, rotary_dim=4)),
    "phi3": llama_shaped(transformers.Phi3Config, transformers.Phi3ForCausalLM, sliding_window=6),
}


def logits_of(model, idx):
    with torch.no_grad():
        return model(idx)


def cached_last_step(model, idx):
    """The prompt but its last token through the static cache, then the last token alone."""
    model.setup_caches(idx.shape[0], 2 * idx.shape[1])
    try:
        with torch.no_grad():
            model(idx[:, :-1], input_pos=torch.arange(idx.shape[1] - 1))
            return model(idx[:, -1:], input_pos=torch.tensor([idx.shape[1] - 1]))[:, 0]
    finally:
        model.clear_caches()


@pytest.mark.parametrize("name", list(HF_MODELS))
def test_architecture_matches_transformers_both_ways_and_through_sou(name, tmp_path):
    # given a random transformers model of the family saved as a directory
    reference = randomise(HF_MODELS[name]())
    reference.save_pretrained(tmp_path / "hf")
    idx = torch.randint(0, VOCAB, (2, PROMPT), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = reference(idx).logits  # (B, T, V)

    # when it is loaded into our modules, exported back and written to a .sou file
    loaded = load_hf_dir(tmp_path / "hf")
    save_hf_dir(loaded.model, tmp_path / "out")
    exported = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "out").eval()
    tensors = {n: p.detach() for n, p in loaded.model.named_parameters()}
    write_sou(tmp_path / "m.sou", config=loaded.config.to_dict(), tensors=tensors,
              generation={}, provenance={})
    with read_sou(tmp_path / "m.sou") as sou:
        from_sou = load_model(sou, torch.device("cpu"), torch.float32)
        sou_logits = logits_of(from_sou, idx)

    # then every path computes transformers' logits, the cached decode step included
    tolerance = {"atol": 1e-4, "rtol": 0}
    assert loaded.config.arch == name.partition("-")[0]
    torch.testing.assert_close(logits_of(loaded.model, idx), expected, **tolerance)
    torch.testing.assert_close(cached_last_step(loaded.model, idx), expected[:, -1], **tolerance)
    with torch.no_grad():
        torch.testing.assert_close(exported(idx).logits, expected, **tolerance)
    torch.testing.assert_close(sou_logits, expected, **tolerance)


def test_other_architectures_are_refused_by_name(tmp_path):
    # given a directory of a model type we do not implement
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "falcon"}))

    # when it is loaded, then the error says which type is not supported
    with pytest.raises(ModelMapError, match="not supported: model_type 'falcon'"):
        load_hf_dir(tmp_path)
