"""Metrics measure the style differences a reader notices, and bad input is handled visibly."""

from __future__ import annotations

import pytest

from ml.personality.metrics import (
    EMPTY_TEXT,
    MAX_TEXT_CHARS,
    METRIC_NAMES,
    PersonalityProfile,
    measure,
    profile,
)

EXCITED = "Wow!! This is the best day ever! I love it so much 😀😀 can you believe it?"
LEGAL = (
    "Pursuant to the agreement, the defendant is obligated to remit the outstanding balance "
    "within thirty days, subject to the approval of the court."
)


def test_every_metric_is_reported_for_every_text():
    # given two texts
    # when they are measured in one batch
    result = measure([EXCITED, LEGAL])
    # then each has every metric, as floats
    assert [sorted(m.values) for m in result] == [sorted(METRIC_NAMES)] * 2
    assert all(isinstance(v, float) for m in result for v in m.values.values())


def test_excited_and_legal_texts_differ_where_a_reader_would_expect():
    # given an excited chat message and a legal sentence
    excited, legal = (m.values for m in measure([EXCITED, LEGAL]))
    # then sentiment, exclamations, emoji and pronouns favour the chat message
    assert excited["vader_compound"] > 0.5
    assert excited["exclamation_rate"] > 0 == legal["exclamation_rate"]
    assert excited["emoji_density"] > 0 == legal["emoji_density"]
    assert excited["first_person_rate"] > 0 == legal["first_person_rate"]
    # and formality, grade level and legal tone favour the legal sentence
    assert legal["formality"] > excited["formality"] + 20
    assert legal["flesch_kincaid_grade"] > excited["flesch_kincaid_grade"]
    assert legal["flesch_reading_ease"] < excited["flesch_reading_ease"]
    assert legal["lm_litigious"] > 0 == excited["lm_litigious"]


def test_all_five_loughran_mcdonald_categories_are_counted_per_word():
    # given one word from each category among ten words
    text = "excellent loss perhaps litigation required and then some more words"
    values = measure([text])[0].values
    # then each category rate is its share of the words
    assert values["lm_positive"] == pytest.approx(0.1)
    assert values["lm_negative"] == pytest.approx(0.2)  # "loss" and "litigation"
    assert values["lm_uncertainty"] == pytest.approx(0.1)
    assert values["lm_litigious"] == pytest.approx(0.1)
    assert values["lm_constraining"] == pytest.approx(0.1)


def test_sentence_rates_and_person_rates_count_exactly():
    # given three sentences: a question, an exclamation and a statement; 8 words
    values = measure(["Are you there? We won! Thou art late."])[0].values
    # then each rate is the share of sentences or words
    assert values["question_rate"] == pytest.approx(1 / 3)
    assert values["exclamation_rate"] == pytest.approx(1 / 3)
    assert values["words"] == 8
    assert values["first_person_rate"] == pytest.approx(1 / 8)
    assert values["second_person_rate"] == pytest.approx(2 / 8)


def test_empty_text_is_measured_with_a_warning():
    # given an empty and a whitespace-only text
    result = measure(["", "   \n"])
    # then both are flagged empty, with zero words and no sentence rates
    assert all(m.empty and EMPTY_TEXT in m.warnings for m in result)
    assert all(m.values["words"] == 0 and m.values["question_rate"] == 0 for m in result)


def test_huge_text_is_truncated_and_says_so():
    # given a text longer than the cap
    text = "word " * (MAX_TEXT_CHARS // 5 + 1000)
    # when measured
    result = measure([text])[0]
    # then it was cut to the cap and the warning says from how many characters
    assert result.values["words"] == MAX_TEXT_CHARS // 5
    assert f"truncated from {len(text)} to {MAX_TEXT_CHARS} characters" in result.warnings


def test_non_english_text_is_flagged():
    # given Russian and German text
    russian, german, english = measure(
        [
            "Это очень хороший день для прогулки по парку",
            "Der Hund läuft schnell über die grüne Wiese",
            LEGAL,
        ]
    )
    # then the non-English ones warn that lexicons may not apply; English does not
    assert any("English" in w for w in russian.warnings)
    assert any("English" in w for w in german.warnings)
    assert english.warnings == ()


def test_wrong_input_types_name_the_bad_item():
    # given a single string instead of a list, and a list with a number in it
    # then each is a TypeError saying what is wrong and where
    with pytest.raises(TypeError, match="single string"):
        measure("hello")
    with pytest.raises(TypeError, match="text 1: expected str, got int"):
        measure(["hello", 3])


def test_profile_is_mean_and_spread_and_round_trips():
    # given two texts of 2 and 4 words
    result = profile(["Hello there.", "Hello there my friend."])
    # then the profile holds their mean and population spread
    assert result.n_texts == 2
    assert result.mean["words"] == 3 and result.std["words"] == 1
    # and it survives a dict round trip
    assert PersonalityProfile.from_dict(result.to_dict()) == result


def test_profile_from_other_metric_set_is_rejected():
    # given a stored profile whose metric names differ from this version's
    data = profile(["Hello there."]).to_dict()
    data["mean"]["sarcasm"] = 0.5
    # then loading it names the odd metric
    with pytest.raises(ValueError, match="sarcasm"):
        PersonalityProfile.from_dict(data)


def test_profile_of_no_texts_is_an_error():
    with pytest.raises(ValueError, match="at least one text"):
        profile([])
