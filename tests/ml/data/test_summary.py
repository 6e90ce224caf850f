"""The dataset report the web app shows: kinds of records, examples too long for a model, and
the first records that do not fit a training method."""

import json

import pytest

from ml.data import (
    Columns,
    DataFormatError,
    build_char_tokenizer,
    inspect_dataset,
    records,
    records_fit_method,
)


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def chat(answer):
    return {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": answer}]
    }


PREFERENCE = {"prompt": "hi", "chosen": "hello", "rejected": "go away"}


def test_report_counts_records_per_kind(tmp_path):
    # given text, a pair, two chats and a preference in one directory
    (tmp_path / "notes.txt").write_text("some text\n")
    rows = [{"prompt": "q", "response": "a"}, chat("one"), chat("two"), PREFERENCE]
    write_jsonl(tmp_path / "data.jsonl", rows)

    # when inspected
    report = inspect_dataset(tmp_path)

    # then each kind is counted, and nothing is measured against a context not given
    assert report.kinds == {"text": 1, "pair": 1, "chat": 2, "preference": 1}
    assert report.records == 5 and report.errors == []
    assert report.longer_than_context is None
    assert any("go away" in text for text in report.preview)


def test_report_counts_examples_longer_than_a_models_context(tmp_path):
    # given chats of 6 and 60 answer characters and a character tokenizer
    path = write_jsonl(tmp_path / "chats.jsonl", [chat("a" * 6), chat("b" * 60), chat("c" * 60)])
    tokenizer = build_char_tokenizer(["<|user|>\nhi<|assistant|>abc"])
    template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"

    # when inspected for a context of 40 tokens, through a template or the default one
    plain = inspect_dataset(path, context=40, tokenizer=tokenizer, chat_template=template)
    marked_up = inspect_dataset(path, context=40, tokenizer=tokenizer)

    # then the two long chats are counted; with the default template's markup the short one
    # (2 + 6 characters plain) still fits
    assert plain.longer_than_context == 2
    assert marked_up.longer_than_context == 2
    assert inspect_dataset(path, context=10, tokenizer=tokenizer).longer_than_context == 3


@pytest.mark.parametrize(
    "method, bad_lines",
    [("pretrain", [4]), ("sft", [1, 4]), ("dpo", [1, 2, 3])],
)
def test_records_that_do_not_fit_a_method_are_named_by_line(tmp_path, method, bad_lines):
    # given text, a pair, a chat and a preference, one a line
    rows = [{"text": "plain"}, {"prompt": "q", "response": "a"}, chat("hey"), PREFERENCE]
    path = write_jsonl(tmp_path / "mixed.jsonl", rows)

    # when checked against the method
    misfits = records_fit_method(path, Columns(), method)

    # then the records it cannot learn from are named, with what it takes
    assert [(m["file"], m["line"]) for m in misfits] == [("mixed.jsonl", n) for n in bad_lines]
    assert all(f"does not fit {method.upper()}, which takes" in m["message"] for m in misfits)


def test_method_check_lists_malformed_records_and_stops_at_the_limit(tmp_path):
    # given preference records on custom columns, a broken line among them, then many chats
    rows = [{"ask": "q", "good": "a", "bad": "b"}] * 2
    path = tmp_path / "prefs.jsonl"
    path.write_text(
        "".join(json.dumps(r) + "\n" for r in rows)
        + "{broken\n"
        + "".join(json.dumps(chat("x")) + "\n" for _ in range(10))
    )
    columns = Columns(prompt="ask", chosen="good", rejected="bad")

    # when checked for DPO with a limit of 3
    misfits = records_fit_method(path, columns, "dpo", limit=3)

    # then the broken line comes first, then the chats, three in all
    assert [m["line"] for m in misfits] == [3, 4, 5]
    assert "invalid JSON" in misfits[0]["message"]
    assert "('ask', 'good', 'bad')" in misfits[1]["message"]
    assert records_fit_method(tmp_path / "missing.jsonl", columns, "sft")[0]["line"] == 0


def test_method_check_stops_reading_at_the_limit_of_malformed_lines(tmp_path, monkeypatch):
    # given a file of many malformed lines and no good record, and a count of the lines the
    # reader finds malformed
    path = tmp_path / "broken.jsonl"
    path.write_text("{broken\n" * 5000)
    found = []

    class CountedError(DataFormatError):
        def __init__(self, *args):
            super().__init__(*args)
            found.append(self)

    monkeypatch.setattr(records, "DataFormatError", CountedError)

    # when checked with a limit of 4
    misfits = records_fit_method(path, Columns(), "sft", limit=4)

    # then the first four lines are named, and reading stopped there
    assert [m["line"] for m in misfits] == [1, 2, 3, 4]
    assert len(found) == 4
