"""Correlation: which measured feature separates the cycles that failed from those that passed.

For every feature, and for every failure mode on its own (cycles whose erase hit a
write-protected sector against the passing ones), the values in failing and passing cycles are
compared:

- the decision, under "no effect": the Mann–Whitney rank test (exact up to 60 cycles, ties at
  their average rank; `ranktest.py`), Holm's step-down correction over the family of tests
  really made, and an effect floor. A test "separates" when its Holm-adjusted p is at most the
  level (FAMILY_ALPHA for a fixed run; a look's share of it when the loop looks after every
  cycle, `sequential.py`) and |AUC - 0.5| >= SIGNATURE_EFFECT;
- what is shown beside it, never deciding: the separation (the AUC of the finding's own rule,
  "below fails" or "above fails", so 1.00 is a perfect split), its Hanley–McNeil 95 % interval,
  the threshold that best splits the cycles (maximum Youden's J), the failure rate on each side
  with Wilson intervals, and a line such as "erase failed in 14 of 15 cycles where
  flash.VCAP1.min < 1.0977 V, and in 0 of 35 above".

A value that is only a bound (a fault catch that did not fire stores its trigger level: the
rail never went below it) is censored: the ranks tie it with its equals and place it beyond every
reading that crossed the level, which is all a rank test needs; the finding counts such cycles.

The family: evidence tests (kinds rail, psu and ob) are one family; consequences are another,
corrected on their own and never evidence. Consequences are not causes: step durations and
attempt counts describe what the failure did (a failed erase is short), and a feature measured in
a window that starts after the failing step cannot have caused it. A test is made only with
MIN_CASES failing and MIN_CONTROLS passing cycles holding a value, values that vary, and values
present in failing and passing cycles alike (MAX_PRESENCE_GAP); the rest is listed as untested
and does not count in the family.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from ..profile import STEP_NAMES
from .quantity import BOUND_SIGNS, format_quantity, format_split
from .ranktest import holm, rank_test
from .records import FeatureMatrix
from .sequential import FAMILY_ALPHA, SpendingPlan, fixed_rule
from .stats import CONFIDENCE, Z95, Side, auc_se, best_threshold, wilson
from .stats import auc as _auc

# --- the rules (one place) ---------------------------------------------------------------------
#: Failing cycles with a value needed before a feature is tested for a group.
MIN_CASES = 5
#: Passing cycles with a value needed likewise.
MIN_CONTROLS = 5
#: Largest difference between the share of failing and of passing cycles that have a value for
#: a feature. Beyond it the values that exist come from different kinds of cycles (a fault-catch
#: capture measured in every failing cycle but only in the few passing ones it also caught), and
#: comparing them says how those cycles were selected, not what separates the failures.
MAX_PRESENCE_GAP = 0.5
#: Smallest |AUC - 0.5| that counts as a signature (0.2 = separation of 0.7 or more).
SIGNATURE_EFFECT = 0.2
#: Kinds that describe the board's supply (the rest describe timing and the debug link).
RAIL_KINDS = ("rail", "psu")
#: Kinds that can be evidence of a cause (the board's physics and the state it powered up in).
EVIDENCE_KINDS = ("rail", "psu", "ob")
#: Kinds that only describe what a step did (its duration, its retries): consequences.
CONSEQUENCE_KINDS = ("timing", "link")
#: The step whose run starts each feature window ("power_up.VCAP1.min" is measured by
#: capture_power_up; "flash.*" from the fault catch armed before the erase).
WINDOW_STEPS = {"power_up": "capture_power_up", "psu.on": "power_on", "ob": "read_identity",
                "flash": "arm_fault_catch", "psu.flash": "erase"}
#: Confidence words (shown, never deciding): a separating finding whose separation interval
#: stays above STRONG_SEPARATION and whose threshold splits this cleanly (Youden's J) is
#: "strong", otherwise "moderate"; one that does not separate but whose own uncorrected p is
#: below 0.05 is "suggestive"; the rest "none".
STRONG_SEPARATION = 0.8
STRONG_YOUDEN = 0.7
SUGGESTIVE_P = 0.05

__all__ = ["Analysis", "CONFIDENCE", "FAMILY_ALPHA", "Finding", "MIN_CASES", "MIN_CONTROLS", "SIGNATURE_EFFECT",
           "Side", "analyse", "format_quantity", "mode_step", "wilson"]


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
        value = format_quantity(self.bound_value, self.unit) if self.bound_value is not None else "its trigger level"
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


def mode_step(mode: str | None) -> str | None:
    """The step of a failure mode: "erase (write-protected)" -> "erase"."""
    return None if mode is None else mode.split(" (", 1)[0]


def analyse(matrix: FeatureMatrix, steps: Sequence[str] = STEP_NAMES, *,
            plan: SpendingPlan | None = None) -> Analysis:
    """Compare every feature in failing vs passing cycles, overall and per failure mode, and
    decide which separate. `steps` is the run's step order (to tell what was measured after a
    failure); `plan`: the run is watched after every cycle and this is its look (its level)."""
    n = len(matrix)
    passed = np.asarray(matrix.passed, dtype=bool)
    failed_steps = np.array([s or "unknown" for s in matrix.failed_steps], dtype=object)
    by_step: dict[str, int] = {}
    for step in failed_steps[~passed]:
        by_step[step] = by_step.get(step, 0) + 1
    failures = int(np.count_nonzero(~passed))
    level = plan.level(n) if plan is not None else FAMILY_ALPHA
    rule = plan.describe(n) if plan is not None else fixed_rule(n)

    findings: list[Finding] = []
    untested: dict[str, str] = {}
    for g, (step, cases, modes) in enumerate(_groups(by_step, failed_steps, passed, failures, n)):
        selected = cases | passed
        for j, name in enumerate(matrix.names):
            finding, why = _finding(matrix, j, step, selected, cases[selected])
            if finding is not None:
                findings.append(_with_role(finding, modes, steps))
            elif g == 0:
                untested[name] = why
    findings, tests, consequence_tests = _decide(findings, level)
    # Evidence before consequences; within each, separating rail/PSU features lead.
    findings.sort(key=lambda f: (f.role != "evidence", not f.separates, f.kind not in RAIL_KINDS,
                                 f.p_family, f.p, -f.effect, -f.youden, f.feature, f.step or ""))
    signature = any(f.separates and f.kind in RAIL_KINDS and f.role == "evidence" for f in findings)
    return Analysis(cycles=n, failures=failures, failures_by_step=by_step, findings=tuple(findings),
                    rail_signature=signature, untested=untested, level=level, rule=rule, tests=tests,
                    consequence_tests=consequence_tests, varying=_varying(matrix), plan=plan)


def _varying(m: FeatureMatrix) -> int:
    count = 0
    for j, kind in enumerate(m.kinds):
        if kind in EVIDENCE_KINDS:
            x = m.values[:, j]
            x = x[np.isfinite(x)]
            count += bool(len(x) and x.min() != x.max())
    return count


def _groups(by_step: dict[str, int], failed_steps: np.ndarray, passed: np.ndarray, failures: int,
            n: int) -> list[tuple[str | None, np.ndarray, tuple[str, ...]]]:
    """The comparisons: every failure against the passes, then each failure mode with enough
    failures of its own (when there is more than one mode)."""
    if not failures or failures == n:
        return []
    # When every failure is in one mode, "overall" is that mode: say so in the words.
    groups = [(next(iter(by_step)) if len(by_step) == 1 else None, ~passed, tuple(by_step))]
    for step, count in sorted(by_step.items(), key=lambda kv: -kv[1]):
        if MIN_CASES <= count < failures:
            groups.append((step, failed_steps == step, (step,)))
    return groups


def _decide(findings: list[Finding], level: float) -> tuple[list[Finding], int, int]:
    """Holm over each family (evidence; consequences), then the level and the effect floor."""
    out = list(findings)
    sizes = []
    for role in ("evidence", "consequence"):
        idx = [i for i, f in enumerate(out) if f.role == role]
        sizes.append(len(idx))
        adjusted = holm(np.array([out[i].p for i in idx]))
        for i, p_family in zip(idx, adjusted):
            f = out[i]
            out[i] = replace(f, p_family=float(p_family),
                             separates=bool(p_family <= level and f.effect >= SIGNATURE_EFFECT))
    return out, sizes[0], sizes[1]


# --- one feature, one group --------------------------------------------------------------------

def _finding(m: FeatureMatrix, j: int, step: str | None, selected: np.ndarray,
             is_case: np.ndarray) -> tuple[Finding | None, str]:
    x = m.values[selected, j]
    ok = np.isfinite(x)
    fail, ok_pass = np.sort(x[ok & is_case]), np.sort(x[ok & ~is_case])
    nf, np_ = len(fail), len(ok_pass)
    if nf < MIN_CASES or np_ < MIN_CONTROLS:
        return None, f"too few values ({nf} failing, {np_} passing; need {MIN_CASES} and {MIN_CONTROLS})"
    cases, controls = int(np.count_nonzero(is_case)), int(np.count_nonzero(~is_case))
    if abs(nf / cases - np_ / controls) > MAX_PRESENCE_GAP:
        return None, (f"measured in {nf} of {cases} failing but {np_} of {controls} passing cycles: "
                      f"the values come from different kinds of cycles")
    if fail[0] == fail[-1] == ok_pass[0] == ok_pass[-1]:
        return None, "the same value in every cycle"
    auc = _auc(fail, ok_pass)
    se = auc_se(auc, nf, np_)
    p, exact = rank_test(fail, ok_pass)
    direction = "below" if auc < 0.5 else "above"
    threshold, youden, below, above, gap = best_threshold(fail, ok_pass, direction)
    censored, bound, bound_value = _censored(m, j, selected, ok)
    finding = Finding(
        feature=m.names[j], unit=m.units[j], kind=m.kinds[j], step=step, n_fail=nf, n_pass=np_,
        n_missing=int(np.count_nonzero(~ok)), auc_raw=auc,
        auc_raw_ci=(max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se)), direction=direction,
        threshold=threshold, below=below, above=above, youden=youden, p=p, p_family=1.0, exact=exact,
        separates=False, text="", gap=gap, se=se, censored=censored, bound=bound, bound_value=bound_value)
    return _with_text(finding), ""


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


def _with_role(f: Finding, modes: tuple[str, ...], steps: Sequence[str]) -> Finding:
    """Mark step timings and features measured after the failing step as consequences."""
    if f.kind in CONSEQUENCE_KINDS:
        return replace(f, role="consequence",
                       role_why="a step's duration and attempts describe what the failure did, not why")
    window = window_of(f.feature)
    start = WINDOW_STEPS.get(window or "")
    if start in steps:
        later = [m for m in modes if (mode_step(m) in steps and steps.index(mode_step(m)) < steps.index(start))]
        if later:
            return replace(f, role="consequence",
                           role_why=f"measured from {start} on, after the failing step "
                                    f"({', '.join(later)})")
    return f


def window_of(feature: str) -> str | None:
    """The measurement window of a feature: "power_up", "flash", "psu.on", "ob", ..."""
    parts = feature.split(".")
    if parts[0] == "psu" and len(parts) > 2:
        return f"psu.{parts[1]}"
    return parts[0] if len(parts) > 1 else None


# --- words -------------------------------------------------------------------------------------

def _with_text(f: Finding) -> Finding:
    subject = f"{f.step} failed in" if f.step else "failures in"
    other = "above" if f.direction == "below" else "below"
    text = (f"{subject} {f.near.failures} of {f.near.cycles} cycles where {f.feature} {f.threshold_text}, "
            f"and in {f.far.failures} of {f.far.cycles} {other}")
    if f.n_missing:
        text += f" ({f.n_missing} cycles without a value left out)"
    return replace(f, text=text)
