"""What keeps one recipe from holding a worker or filling memory and disk: a regex that
backtracks forever, outputs sized beyond reason, a template that multiplies a record, and the
preview's time budget."""

from __future__ import annotations

import pytest

from ml.data.pipeline import RecipeError, parse_recipe, preview_recipe, run_recipe
from tests.ml.data.pipeline.factories import one_input, read_jsonl, recipe

# Exponential backtracking in the `regex` package: (a|aa)+$ against a's ending in "b".
_REDOS = r"(a|aa)+$"


def test_a_regex_that_backtracks_forever_fails_its_record_and_the_run_goes_on(tmp_path):
    # given a record the pattern backtracks on without end, between two ordinary ones
    records = [{"text": "aaa"}, {"text": "a" * 80 + "b"}, {"text": "caa"}]
    # when the regex filter runs
    report = run_recipe(
        recipe({"type": "regex_filter", "pattern": _REDOS}),
        one_input(tmp_path, records),
        tmp_path / "out",
    )
    # then that record is an error at its line, and the others are filtered as usual
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [{"text": "aaa"}, {"text": "caa"}]
    assert report.steps[0].dropped == {"error": 1}
    (error,) = report.errors.errors
    assert (error["file"], error["line"]) == ("data.jsonl", 2)
    assert "regex search took over" in error["message"]


@pytest.mark.parametrize(
    ("step", "field", "says"),
    [
        ({"type": "regex_filter", "pattern": "a" * 1001}, "pattern", "longer than 1000"),
        ({"type": "mix", "weights": [1, 1], "target_size": 10**15}, "target_size", "between 1"),
        ({"type": "mix", "weights": [1e400, 1], "target_size": 5}, "weights", "finite"),
        ({"type": "mix", "weights": [1e300, 1], "target_size": 5}, "weights", "at most"),
        ({"type": "sample", "n": 10**12}, "n", "or sample a fraction"),
        ({"type": "template", "mode": "text", "text": "x" * 4097}, "text", "longer than 4096"),
        ({"type": "template", "mode": "text", "text": "{text}" * 33}, "text", "placeholders"),
        ({"type": "template", "mode": "text", "text": "{0}"}, "text", "position"),
        ({"type": "template", "mode": "text", "text": "{٣}"}, "text", "position"),
        (
            {"type": "language_filter", "languages": ["en"], "min_confidence": 10**400},
            "min_confidence",
            "finite",
        ),
    ],
)
def test_limits_are_refused_naming_the_field(step, field, says):
    # when a recipe asks for more than the limits allow
    with pytest.raises(RecipeError) as caught:
        parse_recipe({"steps": [step]})
    # then the field is named with the limit
    assert (caught.value.step, caught.value.field) == (0, field)
    assert says in caught.value.message


def test_a_mix_far_larger_than_its_inputs_is_refused_before_writing(tmp_path):
    # given two inputs of 2 records each and a mix asking for 401 (more than 100x)
    inputs = one_input(tmp_path, [{"text": "a"}, {"text": "b"}], "a.jsonl")
    inputs += one_input(tmp_path, [{"text": "c"}, {"text": "d"}], "b.jsonl")
    steps = recipe({"type": "mix", "weights": [1, 1], "target_size": 401})
    # when it runs
    with pytest.raises(RecipeError) as caught:
        run_recipe(steps, inputs, tmp_path / "out")
    # then the mix's target is refused and nothing was written
    assert (caught.value.step, caught.value.field) == (0, "target_size")
    assert not (tmp_path / "out" / "data.jsonl").exists()


def test_a_template_that_would_build_a_huge_record_fails_that_record(tmp_path, monkeypatch):
    # given a rendered-record cap of 100 characters, a short and a long record
    from ml.data.pipeline import ops_text

    monkeypatch.setattr(ops_text, "MAX_RENDERED_CHARS", 100)
    records = [{"text": "short"}, {"text": "x" * 40}]
    # when a template repeats the text three times
    report = run_recipe(
        recipe({"type": "template", "mode": "text", "text": "{text} {text} {text}"}),
        one_input(tmp_path, records),
        tmp_path / "out",
    )
    # then the long one is an error at its line and the short one is rendered
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [{"text": "short short short"}]
    (error,) = report.errors.errors
    assert error["line"] == 2 and "over 100" in error["message"]


def test_a_template_column_named_like_a_number_fails_its_record_not_the_run(tmp_path):
    # given a template over a column "²" (a digit to str.isdigit, a key to format_map) and a
    # record without that column
    records = [{"text": "t", "²": "two"}, {"text": "u"}]
    # when it runs
    report = run_recipe(
        recipe({"type": "template", "mode": "text", "text": "n={²}"}),
        one_input(tmp_path, records),
        tmp_path / "out",
    )
    # then the first is rendered by key and the second counted as an error
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [{"text": "n=two"}]
    assert report.errors.total == 1


def test_a_preview_past_its_deadline_returns_what_it_had_marked_stopped(tmp_path):
    # given records the pattern backtracks on without end
    records = [{"text": "a" * 80 + "b"} for _ in range(50)]
    steps = recipe({"type": "normalize"}, {"type": "regex_filter", "pattern": _REDOS})
    # when the builder previews it with a budget of a tenth of a second
    previews = preview_recipe(steps, one_input(tmp_path, records), deadline_s=0.1)
    # then the previews come back, each marked stopped, with what the steps got through
    assert [p.stopped for p in previews] == [True, True]
    assert previews[0].records_out == 50
    assert previews[1].records_out == 0
    assert previews[0].to_dict()["stopped"] is True


def test_a_preview_within_its_deadline_is_not_marked_stopped(tmp_path):
    # when
    previews = preview_recipe(
        recipe({"type": "normalize"}), one_input(tmp_path, [{"text": "a  b"}]), deadline_s=60
    )
    # then
    assert previews[0].stopped is False
    assert previews[0].records == [{"text": "a b"}]
