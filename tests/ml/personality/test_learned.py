"""Learned personalities: from 20+ examples, score how much new text sounds like the persona."""

from __future__ import annotations

import pytest

from ml.personality import LearnedPersonality, PersonalityError, load_personality
from tests.ml.personality.factories import neutral_texts, persona_texts


@pytest.fixture(scope="module")
def pirate() -> LearnedPersonality:
    return LearnedPersonality.fit("Pirate", persona_texts("pirate", 24), neutral_texts(24))


def test_new_persona_text_scores_higher_than_ordinary_text(pirate):
    # given unseen pirate and ordinary texts
    scores = pirate.score([*persona_texts("pirate", 3, seed=9), *neutral_texts(3, seed=9)])
    # then every pirate text outscores every ordinary one
    assert min(scores[:3]) > 0.5 > max(scores[3:])


def test_prompt_and_defaults_describe_the_examples(pirate):
    prompt = pirate.system_prompt()
    assert prompt.startswith("You are Pirate.") and "Example: " in prompt and "Arr" in prompt
    assert 32 <= pirate.generation_defaults()["max_new_tokens"] <= 1024


def test_saved_personality_scores_the_same(pirate, tmp_path):
    # given the personality saved to JSON
    path = pirate.save(tmp_path / "pirate.json")
    # when loaded back
    loaded = load_personality(path)
    # then it is a learned personality that scores identically
    texts = ["Arr, the rum be ours!", "The shop opens at nine."]
    assert isinstance(loaded, LearnedPersonality)
    assert loaded.score(texts) == pytest.approx(pirate.score(texts))


def test_empty_text_scores_zero(pirate):
    assert pirate.score([""]) == [0.0]


def test_too_few_examples_say_how_many_are_needed():
    # given 7 examples (one empty, so 6 usable)
    examples = [*persona_texts("pirate", 6), " "]
    # then the error gives the minimum and the shortfall
    with pytest.raises(
        PersonalityError, match=r"at least 20 non-empty example texts.*got 6 \(14 more needed\)"
    ):
        LearnedPersonality.fit("Pirate", examples, neutral_texts(30))
    with pytest.raises(PersonalityError, match="background texts"):
        LearnedPersonality.fit("Pirate", persona_texts("pirate", 20), neutral_texts(5))
