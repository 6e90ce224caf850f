"""Hugging Face directories: our logits equal transformers' for the same weights, both ways."""

import json

import pytest
import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers

from ml.model_map import ModelMapError, load_hf_dir, save_hf_dir
from ml.models import build_model
from tests.ml.models.factories import tiny_gpt2, tiny_llama

VOCAB = 97


def hf_gpt2():
    return transformers.GPT2LMHeadModel(
        transformers.GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=4)
    )


def hf_llama(**overrides):
    fields = {
        "vocab_size": VOCAB,
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "max_position_embeddings": 64,
        "rms_norm_eps": 1e-5,
    }
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(**{**fields, **overrides}))


def hf_qwen2():
    config = transformers.Qwen2Config(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        tie_word_embeddings=True,
    )
    return transformers.Qwen2ForCausalLM(config)


HF_MODELS = {
    "gpt2": hf_gpt2,
    "llama": hf_llama,
    "llama-gqa": lambda: hf_llama(num_key_value_heads=2),
    "llama-tied": lambda: hf_llama(tie_word_embeddings=True),
    "llama3-rope": lambda: hf_llama(
        rope_parameters={
            "rope_type": "llama3",
            "rope_theta": 500000.0,
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 16,
        }
    ),
    "qwen2": hf_qwen2,
}


def randomise(model: torch.nn.Module) -> torch.nn.Module:
    """Non-trivial values everywhere, biases and norms included, so a dropped tensor shows."""
    torch.manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.3)
    return model.eval()


def tiny_tokenizer_json() -> str:
    vocab = {chr(ord("a") + i): i for i in range(26)} | {"<eos>": 26, "<s>": 27}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<eos>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    return tokenizer.to_str()


@pytest.mark.parametrize("name", list(HF_MODELS))
def test_loaded_hf_directory_gives_transformers_logits(name, tmp_path):
    # given a random transformers model saved as a directory
    reference = randomise(HF_MODELS[name]())
    reference.save_pretrained(tmp_path)
    idx = torch.randint(0, VOCAB, (2, 20), generator=torch.Generator().manual_seed(1))

    # when it is loaded into our modules
    loaded = load_hf_dir(tmp_path)

    # then both compute the same logits
    with torch.no_grad():
        expected = reference(idx).logits
        got = loaded.model(idx)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    assert loaded.source["format"] == "hf"


def test_sharded_checkpoints_load(tmp_path):
    # given a checkpoint split over several safetensors files with an index
    reference = randomise(hf_llama(num_key_value_heads=2))
    reference.save_pretrained(tmp_path, max_shard_size="20KB")
    assert (tmp_path / "model.safetensors.index.json").is_file()

    # when it is loaded
    loaded = load_hf_dir(tmp_path)

    # then the logits match
    idx = torch.arange(10).unsqueeze(0)
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(idx), reference(idx).logits, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    "config",
    [
        tiny_gpt2(),
        tiny_gpt2(bias=False),
        tiny_gpt2(bias=False, activation="gelu"),
        tiny_llama(),
        tiny_llama(tie_word_embeddings=True, qkv_bias=True),
    ],
    ids=["gpt2", "gpt2-nobias", "nanogpt-exact-gelu", "llama-gqa", "qwen2-style"],
)
def test_saved_directory_loads_in_transformers_with_the_same_logits(config, tmp_path):
    # given one of our models with random weights
    ours = randomise(build_model(config))

    # when it is saved as a Hugging Face directory and loaded by transformers
    save_hf_dir(ours, tmp_path, None, None)
    theirs = transformers.AutoModelForCausalLM.from_pretrained(tmp_path).eval()

    # then transformers computes our logits
    idx = torch.randint(0, config.vocab_size, (2, 16), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(theirs(idx).logits, ours(idx), atol=1e-4, rtol=1e-4)


def test_the_gelu_form_survives_export_and_import(tmp_path):
    # given a nanoGPT-style model with the exact GELU
    ours = randomise(build_model(tiny_gpt2(bias=False, activation="gelu")))
    # when it is saved and loaded back
    save_hf_dir(ours, tmp_path, None, None)
    config = json.loads((tmp_path / "config.json").read_text())
    loaded = load_hf_dir(tmp_path)
    # then both sides name the exact form
    assert config["activation_function"] == "gelu"
    assert loaded.model.config.activation == "gelu"


def test_tokenizer_chat_template_and_special_ids_round_trip(tmp_path):
    # given a model with a tokenizer, a chat template and special tokens
    template = "{% for m in messages %}<s>{{ m['content'] }}<eos>{% endfor %}"
    ours = build_model(tiny_llama())

    # when saved and read back by us and by transformers
    save_hf_dir(
        ours, tmp_path, tiny_tokenizer_json(), template, eos_token_ids=[26], bos_token_id=27
    )
    loaded = load_hf_dir(tmp_path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path)

    # then everything survives and transformers' tokenizer applies the template
    assert loaded.chat_template == template
    assert (loaded.eos_token_ids, loaded.bos_token_id) == ([26], 27)
    assert json.loads(loaded.tokenizer_json) == json.loads(tiny_tokenizer_json())
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert text == "<s>hi<eos>"
    assert tokenizer.eos_token == "<eos>"


def test_missing_tensor_is_named(tmp_path):
    # given a checkpoint with one tensor removed
    from safetensors.torch import load_file, save_file

    hf_llama().save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    del tensors["model.layers.1.mlp.up_proj.weight"]
    save_file(tensors, tmp_path / "model.safetensors")

    # when it is loaded, then the error names the tensor
    with pytest.raises(ModelMapError, match="model.layers.1.mlp.up_proj.weight"):
        load_hf_dir(tmp_path)


def test_unknown_architecture_is_named(tmp_path):
    # given a directory of an architecture we do not implement
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mamba"}))

    # when it is loaded, then the error names the field and value
    with pytest.raises(ModelMapError, match="model_type 'mamba'"):
        load_hf_dir(tmp_path)
