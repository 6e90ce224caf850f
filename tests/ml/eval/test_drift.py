"""The two-sample drift tests: a shifted sample is flagged, one from the same distribution is
not, and too few observations give "insufficient" instead of a p-value."""

import sys

import numpy as np
import pytest

from ml.eval.drift import ks_test, mmd_test, multi_ks_test, proportion_test


def _cloud(seed: int, n: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 32)) + shift


def test_mmd_flags_a_shifted_cloud_and_not_a_fresh_draw_of_the_same_one():
    # given
    reference = _cloud(1, 400)
    # when
    same = mmd_test(reference, _cloud(2, 400), alpha=0.01, seed=0)
    shifted = mmd_test(reference, _cloud(3, 400, shift=0.3), alpha=0.01, seed=0)
    # then
    assert (same.status, same.drifted) == ("ok", False)
    assert same.p_value > 0.01
    assert (shifted.status, shifted.drifted) == ("ok", True)
    assert shifted.p_value < 0.01 and shifted.statistic > same.statistic


def test_mmd_is_repeatable_with_a_seed_and_subsamples_to_its_cap():
    # given
    reference, window = _cloud(1, 300), _cloud(2, 300, shift=0.1)
    # when
    first = mmd_test(reference, window, seed=7, max_per_side=100)
    again = mmd_test(reference, window, seed=7, max_per_side=100)
    # then
    assert first == again
    assert (first.n_reference, first.details["n_reference_used"]) == (300, 100)


def test_too_few_requests_give_a_message_not_a_p_value():
    # when
    result = mmd_test(_cloud(1, 200), _cloud(2, 12), min_n=50)
    # then
    assert (result.status, result.p_value, result.drifted) == ("insufficient", None, False)
    assert "needs at least 50 requests" in result.message and "the window has 12" in result.message


def test_ks_flags_longer_replies():
    # given
    rng = np.random.default_rng(0)
    reference = rng.normal(200, 40, 300)
    # when
    same = ks_test(reference, rng.normal(200, 40, 300))
    longer = ks_test(reference, rng.normal(260, 40, 300))
    # then
    assert not same.drifted and longer.drifted


def test_ks_without_scipy_falls_back_to_a_permutation_p_value(monkeypatch):
    # given: scipy cannot be imported
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 200)
    # when
    same = ks_test(reference, rng.normal(0, 1, 200), permutations=200)
    shifted = ks_test(reference, rng.normal(1, 1, 200), permutations=200)
    # then
    assert not same.drifted and shifted.drifted
    assert shifted.p_value == pytest.approx(1 / 201)


def test_several_metrics_are_bonferroni_corrected():
    # given: five metrics, one of which moves
    rng = np.random.default_rng(0)
    reference, window = rng.normal(size=(300, 5)), rng.normal(size=(300, 5))
    window[:, 3] += 1.0
    names = ["a", "b", "c", "d", "e"]
    # when
    result = multi_ks_test(reference, window, names=names)
    # then
    per_metric = result.details["metrics"]
    assert result.drifted
    assert result.p_value == pytest.approx(min(1.0, per_metric["d"]["p_value"] * 5))
    assert max(per_metric, key=lambda name: per_metric[name]["statistic"]) == "d"


def test_a_refusal_rate_that_rises_is_flagged_and_a_steady_one_is_not():
    # when
    steady = proportion_test(20, 1000, 24, 1000)
    risen = proportion_test(20, 1000, 80, 1000)
    rare = proportion_test(0, 60, 1, 60)
    # then
    assert not steady.drifted
    assert risen.drifted and risen.statistic > 0
    assert risen.details["window_rate"] == pytest.approx(0.08)
    assert rare.details["method"] == "fisher" and not rare.drifted
