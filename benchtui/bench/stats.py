"""The descriptive statistics behind the correlation: rank AUC, its interval, the best threshold,
Wilson intervals; robust location and the board comparison's tests (the decisions are
`ranktest.py` and `decision.py`).

Pure functions on numpy arrays, no knowledge of features or runs (that is `analysis.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

#: Confidence level of the intervals shown (AUC, failure rates).
CONFIDENCE = 0.95
Z95 = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)


@dataclass(frozen=True)
class Side:
    """One side of a threshold: how many cycles fell there and how many of them failed."""

    failures: int
    cycles: int
    rate: float
    ci: tuple[float, float]


def ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    new = np.empty(len(xs), dtype=bool)
    new[0] = True
    new[1:] = xs[1:] != xs[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(xs))
    out = np.empty(len(xs))
    out[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return out


def auc(fail: np.ndarray, ok: np.ndarray) -> float:
    """Mann-Whitney U of the failing cycles / (nf * np): P(fail > pass) + P(tie) / 2."""
    r = ranks(np.concatenate([fail, ok]))
    nf = len(fail)
    u = r[:nf].sum() - nf * (nf + 1) / 2
    return float(u / (nf * len(ok)))


def auc_se(a: float, nf: int, np_: int) -> float:
    """Hanley-McNeil standard error. A perfect split is treated as 1 - 1/(2 min(nf, np)) so
    that a few cycles never give a zero-width interval."""
    a = min(max(a, 1 - a), 1 - 0.5 / min(nf, np_))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (nf - 1) * (q1 - a * a) + (np_ - 1) * (q2 - a * a)) / (nf * np_)
    return math.sqrt(max(var, 0.0))


def best_threshold(fail: np.ndarray, ok: np.ndarray, direction: str
                   ) -> tuple[float, float, Side, Side, tuple[float, float]]:
    """The cut between adjacent distinct values with the largest Youden's J for the direction
    ("below": value < threshold predicts failure). Both inputs sorted. Returns the cut, J, the
    sides below and above, and the two values the cut lies between (for printing it)."""
    values = np.unique(np.concatenate([fail, ok]))
    cuts = (values[:-1] + values[1:]) / 2
    fail_below = np.searchsorted(fail, cuts, side="left")  # strictly below each cut
    ok_below = np.searchsorted(ok, cuts, side="left")
    nf, np_ = len(fail), len(ok)
    tpr_below, fpr_below = fail_below / nf, ok_below / np_
    j = tpr_below - fpr_below if direction == "below" else fpr_below - tpr_below
    best = int(np.argmax(j))
    fb, ob = int(fail_below[best]), int(ok_below[best])
    return (float(cuts[best]), float(j[best]), side(fb, fb + ob),
            side(nf - fb, (nf - fb) + (np_ - ob)), (float(values[best]), float(values[best + 1])))


def side(failures: int, cycles: int) -> Side:
    return Side(failures, cycles, failures / cycles if cycles else float("nan"), wilson(failures, cycles))


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (NaN when n = 0)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)


def zero_failure_bound(n: int, confidence: float = CONFIDENCE) -> float:
    """Upper confidence bound of the failure rate after n cycles without a failure
    (exact binomial: 1 - (1 - c)^(1/n); ~3/n at 95 %, the "rule of three")."""
    return 1.0 - (1.0 - confidence) ** (1.0 / n) if n else 1.0


# --- robust location and spread; tests of one group against another (the board comparison) ---
#: The MAD of a normal sample times this is its standard deviation.
MAD_SIGMA = 1.4826


def median(x: np.ndarray) -> float:
    """np.median without its overhead (thousands of small arrays per comparison)."""
    s = np.sort(x)
    m = s.size // 2
    return float(s[m]) if s.size % 2 else float((s[m - 1] + s[m]) / 2)


def mad(x: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: a robust standard deviation."""
    return MAD_SIGMA * median(np.abs(x - median(x))) if x.size else 0.0


def mann_whitney(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(AUC, two-sided p) of the Mann-Whitney test of `a` against `b`: AUC = P(a value of `a` >
    one of `b`), ties counting half; p from the normal approximation with the tie correction
    (conservative for the smallest samples, where the exact p is smaller)."""
    n1, n2 = a.size, b.size
    area = auc(a, b)
    u = area * n1 * n2
    counts = np.unique(np.concatenate([a, b]), return_counts=True)[1]
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - float(np.sum(counts ** 3 - counts)) / (n * (n - 1)))
    p = 1.0 if var <= 0 else 2 * NormalDist().cdf(-abs(u - n1 * n2 / 2) / math.sqrt(var))
    return area, min(1.0, p)


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher's exact test of k1/n1 against k2/n2 (sum of tables as unlikely)."""
    total, hits = n1 + n2, k1 + k2

    def logp(x: int) -> float:
        return (_lcomb(hits, x) + _lcomb(total - hits, n1 - x) - _lcomb(total, n1))

    lo, hi = max(0, n1 - (total - hits)), min(n1, hits)
    observed = logp(k1)
    p = sum(math.exp(lp) for lp in (logp(x) for x in range(lo, hi + 1)) if lp <= observed + 1e-9)
    return min(1.0, p)


def _lcomb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


__all__ = ["CONFIDENCE", "MAD_SIGMA", "Side", "Z95", "auc", "auc_se", "best_threshold", "fisher_exact", "mad",
           "mann_whitney", "median", "ranks", "side", "wilson", "zero_failure_bound"]
