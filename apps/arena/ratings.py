"""Bradley-Terry ratings from arena votes, with bootstrap confidence intervals.

Each battle is a game between two versions; a win scores 1, a loss 0, and a tie (and a
"both bad" vote, which says neither was better, as LMSYS's arena counts it) 0.5 to each side.
Strengths p = exp(theta) maximise the likelihood prod P(i beats j) = p_i / (p_i + p_j),
found by Newton's method. Every version also plays one virtual tie against a fixed reference of strength 1: this keeps
a version that won (or lost) every battle finite and anchors the scale, so a version with
few battles stays near the middle. Ratings are on the Elo scale, 1000 + 400 log10(p).
Intervals span both the 2.5 and 97.5 percentiles over fits to battles resampled with
replacement (a fixed seed, so the same votes always give the same board) and the fit's own
95% interval from its curvature (theta +- 1.96 standard errors): with few battles resampling
barely varies them (one battle resamples to itself), so the bootstrap alone would claim a
certainty the votes do not give. numpy only; no Django."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASE, SCALE = 1000.0, 400.0
BOOTSTRAP_ROUNDS = 200
MAX_ITERATIONS, TOLERANCE = 100, 1e-9  # Newton steps; largest change of a log-strength
PRIOR_TIES = 1.0  # virtual games per version against the reference


@dataclass(frozen=True)
class Rating:
    rating: float
    ci_low: float
    ci_high: float


def strengths(n_items: int, games: np.ndarray) -> np.ndarray:
    """(n_items,) BT strengths from `games` (G, 3): rows (i, j, score of i in [0, 1])."""
    theta, _ = _fit(n_items, games)
    return np.exp(theta)


def _fit(n_items: int, games: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The log-strengths theta (n,) and the Hessian (n, n) of the negative log-likelihood
    there, by Newton's method (the log-likelihood is concave, strictly so with the
    reference games, so it converges in a few steps)."""
    i, j = games[:, 0].astype(int), games[:, 1].astype(int)
    score = games[:, 2].astype(float)
    theta = np.zeros(n_items)
    for _ in range(MAX_ITERATIONS):
        win_ij = 1.0 / (1.0 + np.exp(theta[j] - theta[i]))  # (G,) P(i beats j)
        win_ref = 1.0 / (1.0 + np.exp(-theta))  # (n,) P(beats the reference)
        gradient = PRIOR_TIES * (0.5 - win_ref)
        np.add.at(gradient, i, score - win_ij)
        np.add.at(gradient, j, win_ij - score)
        weight = win_ij * (1.0 - win_ij)  # (G,)
        hessian = np.diag(PRIOR_TIES * win_ref * (1.0 - win_ref))  # of -loglik, (n, n)
        np.add.at(hessian, (i, i), weight)
        np.add.at(hessian, (j, j), weight)
        np.add.at(hessian, (i, j), -weight)
        np.add.at(hessian, (j, i), -weight)
        step = np.linalg.solve(hessian, gradient)
        theta += step
        if np.max(np.abs(step)) < TOLERANCE:
            break
    return theta, hessian


def to_rating(p: np.ndarray) -> np.ndarray:
    return BASE + SCALE * np.log10(p)


def ratings(n_items: int, games: np.ndarray, *, rounds: int = BOOTSTRAP_ROUNDS,
            seed: int = 0) -> list[Rating]:
    """Each item's rating and 95% bootstrap interval from `games` (see `strengths`)."""
    games = np.asarray(games, dtype=float).reshape(-1, 3)
    theta, hessian = _fit(n_items, games)
    estimate = to_rating(np.exp(theta))
    # Ratings compare versions with each other, so the spread is taken with the mean rating
    # held fixed: the reference games pin the overall level only loosely, and that shared
    # drift would widen every interval without saying anything about who is better.
    centre = np.eye(n_items) - 1.0 / n_items
    covariance = centre @ np.linalg.inv(hessian) @ centre.T
    spread = 1.96 * np.sqrt(np.clip(np.diag(covariance), 0.0, None))  # (n,) in log-strength
    wald_low, wald_high = to_rating(np.exp(theta - spread)), to_rating(np.exp(theta + spread))
    rng = np.random.default_rng(seed)
    samples = np.empty((rounds, n_items))
    for r in range(rounds):
        picked = games[rng.integers(0, len(games), len(games))] if len(games) else games
        samples[r] = to_rating(strengths(n_items, picked))
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    low, high = np.minimum(low, wald_low), np.maximum(high, wald_high)
    return [Rating(float(e), float(lo), float(hi)) for e, lo, hi in zip(estimate, low, high, strict=True)]
