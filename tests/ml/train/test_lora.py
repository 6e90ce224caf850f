"""LoRA fine-tuning of a base model loaded from disk, and merging adapters for export."""

import json

import pytest
import torch
from safetensors.torch import load_file

from ml.train import load_checkpoint, merge_lora, train
from tests.ml.train.factories import tiny_config


@pytest.fixture
def base_checkpoint(tmp_path):
    # A context that holds a whole instruction pair: examples are trained whole, not in windows.
    cfg = tiny_config(
        tmp_path / "base", "model.preset='llama-tiny'", "model.block_size=64", "train.max_iters=4"
    )
    train(cfg)
    return tmp_path / "base" / "out" / "last"


def test_lora_instruction_tuning_trains_adapters_only_and_merges(tmp_path, base_checkpoint):
    # given instruction pairs and a LoRA config on top of the base checkpoint
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "\n".join(
            json.dumps({"prompt": f"the dog {i}", "response": "over a lazy fox."})
            for i in range(60)
        )
    )
    cfg = tiny_config(
        tmp_path / "tune",
        f"model.base='{base_checkpoint}'",
        "data.tokenizer='base'",
        "lora.enabled=true",
        "lora.r=4",
        "lora.alpha=8",
        "lora.dropout=0.0",
        "optim.lr=1e-2",
        "train.max_iters=6",
        "model.block_size=64",
        data=pairs,
        shape=False,
    )

    # when fine-tuned
    result = train(cfg)

    # then the base weights in the checkpoint are untouched and adapters were saved
    tuned = tmp_path / "tune" / "out" / "last"
    base_weights = load_file(base_checkpoint / "model.safetensors")
    saved = load_file(tuned / "model.safetensors")
    assert saved.keys() == base_weights.keys()
    assert all(torch.equal(saved[k], base_weights[k]) for k in saved)
    adapter = load_file(tuned / "adapter.safetensors")
    assert any("q_proj.lora_A" in k for k in adapter) and any(
        "down_proj.lora_B" in k for k in adapter
    )
    assert result.steps == 6

    # when loaded with adapters, and merged into plain weights
    unmerged, tokenizer, meta = load_checkpoint(tuned, merge_lora=False)
    merged = merge_lora(unmerged)
    base_model, _, _ = load_checkpoint(base_checkpoint)
    ids = torch.tensor([tokenizer.encode("the dog 3").ids])

    # then the merged plain model computes what the adapted one does, unlike the base
    assert type(merged).__name__ == "Llama"
    with torch.no_grad():
        expected = unmerged(ids)
        assert torch.allclose(merged(ids), expected, atol=1e-5)
        assert not torch.allclose(base_model(ids), expected, atol=1e-3)
    assert meta.lora["target_modules"][:2] == ["q_proj", "k_proj"]


def test_fine_tuning_a_base_needs_its_tokenizer(tmp_path, base_checkpoint):
    cfg = tiny_config(tmp_path / "tune", f"model.base='{base_checkpoint}'", shape=False)
    with pytest.raises(ValueError, match='data.tokenizer = "base"'):
        train(cfg)


@pytest.mark.parametrize("arch", ["mistral", "phi3", "qwen3", "mixtral", "gemma2", "gpt_neox", "gptj"])
def test_every_family_has_default_lora_targets_that_wrap_its_projections(arch):
    # given a tiny model of the family and a LoRA spec naming no modules
    from ml.models import build_model, config_from_dict
    from ml.train.config import LoraSpec
    from ml.train.lora import apply_lora, lora_settings

    shape = {"arch": arch, "n_layer": 1, "n_head": 2, "n_embd": 16, "vocab_size": 32, "block_size": 16}
    if arch == "gptj":
        shape["rotary_dim"] = 4  # GPT-J rotates part of each 8-wide head
    model = build_model(config_from_dict(shape))
    # when the defaults are applied
    tuned = apply_lora(model, lora_settings(LoraSpec(), arch))
    # then only adapters train, and the router of a mixture of experts is left alone
    trainable = [name for name, p in tuned.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)
    assert not any(".gate.lora_" in name for name in trainable)
