"""Two-sample drift tests: is a window of a model's traffic distributed like its reference?

Each test compares a reference sample with a window sample and returns one `DriftTest`:
the statistic, its p-value, the threshold it is held to (alpha) and whether it drifted.
A side with fewer than `min_n` observations gives status "insufficient" and no p-value:
with a handful of requests any p-value would be noise that looks like an answer.

- `mmd_test`: prompts in embedding space. Maximum mean discrepancy (unbiased MMD²) with an
  RBF kernel whose bandwidth is the median pairwise squared distance (the median heuristic),
  p-value from a seeded permutation test. Each side is subsampled to `MMD_MAX_PER_SIDE`: the
  kernel matrix is (n+m)² and every permutation multiplies it, so the cap bounds time and
  memory (2,000 points: a 32 MB matrix, about a second for 500 permutations on 2 cores)
  while a thousand points per side already detect a topic shift many times over.
- `ks_test` / `multi_ks_test`: one-dimensional values (reply lengths) and several metrics
  at once (personality scores), by two-sample Kolmogorov-Smirnov (scipy's exact/asymptotic
  p-value when scipy is installed, else a permutation p-value); several metrics are combined
  with Bonferroni (drifted when any metric's p-value is under alpha / metrics).
- `proportion_test`: rates (refusals, thumbs down among rated replies), by the two-proportion
  z-test, or Fisher's exact test when an expected count is under 5 (where the normal
  approximation is poor) and scipy is installed.

Pure numpy (+ optional scipy): no Django, no torch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MMD_MAX_PER_SIDE = 1000  # points per side kept for MMD (see the module docstring)
PERMUTATIONS = 500  # smallest possible p-value 1/501 ~ 0.002, under the usual alpha 0.01
KS_MAX_PER_SIDE = 20000  # beyond this KS is already exact enough; bounds the fallback's sort


@dataclass(frozen=True)
class DriftTest:
    status: str  # "ok" or "insufficient"
    statistic: float | None  # None when insufficient
    p_value: float | None
    threshold: float  # alpha the p-value is held to (before any Bonferroni split)
    drifted: bool
    n_reference: int
    n_window: int
    message: str = ""  # why it is insufficient
    details: dict = field(default_factory=dict)  # per-metric results, rates, bandwidth


def insufficient(n_reference: int, n_window: int, *, min_n: int, alpha: float, what: str = "requests") -> DriftTest | None:
    """The "insufficient" result when either side has fewer than `min_n`, else None."""
    short = [f"the {side} has {n}" for side, n in (("reference", n_reference), ("window", n_window)) if n < min_n]
    if not short:
        return None
    message = f"needs at least {min_n} {what} on each side; {' and '.join(short)}"
    return DriftTest("insufficient", None, None, alpha, False, n_reference, n_window, message)


def _subsample(rng: np.random.Generator, x: np.ndarray, cap: int) -> np.ndarray:
    return x if len(x) <= cap else x[rng.choice(len(x), cap, replace=False)]


def _sq_distances(z: np.ndarray) -> np.ndarray:
    """Pairwise squared Euclidean distances, (N, D) -> (N, N), through one Gram matrix."""
    norms = np.einsum("ij,ij->i", z, z)  # (N,)
    d = norms[:, None] + norms[None, :] - 2.0 * (z @ z.T)
    np.maximum(d, 0.0, out=d)  # rounding can make a zero distance slightly negative
    return d


def _mmd2_unbiased(k0: np.ndarray, rows: np.ndarray, u: np.ndarray, n: int, m: int) -> np.ndarray:
    """Unbiased MMD² for each labelling in `u` (N, P) of 1 (reference) / 0 (window), with
    `k0` the kernel matrix with a zero diagonal and `rows` its row sums: every labelling at
    once as three quadratic forms, u'Ku, u'K(1-u) and (1-u)'K(1-u)."""
    total = rows.sum()
    uku = np.einsum("np,np->p", u, k0 @ u)  # (P,)
    ur = rows @ u  # (P,)
    ukv = ur - uku
    vkv = total - 2.0 * ur + uku
    return uku / (n * (n - 1)) + vkv / (m * (m - 1)) - 2.0 * ukv / (n * m)


def mmd_test(
    reference: np.ndarray, window: np.ndarray, *, alpha: float = 0.01, min_n: int = 50,
    permutations: int = PERMUTATIONS, max_per_side: int = MMD_MAX_PER_SIDE, seed: int = 0,
) -> DriftTest:
    """Whether two samples of vectors, (N, D) and (M, D), come from one distribution."""
    reference, window = np.asarray(reference, np.float64), np.asarray(window, np.float64)
    if (short := insufficient(len(reference), len(window), min_n=max(min_n, 2), alpha=alpha)) is not None:
        return short
    rng = np.random.default_rng(seed)
    x, y = _subsample(rng, reference, max_per_side), _subsample(rng, window, max_per_side)
    n, m = len(x), len(y)
    d = _sq_distances(np.concatenate([x, y]))  # (n+m, n+m)
    off_diagonal = d[~np.eye(n + m, dtype=bool)]
    bandwidth = float(np.median(off_diagonal)) or 1.0  # identical points: any width gives 0
    k0 = np.exp(-d / bandwidth)
    np.fill_diagonal(k0, 0.0)
    rows = k0.sum(1)
    labels = np.zeros((n + m, permutations + 1))  # column 0: the observed split
    labels[:n, 0] = 1.0
    for p in range(1, permutations + 1):
        labels[rng.permutation(n + m)[:n], p] = 1.0
    stats = _mmd2_unbiased(k0, rows, labels, n, m)
    observed = float(stats[0])
    p_value = float((1 + np.sum(stats[1:] >= observed)) / (1 + permutations))
    return DriftTest("ok", observed, p_value, alpha, p_value < alpha, len(reference), len(window),
                     details={"bandwidth": bandwidth, "n_reference_used": n, "n_window_used": m,
                              "permutations": permutations})


def _ks_statistic(x: np.ndarray, y: np.ndarray) -> float:
    grid = np.concatenate([x, y])
    cdf_x = np.searchsorted(np.sort(x), grid, side="right") / len(x)
    cdf_y = np.searchsorted(np.sort(y), grid, side="right") / len(y)
    return float(np.max(np.abs(cdf_x - cdf_y)))


def _ks_pvalue(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, permutations: int) -> tuple[float, float]:
    try:
        from scipy.stats import ks_2samp
    except ImportError:
        observed = _ks_statistic(x, y)
        pooled, n = np.concatenate([x, y]), len(x)
        hits = 0
        for _ in range(permutations):
            shuffled = rng.permutation(pooled)
            hits += _ks_statistic(shuffled[:n], shuffled[n:]) >= observed
        return observed, (1 + hits) / (1 + permutations)
    result = ks_2samp(x, y)
    return float(result.statistic), float(result.pvalue)


def ks_test(
    reference: Sequence[float], window: Sequence[float], *, alpha: float = 0.01, min_n: int = 50,
    seed: int = 0, permutations: int = PERMUTATIONS,
) -> DriftTest:
    """Whether two samples of numbers come from one distribution (two-sample KS)."""
    ref, win = np.asarray(reference, np.float64).ravel(), np.asarray(window, np.float64).ravel()
    return multi_ks_test(ref[:, None], win[:, None], names=["value"], alpha=alpha, min_n=min_n,
                         seed=seed, permutations=permutations)


def multi_ks_test(
    reference: np.ndarray, window: np.ndarray, *, names: Sequence[str], alpha: float = 0.01,
    min_n: int = 50, seed: int = 0, permutations: int = PERMUTATIONS,
) -> DriftTest:
    """KS per column of (N, K) and (M, K) samples, combined with Bonferroni: `statistic` is
    the largest KS distance, `p_value` the smallest p-value times K (capped at 1), so it is
    held to alpha itself; `details["metrics"]` has every column's distance and p-value.
    A value missing on one row (NaN) leaves that row out of that column only."""
    reference, window = np.asarray(reference, np.float64), np.asarray(window, np.float64)
    if (short := insufficient(len(reference), len(window), min_n=min_n, alpha=alpha)) is not None:
        return short
    rng = np.random.default_rng(seed)
    metrics: dict[str, dict] = {}
    for column, name in enumerate(names):
        x, y = reference[:, column], window[:, column]
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        if len(x) < min_n or len(y) < min_n:
            continue
        x, y = _subsample(rng, x, KS_MAX_PER_SIDE), _subsample(rng, y, KS_MAX_PER_SIDE)
        statistic, p_value = _ks_pvalue(x, y, rng, permutations)
        metrics[name] = {"statistic": statistic, "p_value": p_value}
    if not metrics:
        return DriftTest("insufficient", None, None, alpha, False, len(reference), len(window),
                         f"needs at least {min_n} measured values of a metric on each side")
    adjusted = min(1.0, min(v["p_value"] for v in metrics.values()) * len(metrics))
    statistic = max(v["statistic"] for v in metrics.values())
    return DriftTest("ok", statistic, adjusted, alpha, adjusted < alpha, len(reference), len(window),
                     details={"metrics": metrics, "correction": "bonferroni"})


def proportion_test(
    reference_hits: int, reference_n: int, window_hits: int, window_n: int, *, alpha: float = 0.01,
    min_n: int = 50, what: str = "requests",
) -> DriftTest:
    """Whether a rate differs between two samples: `statistic` is z (window minus reference;
    for Fisher's test, the z of the same difference), `details` has both rates."""
    if (short := insufficient(reference_n, window_n, min_n=min_n, alpha=alpha, what=what)) is not None:
        return short
    p1, p2 = reference_hits / reference_n, window_hits / window_n
    pooled = (reference_hits + window_hits) / (reference_n + window_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / reference_n + 1 / window_n))
    z = (p2 - p1) / se if se > 0 else 0.0
    p_value, method = math.erfc(abs(z) / math.sqrt(2)), "z"
    expected = min(pooled, 1 - pooled) * min(reference_n, window_n)
    if expected < 5:
        try:
            from scipy.stats import fisher_exact
        except ImportError:
            pass
        else:
            table = [[reference_hits, reference_n - reference_hits], [window_hits, window_n - window_hits]]
            p_value, method = float(fisher_exact(table).pvalue), "fisher"
    return DriftTest("ok", z, p_value, alpha, p_value < alpha, reference_n, window_n,
                     details={"reference_rate": p1, "window_rate": p2, "method": method})
