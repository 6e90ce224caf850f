"""Running recipes as the web app and the CLI do: streaming in batches, records that cannot be
processed, progress, cancel, the checks that need the inputs, and the builder's preview."""

from __future__ import annotations

import pytest

from ml.data.pipeline import (
    RecipeCancelled,
    RecipeError,
    RecipeInput,
    check_recipe,
    preview_recipe,
    run_recipe,
    runner,
)
from tests.ml.data.pipeline.factories import english, one_input, read_jsonl, recipe, write_jsonl


def test_a_stream_of_many_batches_deduplicates_across_batches(tmp_path, monkeypatch):
    # given batches of 10 records and a file of 95, whose copies sit several batches apart
    monkeypatch.setattr(runner, "BATCH_RECORDS", 10)
    texts = [english(i, 30) for i in range(60)]
    records = [{"text": t} for t in texts] + [{"text": texts[i].upper()} for i in range(0, 35)]
    events = []
    # when exact and near dedup run over the stream
    report = run_recipe(
        recipe({"type": "dedup_exact"}, {"type": "dedup_near"}),
        one_input(tmp_path, records),
        tmp_path / "out",
        on_progress=events.append,
    )
    # then every later copy is gone and the originals are all there, in order
    assert [r["text"] for r in read_jsonl(tmp_path / "out" / "data.jsonl")] == texts
    assert report.steps[0].records_in == 95 and report.steps[0].stats["duplicates"] == 35
    assert report.records_read == 95 and report.outputs == {"data": 60}
    assert events[-1].fraction == 1.0 and events[-1].records_out == 60


def test_a_txt_input_is_read_as_paragraphs(tmp_path):
    # given
    path = tmp_path / "notes.txt"
    path.write_text("First paragraph\nstill first.\n\nSecond one.\n\n\nThird.\n")
    # when
    run_recipe(recipe({"type": "normalize"}), [RecipeInput(path)], tmp_path / "out")
    # then
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [
        {"text": "First paragraph\nstill first."},
        {"text": "Second one."},
        {"text": "Third."},
    ]


def test_unreadable_records_are_counted_with_file_and_line_and_the_rest_runs(tmp_path):
    # given a file with a broken line and a record whose regex field is not text
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"text": "fine", "tag": "x"}\n{"text": broken\n{"text": "also fine", "tag": 7}\n'
    )
    # when a regex filter on that column runs
    report = run_recipe(
        recipe({"type": "regex_filter", "pattern": "x", "field": "tag"}),
        [RecipeInput(path)],
        tmp_path / "out",
    )
    # then the job finishes and both problems are listed by line
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [{"text": "fine", "tag": "x"}]
    assert [(e["step"], e["line"]) for e in report.errors.errors] == [(None, 2), (0, 3)]
    assert report.to_dict()["error_count"] == 2


def test_cancel_stops_the_run_and_removes_partial_output(tmp_path, monkeypatch):
    # given
    monkeypatch.setattr(runner, "BATCH_RECORDS", 5)
    records = [{"text": f"record {i}"} for i in range(50)]
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 2

    # when
    with pytest.raises(RecipeCancelled):
        run_recipe(
            recipe({"type": "normalize"}),
            one_input(tmp_path, records),
            tmp_path / "out",
            should_stop=should_stop,
        )
    # then
    assert not (tmp_path / "out" / "data.jsonl").exists()


def test_an_unknown_column_is_refused_before_running(tmp_path):
    # given
    inputs = one_input(tmp_path, [{"text": "a", "tag": "x"}])
    # when
    with pytest.raises(RecipeError) as caught:
        check_recipe(
            recipe({"type": "normalize"}, {"type": "length_filter", "min": 1, "field": "title"}),
            inputs,
        )
    # then
    assert (caught.value.step, caught.value.field) == (1, "field")
    assert "no column 'title'" in caught.value.message and "tag, text" in caught.value.message


def test_columns_a_template_removes_are_unknown_to_later_steps(tmp_path):
    # given
    inputs = one_input(tmp_path, [{"q": "a", "a": "b", "author": "x"}])
    steps = (
        {"type": "template", "prompt": "{q}", "response": "{a}"},
        {"type": "split", "group_by": "author"},
    )
    # when
    with pytest.raises(RecipeError) as caught:
        check_recipe(recipe(*steps), inputs)
    # then
    assert (caught.value.step, caught.value.field) == (1, "group_by")


def test_mix_needs_one_weight_per_input_and_one_kind_of_record(tmp_path):
    # given
    text = RecipeInput(write_jsonl(tmp_path / "t.jsonl", [{"text": "a"}]), name="texts")
    chat = RecipeInput(
        write_jsonl(
            tmp_path / "c.jsonl",
            [
                {
                    "messages": [
                        {"role": "user", "content": "hi"},
                        {"role": "assistant", "content": "yo"},
                    ]
                }
            ],
        ),
        name="chats",
    )
    mix = {"type": "mix", "weights": [1, 1, 1], "target_size": 4}
    # when
    with pytest.raises(RecipeError) as caught:
        check_recipe(recipe(mix), [text, chat])
    # then
    assert (caught.value.step, caught.value.field) == (0, "weights")
    with pytest.raises(RecipeError) as caught:
        check_recipe(recipe({**mix, "weights": [1, 1]}), [text, chat])
    assert (caught.value.step, caught.value.field) == (
        0,
        "inputs",
    ) and "chat, text" in caught.value.message


def test_preview_shows_the_first_records_after_each_step(tmp_path):
    # given 3000 records, every third one a copy of the one before
    records = [{"text": f"Line  {i // 3 if i % 3 == 2 else i}"} for i in range(3000)]
    # when the builder previews normalize -> dedup_exact, limited to 2 records and 300 scanned
    steps = recipe({"type": "normalize"}, {"type": "dedup_exact"})
    preview = preview_recipe(steps, one_input(tmp_path, records), limit=2, scan=300)
    # then each step shows its first two records and its counts over the scanned part only
    assert [p.records for p in preview] == [
        [{"text": "Line 0"}, {"text": "Line 1"}],
        [{"text": "Line 0"}, {"text": "Line 1"}],
    ]
    assert (preview[0].records_in, preview[0].records_out) == (300, 300)
    assert preview[1].records_out < 300
    assert not (tmp_path / "out").exists()


def test_a_csv_input_keeps_its_columns_and_names_bad_rows_by_line(tmp_path):
    # given a CSV with a row that has one cell too many
    path = tmp_path / "rows.csv"
    path.write_text('question,answer\n"What is 2+2?",4\n"Hi",there,extra\nWhy?,Because\n')
    # when it is templated into pairs
    steps = recipe({"type": "template", "prompt": "Q: {question}", "response": "{answer}"})
    report = run_recipe(steps, [RecipeInput(path)], tmp_path / "out")
    # then the good rows are pairs and the bad one is listed with its line
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [
        {"prompt": "Q: What is 2+2?", "response": "4"},
        {"prompt": "Q: Why?", "response": "Because"},
    ]
    assert [(e["line"], e["message"]) for e in report.errors.errors] == [
        (3, "more cells than header columns")
    ]


def test_workers_give_the_same_output_and_report_as_one_process(tmp_path, monkeypatch):
    # given several batches of records with PII, short ones and copies
    monkeypatch.setattr(runner, "BATCH_RECORDS", 7)
    records = [{"text": f"{english(i % 30, 12)} mail me{i}@example.com"} for i in range(60)]
    records += [{"text": "tiny"}, "not an object"]
    steps = recipe(
        {"type": "normalize"},
        {"type": "length_filter", "min": 20},
        {"type": "pii_scrub"},
        {"type": "dedup_exact"},
    )
    inputs = one_input(tmp_path, records)
    # when the recipe runs in one process and with two workers
    alone = run_recipe(steps, inputs, tmp_path / "alone")
    shared = run_recipe(steps, inputs, tmp_path / "shared", workers=2)
    # then the records, their order and every count agree
    assert (tmp_path / "shared" / "data.jsonl").read_text() == (
        tmp_path / "alone" / "data.jsonl"
    ).read_text()
    assert _without_time(shared) == _without_time(alone)


def _without_time(report) -> dict:
    return {k: v for k, v in report.to_dict().items() if k != "seconds"}


def test_a_bad_byte_in_a_txt_file_leaves_out_its_paragraph_only(tmp_path):
    # given four paragraphs, the second with a byte that is not UTF-8 on its second line
    path = tmp_path / "book.txt"
    path.write_bytes(b"one\n\ntwo\nt\xffo\n\nthree\n\nfour\n")
    # when it is run through a recipe
    report = run_recipe(
        recipe({"type": "normalize"}), [RecipeInput(path, name="book.txt")], tmp_path / "out"
    )
    # then the other three paragraphs come out and the bad line is named
    assert [r["text"] for r in read_jsonl(tmp_path / "out" / "data.jsonl")] == [
        "one",
        "three",
        "four",
    ]
    assert [(e["file"], e["line"]) for e in report.errors.errors] == [("book.txt", 4)]
    assert "UTF-8" in report.errors.errors[0]["message"]


def test_a_bad_byte_in_a_csv_row_leaves_out_that_row_only(tmp_path):
    # given a CSV whose first data row has a byte that is not UTF-8
    path = tmp_path / "rows.csv"
    path.write_bytes(b"text,label\nbad \xff row,x\ngood row,y\n\"two\nlines\",z\n")
    inputs = [RecipeInput(path, name="rows.csv")]
    # when the recipe is checked and run
    check_recipe(recipe({"type": "normalize"}), inputs)
    report = run_recipe(recipe({"type": "normalize"}), inputs, tmp_path / "out")
    # then the later rows come out and the bad one is named by its line
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [
        {"text": "good row", "label": "y"},
        {"text": "two\nlines", "label": "z"},
    ]
    assert [(e["file"], e["line"]) for e in report.errors.errors] == [("rows.csv", 2)]


def test_a_json_array_input_names_records_by_the_line_dataset_validation_gives(tmp_path):
    # given a .json array whose third record (on line 6) has no text column
    from ml.data.records import iter_records

    path = tmp_path / "rows.json"
    path.write_text('[\n  {"text": "one"},\n  {"text": "two",\n   "n": 2},\n\n  {"title": 3}\n]\n')
    # when a recipe's length filter runs over it and the dataset is validated
    report = run_recipe(
        recipe({"type": "length_filter", "min": 1, "field": "text"}),
        [RecipeInput(path, name="rows.json")],
        tmp_path / "out",
    )
    validation = []
    list(iter_records(path, on_error=validation.append))
    # then both name the same line for the same record
    assert [(e["file"], e["line"]) for e in report.errors.errors] == [("rows.json", 6)]
    assert [(e.file, e.line) for e in validation] == [("rows.json", 6)]
