"""Feature registry and materialization: values per record, Parquet in reading order,
statistics, comparison of two materializations and filtered reads."""

from ml.data.features.materialize import compare, matching_rows, materialize, statistics
from ml.data.features.registry import FEATURES, GROUPS, compute_many


def _compute(names, texts):
    return compute_many({n: FEATURES[n].computer() for n in names}, texts)


def test_basic_features_measure_each_text_and_leave_an_empty_one_without_language():
    # given
    texts = ["Hello there, how are you today my friend?", "", "Bonjour, comment allez-vous aujourd'hui?"]
    # when
    values = _compute(GROUPS["basic"], texts)
    # then
    assert values["chars"] == [41, 0, 40]
    assert values["words"][0] == 8 and values["tokens"][0] == 10
    assert values["language"] == ["en", None, "fr"]
    assert values["language_confidence"][1] is None and values["language_confidence"][0] > 0.5


def test_near_duplicates_share_a_cluster_across_batches_of_one_stream():
    # given: the same sentence with one word changed, in two batches of one stream
    base = "the quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun all day long"
    compute = FEATURES["duplicate_cluster"].computer()
    # when
    first = compute([base, "an entirely different sentence about ships sailing on the open sea at dawn"])
    second = compute([base.replace("long", "longer")])
    # then
    assert first == [0, 1]
    assert second == [0]


def test_personality_group_lists_every_metric_and_leaves_empty_texts_missing():
    # given
    from ml.personality.metrics import METRIC_NAMES

    # when
    values = _compute(["vader_compound", "formality"], ["What a wonderful day!", "   "])
    # then
    assert GROUPS["personality"] == METRIC_NAMES
    assert values["vader_compound"][0] > 0.3
    assert values["formality"][1] is None


def test_materialized_file_has_one_row_per_text_in_order_with_statistics(tmp_path):
    # given
    texts = [f"This is sentence {i} of the little test, written in plain English" + " and more" * (i % 7) for i in range(50)] + [""]
    # when
    rows = materialize(texts, ["chars", "language"], tmp_path / "f.parquet", batch_rows=8)
    stats = statistics(tmp_path / "f.parquet")
    # then
    assert rows == 51
    assert stats["chars"]["count"] == 51 and stats["chars"]["min"] == 0
    assert sum(stats["chars"]["histogram"]["counts"]) == 51
    assert stats["chars"]["quantiles"]["p50"] == sorted(len(t) for t in texts)[25]
    assert stats["language"]["missing"] == 1 and stats["language"]["top"][0]["value"] == "en"
    found = list(matching_rows([tmp_path / "f.parquet"], [("chars", 0, 0)]))
    assert [index for index, _ in found] == [50]


def test_comparing_two_materializations_names_the_shifted_feature(tmp_path):
    # given: the same language, three times the length
    texts = [f"a short english sentence number {i}" for i in range(60)]
    materialize(texts, ["chars", "language"], tmp_path / "a.parquet")
    materialize([t * 3 for t in texts], ["chars", "language"], tmp_path / "b.parquet")
    # when
    result = compare(tmp_path / "a.parquet", tmp_path / "b.parquet")
    # then
    assert result["chars"]["shifted"] is True
    assert result["language"]["shifted"] is False


def test_duplicate_cluster_follows_the_dedup_step_on_texts_without_words(tmp_path):
    # given texts without words (which dedup_near never drops) and a pair of near copies
    from ml.data.pipeline import RecipeInput, parse_recipe, run_recipe

    base = "the quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun"
    texts = ["", "", "!!!", "...", base, base + " today"]
    data = tmp_path / "d.jsonl"
    data.write_text("".join('{"text": %s}\n' % repr(t).replace("'", '"') for t in texts))
    # when the feature is computed and the step runs
    clusters = _compute(["duplicate_cluster"], texts)["duplicate_cluster"]
    report = run_recipe(parse_recipe({"steps": [{"type": "dedup_near"}]}),
                        [RecipeInput(data)], tmp_path / "out")
    # then each wordless text is its own cluster, and the copy joins its original, as the
    # step keeps the four and drops the copy
    assert clusters == [0, 1, 2, 3, 4, 4]
    assert report.steps[0].dropped == {"near duplicate": 1}


def test_language_feature_is_the_language_filters_answer_on_a_long_text():
    # given a text whose first 4 KB are French and the rest much longer English
    from ml.data.pipeline.langid import classify_batch

    text = "Bonjour, je suis très content de vous voir aujourd'hui. " * 80 + (
        "This is a long English passage about the weather and the garden. " * 400
    )
    # when the feature is computed
    values = _compute(["language", "language_confidence"], [text])
    # then it is what the filter decides for the same text
    language, confidence = classify_batch([text])[0]
    assert values["language"] == [language] == ["fr"]
    assert values["language_confidence"] == [round(confidence, 6)]
