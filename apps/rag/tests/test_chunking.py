"""Chunking: sentence-aware boundaries, configured size and overlap, long sentences cut."""

from itertools import pairwise

import pytest

from apps.rag.chunking import chunk_text, split_sentences


def _sentences(count: int, words: int = 8) -> str:
    return " ".join(
        f"Sentence {i} " + " ".join(["word"] * (words - 3)) + " end." for i in range(count)
    )


def test_chunks_respect_the_size_and_end_on_sentences():
    # given: 20 sentences of 8 words
    text = _sentences(20)
    # when
    chunks = chunk_text(text, size=30, overlap=0)
    # then
    assert all(len(chunk.split()) <= 30 for chunk in chunks)
    assert all(chunk.endswith("end.") for chunk in chunks)
    assert " ".join(chunks) == " ".join(text.split())  # nothing lost, nothing repeated


def test_consecutive_chunks_share_the_overlap():
    # given
    text = _sentences(20)
    # when
    chunks = chunk_text(text, size=30, overlap=10)
    # then: each chunk starts with the last sentence of the one before
    for before, after in pairwise(chunks):
        last_sentence = before.split(". ")[-1]
        assert after.startswith(last_sentence.removesuffix("."))
    assert "Sentence 19" in chunks[-1]


def test_a_sentence_longer_than_a_chunk_is_cut_by_words():
    # given
    text = "one " * 95 + "end. Short tail."
    # when
    chunks = chunk_text(text, size=40, overlap=5)
    # then
    assert all(len(chunk.split()) <= 40 for chunk in chunks)
    assert chunks[-1].endswith("Short tail.")


def test_paragraph_breaks_end_sentences():
    assert split_sentences("# Heading\n\nFirst line. Second?\n\n- item") == [
        "# Heading",
        "First line.",
        "Second?",
        "- item",
    ]


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_impossible_settings_are_refused(size, overlap):
    with pytest.raises(ValueError, match="overlap < size"):
        chunk_text("Some text.", size=size, overlap=overlap)
