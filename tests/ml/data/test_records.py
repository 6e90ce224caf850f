"""Reading every supported file type, with malformed records named by file and line."""

import json

import pytest

from ml.data import Columns, DataFormatError, inspect_dataset, iter_records
from ml.data import records as records_module


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_each_format_yields_its_records_with_line_numbers(tmp_path):
    # given one file of each type
    write(tmp_path / "a.txt", "first line\nsecond line\n")
    write(tmp_path / "b.jsonl", '{"text": "from jsonl"}\n\n{"prompt": "q?", "response": "a."}\n')
    write(tmp_path / "c.json", '[\n  "bare string",\n  {"text": "object"}\n]\n')
    write(tmp_path / "d.csv", 'text,other\n"with, comma",x\n"multi\nline",y\nlast,z\n')

    # when the directory is read
    records = list(iter_records(tmp_path))

    # then every record comes out in file order, with where it was in the directory read
    assert [(r.file, r.line) for r in records] == [
        ("a.txt", 1),
        ("b.jsonl", 1),
        ("b.jsonl", 3),
        ("c.json", 2),
        ("c.json", 3),
        ("d.csv", 2),
        ("d.csv", 3),
        ("d.csv", 5),
    ]
    assert records[0].text == "first line\nsecond line\n"
    assert (records[2].prompt, records[2].response) == ("q?", "a.")
    assert [r.text for r in records[5:]] == ["with, comma", "multi\nline", "last"]


def test_custom_column_names_are_used(tmp_path):
    # given a CSV of instruction pairs with its own column names
    path = write(tmp_path / "pairs.csv", "question,answer\nWho?,Me.\n")

    # when read with those names
    (record,) = iter_records(path, Columns(prompt="question", response="answer"))

    # then it is a prompt/response pair
    assert (record.prompt, record.response) == ("Who?", "Me.")


@pytest.mark.parametrize(
    "name, content, line, message",
    [
        ("bad.jsonl", '{"text": "ok"}\n{"text": broken}\n', 2, "invalid JSON"),
        ("bad.jsonl", '{"text": "ok"}\n\n{"title": "no text"}\n', 3, "'text' field"),
        ("bad.jsonl", '{"text": 12}\n', 1, "must be a string"),
        ("bad.json", '[\n "ok",\n 42\n]', 3, "got a number"),
        ("bad.json", '{"text": "not an array"}', 1, "JSON array"),
        ("bad.csv", "title\nx\n", 1, "'text' column"),
        ("bad.csv", "text\nok\nx,extra\n", 3, "more cells"),
    ],
)
def test_malformed_record_names_file_and_line(tmp_path, name, content, line, message):
    # given a file with one bad record
    path = write(tmp_path / name, content)

    # when it is read
    with pytest.raises(DataFormatError) as caught:
        list(iter_records(path))

    # then the error says where (the file by its name, not the directory it lies in) and what
    assert caught.value.file == name
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{name}:{line}:")


def test_non_utf8_text_is_reported(tmp_path):
    # given a Latin-1 file
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\xe9\n".encode("latin-1"))

    # when read, then the error names the file
    with pytest.raises(DataFormatError, match="latin.txt.*not UTF-8"):
        list(iter_records(path))


def test_unsupported_or_missing_paths_are_rejected(tmp_path):
    with pytest.raises(DataFormatError, match="unsupported file type '.pdf'"):
        list(iter_records(write(tmp_path / "x.pdf", "")))
    with pytest.raises(DataFormatError, match="no such file"):
        list(iter_records(tmp_path / "missing.txt"))


def test_large_text_file_streams_in_chunks_of_one_document(tmp_path, monkeypatch):
    # given a text file larger than the chunk size
    monkeypatch.setattr(records_module, "TXT_CHUNK_CHARS", 20)
    text = "".join(f"line number {i}\n" for i in range(10))
    path = write(tmp_path / "big.txt", text)

    # when read
    records = list(iter_records(path))

    # then it comes in several pieces that rebuild the file, all one document
    assert len(records) > 1
    assert "".join(r.text for r in records) == text
    assert [r.new_document for r in records] == [True] + [False] * (len(records) - 1)
    assert records[1].line == 3


def test_inspect_dataset_collects_every_error_and_summarises(tmp_path):
    # given a dataset with good records and several bad ones
    lines = [json.dumps({"text": f"record {i}"}) for i in range(7)]
    lines[2] = "not json"
    lines[5] = '{"prompt": 1, "response": "x"}'
    write(tmp_path / "data.jsonl", "\n".join(lines) + "\n")
    (tmp_path / "inner").mkdir()
    write(tmp_path / "inner" / "more.csv", "wrong\nx\n")

    # when inspected
    report = inspect_dataset(tmp_path)

    # then every problem is listed by its place in the directory, and the good records are
    # counted and previewed
    assert [(e["file"], e["line"]) for e in report.errors] == [
        ("data.jsonl", 3),
        ("data.jsonl", 6),
        ("inner/more.csv", 1),
    ]
    assert report.records == 5
    assert report.characters == sum(len(f"record {i}") for i in (0, 1, 3, 4, 6))
    assert report.preview[:2] == ["record 0", "record 1"]
    assert report.estimated_tokens > 0


def test_inspect_dataset_reports_a_missing_path(tmp_path):
    report = inspect_dataset(tmp_path / "nothing.jsonl")
    assert report.records == 0
    assert report.errors[0]["message"] == "no such file or directory"


def test_chat_and_preference_records_are_read_with_their_kinds(tmp_path):
    # given a chat, a preference with a string prompt and one with a conversation as prompt
    chat = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "Bye!"},
        ]
    }
    convo = [{"role": "user", "content": "Name?"}]
    lines = [chat, {"prompt": "2+2?", "chosen": "4", "rejected": "5"}]
    lines.append({"prompt": convo, "chosen": "Ann", "rejected": "no"})
    path = write(tmp_path / "mixed.jsonl", "\n".join(json.dumps(line) for line in lines))
    csv_path = write(tmp_path / "prefs.csv", 'ask,good,bad\n"2+2?",4,5\n')

    # when read (the CSV with its own column names)
    records = list(iter_records(path))
    (from_csv,) = iter_records(csv_path, Columns(prompt="ask", chosen="good", rejected="bad"))

    # then each comes out whole, with its kind
    assert [r.kind for r in records] == ["chat", "preference", "preference"]
    assert records[0].chat_messages() == chat["messages"]
    assert (records[1].prompt_messages(), records[1].chosen) == (
        [{"role": "user", "content": "2+2?"}],
        "4",
    )
    assert (records[2].prompt_messages(), records[2].rejected) == (convo, "no")
    assert (from_csv.kind, from_csv.prompt, from_csv.chosen, from_csv.rejected) == (
        "preference",
        "2+2?",
        "4",
        "5",
    )


@pytest.mark.parametrize(
    "record, message",
    [
        ({"messages": []}, "'messages' is an empty list"),
        ({"messages": "hi"}, "'messages' must be a list of messages, got a string"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "'messages' message 1 has role 'bot'"),
        ({"messages": [{"role": "user"}]}, "'messages' message 1 has no 'content'"),
        (
            {"messages": [{"role": "user", "content": 3}]},
            "'content' must be a string, got a number",
        ),
        ({"messages": [{"role": "user", "content": "q"}]}, "must be from the assistant"),
        ({"messages": ["hi"]}, "message 1 must be an object, got a string"),
        ({"prompt": "q", "chosen": "a"}, "'rejected' is missing"),
        ({"prompt": "q", "chosen": "a", "rejected": 1}, "'rejected' must be a string"),
        ({"prompt": "q", "chosen": "", "rejected": "b"}, "must not be empty"),
        ({"prompt": 5, "chosen": "a", "rejected": "b"}, "string or a list of messages"),
        (
            {"prompt": [{"role": "assistant", "content": "x"}], "chosen": "a", "rejected": "b"},
            "must be from the user",
        ),
    ],
)
def test_malformed_chat_or_preference_record_says_why(tmp_path, record, message):
    # given a valid chat on line 1 and a malformed record on line 2
    good = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    path = write(tmp_path / "bad.jsonl", json.dumps(good) + "\n" + json.dumps(record) + "\n")

    # when read, then the error names the file, the line and the reason
    with pytest.raises(DataFormatError) as caught:
        list(iter_records(path))
    assert (caught.value.file, caught.value.line) == ("bad.jsonl", 2)
    assert message in caught.value.message
