"""Config personalities: archetypes a user can pick, scored deterministically on metrics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ml.personality import ARCHETYPES, ConfigPersonality, Personality, PersonalityError

EXCITED = "OMG this is the BEST day ever!!! I love you all so much! 😀🎉"
FORMAL = (
    "The committee has reviewed the proposal and concluded that the projected expenditure "
    "exceeds the approved budget by a considerable margin."
)
CLASSIC = "Sage Hero Caregiver Jester Explorer Creator Ruler Innocent Rebel Magician Lover Everyman"


def test_the_twelve_classic_archetypes_and_the_cheerful_enthusiast_ship():
    # given the archetype names a user would type
    names = [*CLASSIC.split(), "cheerful enthusiast", "Cheerful_Enthusiast"]
    # then each builds a personality with a prompt naming it
    for name in names:
        persona = ConfigPersonality.from_archetype(name)
        assert persona.name.lower() == name.replace("_", " ").lower()
        assert persona.name in persona.system_prompt()
    assert len(ARCHETYPES) == 13


def test_unknown_archetype_lists_the_known_ones():
    with pytest.raises(PersonalityError, match=r"unknown archetype 'Wizard'; known: Sage, Hero"):
        ConfigPersonality.from_archetype("Wizard")


def test_scores_follow_the_personality():
    # given an enthusiastic persona, a formal persona and one text of each style
    enthusiast = ConfigPersonality.from_archetype("cheerful enthusiast")
    ruler = ConfigPersonality.from_archetype("ruler")
    # when both score both texts
    e_excited, e_formal = enthusiast.score([EXCITED, FORMAL])
    r_excited, r_formal = ruler.score([EXCITED, FORMAL])
    # then each persona prefers its own style, within [0, 1]
    assert e_excited > e_formal and r_formal > r_excited
    assert all(0.0 <= s <= 1.0 for s in (e_excited, e_formal, r_excited, r_formal))


def test_scoring_is_deterministic_and_empty_text_scores_zero():
    persona = ConfigPersonality.from_archetype("sage")
    first = persona.score([FORMAL, ""])
    assert first == persona.score([FORMAL, ""])
    assert first[1] == 0.0


def test_generation_defaults_follow_traits():
    # given a playful, creative archetype and a decisive, conventional one
    jester = ConfigPersonality.from_archetype("jester").generation_defaults()
    ruler = ConfigPersonality.from_archetype("ruler").generation_defaults()
    # then the playful one samples more freely
    assert jester["temperature"] > ruler["temperature"]
    assert {"temperature", "top_p", "max_new_tokens"} <= set(jester)


def test_target_ranges_move_with_traits():
    # given a terse and a verbose custom personality
    terse = ConfigPersonality("Terse", {"verbosity": 0.0}).target_ranges()["words"]
    verbose = ConfigPersonality("Verbose", {"verbosity": 1.0}).target_ranges()["words"]
    # then the verbose one aims for more words
    assert verbose[0] > terse[1]


def test_round_trip_through_the_registry():
    # given a custom personality saved as a dict
    persona = ConfigPersonality("Ada", {"warmth": 0.9, "formality": 0.2}, "a friendly tutor")
    data = persona.to_dict()
    # when it is loaded back by kind
    loaded = Personality.from_dict(data)
    # then it is the same personality
    assert data["kind"] == "config"
    assert isinstance(loaded, ConfigPersonality)
    assert loaded.to_dict() == data and loaded.system_prompt() == persona.system_prompt()


def test_bad_traits_and_kinds_are_named():
    with pytest.raises(PersonalityError, match=r"unknown trait\(s\) \['charm'\]"):
        ConfigPersonality("X", {"charm": 0.5})
    with pytest.raises(
        PersonalityError, match="trait 'warmth': expected a number in \\[0, 1\\], got 2"
    ):
        ConfigPersonality("X", {"warmth": 2})
    with pytest.raises(PersonalityError, match="unknown kind 'mystery'; known: config"):
        Personality.from_dict({"kind": "mystery"})
    with pytest.raises(PersonalityError, match="missing field 'traits'"):
        Personality.from_dict({"kind": "config", "name": "X"})


def test_an_archetype_is_ready_without_loading_the_metrics_libraries():
    # given a fresh process (a web process or inference worker on its first personality chat)
    script = (
        "import sys\n"
        "from ml.personality import ARCHETYPES, ConfigPersonality, Personality\n"
        "persona = ConfigPersonality.from_archetype('Sage')\n"
        "print(persona.system_prompt()[:3], sorted(persona.generation_defaults())[:1])\n"
        "print(Personality.from_dict(persona.to_dict()).name)\n"
        "print(sorted(m for m in ('textstat', 'nltk', 'scipy', 'sklearn') if m in sys.modules))\n"
        "try:\n"
        "    Personality.from_dict({'kind': 'wizard'})\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    # when it builds an archetype's prompt, and loads and refuses personality files
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[3]).stdout.splitlines()
    # then the heavy libraries behind the metrics are not loaded, and every kind is still known
    assert out[1] == "Sage"
    assert out[2] == "[]"
    assert out[3] == "personality: unknown kind 'wizard'; known: config, learned, neural"
