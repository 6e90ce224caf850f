"""Labelled texts: speeches parsed from a plays file, and the JSON-lines training format."""

from __future__ import annotations

import pytest

from ml.data.errors import DataFormatError
from ml.personality.datasets import (
    parse_speeches,
    read_labelled_jsonl,
    stratified_split,
    top_speakers,
)

PLAY = """THE TRAGEDY OF TESTING

by Someone

ACT I.
SCENE I. A room.

FIRST CITIZEN.
Before we proceed any further, hear me speak.
[Aside.] Softly now.

ALL:
Speak, speak.

Lear.
Nothing will come of nothing.

LEAR.
Speak again.

Look where they come:
this block has no speaker heading.
"""


def test_speeches_are_labelled_by_speaker_without_stage_directions():
    # given a small play with '.' and ':' headings, mixed case and stage directions
    speeches = parse_speeches(PLAY)
    # then each speech carries its speaker (case-folded), text and heading line
    assert [(s.speaker, s.text) for s in speeches] == [
        ("FIRST CITIZEN", "Before we proceed any further, hear me speak. Softly now."),
        ("ALL", "Speak, speak."),
        ("LEAR", "Nothing will come of nothing."),
        ("LEAR", "Speak again."),
    ]
    assert speeches[0].line == 8 and speeches[0].n_lines == 2


def test_top_speakers_rank_by_lines():
    assert top_speakers(parse_speeches(PLAY), 2) == ["FIRST CITIZEN", "LEAR"]


def test_stratified_split_holds_out_every_label():
    texts = [f"t{i}" for i in range(20)]
    labels = ["a"] * 16 + ["b"] * 4
    train_x, _, test_x, test_y = stratified_split(texts, labels, 0.25, seed=0)
    assert sorted(test_y) == ["a"] * 4 + ["b"]
    assert not set(train_x) & set(test_x) and len(train_x) + len(test_x) == 20


def test_labelled_jsonl_reads_and_names_bad_lines(tmp_path):
    # given a good file and one with a missing label on line 2
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "hi", "label": "a"}\n\n{"text": "yo", "label": "b"}\n')
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "label": "a"}\n{"text": "yo"}\n')
    # then the good one reads and the bad one names file, line and field
    assert read_labelled_jsonl(good) == (["hi", "yo"], ["a", "b"])
    with pytest.raises(
        DataFormatError, match=r"bad.jsonl:2: field 'label' must be a non-empty string"
    ):
        read_labelled_jsonl(bad)
    with pytest.raises(DataFormatError, match="missing.jsonl"):
        read_labelled_jsonl(tmp_path / "missing.jsonl")
