"""Neural persona space: contrastive training clusters each persona; save, load, classify."""

from __future__ import annotations

import json

import pytest
import torch

from ml.personality import NeuralConfig, NeuralPersonaSpace, PersonalityError, load_personality
from ml.personality.neural import WEIGHTS_FILE, supervised_contrastive_loss
from tests.ml.personality.factories import PERSONAS, persona_texts

FAST = NeuralConfig(epochs=30, batch_size=64)


@pytest.fixture(scope="module")
def space() -> NeuralPersonaSpace:
    texts, labels = [], []
    for persona in PERSONAS:
        texts += persona_texts(persona, 12)
        labels += [persona] * 12
    return NeuralPersonaSpace.fit(texts, labels, FAST)


def test_contrastive_loss_is_lower_when_classes_cluster():
    # given two labels, embedded either in two tight clusters or mixed up
    y = torch.tensor([0, 0, 1, 1])
    clustered = torch.nn.functional.normalize(
        torch.tensor([[1.0, 0.1], [1.0, -0.1], [-1.0, 0.1], [-1.0, -0.1]]), dim=-1
    )
    mixed = clustered[[0, 2, 1, 3]]
    # then the loss rewards the clustered layout
    assert supervised_contrastive_loss(clustered, y, 0.1) < supervised_contrastive_loss(
        mixed, y, 0.1
    )


def test_unseen_texts_go_to_their_persona(space):
    # given unseen texts of each persona
    texts = [t for p in PERSONAS for t in persona_texts(p, 3, seed=7)]
    expected = [p for p in PERSONAS for _ in range(3)]
    # when classified by nearest centroid
    predicted = space.classify(texts)
    # then they land with their own persona
    assert predicted == expected


def test_alignment_is_higher_for_own_persona(space):
    cheerful = space.persona("cheerful")
    own, other = cheerful.score(
        [persona_texts("cheerful", 1, seed=5)[0], persona_texts("corporate", 1, seed=5)[0]]
    )
    assert 0.0 <= other < own <= 1.0
    assert cheerful.score([""]) == [0.0]


def test_saved_space_loads_and_personas_load_by_relative_path(space, tmp_path):
    # given a saved space and a persona file next to it pointing at it by "."
    space.save(tmp_path)
    space.persona("pirate", ".").save(tmp_path / "pirate.json")
    # when both are loaded back
    reloaded = NeuralPersonaSpace.load(tmp_path)
    persona = load_personality(tmp_path / "pirate.json")
    # then they score exactly like the original
    texts = ["Arr, me hearties!", "Going forward we align."]
    assert reloaded.labels == space.labels
    assert persona.score(texts) == pytest.approx(space.persona("pirate").score(texts))
    assert json.loads((tmp_path / "space.json").read_text())["format_version"] == 1


def test_corrupt_weights_are_a_clear_error(space, tmp_path):
    space.save(tmp_path)
    (tmp_path / WEIGHTS_FILE).write_bytes(b"not safetensors")
    with pytest.raises(PersonalityError, match="cannot read persona space"):
        NeuralPersonaSpace.load(tmp_path)


def test_too_few_texts_or_labels_are_named():
    with pytest.raises(PersonalityError, match="at least 2 labels; got 1"):
        NeuralPersonaSpace.fit_embeddings(torch.zeros(12, 384).numpy(), ["a"] * 12)
    with pytest.raises(PersonalityError, match="at least 10 texts: 'b' has 3"):
        NeuralPersonaSpace.fit_embeddings(torch.zeros(15, 384).numpy(), ["a"] * 12 + ["b"] * 3)
    with pytest.raises(PersonalityError, match="unknown persona 'ghost'"):
        NeuralPersonaSpace.fit_embeddings(
            torch.randn(20, 384).numpy(), ["a"] * 10 + ["b"] * 10, FAST
        ).persona("ghost")
