"""Correlation: which measured feature separates the cycles that failed from those that passed.

For every feature, and for every failure mode on its own (cycles whose erase hit a
write-protected sector against the passing ones), the values in failing and passing cycles are
compared (the statistics are in `stats.py`):

- separation by rank: ROC AUC from the Mann-Whitney U statistic (average ranks for ties), with
  direction — failures come with low values ("below") or high values ("above");
- the threshold that best splits them (maximum Youden's J = TPR - FPR, candidates midway between
  adjacent distinct values), the failure rate on each side, and Wilson 95 % intervals;
- a plain-language line: "erase failed in 14 of 15 cycles where flash.VCAP1.min < 1.0977 V,
  and in 0 of 35 above" (printed with enough digits to tell the threshold from its neighbours).

Consequences are not causes: step durations and attempt counts describe what the failure did
(a failed erase is short), and a feature measured in a window that starts after the failing
step cannot have caused it. Such findings get role "consequence" and are ranked apart, after
the evidence; they never make a rail signature or a summary line.

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

from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Sequence

import numpy as np

from ..profile import STEP_NAMES
from .quantity import format_quantity, format_split
from .records import FeatureMatrix
from .stats import (CONFIDENCE, Z95, Side, auc_se, best_threshold, cycles_for_failures,
                    cycles_to_separate, wilson)
from .stats import auc as _auc

# --- the rules (one place) ---------------------------------------------------------------------
#: Failing cycles with a value needed before a feature is ranked for a group.
MIN_CASES = 5
#: Passing cycles with a value needed likewise.
MIN_CONTROLS = 5
#: Largest difference between the share of failing and of passing cycles that have a value for
#: a feature. Beyond it the values that exist come from different kinds of cycles (a fault-catch
#: capture measured in every failing cycle but only in the few passing ones it also caught), and
#: comparing them says how those cycles were selected, not what separates the failures.
MAX_PRESENCE_GAP = 0.5
#: Smallest |AUC - 0.5| that counts as a signature (0.2 = AUC outside 0.3..0.7).
SIGNATURE_EFFECT = 0.2
#: Family-wise error rate for the "separates" decision (Bonferroni over all tests).
FAMILY_ALPHA = 0.05
#: Findings quoted in the summary.
SUMMARY_FINDINGS = 3
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
#: Confidence words: a separating finding whose AUC interval stays this far from 0.5 and whose
#: threshold splits this cleanly (Youden's J) is "strong"; otherwise "moderate". A finding
#: that does not separate after the correction but whose plain 95 % interval excludes 0.5 is
#: "suggestive"; the rest "none".
STRONG_SCORE = 0.3
STRONG_YOUDEN = 0.7

__all__ = ["Analysis", "CONFIDENCE", "Finding", "MIN_CASES", "MIN_CONTROLS", "SIGNATURE_EFFECT", "Side",
           "analyse", "format_quantity", "mode_step", "wilson"]


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
    #: The closest values either side of the threshold (it lies midway between them).
    gap: tuple[float, float] = (float("nan"), float("nan"))
    #: "evidence" (may be a cause) or "consequence" (what the failure did, or measured after it).
    role: str = "evidence"
    role_why: str = ""
    #: AUC standard error (for the sample-size estimate).
    se: float = 0.0

    @property
    def effect(self) -> float:
        """|AUC - 0.5|: 0 = no separation, 0.5 = perfect."""
        return abs(self.auc - 0.5)

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
    def confidence(self) -> str:
        """strong / moderate / suggestive / none (rules at the top of this module)."""
        if self.separates:
            return "strong" if self.score >= STRONG_SCORE and self.youden >= STRONG_YOUDEN else "moderate"
        return "suggestive" if self.score > 0 else "none"


@dataclass(frozen=True)
class Analysis:
    """Ranked findings (evidence first, strongest first; consequences after) and summary lines."""

    cycles: int
    failures: int
    failures_by_step: dict[str, int]
    findings: tuple[Finding, ...]
    summary: tuple[str, ...]
    rail_signature: bool
    untested: dict[str, str] = field(default_factory=dict)  # feature -> why it was not ranked
    #: How many (feature, group) tests were made, and the corrected z of the "separates" rule.
    tests: int = 0
    z_family: float = Z95
    #: With fewer than MIN_CASES failures: every evidence feature compared anyway, from the
    #: failures there are (never "separates"), strongest first — for a provisional reading and
    #: "how many more cycles" advice.
    provisional: tuple[Finding, ...] = ()

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
    def failure_rate(self) -> float:
        return self.failures / self.cycles if self.cycles else 0.0

    def cycles_needed(self, auc_value: float) -> int | None:
        """Run length (cycles in all) at which an effect of this AUC would separate at this
        run's failure rate; None if no run length would (effect below the signature rule)."""
        return cycles_to_separate(auc_value, self.failure_rate, self.z_family, min_effect=SIGNATURE_EFFECT,
                                  min_cases=MIN_CASES, min_controls=MIN_CONTROLS)

    def cycles_for_min_cases(self) -> int | None:
        """Expected run length that gives MIN_CASES failures at this run's failure rate."""
        return cycles_for_failures(MIN_CASES, self.failure_rate)


def mode_step(mode: str | None) -> str | None:
    """The step of a failure mode: "erase (write-protected)" -> "erase"."""
    return None if mode is None else mode.split(" (", 1)[0]


def analyse(matrix: FeatureMatrix, steps: Sequence[str] = STEP_NAMES) -> Analysis:
    """Compare every feature in failing vs passing cycles, overall and per failure mode.
    `steps` is the run's step order (the profile's), to tell what was measured after a failure."""
    n = len(matrix)
    passed = np.asarray(matrix.passed, dtype=bool)
    failed_steps = np.array([s or "unknown" for s in matrix.failed_steps], dtype=object)
    by_step: dict[str, int] = {}
    for step in failed_steps[~passed]:
        by_step[step] = by_step.get(step, 0) + 1
    failures = int(np.count_nonzero(~passed))

    groups: list[tuple[str | None, np.ndarray, tuple[str, ...]]] = []
    if failures and failures < n:
        # When every failure is in one mode, "overall" is that mode: say so in the words.
        groups.append((next(iter(by_step)) if len(by_step) == 1 else None, ~passed, tuple(by_step)))
        for step, count in sorted(by_step.items(), key=lambda kv: -kv[1]):
            if count >= MIN_CASES and count < failures:
                groups.append((step, failed_steps == step, (step,)))
    tests = len(groups) * len(matrix.names)
    z_family = NormalDist().inv_cdf(1 - FAMILY_ALPHA / (2 * max(1, tests)))

    findings: list[Finding] = []
    untested: dict[str, str] = {}
    for g, (step, cases, modes) in enumerate(groups):
        selected = cases | passed
        for j, name in enumerate(matrix.names):
            finding, why = _finding(matrix, j, step, matrix.values[selected, j], cases[selected], z_family)
            if finding is not None:
                findings.append(_with_role(finding, modes, steps))
            elif g == 0:
                untested[name] = why
    # Evidence before consequences; within each, separating rail/PSU features lead.
    findings.sort(key=lambda f: (f.role != "evidence", not f.separates, f.kind not in RAIL_KINDS,
                                 -f.score, -f.effect, -f.youden, f.feature, f.step or ""))
    signature = any(f.separates and f.kind in RAIL_KINDS and f.role == "evidence" for f in findings)
    provisional = _provisional(matrix, passed, by_step, steps) if 0 < failures < MIN_CASES else ()
    return Analysis(cycles=n, failures=failures, failures_by_step=by_step, findings=tuple(findings),
                    summary=tuple(_summary(n, failures, by_step, findings, signature)),
                    rail_signature=signature, untested=untested, tests=tests, z_family=z_family,
                    provisional=provisional)


# --- one feature, one group --------------------------------------------------------------------

def _finding(m: FeatureMatrix, j: int, step: str | None, x: np.ndarray, is_case: np.ndarray,
             z_family: float) -> tuple[Finding | None, str]:
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
    ci = (max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se))
    effect = abs(auc - 0.5)
    direction = "below" if auc < 0.5 else "above"
    threshold, youden, below, above, gap = best_threshold(fail, ok_pass, direction)
    finding = Finding(
        feature=m.names[j], unit=m.units[j], kind=m.kinds[j], step=step, n_fail=nf, n_pass=np_,
        n_missing=int(np.count_nonzero(~ok)), auc=auc, auc_ci=ci, direction=direction,
        threshold=threshold, below=below, above=above, youden=youden,
        separates=effect >= SIGNATURE_EFFECT and effect - z_family * se > 0,
        score=max(0.0, effect - Z95 * se), text="", gap=gap, se=se)
    return _with_text(finding), ""


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


def _provisional(m: FeatureMatrix, passed: np.ndarray, by_step: dict[str, int],
                 steps: Sequence[str]) -> tuple[Finding, ...]:
    """With too few failures to rank: each evidence feature compared from the failures there
    are (at least one), marked as not separating whatever its AUC, strongest effect first."""
    out: list[Finding] = []
    group = next(iter(by_step)) if len(by_step) == 1 else None
    for j, name in enumerate(m.names):
        if m.kinds[j] not in EVIDENCE_KINDS:
            continue
        x = m.values[:, j]
        ok = np.isfinite(x)
        fail, good = np.sort(x[ok & ~passed]), np.sort(x[ok & passed])
        if not len(fail) or len(good) < MIN_CONTROLS or np.ptp(x[ok]) == 0:
            continue
        auc = _auc(fail, good)
        se = auc_se(auc, len(fail), len(good))
        direction = "below" if auc < 0.5 else "above"
        threshold, youden, below, above, gap = best_threshold(fail, good, direction)
        f = Finding(feature=name, unit=m.units[j], kind=m.kinds[j], step=group, n_fail=len(fail),
                    n_pass=len(good), n_missing=int(np.count_nonzero(~ok)), auc=auc,
                    auc_ci=(max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se)), direction=direction,
                    threshold=threshold, below=below, above=above, youden=youden, separates=False,
                    score=0.0, text="", gap=gap, se=se)
        f = _with_role(_with_text(f), tuple(by_step), steps)
        if f.role == "evidence":
            out.append(f)
    out.sort(key=lambda f: (-f.effect, -f.youden, f.feature))
    return tuple(out)


# --- words -------------------------------------------------------------------------------------

def _with_text(f: Finding) -> Finding:
    subject = f"{f.step} failed in" if f.step else "failures in"
    other = "above" if f.direction == "below" else "below"
    text = (f"{subject} {f.near.failures} of {f.near.cycles} cycles where {f.feature} {f.threshold_text}, "
            f"and in {f.far.failures} of {f.far.cycles} {other}")
    if f.n_missing:
        text += f" ({f.n_missing} cycles without a value left out)"
    return replace(f, text=text)


def _summary(n: int, failures: int, by_step: dict[str, int], findings: list[Finding],
             signature: bool) -> list[str]:
    """The conclusion first (a status bar shows line 0), then the failure count, then detail.
    Consequences never appear here."""
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
    evidence = [f for f in findings if f.role == "evidence"]
    rails = [f for f in evidence if f.kind in RAIL_KINDS]
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
    others = [f for f in evidence if f.separates and f.kind not in RAIL_KINDS][:SUMMARY_FINDINGS]
    return lines + [f"{f.kind} (AUC {f.auc:.2f}): {f.text}" for f in others]
