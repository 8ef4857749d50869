"""The test behind every "separates": Mann–Whitney under "no effect", Holm over the family, and
how many cycles an effect needs.

- `rank_test(fail, ok)`: two-sided p of the Mann–Whitney (Wilcoxon rank-sum) test, ties given
  their average rank. Exact — the null distribution of the rank sum over every way of choosing
  which cycles failed, ties included — up to EXACT_MAX_CYCLES compared cycles; beyond, the
  normal approximation with the null variance and the tie correction.
- `holm(p)`: Holm's step-down adjustment, valid for any dependence between the tests (rails
  that move together included).
- `power` / `cycles_for_power`: the chance that a true effect of a given AUC would separate
  (null critical value, the effect's own spread, the effect floor), and the run length that
  makes that chance POWER.

Pure functions on numpy arrays; `analysis.py` decides which tests form the family.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from .stats import auc_se, ranks

#: Up to this many compared cycles the p-value is exact; beyond, the normal approximation.
EXACT_MAX_CYCLES = 60
#: The power a run-length estimate aims for.
POWER = 0.8
#: Largest run length the estimate considers.
MAX_CYCLES = 1_000_000
_NORMAL = NormalDist()


class RankTest(NamedTuple):
    """Two-sided p, whether it is exact, and the AUC: P(failing value > passing one), ties half."""

    p: float
    exact: bool
    auc: float


def rank_test(fail: np.ndarray, ok: np.ndarray) -> RankTest:
    """The Mann–Whitney test of failing against passing values."""
    nf, np_ = len(fail), len(ok)
    if nf == 0 or np_ == 0:
        return RankTest(1.0, True, 0.5)
    values = np.concatenate([fail, ok])
    sizes = np.unique(values, return_counts=True)[1]  # the tie groups, in rank order
    if len(sizes) == 1:
        return RankTest(1.0, True, 0.5)  # one value in every cycle: no order to test
    ranks2 = np.rint(2 * ranks(values)).astype(np.int64)  # twice the average rank, an integer
    w2 = int(ranks2[:nf].sum())
    n = nf + np_
    auc = (w2 / 2 - nf * (nf + 1) / 2) / (nf * np_)
    if n <= EXACT_MAX_CYCLES:
        return RankTest(_exact_p(tuple(int(s) for s in sizes), min(nf, np_), abs(w2 - nf * (n + 1))), True, auc)
    return RankTest(_normal_p(nf, np_, w2, sizes), False, auc)


def _normal_p(nf: int, np_: int, w2: int, sizes: np.ndarray) -> float:
    n = nf + np_
    u = w2 / 2 - nf * (nf + 1) / 2
    ties = float(np.sum(sizes.astype(float) ** 3 - sizes))
    var = nf * np_ / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return 1.0
    correction = 0.5 if ties == 0 else 0.0  # continuity, on the lattice of U without ties
    z = max(0.0, abs(u - nf * np_ / 2) - correction) / math.sqrt(var)
    return min(1.0, 2 * _NORMAL.cdf(-z))


def _exact_p(sizes: tuple[int, ...], k: int, deviation2: int) -> float:
    deviations, tail = _null_tails(sizes, k)
    i = int(np.searchsorted(deviations, deviation2, side="left"))
    return float(min(1.0, tail[i])) if i < len(tail) else 0.0


@lru_cache(maxsize=4096)
def _null_tails(sizes: tuple[int, ...], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact null distribution of the rank sum of k cycles chosen from N = sum(sizes), the
    ties forming groups of these sizes in rank order: the distinct |2W - k(N + 1)| in ascending
    order, and P(|2W - k(N + 1)| >= each). By dynamic programming over the tie groups (the
    count of ways to pick j cycles with doubled rank sum s), in floats (C(N, k) < 1e308)."""
    n = sum(sizes)
    r2, start = [], 0
    for g in sizes:
        r2.append(2 * start + g + 1)
        start += g
    top = sorted((r for g, r in zip(sizes, r2) for _ in range(g)), reverse=True)
    smax = sum(top[:k])
    ways = np.zeros((k + 1, smax + 1))
    ways[0, 0] = 1.0
    for g, r in zip(sizes, r2):
        new = ways.copy()
        for c in range(1, min(g, k) + 1):
            shift = c * r
            if shift > smax:
                break
            new[c:, shift:] += math.comb(g, c) * ways[:k + 1 - c, :smax + 1 - shift]
        ways = new
    sums = np.flatnonzero(ways[k])
    prob = ways[k][sums] / math.comb(n, k)
    dev = np.abs(sums - k * (n + 1))
    distinct, inverse = np.unique(dev, return_inverse=True)
    mass = np.bincount(inverse, weights=prob)
    tail = np.cumsum(mass[::-1])[::-1]
    return distinct, tail


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values: reject test i at family-wise level a when adjusted[i] <= a."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    stepped = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = stepped
    return out


def smallest_p(nf: int, np_: int) -> float:
    """The smallest two-sided p a comparison of nf failing with np_ passing cycles can reach
    (a perfect split without ties): 2 / C(n, nf)."""
    if nf == 0 or np_ == 0:
        return 1.0
    return min(1.0, 2.0 / math.comb(nf + np_, nf))


def power(auc_value: float, nf: int, np_: int, level: float, *, min_effect: float) -> float:
    """The chance that a true effect of this AUC separates when nf failing and np_ passing cycles
    are compared at per-test level `level`: the observed AUC must clear both the null critical
    value (null spread, sqrt((n + 1) / (12 nf np))) and the effect floor; it spreads around the
    true AUC as Hanley and McNeil's error at that AUC."""
    effect = abs(auc_value - 0.5)
    if nf < 1 or np_ < 1 or smallest_p(nf, np_) > level:
        return 0.0
    null_sd = math.sqrt((nf + np_ + 1) / (12 * nf * np_))
    needed = max(min_effect, _NORMAL.inv_cdf(1 - level / 2) * null_sd)
    spread = max(auc_se(auc_value, nf, np_), 1e-12)
    return _NORMAL.cdf((effect - needed) / spread)


def run_power(auc_value: float, n: int, failure_rate: float, level: float, *, min_effect: float,
              min_cases: int, min_controls: int) -> float:
    """The chance that a run of n cycles, each failing with probability `failure_rate`, ends with
    a true effect of this AUC separating: `power` averaged over the binomial count of failures
    (a count below min_cases or a pass count below min_controls tests nothing)."""
    mean, sd = n * failure_rate, math.sqrt(n * failure_rate * (1 - failure_rate))
    lo, hi = max(min_cases, int(mean - 8 * sd)), min(n - min_controls, int(math.ceil(mean + 8 * sd)))
    total = 0.0
    log_p, log_q = math.log(failure_rate), math.log1p(-failure_rate)
    for nf in range(lo, hi + 1):
        weight = math.exp(math.lgamma(n + 1) - math.lgamma(nf + 1) - math.lgamma(n - nf + 1)
                          + nf * log_p + (n - nf) * log_q)
        total += weight * power(auc_value, nf, n - nf, level, min_effect=min_effect)
    return total


def cycles_for_power(auc_value: float, failure_rate: float, level: float, *, min_effect: float,
                     min_cases: int, min_controls: int, target: float = POWER) -> int | None:
    """The smallest run length (cycles in all) at which a true effect of this AUC, at this
    failure rate, separates with probability `target` at per-test level `level` (`run_power`:
    the count of failures is binomial). None when no run length does (effect under the floor, a
    failure rate of 0 or 1)."""
    if abs(auc_value - 0.5) <= min_effect or not 0 < failure_rate < 1:
        return None

    def enough(n: int) -> bool:
        return run_power(auc_value, n, failure_rate, level, min_effect=min_effect, min_cases=min_cases,
                         min_controls=min_controls) >= target

    hi = max(min_cases + min_controls, 2)
    while not enough(hi):
        hi *= 2
        if hi > MAX_CYCLES:
            return None
    lo = hi // 2
    while lo + 1 < hi:  # power grows with n at a fixed AUC and rate (up to the lattice of small n)
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid
    return hi


__all__ = ["EXACT_MAX_CYCLES", "POWER", "RankTest", "cycles_for_power", "holm", "power", "rank_test", "run_power",
           "smallest_p"]
