"""Correlation: which measured feature separates the cycles that failed from those that passed.

The decision is taken in `decision.py` (exact Mann–Whitney tests under "no effect", Holm over
the family of comparisons really made, an effect floor; a look's share of the error when the
run is watched after every cycle). This module turns each comparison into a `Finding` with what
is shown beside the decision, never deciding:

- the separation: the AUC of the finding's own rule, "below fails" or "above fails", so 1.00 is
  a perfect split (the raw P(failing > passing) is kept as `auc_raw`, for the JSON only), and its
  Hanley–McNeil 95 % interval;
- the threshold that best splits the cycles (maximum Youden's J = TPR - FPR, candidates midway
  between adjacent distinct values), the failure rate on each side and Wilson 95 % intervals;
- a plain-language line: "erase failed in 14 of 15 cycles where flash.VCAP1.min < 1.0977 V,
  and in 0 of 35 above" (printed with enough digits to tell the threshold from its neighbours);
- how many compared values were only bounds (a fault catch that did not fire stores its trigger
  level: the rail never crossed it). The ranks tie such censored values with their equals and
  place them beyond every reading that crossed the level, which is all a rank test needs.

Consequences (step timings, anything measured after the failing step) are ranked apart, after
the evidence; they never make a rail signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from ..profile import STEP_NAMES
from .decision import (CONSEQUENCE_KINDS, EVIDENCE_KINDS, MAX_PRESENCE_GAP, MIN_CASES, MIN_CONTROLS,
                       SIGNATURE_EFFECT, WINDOW_STEPS, Decision, Test, decide, mode_step, window_of)
from .quantity import BOUND_SIGNS, format_feature, format_quantity, format_split
from .records import FeatureMatrix
from .sequential import FAMILY_ALPHA, SpendingPlan
from .stats import CONFIDENCE, Z95, Side, auc_se, best_threshold, wilson

#: Kinds that describe the board's supply (the rest describe timing and the debug link).
RAIL_KINDS = ("rail", "psu")
#: Confidence words (shown, never deciding): a separating finding whose separation interval
#: stays above STRONG_SEPARATION and whose threshold splits this cleanly (Youden's J) is
#: "strong", otherwise "moderate"; one that does not separate but whose own uncorrected p is
#: below 0.05 is "suggestive"; the rest "none".
STRONG_SEPARATION = 0.8
STRONG_YOUDEN = 0.7
SUGGESTIVE_P = 0.05

__all__ = ["Analysis", "CONFIDENCE", "CONSEQUENCE_KINDS", "EVIDENCE_KINDS", "FAMILY_ALPHA", "Finding",
           "MAX_PRESENCE_GAP", "MIN_CASES", "MIN_CONTROLS", "RAIL_KINDS", "SIGNATURE_EFFECT", "Side",
           "WINDOW_STEPS", "analyse", "findings_of", "format_quantity", "mode_step", "window_of", "wilson"]


@dataclass(frozen=True)
class Finding:
    """How one feature separates failing from passing cycles, overall or for one failure mode."""

    feature: str
    unit: str
    kind: str
    step: str | None  # the failure mode compared with passing cycles; None: any failure
    n_fail: int
    n_pass: int
    n_missing: int
    #: P(value in a failing cycle > value in a passing one), ties half: the raw orientation
    #: (`auc` is the separation in the finding's own direction).
    auc_raw: float
    auc_raw_ci: tuple[float, float]
    direction: str  # "below": failures come with low values; "above": with high values
    threshold: float
    below: Side
    above: Side
    youden: float
    #: Two-sided p of the rank test (exact or normal, `exact`), and Holm-adjusted over the family.
    p: float
    p_family: float
    exact: bool
    separates: bool
    text: str
    #: The closest values either side of the threshold (it lies midway between them).
    gap: tuple[float, float] = (float("nan"), float("nan"))
    #: "evidence" (may be a cause) or "consequence" (what the failure did, or measured after it).
    role: str = "evidence"
    role_why: str = ""
    #: Hanley–McNeil standard error of the AUC (for the interval shown).
    se: float = 0.0
    #: Compared cycles whose value is only a bound, and which ("lower": "≥ value").
    censored: int = 0
    bound: str | None = None
    bound_value: float | None = None
    #: The finest resolution the feature was measured with (None: unknown).
    resolution: float | None = None

    @property
    def auc(self) -> float:
        """The separation in the finding's direction: P(the rule "value below/above the other
        cycles' predicts failure" ranks a failing cycle first); 0.5 = none, 1.0 = perfect."""
        return self.auc_raw if self.direction == "above" else 1.0 - self.auc_raw

    @property
    def auc_ci(self) -> tuple[float, float]:
        lo, hi = self.auc_raw_ci
        return (lo, hi) if self.direction == "above" else (1.0 - hi, 1.0 - lo)

    @property
    def effect(self) -> float:
        """|AUC - 0.5|: 0 = no separation, 0.5 = perfect."""
        return abs(self.auc_raw - 0.5)

    @property
    def near(self) -> Side:
        """The side of the threshold where failures are (below or above)."""
        return self.below if self.direction == "below" else self.above

    @property
    def far(self) -> Side:
        return self.above if self.direction == "below" else self.below

    @property
    def threshold_text(self) -> str:
        """The threshold with enough digits to tell it from its neighbours: "< 1.0977 V"."""
        sign = "<" if self.direction == "below" else ">"
        return f"{sign} {format_split(self.threshold, self.gap, self.unit)}"

    @property
    def censored_text(self) -> str:
        """How the bounds among the compared values were counted ("" when there are none)."""
        if not self.censored:
            return ""
        sign = BOUND_SIGNS.get(self.bound or "", "")
        value = format_feature(self.bound_value, self.unit, None, self.resolution) \
            if self.bound_value is not None else "its trigger level"
        return (f"{self.censored} cycles only bound it ({sign} {value}: the fault catch did not fire); "
                f"censored, tied at the bound in the ranks")

    @property
    def confidence(self) -> str:
        """strong / moderate / suggestive / none (rules at the top of this module)."""
        if self.separates:
            return "strong" if self.auc_ci[0] >= STRONG_SEPARATION and self.youden >= STRONG_YOUDEN else "moderate"
        return "suggestive" if self.p <= SUGGESTIVE_P else "none"


@dataclass(frozen=True)
class Analysis:
    """Ranked findings (evidence first, separating first; consequences after) and the decision
    they were taken under."""

    cycles: int
    failures: int
    failures_by_step: dict[str, int]
    findings: tuple[Finding, ...]
    rail_signature: bool
    untested: dict[str, str] = field(default_factory=dict)  # feature -> why it was not tested
    #: The family-wise level the findings were decided at, and in words how it was chosen.
    level: float = FAMILY_ALPHA
    rule: str = ""
    #: Tests in the evidence family (Holm's m) and in the consequence family.
    tests: int = 0
    consequence_tests: int = 0
    #: Evidence features whose values vary over the run: the family one comparison would have
    #: (for planning before there are enough failures to test).
    varying: int = 0
    #: The looks' plan when the run is watched after every cycle (None: a fixed-sample run).
    plan: SpendingPlan | None = None
    #: How the evidence family was corrected ("exact max-T over 252 relabellings", "Holm").
    method: str = ""

    def for_step(self, step: str | None) -> list[Finding]:
        """The findings of one group, strongest first. None = any failure; when all failures
        are in one mode, the overall group carries that mode's name instead."""
        return [f for f in self.findings if f.step == step]

    @property
    def evidence(self) -> list[Finding]:
        return [f for f in self.findings if f.role == "evidence"]

    @property
    def consequences(self) -> list[Finding]:
        return [f for f in self.findings if f.role == "consequence"]

    @property
    def separating(self) -> list[Finding]:
        """The evidence that separates, in rank order."""
        return [f for f in self.findings if f.role == "evidence" and f.separates]

    @property
    def failure_rate(self) -> float:
        return self.failures / self.cycles if self.cycles else 0.0


def analyse(matrix: FeatureMatrix, steps: Sequence[str] = STEP_NAMES, *,
            plan: SpendingPlan | None = None) -> Analysis:
    """Decide every comparison (`decision.decide`) and describe each as a Finding. `steps`:
    the run's step order; `plan`: the run is watched after every cycle and this is a look."""
    return findings_of(decide(matrix, steps, plan=plan), matrix)


def findings_of(d: Decision, matrix: FeatureMatrix) -> Analysis:
    """The Analysis of a decision taken on `matrix`: evidence first, separating rails first."""
    passed = np.asarray(matrix.passed, dtype=bool)
    findings = [_finding(matrix, t, d.groups[t.group].cases | passed, d.groups[t.group].cases) for t in d.tests]
    findings.sort(key=lambda f: (f.role != "evidence", not f.separates, f.kind not in RAIL_KINDS,
                                 f.p_family, f.p, -f.effect, -f.youden, f.feature, f.step or ""))
    signature = any(f.separates and f.kind in RAIL_KINDS and f.role == "evidence" for f in findings)
    return Analysis(cycles=d.cycles, failures=d.failures, failures_by_step=d.failures_by_step,
                    findings=tuple(findings), rail_signature=signature, untested=d.untested, level=d.level,
                    rule=d.rule, tests=len(d.family("evidence")), consequence_tests=len(d.family("consequence")),
                    varying=_varying(matrix), plan=d.plan, method=d.method)


def _varying(m: FeatureMatrix) -> int:
    count = 0
    for j, kind in enumerate(m.kinds):
        if kind in EVIDENCE_KINDS:
            x = m.values[:, j]
            x = x[np.isfinite(x)]
            count += bool(len(x) and x.min() != x.max())
    return count


def _finding(m: FeatureMatrix, t: Test, selected: np.ndarray, cases: np.ndarray) -> Finding:
    x = m.values[selected, t.column]
    is_case = cases[selected]
    ok = np.isfinite(x)
    fail, good = np.sort(x[ok & is_case]), np.sort(x[ok & ~is_case])
    se = auc_se(t.auc_raw, t.n_fail, t.n_pass)
    direction = "below" if t.auc_raw < 0.5 else "above"
    threshold, youden, below, above, gap = best_threshold(fail, good, direction)
    censored, bound, bound_value = _censored(m, t.column, selected, ok)
    finding = Finding(
        feature=t.feature, unit=m.units[t.column], kind=t.kind, step=t.step, n_fail=t.n_fail, n_pass=t.n_pass,
        n_missing=t.n_missing, auc_raw=t.auc_raw,
        auc_raw_ci=(max(0.0, t.auc_raw - Z95 * se), min(1.0, t.auc_raw + Z95 * se)), direction=direction,
        threshold=threshold, below=below, above=above, youden=youden, p=t.p, p_family=t.p_family,
        exact=t.exact, separates=t.separates, text="", gap=gap, role=t.role, role_why=t.role_why, se=se,
        censored=censored, bound=bound, bound_value=bound_value, resolution=m.resolution(t.column))
    return _with_text(finding)


def _censored(m: FeatureMatrix, j: int, selected: np.ndarray, ok: np.ndarray
              ) -> tuple[int, str | None, float | None]:
    if m.bounds is None:
        return 0, None, None
    marks = m.bounds[selected, j][ok]
    if not marks.any():
        return 0, None, None
    values = m.values[selected, j][ok][marks != 0]
    bound = "lower" if (marks > 0).sum() >= (marks < 0).sum() else "upper"
    levels = np.unique(values)
    return int(np.count_nonzero(marks)), bound, float(levels[0]) if len(levels) == 1 else None


# --- words -------------------------------------------------------------------------------------

def _with_text(f: Finding) -> Finding:
    subject = f"{f.step} failed in" if f.step else "failures in"
    other = "above" if f.direction == "below" else "below"
    text = (f"{subject} {f.near.failures} of {f.near.cycles} cycles where {f.feature} {f.threshold_text}, "
            f"and in {f.far.failures} of {f.far.cycles} {other}")
    if f.n_missing:
        text += f" ({f.n_missing} cycles without a value left out)"
    return replace(f, text=text)
