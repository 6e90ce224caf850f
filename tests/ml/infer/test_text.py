"""Streamed text: characters split over tokens are emitted whole, stop strings split over
tokens are caught and never shown."""

from tokenizers import Tokenizer

from ml.infer.text import IncrementalDecoder, StopStrings
from tests.ml.infer.factories import bpe_tokenizer_json


def test_multibyte_characters_split_over_tokens_stream_whole():
    # given a byte-level tokenizer and text whose characters span several tokens
    tokenizer = Tokenizer.from_str(bpe_tokenizer_json())
    text = "Grüße 北京欢迎你 😀🎉👩‍💻 ok"
    ids = tokenizer.encode(text).ids
    assert len(ids) > len(text) // 2

    # when the ids are pushed one at a time
    decoder = IncrementalDecoder(tokenizer)
    deltas = [decoder.push(i) for i in ids] + [decoder.flush()]

    # then no delta holds a broken character and together they are the text
    assert not any("\ufffd" in d for d in deltas)
    assert "".join(deltas) == text


def test_stop_string_split_over_pushes_is_cut_and_never_emitted():
    # given a stop string that arrives in three pieces
    stops = StopStrings(["###"])

    # when text is pushed piece by piece
    outputs = [stops.push(piece) for piece in ["Hello #", "#", "# world"]]

    # then text that might start the stop is held, and nothing after it appears
    assert outputs == [("Hello ", False), ("", False), ("", True)]


def test_held_text_that_is_not_a_stop_is_released():
    stops = StopStrings(["###"])
    assert stops.push("a #") == ("a ", False)
    assert stops.push("b") == ("#b", False)
    assert stops.flush() == ""
