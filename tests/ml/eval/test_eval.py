"""Perplexity, text metrics, classifier scores and plain generation."""

import pytest
import torch
from torch import nn

from ml.data import build_char_tokenizer
from ml.eval import (
    bleu,
    chrf,
    classification_scores,
    generate_ids,
    perplexity_of_dataset,
    perplexity_of_text,
    rouge,
)
from ml.infer.sampling import SamplingParams


class Uniform(nn.Module):
    """Equal logits for every token: perplexity must equal the vocabulary size."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, idx):
        return torch.zeros(*idx.shape, self.vocab) + self.anchor  # (B, T, V)


class Cycle(nn.Module):
    """Always predicts the token after the last one (mod V), very confidently."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, idx):
        return torch.nn.functional.one_hot((idx + 1) % self.vocab, self.vocab).float() * 50


def test_uniform_model_has_perplexity_equal_to_vocabulary_size():
    # given a tokenizer and a model that knows nothing
    text = "abcdefgh" * 20
    tokenizer = build_char_tokenizer([text])
    model = Uniform(tokenizer.get_vocab_size())

    # when perplexity is measured on text longer than one window
    result = perplexity_of_text(model, tokenizer, text, block_size=16, batch_size=3)

    # then every token after the first is scored, at perplexity V
    assert result.tokens == len(text) - 1
    assert result.perplexity == pytest.approx(tokenizer.get_vocab_size(), rel=1e-5)


def test_perfect_model_on_a_dataset_has_perplexity_one(tmp_path):
    # given a dataset of two documents whose characters follow each other in vocabulary order
    tokenizer = build_char_tokenizer(["abcd"])
    (tmp_path / "data.jsonl").write_text('{"text": "abcdabcdabcd"}\n{"text": "abcdabcdabcdabcd"}\n')
    model = Cycle(4)  # predicts a->b->c->d->a over ids 0..3

    # when scored without a document separator
    result = perplexity_of_dataset(
        model,
        tokenizer,
        str(tmp_path / "data.jsonl"),
        block_size=8,
        cache_dir=str(tmp_path / "cache"),
    )

    # then all 28 tokens but the first are scored, perfectly
    assert result.tokens == 27
    assert result.perplexity == pytest.approx(1.0)


def test_text_metrics_reward_overlap():
    refs = ["the cat sat on the mat", "a quick brown fox"]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert chrf(refs, refs) == pytest.approx(100.0)
    assert bleu(["the dog sat on a rug", "slow green turtle"], refs) < 20.0
    scores = rouge(["the cat sat", "a quick brown fox"], refs)
    assert scores["rouge1"] == pytest.approx(100.0 * (2 * 1.0 * 0.5 / 1.5 + 1.0) / 2)
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        bleu(refs, refs[:1])


def test_classification_scores():
    scores = classification_scores(["pos", "neg", "pos", "pos"], ["pos", "neg", "neg", "pos"])
    assert scores["accuracy"] == 0.75
    assert scores["f1_macro"] == pytest.approx((0.8 + 2 / 3) / 2)


def test_generation_stops_at_a_stop_token_and_repeats_with_a_seed():
    # given a model that counts upwards
    model = Cycle(10)
    greedy = SamplingParams(temperature=0.0)

    # when generating greedily with token 7 as a stop token
    out = generate_ids(model, [2], greedy, max_new_tokens=20, block_size=4, stop_ids={7})

    # then it counts up to the stop token and stops
    assert out == [3, 4, 5, 6]

    # and sampling with a seed repeats
    sampled = SamplingParams(temperature=5.0)
    assert generate_ids(Uniform(50), [1], sampled, 10, 4, seed=3) == generate_ids(
        Uniform(50), [1], sampled, 10, 4, seed=3
    )
