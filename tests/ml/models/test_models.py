"""Model families and presets: shapes, causality, sizes, config round trips, training switches."""

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ml.models import PRESETS, build_model, config_from_dict, preset_config
from tests.ml.models.factories import tiny_configs, tiny_gpt2, tiny_llama

CONFIG_IDS = ["gpt2", "gpt2-nobias", "llama-gqa", "llama-tied-qkvbias", "llama-linear-rope"]


@pytest.mark.parametrize(
    "name, expected",
    [("gpt2-small", 124_439_808), ("smollm2-135m", 134_515_008), ("qwen2-0.5b", 494_032_768)],
)
def test_presets_have_the_published_parameter_counts(name, expected):
    # given a preset named after a published model
    config = preset_config(name)

    # when it is built without allocating memory
    with torch.device("meta"):
        model = build_model(config)

    # then it has exactly as many parameters as the published checkpoint
    assert model.num_params() == expected


def test_nanogpt_char_preset_matches_the_nanogpt_shakespeare_example():
    # given the character-level preset with the tokenizer's vocabulary
    config = preset_config("nanogpt-char", vocab_size=65)

    # then it has nanoGPT's CPU example shape, no biases and its exact GELU
    assert (config.n_layer, config.n_head, config.n_embd, config.block_size) == (4, 4, 128, 64)
    assert config.bias is False and config.dropout == 0.0
    assert config.activation == "gelu"
    assert not any(name.endswith("bias") for name, _ in build_model(config).named_parameters())


@pytest.mark.parametrize("activation, approximate", [("gelu_new", "tanh"), ("gelu", "none")])
def test_gpt2_mlp_uses_the_configured_gelu(activation, approximate):
    # given a GPT-2 model with the named activation and a hidden state
    torch.manual_seed(0)
    mlp = build_model(tiny_gpt2(activation=activation)).transformer.h[0].mlp
    x = torch.randn(2, 5, 32)

    # when the MLP runs
    out = mlp(x)

    # then it applies that GELU form and not the other one
    expected = mlp.c_proj(F.gelu(mlp.c_fc(x), approximate=approximate))
    other = mlp.c_proj(F.gelu(mlp.c_fc(x), approximate="none" if approximate == "tanh" else "tanh"))
    assert torch.equal(out, expected)
    assert not torch.allclose(out, other, rtol=0, atol=1e-7)


def test_gpt2_configs_saved_before_the_activation_field_keep_the_tanh_gelu():
    # given a GPT-2 config dict written without an activation field
    saved = tiny_gpt2().to_dict()
    del saved["activation"]

    # when it is read back, then the model keeps GPT-2's tanh approximation
    assert config_from_dict(saved).activation == "gelu_new"


def test_unknown_gpt2_activation_is_refused():
    with pytest.raises(ValueError, match="activation 'relu'"):
        tiny_gpt2(activation="relu")


def test_unknown_preset_names_the_known_ones():
    # when asking for a preset that does not exist
    with pytest.raises(ValueError) as error:
        preset_config("gpt5-huge")

    # then the error lists what exists
    assert "gpt5-huge" in str(error.value) and "nanogpt-char" in str(error.value)


def test_preset_overrides_do_not_change_the_preset():
    # when a preset is taken with a different vocabulary
    config = preset_config("llama-tiny", vocab_size=300)

    # then the copy changed and the registry did not
    assert config.vocab_size == 300
    assert PRESETS["llama-tiny"].vocab_size == 49152


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_round_trips_through_json(name):
    # given a preset's config written as JSON
    config = PRESETS[name]
    text = json.dumps(config.to_dict())

    # when it is read back
    restored = config_from_dict(json.loads(text))

    # then it is the same config
    assert restored == config


def test_config_from_dict_rejects_unknown_arch_and_fields():
    with pytest.raises(ValueError, match="arch"):
        config_from_dict({"arch": "mamba"})
    with pytest.raises(ValueError, match="n_experts"):
        config_from_dict({**tiny_llama().to_dict(), "n_experts": 8})


@pytest.mark.parametrize("config", tiny_configs(), ids=CONFIG_IDS)
def test_logits_depend_only_on_earlier_tokens(config):
    # given a model and two sequences that differ only in their last token
    torch.manual_seed(0)
    model = build_model(config).eval()
    idx = torch.randint(0, config.vocab_size, (2, 12))
    changed = idx.clone()
    changed[:, -1] = (changed[:, -1] + 1) % config.vocab_size

    # when both are run
    with torch.no_grad():
        logits, changed_logits = model(idx), model(changed)

    # then logits have one row per token and earlier positions did not see the change
    assert logits.shape == (2, 12, config.vocab_size)
    torch.testing.assert_close(logits[:, :-1], changed_logits[:, :-1])
    assert not torch.allclose(logits[:, -1], changed_logits[:, -1])


@pytest.mark.parametrize("config", tiny_configs(), ids=CONFIG_IDS)
def test_logits_at_scores_one_chosen_position_per_row(config):
    # given a model and two prompts
    torch.manual_seed(0)
    model = build_model(config).eval()
    idx = torch.randint(0, config.vocab_size, (2, 12))
    # when it is run for every position and for one position per row
    with torch.no_grad():
        every, chosen = model(idx), model(idx, logits_at=torch.tensor([11, 4]))
    # then each row's chosen logits are that row's logits at that position
    assert chosen.shape == (2, 1, config.vocab_size)
    torch.testing.assert_close(chosen[:, 0], torch.stack([every[0, 11], every[1, 4]]))


def test_sequences_longer_than_the_context_are_refused():
    model = build_model(tiny_gpt2(block_size=8))
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 9, dtype=torch.long))


@pytest.mark.parametrize(
    "config", [tiny_gpt2(dropout=0.1), tiny_llama(dropout=0.1)], ids=["gpt2", "llama"]
)
def test_gradient_checkpointing_gives_the_same_gradients(config):
    # given a model in training mode and a batch
    torch.manual_seed(0)
    model = build_model(config).train()
    idx = torch.randint(0, config.vocab_size, (2, 16))

    def grads(checkpointing: bool) -> dict[str, torch.Tensor]:
        model.set_gradient_checkpointing(checkpointing)
        model.zero_grad()
        torch.manual_seed(1)  # same dropout masks in both runs
        logits = model(idx)
        nn.functional.cross_entropy(logits.flatten(0, 1), idx.flatten()).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    # when gradients are computed with and without activation checkpointing
    plain, checkpointed = grads(False), grads(True)

    # then they are the same
    for name in plain:
        torch.testing.assert_close(checkpointed[name], plain[name], msg=name)


@pytest.mark.parametrize("config", [tiny_gpt2(), tiny_llama()], ids=["gpt2", "llama"])
def test_a_few_training_steps_memorise_a_sequence(config):
    # given a short sequence to learn
    torch.manual_seed(0)
    model = build_model(config).train()
    idx = torch.randint(0, config.vocab_size, (1, 12))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)

    # when training on it for a few dozen steps
    for _ in range(25):
        logits = model(idx[:, :-1])
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), idx[:, 1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    # then the model predicts every next token
    assert (model.eval()(idx[:, :-1]).argmax(-1) == idx[:, 1:]).all()


@pytest.mark.parametrize(
    "config, names",
    [
        (tiny_gpt2(), {"c_attn", "c_proj", "c_fc"}),
        (
            tiny_llama(),
            {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
        ),
    ],
    ids=["gpt2", "llama"],
)
def test_linear_layers_carry_hugging_face_names_and_can_be_swapped(config, names):
    # given a model
    torch.manual_seed(0)
    model = build_model(config).eval()
    idx = torch.randint(0, config.vocab_size, (1, 8))
    before = model(idx)

    class Wrapped(nn.Module):  # stands in for a quantized or LoRA linear
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)

    # when every projection is replaced by name
    leaf_names = {
        n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, nn.Linear)
    }
    for name, module in list(model.named_modules()):
        if name.rsplit(".", 1)[-1] in names:
            parent, attr = name.rsplit(".", 1)
            setattr(model.get_submodule(parent), attr, Wrapped(module))

    # then the names were there and the model still computes the same function
    assert names | {"lm_head"} == leaf_names
    torch.testing.assert_close(model(idx), before)
