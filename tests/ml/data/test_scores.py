"""Per-record scores: a curriculum orders what the first batches hold, weights decide what is
drawn, and the token cache keeps entries of different scores apart."""

import json

import numpy as np
import pytest

from ml.data import DataConfig, DataFormatError, prepare_data, write_scores

# Record i is one letter repeated: its length is its score, its letter tells it apart.
LETTERS = "abcdefghijklmnop"
LENGTHS = [17, 3, 12, 8, 15, 5, 20, 2, 10, 7, 14, 4, 18, 6, 9, 11]


def write_records(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps({"text": c * n}) + "\n" for c, n in zip(LETTERS, LENGTHS)))
    return path


def write_lengths(tmp_path, name="lengths.npz", values=LENGTHS):
    path = tmp_path / name
    # Line i + 1 of data.jsonl is record i; the last record has no score.
    write_scores(path, [("data.jsonl", i + 1, v) for i, v in enumerate(values)])
    return path


def first_batch_letters(tmp_path, **fields):
    cfg = DataConfig(path=str(write_records(tmp_path)), cache_dir=str(tmp_path / "cache"),
                     val_fraction=0.25, **fields)
    data = prepare_data(cfg)
    data.pack(block_size=24)
    _, y = data.train.batch(batch_size=2, block_size=24, seed=1, index=0)
    return record_letters(data.tokenizer, y)


def record_letters(tokenizer, targets):
    """The records a batch trains on, by their letters (padding and end-of-text left out)."""
    tokens = (tokenizer.id_to_token(i) for i in targets[targets >= 0].tolist())
    return {token for token in tokens if token in LETTERS}


def test_a_curriculum_puts_the_shortest_records_in_the_first_batch(tmp_path):
    # given 16 records of different lengths, the first 12 training, scored by their length
    scores = write_lengths(tmp_path)

    # when the first batch is drawn shortest first, longest first, and shuffled
    shortest = first_batch_letters(tmp_path, order_by=str(scores), order="asc")
    longest = first_batch_letters(tmp_path, order_by=str(scores), order="desc")
    shuffled = first_batch_letters(tmp_path)

    # then it holds the shortest training records, or the longest, or neither
    training = sorted(zip(LENGTHS[:12], LETTERS[:12]))
    assert shortest == {c for _, c in training[: len(shortest)]}
    assert {"b", "h"} <= shortest  # lengths 2 and 3
    assert longest == {c for _, c in training[::-1][: len(longest)]}
    assert {"g", "a"} <= longest  # lengths 20 and 17
    assert shuffled not in (shortest, longest)


def test_weights_draw_only_the_records_that_weigh_something(tmp_path):
    # given weights that are 0 except for two training records
    weights = [0.0] * 16
    weights[2], weights[5] = 1.0, 3.0
    scores = write_lengths(tmp_path, "weights.npz", weights)

    # when batches are drawn
    letters = first_batch_letters(tmp_path, weight_by=str(scores))

    # then only those records are in them
    assert letters <= {"c", "f"}
    assert letters


def test_the_token_cache_keeps_orders_of_different_scores_apart(tmp_path):
    # given one dataset trained shortest first, then with other scores (reversed lengths)
    first = first_batch_letters(tmp_path, order_by=str(write_lengths(tmp_path)))
    reversed_scores = write_lengths(tmp_path, "reversed.npz", [-n for n in LENGTHS])

    # when the second preparation finds the first one's cache
    second = first_batch_letters(tmp_path, order_by=str(reversed_scores))

    # then it follows its own scores
    assert {"b", "h"} <= first
    assert {"g", "a"} <= second


def test_scores_matching_no_record_are_refused_by_file_name(tmp_path):
    # given scores keyed by another file's lines
    path = tmp_path / "other.npz"
    write_scores(path, [("other.jsonl", 1, 1.0)])

    # when training data is prepared with them, then the error names the scores file
    with pytest.raises(DataFormatError, match="other.npz.*no training record has a score"):
        first_batch_letters(tmp_path, order_by=str(path))


def test_negative_weights_are_refused(tmp_path):
    # given weights of which one is negative
    scores = write_lengths(tmp_path, "weights.npz", [1.0, -2.0] + [1.0] * 14)

    # when training data is prepared with them, then they are refused
    with pytest.raises(DataFormatError, match="must not be negative"):
        first_batch_letters(tmp_path, weight_by=str(scores))


def test_a_record_without_a_score_comes_last(tmp_path):
    # given scores for every training record but the shortest one (length 2, "h")
    values = list(LENGTHS)
    values[7] = None
    scores = write_lengths(tmp_path, "partial.npz", values)

    # when ordered shortest first
    cfg = DataConfig(path=str(write_records(tmp_path)), cache_dir=str(tmp_path / "cache"),
                     val_fraction=0.25, order_by=str(scores), packing=False)
    data = prepare_data(cfg)
    data.pack(block_size=24)
    rows = [data.train.batch(1, 24, seed=1, index=i)[1] for i in range(12)]
    firsts = [record_letters(data.tokenizer, row).pop() for row in rows]

    # then "b" (3) leads and "h" trains last
    assert firsts[0] == "b"
    assert firsts[-1] == "h"
    assert np.unique(firsts).size == 12
