"""The `sloughgpt persona` commands as a user runs them."""

from __future__ import annotations

import json

import pytest

from ml.cli import main
from tests.ml.personality.factories import PERSONAS, neutral_texts, persona_texts


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["persona", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_score_text_against_an_archetype(capsys):
    # when a user scores one text against the jester
    code, out, _ = run(capsys, "score", "Haha, what a day! 😀", "--personality", "jester")
    # then metrics and an alignment in [0, 1] are printed as JSON
    result = json.loads(out)
    assert code == 0 and result["texts"] == 1
    assert result["metrics"]["exclamation_rate"] == 0.5
    assert result["personality"] == {"kind": "config", "name": "Jester"}
    assert 0 <= result["alignment"][0] <= 1


def test_score_a_file_of_texts_gives_a_profile(capsys, tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("Hello there.\n\nHello there my friend.\n")
    code, out, _ = run(capsys, "score", str(path))
    assert code == 0 and json.loads(out)["profile"]["mean"]["words"] == 3


def test_unknown_archetype_is_a_clean_error(capsys, tmp_path):
    code, out, err = run(
        capsys, "create", "--archetype", "Wizard", "--out", str(tmp_path / "w.json")
    )
    assert code == 2 and out == ""
    assert err.startswith("error: unknown archetype 'Wizard'; known: Sage")


def test_create_archetype_then_score_with_the_file(capsys, tmp_path):
    out_file = tmp_path / "sage.json"
    assert run(capsys, "create", "--archetype", "sage", "--out", str(out_file))[0] == 0
    code, out, _ = run(
        capsys, "score", "The evidence suggests a careful answer.", "--personality", str(out_file)
    )
    assert code == 0 and json.loads(out)["personality"]["name"] == "Sage"


def test_create_learned_needs_enough_examples(capsys, tmp_path):
    # given a persona file with only 5 examples
    examples = tmp_path / "pirate.txt"
    examples.write_text("\n".join(persona_texts("pirate", 5)))
    background = tmp_path / "plain.txt"
    background.write_text("\n".join(neutral_texts(25)))
    # then create says how many more are needed
    code, _, err = run(
        capsys,
        "create",
        "--examples",
        str(examples),
        "--background",
        str(background),
        "--out",
        str(tmp_path / "p.json"),
    )
    assert code == 2 and "got 5 (15 more needed)" in err


@pytest.mark.slow
def test_train_writes_a_space_whose_personas_score(capsys, tmp_path):
    # given labelled JSON lines for three personas
    data = tmp_path / "labelled.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": t, "label": p}) + "\n"
            for p in PERSONAS
            for t in persona_texts(p, 10)
        )
    )
    # when a space is trained
    code, out, _ = run(
        capsys, "train", "--data", str(data), "--out", str(tmp_path / "space"), "--epochs", "20"
    )
    result = json.loads(out)
    # then it fits its data and writes one persona file per label that `score` accepts
    assert code == 0 and result["labels"] == sorted(PERSONAS) and result["train_accuracy"] == 1.0
    code, out, _ = run(
        capsys, "score", "Arr, the rum be ours!", "--personality", result["personas"]["pirate"]
    )
    assert code == 0 and json.loads(out)["personality"] == {"kind": "neural", "name": "pirate"}


def test_train_reports_bad_data_line(capsys, tmp_path):
    data = tmp_path / "labelled.jsonl"
    data.write_text('{"text": "a", "label": "x"}\nnot json\n')
    code, _, err = run(capsys, "train", "--data", str(data), "--out", str(tmp_path / "s"))
    assert code == 2 and "labelled.jsonl:2: invalid JSON" in err
