"""Bradley-Terry ratings from arena votes: who wins more rates higher, intervals hold the
estimate, ties count half, and the fit is the likelihood's maximum."""

from __future__ import annotations

import numpy as np

from apps.arena.ratings import PRIOR_TIES, ratings, strengths


def test_the_version_that_wins_most_battles_rates_highest_within_its_interval():
    # given A beats B 8 of 10 times, B beats C 7 of 10, A beats C 9 of 10
    games = ([(0, 1, 1.0)] * 8 + [(0, 1, 0.0)] * 2 + [(1, 2, 1.0)] * 7 + [(1, 2, 0.0)] * 3
             + [(0, 2, 1.0)] * 9 + [(0, 2, 0.0)])
    # when
    fitted = ratings(3, np.array(games))
    # then
    assert fitted[0].rating > fitted[1].rating > fitted[2].rating
    for rating in fitted:
        assert rating.ci_low < rating.rating < rating.ci_high


def test_even_records_and_ties_rate_equally():
    # given two versions that won once each and tied twice
    games = np.array([(0, 1, 1.0), (0, 1, 0.0), (0, 1, 0.5), (1, 0, 0.5)])
    # when
    one, two = ratings(2, games)
    # then
    assert abs(one.rating - two.rating) < 1e-6 and abs(one.rating - 1000) < 1e-6


def test_the_fit_maximises_the_likelihood_with_its_reference_games():
    # given random games among five versions
    rng = np.random.default_rng(1)
    pairs = rng.integers(0, 5, size=(60, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    games = np.column_stack([pairs, rng.choice([0.0, 0.5, 1.0], size=len(pairs))])
    # when
    p = strengths(5, games)
    # then each version's expected score equals its actual one (the likelihood's stationary point)
    i, j, score = games[:, 0].astype(int), games[:, 1].astype(int), games[:, 2]
    expected = PRIOR_TIES * p / (p + 1.0)
    actual = np.full(5, PRIOR_TIES / 2)
    win = p[i] / (p[i] + p[j])
    np.add.at(expected, i, win)
    np.add.at(expected, j, 1 - win)
    np.add.at(actual, i, score)
    np.add.at(actual, j, 1 - score)
    assert np.allclose(expected, actual, atol=1e-8)


def test_a_version_that_won_every_battle_still_has_a_finite_rating():
    fitted = ratings(2, np.array([(0, 1, 1.0)] * 3))
    assert np.isfinite(fitted[0].rating) and fitted[0].rating > fitted[1].rating


def test_one_battle_leaves_a_wide_interval_and_more_battles_narrow_it():
    # given one vote, then twenty with the same outcome
    one = ratings(2, np.array([(0, 1, 1.0)]))
    many = ratings(2, np.array([(0, 1, 1.0)] * 15 + [(0, 1, 0.0)] * 5))
    # then one battle does not claim certainty: resampling it alone would give a zero width
    assert one[0].ci_high - one[0].ci_low > 100
    assert one[0].ci_low < one[0].rating < one[0].ci_high
    # and more votes give a narrower interval around a clearer lead
    assert many[0].ci_high - many[0].ci_low < one[0].ci_high - one[0].ci_low
