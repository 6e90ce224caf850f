"""Steering vectors: one per chosen layer, stored in and read back from the `.sou`, every other
tensor copied unchanged; by default free of the stream's mean direction and as long as the
stream's typical token, so a strength is a share of the residual norm; strength > 0 changes
what the model says and strength 0 does not; bad input (unknown personality, no tokenizer,
layers out of range) is refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ml.cli import main
from ml.infer.engine import Engine
from ml.models import LlamaConfig, build_model
from ml.personality import ConfigPersonality, PersonalityError, steering
from ml.personality.steering import SteeringConfig, contrast_vectors, residuals, steer_file
from ml.sou import read_sou, write_sou
from tests.ml.infer.factories import CHAT_TEMPLATE, bpe_tokenizer_json, vocab_size

GREEDY = {"temperature": 0.0, "repetition_penalty": 1.0, "ignore_eos": True, "max_tokens": 12}
WIDTH = 64


def tiny_sou(path: Path, *, seed: int = 0, n_layer: int = 3, tokenizer: bool = True) -> Path:
    """A random three-block LLaMA written with write_sou; weights large enough that greedy
    choices are clear-cut, context long enough for a system prompt in byte-level tokens."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size(),
        block_size=1024,
        n_layer=n_layer,
        n_head=4,
        n_kv_head=2,
        n_embd=WIDTH,
        intermediate_size=96,
    )
    model = build_model(config)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:
                param.normal_(0.0, 0.2)
    eos = [vocab_size() - 1]
    return write_sou(
        path,
        config=config.to_dict(),
        tensors={k: v.clone() for k, v in model.state_dict().items()},
        tokenizer_json=bpe_tokenizer_json() if tokenizer else None,
        chat_template=CHAT_TEMPLATE if tokenizer else None,
        generation={"eos_token_ids": eos},
        provenance={"base_model": "tiny"},
    )


@pytest.fixture(scope="module")
def model_sou(tmp_path_factory) -> Path:
    return tiny_sou(tmp_path_factory.mktemp("steer") / "tiny.sou")


CHEERFUL = ConfigPersonality.from_archetype("cheerful enthusiast")
CONTRAST = ["How are you?", "Why is the sky blue?", "Tell me a joke."]


def test_vectors_have_one_model_wide_vector_per_layer_and_are_stored(model_sou, tmp_path):
    # given a model and the cheerful personality
    out = tmp_path / "steered.sou"

    # when steering vectors are computed for blocks 1 and 2
    summary = steer_file(
        model_sou, CHEERFUL, out, SteeringConfig(layers=[1, 2], strength=3.0), CONTRAST, "cpu"
    )

    # then the new file carries one (n_embd,) vector per chosen layer and the personality
    with read_sou(out) as steered, read_sou(model_sou) as source:
        vectors = steered.steering_vectors()
        assert sorted(vectors) == [1, 2] == summary["layers"]
        assert all(v.shape == (WIDTH,) and v.norm() > 0 for v in vectors.values())
        assert steered.personality["name"] == "Cheerful Enthusiast"
        assert steered.personality["steering_strength"] == 3.0
        assert steered.personality["config"]["kind"] == "config"
        # and every model tensor is byte-for-byte the source's
        for info in source.tensor_infos:
            assert steered.info(info.name).type_name == info.type_name
            assert bytes(steered.raw(info.name)[2]) == bytes(source.raw(info.name)[2])


def test_default_vectors_are_free_of_the_stream_mean_and_as_long_as_a_token():
    # given a model and persona / neutral sequences whose last four tokens are the answer
    torch.manual_seed(0)
    model = build_model(
        LlamaConfig(
            vocab_size=50,
            block_size=32,
            n_layer=2,
            n_head=2,
            n_kv_head=1,
            n_embd=16,
            intermediate_size=24,
        )
    ).eval()
    persona = [[1, 2, 3, 4, 5, 6, 7], [1, 2, 8, 9, 10, 11, 12]]
    neutral = [[1, 2, 3, 13, 14, 15, 16], [1, 2, 8, 17, 18, 19, 20]]
    starts = [3, 3]

    # when vectors are computed with the defaults and from the raw difference of means
    default = contrast_vectors(model, persona, neutral, [0, 1], starts, starts)
    raw = contrast_vectors(
        model, persona, neutral, [0, 1], starts, starts, project_mean=False, normalize=False
    )

    # then the raw vector is the difference of the answers' means, and the default one is
    # orthogonal to the stream's mean and as long as the stream's mean token
    high, low = residuals(model, persona, [0, 1], starts), residuals(model, neutral, [0, 1], starts)
    for layer in (0, 1):
        assert torch.allclose(raw[layer], high[layer].mean - low[layer].mean, atol=1e-5)
        centre = high[layer].mean + low[layer].mean
        assert abs(float(default[layer] @ centre)) < 1e-3 * float(centre.norm())
        length = (high[layer].norm + low[layer].norm) / 2
        assert float(default[layer].norm()) == pytest.approx(length, rel=1e-4)


def test_the_stream_read_in_padded_batches_is_the_stream_read_one_by_one(monkeypatch):
    # given a model and sequences of different lengths, answers starting at different places
    torch.manual_seed(0)
    model = build_model(LlamaConfig(vocab_size=50, block_size=32, n_layer=3, n_head=2,
                                    n_kv_head=1, n_embd=16, intermediate_size=24)).eval()
    sequences = [[1, 2, 3, 4, 5, 6, 7], [1, 2, 8, 9], [3, 4, 5, 6, 7, 8, 9, 10, 11], [5, 6]]
    starts = [3, 2, 5, 1]
    # when read with every sequence in one right-padded batch, and one at a time
    batched = residuals(model, sequences, [0, 1], starts), residuals(model, sequences, [1])
    monkeypatch.setattr(steering, "READ_BATCH", 1)
    single = residuals(model, sequences, [0, 1], starts), residuals(model, sequences, [1])
    # then the padding changes nothing that is read
    for got, expected in zip(batched, single, strict=True):
        for layer in expected:
            torch.testing.assert_close(got[layer].mean, expected[layer].mean, atol=1e-5, rtol=1e-5)
            assert got[layer].norm == pytest.approx(expected[layer].norm, rel=1e-5)


def test_strength_changes_generated_tokens_and_zero_does_not(model_sou, tmp_path):
    # given the model and a steered copy with the default (norm-relative) vectors
    out = tmp_path / "steered.sou"
    steer_file(model_sou, CHEERFUL, out, SteeringConfig(layers=[1]), CONTRAST, "cpu")
    plain, steered = Engine.load(model_sou, "cpu"), Engine.load(out, "cpu")
    prompt = [{"role": "user", "content": "How are you?"}]

    # when both answer greedily, the steered one at strength 0 and at half the residual norm
    baseline = plain.complete(prompt, **GREEDY)
    at_zero = steered.complete(prompt, steering_strength=0.0, **GREEDY)
    at_half = steered.complete(prompt, steering_strength=0.5, **GREEDY)

    # then strength 0 says exactly what the plain model says and strength 0.5 something else
    assert at_zero == baseline
    assert at_half != baseline


def steer_cli(model: Path, out: Path, *flags: str,
              personality: str = "cheerful enthusiast") -> int:
    """`sloughgpt persona steer MODEL --personality P --out OUT FLAGS...` -> its exit code."""
    return main(["persona", "steer", str(model), "--personality", personality, "--out",
                 str(out), *flags])


def test_steer_command_writes_the_file_with_the_default_strength(model_sou, tmp_path, capsys):
    # when a user steers a model from the command line without choosing a strength or
    # contrast (two answers per prompt to rank, to keep it quick)
    out = tmp_path / "cli.sou"
    code = steer_cli(model_sou, out, "--layers", "0,2", "--samples", "2", "--device", "cpu")

    # then it reports the layers, and the file has them, says they come from the scored
    # contrast and stores the default strengths: 0.06 of the residual norm on generated
    # tokens, 0.2 on the prompt
    assert code == 0
    assert json.loads(capsys.readouterr().out)["layers"] == [0, 2]
    with read_sou(out) as steered:
        assert sorted(steered.steering_vectors()) == [0, 2]
        assert steered.personality["steering_strength"] == 0.06
        assert steered.personality["prompt_steering_strength"] == pytest.approx(0.2)
        assert steered.personality["steering_contrast"] == "scored"
        assert steered.personality["steering_normalized"] is True
        assert steered.personality["steering_mean_projected"] is True


def test_unknown_personality_is_refused(model_sou, tmp_path, capsys):
    # when the personality is neither an archetype nor a file
    code = steer_cli(model_sou, tmp_path / "x.sou", personality="grumpy wizard")

    # then one error line names it and the known archetypes
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown archetype 'grumpy wizard'" in err and "Cheerful Enthusiast" in err
    assert not (tmp_path / "x.sou").exists()


def test_a_file_without_a_tokenizer_is_refused(tmp_path):
    # given a model file with no tokenizer
    bare = tiny_sou(tmp_path / "bare.sou", tokenizer=False)

    # when steering it, then the error names the file and what is missing
    with pytest.raises(PersonalityError, match=r"bare\.sou: the file has no tokenizer"):
        steer_file(bare, CHEERFUL, tmp_path / "x.sou", device="cpu")


def test_layers_outside_the_model_are_refused(model_sou, tmp_path, capsys):
    # when a user asks for block 7 of a three-block model
    code = steer_cli(model_sou, tmp_path / "x.sou", "--layers", "1,7", "--device", "cpu")

    # then the error names the layer and the valid range
    err = capsys.readouterr().err
    assert code == 2
    assert "steering layer(s) [7] outside the model's 3 blocks (0..2)" in err
