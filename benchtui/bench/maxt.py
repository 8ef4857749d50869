"""Max-T: a family-wise correction that knows the rails move together.

Holm treats 40 comparisons as 40 chances of a false alarm. When they are VCAP1.min, VCAP1.mean,
VCAP1.dip_depth and their VCAP2 twins, they are nearly one chance, and Holm's price is paid for
nothing; on a short run it is the difference between a finding and "not enough yet". The max-T
test (Westfall and Young's step-down form) takes the correlation as it is: it relabels the cycles'
outcomes (pass, or the failure mode) in every possible way, recomputes every comparison of the
family under each relabelling, and compares each observed statistic with the distribution of
the largest one. With every relabelling enumerated the test is exact.

Here the statistic is the standardised Mann–Whitney U of each comparison (null variance, tie
correction), and the relabellings are enumerated exactly when there are at most
EXACT_ARRANGEMENTS of them (a short run: C(12, 6) = 924); `decision.py` uses Holm beyond. The
benchmark (benchmarks/diagnosis.py) uses the same code with random relabellings as its reference.

Reference: P. H. Westfall and S. S. Young, Resampling-Based Multiple Testing (Wiley, 1993), §2.6.
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence

import numpy as np

#: Largest number of relabellings enumerated (the exact test's cost grows with it).
EXACT_ARRANGEMENTS = 5000


def outcome_codes(passed: np.ndarray, modes: Sequence[str | None]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per cycle 0 for a pass, else 1 + the index of its failure mode in the returned names."""
    names: list[str] = []
    codes = np.zeros(len(passed), dtype=np.int16)
    for i, (ok, mode) in enumerate(zip(passed, modes)):
        if not ok:
            mode = mode or "unknown"
            if mode not in names:
                names.append(mode)
            codes[i] = 1 + names.index(mode)
    return codes, tuple(names)


def count_arrangements(codes: np.ndarray) -> int:
    """How many distinct orderings the outcome labels have (a multinomial coefficient)."""
    total, left = 1, len(codes)
    for c in np.bincount(codes):
        total *= math.comb(left, int(c))
        left -= int(c)
    return total


def arrangements(codes: np.ndarray) -> np.ndarray:
    """Every distinct ordering of the outcome labels, one per row (the observed one among them)."""
    n = len(codes)
    counts = [int(c) for c in np.bincount(codes)][1:]  # the failure modes; passes fill the rest
    rows: list[np.ndarray] = []

    def place(row: np.ndarray, free: tuple[int, ...], k: int) -> None:
        if k == len(counts):
            rows.append(row.copy())
            return
        for chosen in itertools.combinations(free, counts[k]):
            row[list(chosen)] = k + 1
            place(row, tuple(i for i in free if i not in chosen), k + 1)
            row[list(chosen)] = 0

    place(np.zeros(n, dtype=np.int16), tuple(range(n)), 0)
    return np.array(rows, dtype=np.int16)


def standardized(values: np.ndarray, cases: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """|U - E U| / sd U (null variance, tie correction) of one feature under many labellings:
    `cases` and `selected` are (labellings x cycles) masks of the group's failures and of the
    cycles it compares (its failures and the passes). Missing values (NaN) are left out."""
    ok = np.isfinite(values)
    idx = np.flatnonzero(ok)
    xs = values[idx]
    order = np.argsort(xs, kind="mergesort")
    idx, xs = idx[order], xs[order]
    if len(xs) == 0:
        return np.zeros(len(cases))
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    s = selected[:, idx].astype(float)
    c = cases[:, idx].astype(float)
    in_group = np.add.reduceat(s, starts, axis=1)      # compared cycles in each tie group
    case_group = np.add.reduceat(c, starts, axis=1)
    midrank = np.cumsum(in_group, axis=1) - in_group + (in_group + 1) / 2
    w = np.sum(case_group * midrank, axis=1)
    nf = case_group.sum(axis=1)
    n = in_group.sum(axis=1)
    ties = np.sum(in_group ** 3 - in_group, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = nf * (n - nf) / 12 * ((n + 1) - ties / (n * (n - 1)))
        z = np.abs(w - nf * (n + 1) / 2) / np.sqrt(var)
    return np.where(var > 0, z, 0.0)


def step_down(observed: np.ndarray, null: np.ndarray, *, exact: bool) -> np.ndarray:
    """Westfall–Young step-down adjusted p of the observed statistics (tests,) against their
    values under relabellings (labellings x tests). Exact (every labelling, the observed one
    among them): the share at least as extreme; random relabellings: (1 + count) / (1 + B)."""
    order = np.argsort(-observed, kind="mergesort")
    # For test i (in decreasing order of its statistic): the largest statistic, under each
    # relabelling, among the tests not yet rejected before it.
    tail = np.maximum.accumulate(null[:, order][:, ::-1], axis=1)[:, ::-1]
    hits = np.sum(tail >= observed[order] - 1e-9, axis=0)
    p = hits / len(null) if exact else (1 + hits) / (1 + len(null))
    p = np.minimum(1.0, np.maximum.accumulate(p))
    out = np.empty(len(p))
    out[order] = p
    return out


def max_t(values: np.ndarray, observed: np.ndarray, labellings: np.ndarray,
          tests: Sequence[tuple[int, int | None]], *, exact: bool) -> np.ndarray:
    """Step-down max-T adjusted p of each test — (column of `values`, failure-mode code, or None
    for every failure) — for the observed outcome codes against the given relabellings."""
    if not len(tests):
        return np.zeros(0)
    rows = np.vstack([observed[None, :], labellings])
    passes = rows == 0
    z = np.empty((len(rows), len(tests)))
    overall = [i for i, (_, mode) in enumerate(tests) if mode is None]
    if overall:  # every cycle compared: the ranks stay put, one product gives every rank sum
        z[:, overall] = _overall(values[:, [tests[i][0] for i in overall]], (rows != 0).astype(float))
    for i, (column, mode) in enumerate(tests):
        if mode is not None:
            cases = rows == mode
            z[:, i] = standardized(values[:, column], cases, cases | passes)
    return step_down(z[0], z[1:], exact=exact)


def _overall(values: np.ndarray, cases: np.ndarray) -> np.ndarray:
    """`standardized` for comparisons of every failure against every pass (all cycles compared),
    for many features at once: (labellings x features)."""
    present = np.isfinite(values)
    ranks = np.zeros(values.shape)
    ties = np.zeros(values.shape[1])
    for j in range(values.shape[1]):
        idx = np.flatnonzero(present[:, j])
        xs = values[idx, j]
        order = np.argsort(xs, kind="mergesort")
        xs = xs[order]
        starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]]) if len(xs) else np.zeros(0, int)
        sizes = np.diff(np.append(starts, len(xs)))
        ranks[idx[order], j] = np.repeat(starts + (sizes + 1) / 2, sizes)
        ties[j] = float(np.sum(sizes.astype(float) ** 3 - sizes))
    w = cases @ ranks
    nf = cases @ present.astype(float)
    n = present.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = nf * (n - nf) / 12 * ((n + 1) - ties / (n * (n - 1)))
        z = np.abs(w - nf * (n + 1) / 2) / np.sqrt(var)
    return np.where(var > 0, z, 0.0)


__all__ = ["EXACT_ARRANGEMENTS", "arrangements", "count_arrangements", "max_t", "outcome_codes", "standardized",
           "step_down"]
