"""Correlation: which measured feature separates the cycles that failed from those that passed.

For every feature, and for every failing step on its own (cycles that failed in "erase" against
the passing ones), the values in failing and passing cycles are compared:

- separation by rank: ROC AUC from the Mann-Whitney U statistic (average ranks for ties), with
  direction — failures come with low values ("below") or high values ("above");
- the threshold that best splits them (maximum Youden's J = TPR - FPR, candidates midway between
  adjacent distinct values), the failure rate on each side, and Wilson 95 % intervals;
- a plain-language line: "erase failed in 14 of 15 cycles where flash.VCAP1.min < 1.10 V, and in
  0 of 35 above".

Cycles without a value for a feature are left out for that feature (and counted). Findings are
ranked by how far their AUC interval stays from 0.5, so that a perfect split of 5 cycles does
not outrank a near-perfect split of 500.

The summary's rule for "no rail signature": no feature of kind rail or psu *separates*, where
separating means enough cycles on both sides (MIN_CASES, MIN_CONTROLS), an effect of at least
|AUC - 0.5| >= SIGNATURE_EFFECT, and an AUC interval that excludes 0.5 after a Bonferroni
correction for the number of features and groups tested (so 60 noise features do not produce
a signature by chance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np

from .records import FeatureMatrix

# --- the rules (one place) ---------------------------------------------------------------------
#: Failing cycles with a value needed before a feature is ranked for a group.
MIN_CASES = 5
#: Passing cycles with a value needed likewise.
MIN_CONTROLS = 5
#: Smallest |AUC - 0.5| that counts as a signature (0.2 = AUC outside 0.3..0.7).
SIGNATURE_EFFECT = 0.2
#: Confidence level of the intervals shown (AUC, failure rates).
CONFIDENCE = 0.95
#: Family-wise error rate for the "separates" decision (Bonferroni over all tests).
FAMILY_ALPHA = 0.05
#: Findings quoted in the summary.
SUMMARY_FINDINGS = 3
#: Kinds that describe the board's supply (the rest describe timing and the debug link).
RAIL_KINDS = ("rail", "psu")

Z95 = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)


@dataclass(frozen=True)
class Side:
    """One side of a threshold: how many cycles fell there and how many of them failed."""

    failures: int
    cycles: int
    rate: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class Finding:
    """How one feature separates failing from passing cycles, overall or for one failing step."""

    feature: str
    unit: str
    kind: str
    step: str | None  # the failing step compared with passing cycles; None: any failure
    n_fail: int
    n_pass: int
    n_missing: int
    auc: float  # P(value in a failing cycle > value in a passing one), ties count half
    auc_ci: tuple[float, float]
    direction: str  # "below": failures come with low values; "above": with high values
    threshold: float
    below: Side
    above: Side
    youden: float
    separates: bool
    score: float  # ranking key: distance of the AUC interval from 0.5
    text: str

    @property
    def effect(self) -> float:
        """|AUC - 0.5|: 0 = no separation, 0.5 = perfect."""
        return abs(self.auc - 0.5)


@dataclass(frozen=True)
class Analysis:
    """Ranked findings (strongest first) and summary lines for a run."""

    cycles: int
    failures: int
    failures_by_step: dict[str, int]
    findings: tuple[Finding, ...]
    summary: tuple[str, ...]
    rail_signature: bool
    untested: dict[str, str] = field(default_factory=dict)  # feature -> why it was not ranked

    def for_step(self, step: str | None) -> list[Finding]:
        """The findings of one group, strongest first. None = any failure; when all failures
        are in one step, the overall group carries that step's name instead."""
        return [f for f in self.findings if f.step == step]


def analyse(matrix: FeatureMatrix) -> Analysis:
    """Compare every feature in failing vs passing cycles, overall and per failing step."""
    n = len(matrix)
    passed = np.asarray(matrix.passed, dtype=bool)
    failed_steps = np.array([s or "unknown" for s in matrix.failed_steps], dtype=object)
    by_step: dict[str, int] = {}
    for step in failed_steps[~passed]:
        by_step[step] = by_step.get(step, 0) + 1
    failures = int(np.count_nonzero(~passed))

    groups: list[tuple[str | None, np.ndarray]] = []
    if failures and failures < n:
        # When every failure is in one step, "overall" is that step: say so in the words.
        groups.append((next(iter(by_step)) if len(by_step) == 1 else None, ~passed))
        for step, count in sorted(by_step.items(), key=lambda kv: -kv[1]):
            if count >= MIN_CASES and count < failures:
                groups.append((step, failed_steps == step))
    tests = len(groups) * len(matrix.names)
    z_family = NormalDist().inv_cdf(1 - FAMILY_ALPHA / (2 * max(1, tests)))

    findings: list[Finding] = []
    untested: dict[str, str] = {}
    for g, (step, cases) in enumerate(groups):
        selected = cases | passed
        for j, name in enumerate(matrix.names):
            finding, why = _finding(matrix, j, step, matrix.values[selected, j], cases[selected], z_family)
            if finding is not None:
                findings.append(finding)
            elif g == 0:
                untested[name] = why
    # Separating rail/PSU features lead: step timings mostly measure the failure itself (a
    # failed erase is short), so they come after the physical evidence.
    findings.sort(key=lambda f: (not f.separates, f.kind not in RAIL_KINDS, -f.score, -f.effect,
                                 -f.youden, f.feature, f.step or ""))
    signature = any(f.separates and f.kind in RAIL_KINDS for f in findings)
    return Analysis(cycles=n, failures=failures, failures_by_step=by_step, findings=tuple(findings),
                    summary=tuple(_summary(n, failures, by_step, findings, signature)),
                    rail_signature=signature, untested=untested)


# --- one feature, one group --------------------------------------------------------------------

def _finding(m: FeatureMatrix, j: int, step: str | None, x: np.ndarray, is_case: np.ndarray,
             z_family: float) -> tuple[Finding | None, str]:
    ok = np.isfinite(x)
    fail, ok_pass = np.sort(x[ok & is_case]), np.sort(x[ok & ~is_case])
    nf, np_ = len(fail), len(ok_pass)
    if nf < MIN_CASES or np_ < MIN_CONTROLS:
        return None, f"too few values ({nf} failing, {np_} passing; need {MIN_CASES} and {MIN_CONTROLS})"
    if fail[0] == fail[-1] == ok_pass[0] == ok_pass[-1]:
        return None, "the same value in every cycle"
    auc = _auc(fail, ok_pass)
    se = _auc_se(auc, nf, np_)
    ci = (max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se))
    effect = abs(auc - 0.5)
    direction = "below" if auc < 0.5 else "above"
    threshold, youden, below, above = _best_threshold(fail, ok_pass, direction)
    finding = Finding(
        feature=m.names[j], unit=m.units[j], kind=m.kinds[j], step=step, n_fail=nf, n_pass=np_,
        n_missing=int(np.count_nonzero(~ok)), auc=auc, auc_ci=ci, direction=direction,
        threshold=threshold, below=below, above=above, youden=youden,
        separates=effect >= SIGNATURE_EFFECT and effect - z_family * se > 0,
        score=max(0.0, effect - Z95 * se), text="")
    return _with_text(finding), ""


def _ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    new = np.empty(len(xs), dtype=bool)
    new[0] = True
    new[1:] = xs[1:] != xs[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(xs))
    ranks = np.empty(len(xs))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def _auc(fail: np.ndarray, ok: np.ndarray) -> float:
    """Mann-Whitney U of the failing cycles / (nf * np): P(fail > pass) + P(tie) / 2."""
    ranks = _ranks(np.concatenate([fail, ok]))
    nf = len(fail)
    u = ranks[:nf].sum() - nf * (nf + 1) / 2
    return float(u / (nf * len(ok)))


def _auc_se(auc: float, nf: int, np_: int) -> float:
    """Hanley-McNeil standard error. A perfect split is treated as 1 - 1/(2 min(nf, np)) so
    that a few cycles never give a zero-width interval."""
    a = min(max(auc, 1 - auc), 1 - 0.5 / min(nf, np_))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (nf - 1) * (q1 - a * a) + (np_ - 1) * (q2 - a * a)) / (nf * np_)
    return math.sqrt(max(var, 0.0))


def _best_threshold(fail: np.ndarray, ok: np.ndarray, direction: str) -> tuple[float, float, Side, Side]:
    """The cut between adjacent distinct values with the largest Youden's J for the direction
    ("below": value < threshold predicts failure). Both inputs sorted."""
    values = np.unique(np.concatenate([fail, ok]))
    cuts = (values[:-1] + values[1:]) / 2
    fail_below = np.searchsorted(fail, cuts, side="left")  # strictly below each cut
    ok_below = np.searchsorted(ok, cuts, side="left")
    nf, np_ = len(fail), len(ok)
    tpr_below, fpr_below = fail_below / nf, ok_below / np_
    j = tpr_below - fpr_below if direction == "below" else fpr_below - tpr_below
    best = int(np.argmax(j))
    fb, ob = int(fail_below[best]), int(ok_below[best])
    return (float(cuts[best]), float(j[best]), _side(fb, fb + ob),
            _side(nf - fb, (nf - fb) + (np_ - ob)))


def _side(failures: int, cycles: int) -> Side:
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


# --- words -------------------------------------------------------------------------------------

def format_quantity(value: float, unit: str) -> str:
    """Three significant digits with an SI prefix: 1.10 V, 340 µs, 12.5 mA, 0.5."""
    if value is None or not math.isfinite(value):
        return "-"
    if not unit:
        return f"{value:.3g}"
    scaled, prefix = value, ""
    if value != 0:
        for factor, p in ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")):
            if abs(value) >= factor or p == "n":
                scaled, prefix = value / factor, p
                break
    digits = 0 if scaled == 0 else max(0, 2 - math.floor(math.log10(abs(scaled))))
    return f"{scaled:.{digits}f} {prefix}{unit}"


def _with_text(f: Finding) -> Finding:
    subject = f"{f.step} failed in" if f.step else "failures in"
    cut = format_quantity(f.threshold, f.unit)
    if f.direction == "below":
        near, far, cond, other = f.below, f.above, f"{f.feature} < {cut}", "above"
    else:
        near, far, cond, other = f.above, f.below, f"{f.feature} > {cut}", "below"
    text = (f"{subject} {near.failures} of {near.cycles} cycles where {cond}, "
            f"and in {far.failures} of {far.cycles} {other}")
    if f.n_missing:
        text += f" ({f.n_missing} cycles without a value left out)"
    return replace(f, text=text)


def _summary(n: int, failures: int, by_step: dict[str, int], findings: list[Finding],
             signature: bool) -> list[str]:
    """The conclusion first (a status bar shows line 0), then the failure count, then detail."""
    if n == 0:
        return ["no cycles recorded"]
    if failures == 0:
        return [f"no failures in {n} cycles"]
    steps = ", ".join(f"{s} {c}" for s, c in sorted(by_step.items(), key=lambda kv: -kv[1]))
    count = f"{failures} of {n} cycles failed ({steps})"
    if failures == n:
        return [f"all {n} cycles failed: no passing cycles to compare against", count]
    if failures < MIN_CASES:
        return [f"too few failures to correlate (need at least {MIN_CASES})", count]
    rails = [f for f in findings if f.kind in RAIL_KINDS]
    if signature:
        lines = [f"rail signature (AUC {f.auc:.2f}): {f.text}" for f in rails if f.separates]
        lines = lines[:1] + [count] + lines[1:SUMMARY_FINDINGS]
    else:
        best = max(rails, key=lambda f: f.effect, default=None)
        hint = f" (strongest rail/psu feature: {best.feature}, AUC {best.auc:.2f})" if best else ""
        if any("core reset" in mode for mode in by_step):
            lines = ["no rail signature in the captures, but the core reset mid-operation: trigger "
                     "the fault catch on NRST (falling) or VDD to catch the glitch" + hint, count]
        else:
            lines = ["no rail signature: suspect SWD wiring/probe" + hint, count]
    others = [f for f in findings if f.separates and f.kind not in RAIL_KINDS][:SUMMARY_FINDINGS]
    return lines + [f"{f.kind} (AUC {f.auc:.2f}): {f.text}" for f in others]


__all__ = ["Analysis", "Finding", "MIN_CASES", "MIN_CONTROLS", "SIGNATURE_EFFECT", "Side", "analyse",
           "format_quantity", "wilson"]
