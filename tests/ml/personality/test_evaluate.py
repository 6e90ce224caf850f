"""The persona evaluation harness on a tiny model: every condition answers, every metric is
measured, the JSON report and the PNG chart are written; the shipped probe set is varied."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ml.cli import main
from ml.data.errors import DataFormatError
from ml.personality.evaluate import CONDITIONS, load_probes
from ml.personality.metrics import METRIC_NAMES
from tests.ml.personality.test_steering import tiny_sou

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_eval_writes_every_condition_and_metric_and_a_chart(tmp_path, capsys):
    # given a tiny model, a persona LoRA stand-in and three probes
    model, lora = tiny_sou(tmp_path / "m.sou"), tiny_sou(tmp_path / "lora.sou", seed=1)
    probes = tmp_path / "probes.jsonl"
    probes.write_text(
        "".join(
            json.dumps({"category": c, "prompt": p}) + "\n"
            for c, p in (
                ("facts", "Why is the sky blue?"),
                ("small_talk", "Hi!"),
                ("advice", "What now?"),
            )
        )
    )

    # when a user evaluates it against the cheerful personality
    code = main(
        [
            "persona",
            "eval",
            str(model),
            "--personality",
            "cheerful enthusiast",
            "--lora",
            str(lora),
            "--probes",
            str(probes),
            "--max-tokens",
            "6",
            "--layers",
            "1",
            "--strength",
            "0.5",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "report"),
        ]
    )

    # then the table names every condition and the JSON holds each one's metrics
    out = capsys.readouterr().out
    assert code == 0
    assert all(name in out for name in CONDITIONS)
    report = json.loads((tmp_path / "report" / "persona_eval.json").read_text())
    assert list(report["conditions"]) == list(CONDITIONS)
    for values in report["conditions"].values():
        assert set(values["metrics"]) == set(METRIC_NAMES)
        assert 0 <= values["alignment"] <= 1
        assert values["perplexity"] > 1
    assert report["conditions"]["none"]["perplexity_ratio"] == 1.0
    assert report["steering"] == {"source": "computed", "layers": [1], "strength": 0.5}
    assert [a["prompt"] for a in report["answers"]] == ["Why is the sky blue?", "Hi!", "What now?"]
    # and the chart is a PNG
    assert (tmp_path / "report" / "persona_eval.png").read_bytes()[:8] == PNG_MAGIC


def test_shipped_probes_are_many_and_varied():
    # when the shipped probe set is loaded
    probes = load_probes()

    # then it has at least 60 distinct prompts over the seven kinds of request
    assert len({p.prompt for p in probes}) == len(probes) >= 60
    kinds = Counter(p.category for p in probes)
    assert set(kinds) == {
        "advice",
        "facts",
        "opinions",
        "creative",
        "technical",
        "emotional",
        "small_talk",
    }
    assert min(kinds.values()) >= 5


def test_a_broken_probe_file_names_the_line(tmp_path):
    # given a probe file whose second line has no prompt
    bad = tmp_path / "probes.jsonl"
    bad.write_text('{"prompt": "Hi"}\n{"category": "facts"}\n')

    # when loaded, then the error names the file and the line
    with pytest.raises(DataFormatError, match=r"probes\.jsonl.*2"):
        load_probes(bad)
