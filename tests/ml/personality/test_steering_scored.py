"""The scored contrast: each prompt is answered several times under the persona's and the
neutral system prompt, the persona answers the personality scores highest are contrasted with
the neutral answers it scores lowest; vectors keep the model's width, the ranking is the
documented one, and settings that leave nothing to rank are refused clearly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ml.infer.engine import Engine
from ml.personality import ConfigPersonality, Personality, PersonalityError
from ml.personality.steering import SteeringConfig, pick_scored, scored_answers, steer_file
from ml.sou import read_sou
from tests.ml.personality.test_steering import WIDTH, steer_cli, tiny_sou

CHEERFUL = ConfigPersonality.from_archetype("cheerful enthusiast")
CONTRAST = ["How are you?", "Why is the sky blue?"]


class CountingPersonality(Personality):
    """Scores a text by how many letters 'e' it holds (a ranking the test can recompute) and
    remembers every text it scored."""

    kind = "test-counting"

    def __init__(self):
        self.name = "Counting"
        self.seen: list[str] = []

    def score(self, texts: Sequence[str]) -> list[float]:
        self.seen += texts
        return [float(text.count("e")) for text in texts]

    def system_prompt(self) -> str:
        return "Use the letter e often."

    def generation_defaults(self) -> dict[str, float]:
        return {}

    def _payload(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def _from_payload(cls, data: dict[str, Any], base_dir: Path | None) -> Personality:
        return cls()


@pytest.fixture(scope="module")
def model_sou(tmp_path_factory) -> Path:
    return tiny_sou(tmp_path_factory.mktemp("scored") / "tiny.sou")


def test_pick_scored_keeps_the_best_or_worst_answers_of_each_prompt():
    # given the scores of three answers to each of two prompts, with a tie in the second
    scores = [[0.2, 0.9, 0.5], [0.7, 0.1, 0.7]]

    # when the best two and the worst one of each prompt are picked
    best = pick_scored(scores, 2, highest=True, side="persona")
    worst = pick_scored(scores, 1, highest=False, side="neutral")

    # then they come per prompt, best first, and a tie goes to the earlier (greedy) answer
    assert best == [(0, 1), (0, 2), (1, 0), (1, 2)]
    assert worst == [(0, 0), (1, 1)]


def test_pick_scored_refuses_to_keep_every_answer_of_a_prompt():
    # when as many answers are kept as a prompt has, so nothing is ranked away
    with pytest.raises(PersonalityError, match=r"persona answers to contrast prompt 1 number 2"):
        pick_scored([[0.1, 0.2, 0.3], [0.4, 0.5]], 2, highest=True, side="persona")
    with pytest.raises(PersonalityError, match="keep must be at least 1"):
        pick_scored([[0.1, 0.2]], 0, highest=True, side="neutral")


def test_scored_answers_are_the_best_persona_and_worst_neutral_of_their_prompt(model_sou):
    # given a personality whose score the test can recompute, and three answers per prompt
    persona = CountingPersonality()
    engine = Engine.load(model_sou, "cpu")
    config = SteeringConfig(contrast="scored", samples=3, answer_tokens=8)

    # when the contrast answers are chosen
    high, low = scored_answers(engine, persona, config, CONTRAST)

    # then every prompt's three persona and three neutral answers were scored
    assert len(persona.seen) == 2 * len(CONTRAST) * 3
    groups = [persona.seen[i * 3 : i * 3 + 3] for i in range(2 * len(CONTRAST))]
    # and one persona and one neutral answer per prompt was kept, scoring the most / least of
    # its prompt's answers under that system prompt
    assert [a.prompt for a in high] == [a.prompt for a in low] == [0, 1]
    for picked in high:
        assert picked.score == max(t.count("e") for t in groups[picked.prompt])
        assert picked.text in groups[picked.prompt]
    for picked in low:
        assert picked.score == min(t.count("e") for t in groups[len(CONTRAST) + picked.prompt])
        assert picked.text in groups[len(CONTRAST) + picked.prompt]


def test_scored_vectors_have_the_model_width_and_are_stored(model_sou, tmp_path):
    # given the cheerful personality and answers ranked by sentiment
    out = tmp_path / "scored.sou"
    config = SteeringConfig(
        layers=[1, 2], contrast="scored", samples=2, answer_tokens=8, score="sentiment"
    )

    # when the vectors are computed
    summary = steer_file(model_sou, CHEERFUL, out, config, CONTRAST, "cpu")

    # then the file carries one (n_embd,) vector per chosen layer and says how it was made
    with read_sou(out) as steered:
        vectors = steered.steering_vectors()
        assert sorted(vectors) == [1, 2] == summary["layers"]
        assert all(v.shape == (WIDTH,) and v.norm() > 0 for v in vectors.values())
        assert steered.personality["steering_contrast"] == "scored"
        assert steered.personality["steering_score"] == "sentiment"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--samples", "1"], "samples must be at least 2, got 1"),
        (["--samples", "3", "--keep", "3"], "keep must be from 1 to samples - 1 (2)"),
    ],
)
def test_a_scored_contrast_with_nothing_to_rank_is_refused(
    model_sou, tmp_path, capsys, flags, message
):
    # when a user asks for the scored contrast but keeps every answer there is
    code = steer_cli(model_sou, tmp_path / "x.sou", "--contrast", "scored", *flags,
                     "--device", "cpu")

    # then one error line says why, and no file is written
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert not (tmp_path / "x.sou").exists()
