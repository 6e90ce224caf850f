"""Sampling filters and the sampler, on hand-made distributions."""

import math

import pytest
import torch

from ml.infer.sampling import (
    SamplingParams,
    apply_repetition_penalty,
    min_p_filter,
    sample,
    top_k_filter,
    top_p_filter,
)

# Probabilities 0.5, 0.25, 0.15, 0.1 as logits.
LOGITS = torch.tensor([[math.log(0.5), math.log(0.25), math.log(0.15), math.log(0.1)]])


def kept(logits):
    return torch.isfinite(logits)[0].tolist()


def test_top_k_keeps_the_k_most_likely():
    assert kept(top_k_filter(LOGITS, 2)) == [True, True, False, False]
    assert kept(top_k_filter(LOGITS, 0)) == [True] * 4


@pytest.mark.parametrize(
    "p, expected",
    [
        (0.5, [True, False, False, False]),
        (0.7, [True, True, False, False]),
        (0.8, [True, True, True, False]),
        (1.0, [True] * 4),
    ],
)
def test_top_p_keeps_the_smallest_set_reaching_p(p, expected):
    assert kept(top_p_filter(LOGITS, p)) == expected


def test_min_p_drops_tokens_far_below_the_best():
    # 0.15 / 0.5 = 0.3 survives a 0.3 threshold; 0.1 / 0.5 = 0.2 does not
    assert kept(min_p_filter(LOGITS, 0.3)) == [True, True, True, False]


def test_repetition_penalty_makes_seen_tokens_less_likely():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    out = apply_repetition_penalty(logits, torch.tensor([[0, 1, 1]]), 2.0)
    assert out.tolist() == [[1.0, -2.0, 0.5]]


def test_zero_temperature_is_greedy_and_penalty_can_change_the_pick():
    params = SamplingParams(temperature=0.0)
    assert sample(LOGITS, params).tolist() == [0]
    penalised = SamplingParams(temperature=0.0, repetition_penalty=10.0)
    logits = torch.tensor([[1.0, 0.9]])
    assert sample(logits, penalised, context=torch.tensor([[0]])).tolist() == [1]


def test_seeded_sampling_repeats_and_follows_the_distribution():
    # given a seeded generator and top-k 2
    params = SamplingParams(temperature=1.0, top_k=2)

    def draw(seed: int):
        return sample(LOGITS.expand(4000, 4), params, generator=torch.Generator().manual_seed(seed))


    # when drawing many tokens twice with one seed
    first, second = draw(3), draw(3)

    # then the draws repeat, never leave the top 2, and match 2:1 odds
    assert torch.equal(first, second)
    assert set(first.tolist()) == {0, 1}
    assert (first == 0).float().mean().item() == pytest.approx(2 / 3, abs=0.03)
