"""Each step's effect on the records a user gets out, and what the report says about it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.data.pipeline import RecipeInput, run_recipe
from tests.ml.data.pipeline.factories import english, one_input, read_jsonl, recipe, write_jsonl


def run(tmp_path, records, *steps, out="out"):
    """Runs the steps over `records` (read as data.jsonl) into tmp_path/out."""
    report = run_recipe(recipe(*steps), one_input(tmp_path, records), tmp_path / out)
    return report, tmp_path / out


def test_normalize_folds_width_spacing_and_control_characters(tmp_path):
    # given text with full-width letters, odd spacing, a bell character and blank-line runs
    records = [{"text": "ＡＢＣ  def\t ghi\x07 \n\n\n\njkl  "}]
    # when it is normalized
    _, out = run(tmp_path, records, {"type": "normalize"})
    # then it reads as plain text
    assert read_jsonl(out / "data.jsonl") == [{"text": "ABC def ghi\n\njkl"}]


def test_normalize_rewrites_chat_contents_and_keeps_roles(tmp_path):
    # given
    records = [
        {
            "messages": [
                {"role": "user", "content": "hi  there"},
                {"role": "assistant", "content": "ｈｅｌｌｏ"},
            ]
        }
    ]
    # when
    _, out = run(tmp_path, records, {"type": "normalize"})
    # then
    assert read_jsonl(out / "data.jsonl")[0]["messages"] == [
        {"role": "user", "content": "hi there"},
        {"role": "assistant", "content": "hello"},
    ]


def test_length_filter_in_chars_and_tokens_reports_why(tmp_path):
    # given
    records = [{"text": "tiny"}, {"text": "a sentence of middling size"}, {"text": "word " * 50}]
    # when
    report, out = run(
        tmp_path,
        records,
        {"type": "length_filter", "min": 5},
        {"type": "length_filter", "unit": "tokens", "max": 10},
    )
    # then
    assert read_jsonl(out / "data.jsonl") == [{"text": "a sentence of middling size"}]
    assert report.steps[0].dropped == {"below min": 1}
    assert report.steps[1].dropped == {"above max": 1}
    assert report.steps[0].examples[0] == {
        "file": "data.jsonl",
        "line": 1,
        "reason": "below min",
        "text": "tiny",
    }


def test_language_filter_keeps_the_chosen_language(tmp_path):
    # given
    records = [
        {"text": "The weather is lovely today and we are going to walk along the river."},
        {
            "text": "Le temps est magnifique aujourd'hui et nous allons marcher le long de la rivière."
        },
        {"text": "Das Wetter ist heute herrlich und wir gehen am Fluss spazieren."},
    ]
    # when
    report, out = run(tmp_path, records, {"type": "language_filter", "languages": ["en", "de"]})
    # then
    assert [r["text"][:3] for r in read_jsonl(out / "data.jsonl")] == ["The", "Das"]
    assert report.steps[0].dropped == {"language fr": 1}


def test_regex_filter_keeps_matches_or_drops_them(tmp_path):
    # given
    records = [{"text": "order #123"}, {"text": "no number"}]
    # when
    _, kept = run(tmp_path, records, {"type": "regex_filter", "pattern": r"#\d+"})
    # then
    assert read_jsonl(kept / "data.jsonl") == [{"text": "order #123"}]
    _, other = run(
        tmp_path,
        records,
        {"type": "regex_filter", "pattern": r"#\d+", "keep": "nonmatch"},
        out="other",
    )
    assert read_jsonl(other / "data.jsonl") == [{"text": "no number"}]


def test_regex_filter_on_a_column(tmp_path):
    # given
    records = [{"text": "a", "source": "wiki"}, {"text": "b", "source": "forum"}]
    # when
    _, out = run(
        tmp_path, records, {"type": "regex_filter", "pattern": "^wiki$", "field": "source"}
    )
    # then
    assert read_jsonl(out / "data.jsonl") == [{"text": "a", "source": "wiki"}]


def test_feature_filter_computes_the_feature_when_none_is_materialized(tmp_path):
    # given
    records = [{"text": "one two three"}, {"text": "one two three four five six"}]
    # when
    _, out = run(tmp_path, records, {"type": "feature_filter", "feature": "words", "min": 4})
    # then
    assert read_jsonl(out / "data.jsonl") == [{"text": "one two three four five six"}]


def test_feature_filter_reads_materialized_values_row_by_record(tmp_path):
    # given materialized values that disagree with the texts (so reading them is visible)
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}, {"text": "b"}, {"text": "c"}])
    features = tmp_path / "f.parquet"
    pq.write_table(pa.table({"chars": pa.array([100, 1, 100], pa.int64())}), features)
    # when filtering on chars >= 50
    run_recipe(
        recipe({"type": "feature_filter", "feature": "chars", "min": 50}),
        [RecipeInput(data, features_path=features)],
        tmp_path / "out",
    )
    # then the rows' values decided
    assert read_jsonl(tmp_path / "out" / "data.jsonl") == [{"text": "a"}, {"text": "c"}]


def test_sample_is_seeded_and_keeps_input_order(tmp_path):
    # given
    records = [{"text": f"record {i}"} for i in range(50)]
    # when
    _, a = run(tmp_path, records, {"type": "sample", "n": 7, "seed": 4}, out="a")
    _, b = run(tmp_path, records, {"type": "sample", "n": 7, "seed": 4}, out="b")
    first, second = read_jsonl(a / "data.jsonl"), read_jsonl(b / "data.jsonl")
    # then
    assert first == second and len(first) == 7
    numbers = [int(r["text"].split()[1]) for r in first]
    assert numbers == sorted(numbers)


def test_sample_by_fraction_keeps_about_that_share(tmp_path):
    # given
    records = [{"text": f"record {i}"} for i in range(2000)]
    # when
    report, out = run(tmp_path, records, {"type": "sample", "fraction": 0.25, "seed": 1})
    # then
    assert 400 < len(read_jsonl(out / "data.jsonl")) < 600
    assert report.steps[0].records_out + report.steps[0].dropped["not sampled"] == 2000


def test_exact_dedup_ignores_case_and_spacing(tmp_path):
    # given
    records = [{"text": "Hello  World"}, {"text": "hello world"}, {"text": "hello there"}]
    # when
    report, out = run(tmp_path, records, {"type": "dedup_exact"})
    # then
    assert read_jsonl(out / "data.jsonl") == [{"text": "Hello  World"}, {"text": "hello there"}]
    assert report.steps[0].stats["duplicates"] == 1


def test_near_dedup_drops_edited_copies_and_counts_clusters(tmp_path):
    # given two originals, two light edits of the first and one of the second
    a, b = english(1, 120), english(2, 120)
    records = [
        {"text": a},
        {"text": b},
        {"text": a.replace("story", "tale")},
        {"text": a + " The end."},
        {"text": b.replace("house", "home")},
        {"text": english(3, 120)},
    ]
    # when near duplicates are removed at Jaccard 0.8
    report, out = run(tmp_path, records, {"type": "dedup_near", "threshold": 0.8})
    # then the originals and the unrelated text stay, and the report names two clusters
    assert [r["text"] for r in read_jsonl(out / "data.jsonl")] == [a, b, english(3, 120)]
    assert report.steps[0].stats["clusters"] == 2 and report.steps[0].stats["duplicates"] == 3


def test_pii_scrub_replaces_and_counts_each_kind(tmp_path):
    # given
    records = [
        {"text": "Mail jo@example.com, call 555-123-4567 from 10.1.2.3, card 4111 1111 1111 1111."},
        {"text": "Not a card: 4111 1111 1111 1112, not a phone: 2024-01-15."},
    ]
    # when
    report, out = run(tmp_path, records, {"type": "pii_scrub"})
    texts = [r["text"] for r in read_jsonl(out / "data.jsonl")]
    # then
    assert texts[0] == "Mail <EMAIL>, call <PHONE> from <IP>, card <CARD>."
    assert texts[1] == records[1]["text"]
    assert report.steps[0].stats == {"email": 1, "phone": 1, "ip": 1, "card": 1}


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("qty 2 4111 1111 1111 1111 paid", "qty 2 <CARD> paid"),
        ("ref 12 4111-1111-1111-1111", "ref 12 <CARD>"),
        ("invoice 2024 4012 8888 8888 1881", "invoice 2024 <CARD>"),
        ("card 4111 1111 1111 1111 10 USD", "card <CARD> 10 USD"),
        ("two 4111111111111111 and 4012 8888 8888 1881 7", "two <CARD> and <CARD> 7"),
    ],
)
def test_pii_scrub_finds_a_card_next_to_other_numbers(tmp_path, text, scrubbed):
    # when a card number stands beside other digits
    report, out = run(tmp_path, [{"text": text}], {"type": "pii_scrub", "kinds": ["card"]})
    # then the card alone is replaced, and counted
    assert read_jsonl(out / "data.jsonl") == [{"text": scrubbed}]
    assert report.steps[0].stats["card"] == scrubbed.count("<CARD>")


def test_pii_scrub_leaves_a_list_of_small_numbers(tmp_path):
    # given numbers apart by spaces, none longer than two digits
    records = [{"text": "numbers 10 20 30 40 50 60 70"}, {"text": "call 555 123 4567 now"}]
    # when
    report, out = run(tmp_path, records, {"type": "pii_scrub", "kinds": ["phone"]})
    # then the list stays and a phone number written with spaces is still found
    texts = [r["text"] for r in read_jsonl(out / "data.jsonl")]
    assert texts == ["numbers 10 20 30 40 50 60 70", "call <PHONE> now"]


def test_pii_scrub_only_the_chosen_kinds(tmp_path):
    # when
    _, out = run(
        tmp_path, [{"text": "jo@example.com 10.1.2.3"}], {"type": "pii_scrub", "kinds": ["ip"]}
    )
    # then
    assert read_jsonl(out / "data.jsonl") == [{"text": "jo@example.com <IP>"}]


def test_template_maps_columns_into_pairs_chats_and_text(tmp_path):
    # given
    records = [{"instruction": "Add", "input": "2 and 2", "output": "4"}]
    # when
    _, pair = run(
        tmp_path,
        records,
        {
            "type": "template",
            "mode": "pair",
            "prompt": "{instruction}: {input}",
            "response": "{output}",
        },
        out="pair",
    )
    # then
    assert read_jsonl(pair / "data.jsonl") == [{"prompt": "Add: 2 and 2", "response": "4"}]
    _, chat = run(
        tmp_path,
        records,
        {
            "type": "template",
            "mode": "chat",
            "system": "Be brief.",
            "prompt": "{instruction} {input}",
            "response": "{output}",
        },
        out="chat",
    )
    assert read_jsonl(chat / "data.jsonl")[0]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Add 2 and 2"},
        {"role": "assistant", "content": "4"},
    ]
    _, text = run(
        tmp_path,
        records,
        {"type": "template", "mode": "text", "text": "Q: {input} {{literal}} A: {output}"},
        out="text",
    )
    assert read_jsonl(text / "data.jsonl") == [{"text": "Q: 2 and 2 {literal} A: 4"}]


def test_a_record_missing_a_template_column_is_counted_with_its_line(tmp_path):
    # given
    records = [{"q": "a", "a": "b"}, {"q": "only a question"}]
    # when
    report, out = run(tmp_path, records, {"type": "template", "prompt": "{q}", "response": "{a}"})
    # then
    assert len(read_jsonl(out / "data.jsonl")) == 1
    assert report.errors.errors == [
        {"step": 0, "file": "data.jsonl", "line": 2, "message": "no column 'a'"}
    ]
    assert report.steps[0].dropped == {"error": 1}


def test_split_by_fraction_is_seeded(tmp_path):
    # given
    records = [{"text": f"record {i}"} for i in range(1000)]
    # when
    report, out = run(
        tmp_path,
        records,
        {"type": "split", "train": 0.8, "validation": 0.1, "test": 0.1, "seed": 5},
    )
    sizes = {
        part: len(read_jsonl(out / f"{part}.jsonl")) for part in ("train", "validation", "test")
    }
    # then
    assert sum(sizes.values()) == 1000 and 740 < sizes["train"] < 860 and sizes["test"] > 50
    assert report.outputs == sizes
    _, again = run(
        tmp_path,
        records,
        {"type": "split", "train": 0.8, "validation": 0.1, "test": 0.1, "seed": 5},
        out="again",
    )
    assert (again / "test.jsonl").read_text() == (out / "test.jsonl").read_text()


def test_split_grouped_by_a_column_keeps_groups_whole(tmp_path):
    # given
    records = [{"text": f"r{i}", "author": f"a{i % 20}"} for i in range(400)]
    # when
    _, out = run(
        tmp_path,
        records,
        {"type": "split", "train": 0.5, "validation": 0.25, "test": 0.25, "group_by": "author"},
    )
    parts = {
        part: {r["author"] for r in read_jsonl(out / f"{part}.jsonl")}
        for part in ("train", "validation", "test")
    }
    # then
    assert not (parts["train"] & parts["validation"]) and not (parts["train"] & parts["test"])
    assert sum(len(p) for p in parts.values()) == 20


def test_mix_up_and_down_samples_to_the_target_by_weight(tmp_path):
    # given a big and a small input
    big = write_jsonl(tmp_path / "big.jsonl", [{"text": f"big {i}"} for i in range(100)])
    small = write_jsonl(tmp_path / "small.jsonl", [{"text": f"small {i}"} for i in range(5)])
    inputs = [RecipeInput(big, name="big"), RecipeInput(small, name="small")]
    # when mixed 1:1 to 40 records
    report = run_recipe(
        recipe({"type": "mix", "weights": [1, 1], "target_size": 40, "seed": 2}),
        inputs,
        tmp_path / "out",
    )
    texts = [r["text"] for r in read_jsonl(tmp_path / "out" / "data.jsonl")]
    # then 20 distinct big records and 20 small ones (repeats of 5) come out, interleaved
    bigs = [t for t in texts if t.startswith("big")]
    smalls = [t for t in texts if t.startswith("small")]
    assert len(texts) == 40 and len(bigs) == 20 == len(set(bigs)) and len(smalls) == 20
    assert set(smalls) <= {f"small {i}" for i in range(5)}
    assert texts[0].startswith("big") and texts[1].startswith("small")
    assert report.steps[0].stats["planned"] == {"big": 20, "small": 20}
