"""The failing board against its siblings: one row per board, and how a board that stands out
differs from the others, in words and numbers.

A batch's good boards are the best control a failing board has: the same design, the same
bench, the same firmware. For every board (grouped by the UID read at connect) this takes
its cycles, failures by mode and the median and spread of every feature; then for each board
it asks, feature by feature and failure mode by failure mode, whether it lies outside what its
siblings do:

- features (not wall-clock step times): the board's median against the siblings' medians, as a robust z-score
  (z = (median - median of siblings' medians) / (1.4826 x MAD of siblings' medians)), with
  the spread floored by how precisely a board median is known (the pooled within-board MAD /
  sqrt(n)) and by the feature's resolution, so that one bad board cannot hide in the average
  and a noise-free feature cannot make noise look like a difference. A difference counts when
  |z| >= Z_STANDOUT *and* the board's cycles separate from the siblings' cycles by rank
  (|AUC - 0.5| >= AUC_STANDOUT - 0.5, Mann-Whitney p < RANK_ALPHA after a Bonferroni
  correction over boards x features: a few cycles of a feature that is bimodal from cycle to
  cycle cannot make a board stand out);
- 0/1 features (a trigger that fired, constant-current mode) and failure modes: the board's
  rate against the siblings' pooled rate, Fisher's exact test, Bonferroni-corrected over boards
  x modes, and at least MIN_RATE_GAP apart.

With fewer than MIN_BOARDS boards of MIN_CYCLES cycles each there is no comparison, and the
summary says so. The same code compares benches (`by="bench"`): same board, different benches.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from ..records import FeatureMatrix
from ..stats import fisher_exact, mad, mann_whitney, median
from .model import BoardRow, Comparison, Difference, FeatureSummary, FleetMatrix, Standout
from .rules import (AUC_STANDOUT, CLOCK_KINDS, KEY_FEATURES, MIN_BOARDS, MIN_CYCLES, MIN_RATE_GAP,
                    RAIL_KINDS, RANK_ALPHA, RATE_ALPHA, RESOLUTION, Z_STANDOUT)
from .words import feature_words, group_name, standout_text, summary_lines, with_text


# --- the comparison ----------------------------------------------------------------------------

def compare(fleet: FleetMatrix, by: str = "board") -> Comparison:
    """Group the cycles by board UID (or bench) and find the groups that stand out."""
    if by not in ("board", "bench"):
        raise ValueError(f"compare by {by!r}: expected 'board' or 'bench'")
    m = fleet.matrix
    keys, attributed = _group_keys(fleet, by)
    order = sorted(set(keys))
    rows = {k: _row(fleet, keys, k, by) for k in order}
    judged = [k for k in order if rows[k].cycles >= MIN_CYCLES and k != "unknown"]
    enough = len(judged) >= MIN_BOARDS
    found: dict[str, list[Difference]] = {k: [] for k in judged}
    codes = np.searchsorted(np.array(order, dtype=object), np.array(keys, dtype=object))
    member = {k: codes == i for i, k in enumerate(order)}
    if enough:
        flags = [j for j in range(len(m.names)) if _is_flag(m.values[:, j])]
        rate_tests = len(judged) * (len(_modes(fleet)) + 1 + len(flags))
        feature_tests = len(judged) * max(1, len(m.names) - len(flags))
        for j, name in enumerate(m.names):
            if m.kinds[j] in CLOCK_KINDS and m.units[j] == "s":
                continue  # wall-clock step times: they measure the bench PC's load as much as the board
            if j in flags:
                for k, d in _rate_differences(m.values[:, j] == 1, member, judged, name, "flag",
                                              m.units[j], m.kinds[j], rate_tests):
                    found[k].append(d)
            else:
                for k, d in _feature_differences(m.values[:, j], member, judged, name, m.units[j],
                                                 m.kinds[j], feature_tests):
                    found[k].append(d)
        failed = ~np.asarray(m.passed, dtype=bool)
        modes = np.array([s or "unknown" for s in m.failed_steps], dtype=object)
        for mode in [None] + _modes(fleet):
            events = failed if mode is None else failed & (modes == mode)
            for k, d in _rate_differences(events, member, judged, mode or "any failure", "failure",
                                          "", "failure", rate_tests):
                found[k].append(d)
    for k, ds in found.items():  # "any failure" says nothing more than a mode with its counts
        modes = {d.counts for d in ds if d.what == "failure" and d.name != "any failure"}
        found[k] = [d for d in ds if not (d.name == "any failure" and d.counts in modes)]
    standouts = [Standout(rows[k], tuple(_ordered(ds)), "") for k, ds in found.items() if ds]
    standouts.sort(key=lambda s: (-s.strength, s.row.key))
    standouts = [Standout(s.row, s.differences, standout_text(s.row, s.differences, by))
                 for s in standouts]
    key_features = _key_features(m, standouts, member, judged)
    rows = {k: _with_features(r, fleet, member[k]) for k, r in rows.items()}
    leading = [s.row.key for s in standouts]
    ordered = [rows[k] for k in leading] + sorted(
        (r for k, r in rows.items() if k not in leading), key=lambda r: (-r.failures, r.key))
    standouts = [Standout(rows[s.row.key], s.differences, s.text) for s in standouts]
    return Comparison(by=by, rows=tuple(ordered), standouts=tuple(standouts),
                      key_features=key_features, compared=len(judged), enough=enough,
                      summary=tuple(summary_lines(by, rows, judged, standouts, enough, attributed)))


def _group_keys(fleet: FleetMatrix, by: str) -> tuple[list[str], int]:
    """Each cycle's group. A cycle whose UID was not read (it never connected) belongs to the
    board last seen on the same run's bench (no swap was seen), else the next one seen."""
    if by == "bench":
        return [b or "unknown" for b in fleet.benches], 0
    keys: list[str | None] = [u.upper() if u else None for u in fleet.uids]
    attributed = 0
    for forward in (True, False):
        last: dict[int, str] = {}
        idx = range(len(keys)) if forward else range(len(keys) - 1, -1, -1)
        for i in idx:
            run = fleet.runs[i]
            if keys[i] is None and run in last:
                keys[i] = last[run]
                attributed += 1
            elif keys[i] is not None:
                last[run] = keys[i]
    return [k or "unknown" for k in keys], attributed


def _modes(fleet: FleetMatrix) -> list[str]:
    return sorted({s for s in fleet.matrix.failed_steps if s})


def _row(fleet: FleetMatrix, keys: list[str], key: str, by: str) -> BoardRow:
    m = fleet.matrix
    sel = [i for i, k in enumerate(keys) if k == key]
    by_mode: dict[str, int] = {}
    for i in sel:
        if not m.passed[i]:
            mode = m.failed_steps[i] or "unknown"
            by_mode[mode] = by_mode.get(mode, 0) + 1
    labels = sorted({fleet.labels[i] for i in sel if fleet.labels[i]})
    if by == "bench":
        n = len({fleet.uids[i] for i in sel if fleet.uids[i]})
        labels = [f"{n} board{'s' if n != 1 else ''}"]
    return BoardRow(key=key, label=", ".join(labels) or None,
                    benches=tuple(sorted({fleet.benches[i] or "unknown" for i in sel})),
                    runs=tuple(sorted({fleet.runs[i] for i in sel})), cycles=len(sel),
                    failures=sum(by_mode.values()), failures_by_mode=by_mode,
                    compared=len(sel) >= MIN_CYCLES and key != "unknown")


def _is_flag(x: np.ndarray) -> bool:
    v = x[~np.isnan(x)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


def _feature_differences(x: np.ndarray, member: dict[str, np.ndarray], judged: list[str],
                         name: str, unit: str, kind: str, tests: int) -> list[tuple[str, Difference]]:
    values = {k: x[member[k]][~np.isnan(x[member[k]])] for k in judged}
    have = [k for k in judged if values[k].size >= MIN_CYCLES]
    if len(have) < MIN_BOARDS:
        return []
    med = {k: float(median(values[k])) for k in have}
    within = median(np.array([mad(values[k]) / math.sqrt(values[k].size) for k in have]))
    centre_all = median(np.array(list(med.values())))
    floor = max(float(within), RESOLUTION.get(unit, 1e-6), 1e-3 * abs(float(centre_all)),
                _quantum([values[k] for k in have]))
    z_of: dict[str, float] = {}
    for k in have:
        sib = np.array([med[s] for s in have if s != k])
        spread = max(mad(sib), floor)
        z_of[k] = (med[k] - float(median(sib))) / spread
    out = []
    for k in have:
        z = z_of[k]
        if abs(z) < Z_STANDOUT:
            continue
        others = np.concatenate([values[s] for s in have if s != k])
        auc, p = mann_whitney(values[k], others)
        if abs(auc - 0.5) < AUC_STANDOUT - 0.5 or p >= RANK_ALPHA / tests:
            continue
        typical = [med[s] for s in have if s != k and abs(z_of[s]) < Z_STANDOUT] or \
            [med[s] for s in have if s != k]
        sib_centre = median(np.array([med[s] for s in have if s != k]))
        strength = min(300.0, -math.log10(max(2 * NormalDist().cdf(-abs(z)), 1e-300)))
        d = Difference("feature", name, unit, kind, med[k], sib_centre, (min(typical), max(typical)),
                       len(have) - 1, z, auc, p, None, strength, "")
        out.append((k, with_text(d)))
    return out


def _quantum(groups: list[np.ndarray]) -> float:
    """The step between the values a feature takes, when it takes few (a scope's 8-bit levels
    make a 1.2 V rail read 1.200, 1.208, 1.216 V; a time counted in samples is a multiple of
    the sample interval): a board one level off is not different. The step is the smallest
    gap between the levels one board's cycles take (the gap between two boards' levels alone
    says little about the resolution: only when all levels lie on one lattice is its step taken,
    `_lattice_step`); values that differ by float rounding only (7.0000000000002e-06 and
    6.9999999999998e-06) are one level."""
    x = np.concatenate(groups) if groups else np.zeros(0)
    if not x.size:
        return 0.0
    tol = 1e-9 * float(np.max(np.abs(x))) or 1e-300
    if np.unique(np.round(x / tol)).size > max(8, x.size // 4):
        return 0.0  # a continuous quantity
    gaps = [float(np.diff(levels).min()) * tol for levels in (np.unique(np.round(g / tol)) for g in groups)
            if levels.size > 1]
    return min(gaps) if gaps else _lattice_step(x)


def _lattice_step(x: np.ndarray) -> float:
    """When every board's cycles read one level each: the step of the lattice all those levels lie
    on (8 and 16 mV are one and two codes of an 8 mV converter step; 0, 8 and 56 mV too), else 0.
    A board one code above its siblings is then one step off, not 'eight spreads' off."""
    levels = np.unique(np.round(x, 9))
    if levels.size < 2:
        return 0.0
    step = float(np.diff(levels).min())
    ratio = levels / step
    return step if bool(np.all(np.abs(ratio - np.round(ratio)) < 1e-3)) else 0.0


def _rate_differences(events: np.ndarray, member: dict[str, np.ndarray], judged: list[str],
                      name: str, what: str, unit: str, kind: str,
                      tests: int) -> list[tuple[str, Difference]]:
    counts = {k: (int(np.count_nonzero(events & member[k])), int(np.count_nonzero(member[k])))
              for k in judged}
    total_k = sum(c[0] for c in counts.values())
    total_n = sum(c[1] for c in counts.values())
    if total_k == 0 or total_k == total_n:
        return []
    out = []
    for k in judged:
        bk, bn = counts[k]
        sk, sn = total_k - bk, total_n - bn
        rate, sib_rate = bk / bn, sk / sn
        if abs(rate - sib_rate) < MIN_RATE_GAP:
            continue
        p = fisher_exact(bk, bn, sk, sn)
        if p >= RATE_ALPHA / max(1, tests):
            continue
        rates = [counts[s][0] / counts[s][1] for s in judged if s != k]
        d = Difference(what, name, unit, kind, rate, sib_rate, (min(rates), max(rates)),
                       len(judged) - 1, None, None, p, (bk, bn, sk, sn),
                       min(300.0, -math.log10(max(p, 1e-300))), "")
        out.append((k, with_text(d)))
    return out


def _ordered(ds: list[Difference]) -> list[Difference]:
    """Rail/PSU features first (the physical evidence), then failures and flags, then the rest;
    strongest first within each."""
    def rank(d: Difference) -> tuple:
        group = 0 if d.what == "feature" and d.kind in RAIL_KINDS else 1 if d.what != "feature" else 2
        return (group, -d.strength, d.name)
    return sorted(ds, key=rank)


def _key_features(m: FeatureMatrix, standouts: list[Standout], member: dict[str, np.ndarray],
                  judged: list[str]) -> tuple[str, ...]:
    """The rail features the table shows: those that set boards apart, else the ones whose
    medians differ most between boards relative to their cycle-to-cycle spread."""
    chosen: list[str] = []
    for s in standouts:
        for d in s.differences:
            if d.what == "feature" and d.kind in RAIL_KINDS and d.name not in chosen:
                chosen.append(d.name)
    if len(chosen) < KEY_FEATURES and judged:
        scores = []
        for j, name in enumerate(m.names):
            if m.kinds[j] not in RAIL_KINDS or name in chosen or _is_flag(m.values[:, j]):
                continue
            meds, mads = [], []
            for k in judged:
                v = m.values[member[k], j]
                v = v[~np.isnan(v)]
                if v.size:
                    meds.append(median(v))
                    mads.append(mad(v))
            if len(meds) >= 2:
                noise = max(median(np.array(mads)), RESOLUTION.get(m.units[j], 1e-6))
                scores.append((-mad(np.array(meds)) / noise, name))
        chosen += [name for _, name in sorted(scores)[:KEY_FEATURES - len(chosen)]]
    return tuple(chosen[:KEY_FEATURES])


def _with_features(row: BoardRow, fleet: FleetMatrix, sel: np.ndarray) -> BoardRow:
    m = fleet.matrix
    features = {}
    for j, name in enumerate(m.names):
        v = m.values[sel, j]
        present = ~np.isnan(v)
        v = v[present]
        if v.size:
            marks = m.bounds[sel, j][present] if m.bounds is not None else np.zeros(0)
            censored = int(np.count_nonzero(marks))
            bound = None if not censored else "lower" if (marks > 0).sum() >= (marks < 0).sum() else "upper"
            features[name] = FeatureSummary(name, m.units[j], m.kinds[j], int(v.size),
                                            float(median(v)), mad(v), censored, bound)
    return BoardRow(**{**row.__dict__, "features": features})


__all__ = ["AUC_STANDOUT", "BoardRow", "Comparison", "Difference", "FeatureSummary", "FleetMatrix",
           "MIN_BOARDS", "MIN_CYCLES", "Standout", "Z_STANDOUT", "compare", "feature_words",
           "group_name"]
