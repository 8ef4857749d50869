"""The decision: which comparisons separate failing from passing cycles, under "no effect".

`decide(matrix, steps, plan=None)` makes every comparison worth making — each feature against
every failure (and against each failure mode with enough failures of its own) — and decides them
in one place:

- each comparison is the two-sided Mann–Whitney rank test (`ranktest.py`: exact up to 60
  cycles, ties at their average rank, which also ties a censored bound with its equals);
- the comparisons form two families, evidence (kinds rail, psu, ob, measured before the failing
  step) and consequences (step timings, and anything measured after the failing step). The
  evidence family is corrected by the exact step-down max-T test (`maxt.py`: every relabelling
  of the outcomes, so rails that move together cost one chance, not one each) when the run is
  short enough to enumerate them, and by Holm's step-down method on the exact p-values beyond;
  both hold the family-wise error whatever the correlation. Consequences get Holm;
- a comparison separates when its Holm-adjusted p is at most the level — FAMILY_ALPHA for a
  fixed run, the look's share of it when the run is watched after every cycle
  (`sequential.py`) — and its effect is at least SIGNATURE_EFFECT (|AUC - 0.5|).

A comparison is made only with MIN_CASES failing and MIN_CONTROLS passing cycles holding a value,
values that vary, and values present in failing and passing cycles alike (MAX_PRESENCE_GAP); the
rest is untested and does not count in the family. `analysis.py` adds what is shown beside a
decision (thresholds, intervals, words); it never changes one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from ..profile import STEP_NAMES
from .maxt import EXACT_ARRANGEMENTS, arrangements, count_arrangements, max_t, outcome_codes
from .ranktest import holm, rank_test
from .records import FeatureMatrix
from .sequential import FAMILY_ALPHA, SpendingPlan, fixed_rule

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
#: Kinds that can be evidence of a cause (the board's physics and the state it powered up in).
EVIDENCE_KINDS = ("rail", "psu", "ob")
#: Kinds that only describe what a step did (its duration, its retries): consequences.
CONSEQUENCE_KINDS = ("timing", "link")
#: The step whose run starts each feature window ("power_up.VCAP1.min" is measured by
#: capture_power_up; "flash.*" from the fault catch armed before the erase).
WINDOW_STEPS = {"power_up": "capture_power_up", "psu.on": "power_on", "ob": "read_identity",
                "flash": "arm_fault_catch", "psu.flash": "erase"}
#: The families, in the order they are corrected.
ROLES = ("evidence", "consequence")


@dataclass(frozen=True)
class Group:
    """One comparison of failing against passing cycles: every failure (step None, or the one
    mode when all failures share it) or one failure mode."""

    step: str | None
    cases: np.ndarray  # per cycle: a failure of this group
    modes: tuple[str, ...]


@dataclass(frozen=True)
class Test:
    """One feature compared in one group, and how the family decided it."""

    group: int
    column: int
    feature: str
    kind: str
    step: str | None
    n_fail: int
    n_pass: int
    n_missing: int
    #: P(value in a failing cycle > value in a passing one), ties half.
    auc_raw: float
    p: float
    exact: bool
    role: str = "evidence"
    role_why: str = ""
    p_family: float = 1.0
    separates: bool = False

    @property
    def effect(self) -> float:
        return abs(self.auc_raw - 0.5)


@dataclass(frozen=True, eq=False)
class Decision:
    """Every comparison made in a run, decided at one level."""

    cycles: int
    failures: int
    failures_by_step: dict[str, int]
    groups: tuple[Group, ...]
    tests: tuple[Test, ...]
    untested: dict[str, str] = field(default_factory=dict)
    level: float = FAMILY_ALPHA
    rule: str = ""
    plan: SpendingPlan | None = None
    #: How the evidence family was corrected, in words.
    method: str = ""

    def family(self, role: str = "evidence") -> list[Test]:
        return [t for t in self.tests if t.role == role]

    @property
    def separating(self) -> list[Test]:
        return [t for t in self.tests if t.role == "evidence" and t.separates]


def mode_step(mode: str | None) -> str | None:
    """The step of a failure mode: "erase (write-protected)" -> "erase"."""
    return None if mode is None else mode.split(" (", 1)[0]


def window_of(feature: str) -> str | None:
    """The measurement window of a feature: "power_up", "flash", "psu.on", "ob", ..."""
    parts = feature.split(".")
    if parts[0] == "psu" and len(parts) > 2:
        return f"psu.{parts[1]}"
    return parts[0] if len(parts) > 1 else None


def decide(matrix: FeatureMatrix, steps: Sequence[str] = STEP_NAMES, *,
           plan: SpendingPlan | None = None) -> Decision:
    """Make and decide every comparison (see the module docstring). `steps`: the run's step
    order (to tell what was measured after a failure); `plan`: the run is watched after every
    cycle and this look is decided at its share of the error."""
    n = len(matrix)
    passed = np.asarray(matrix.passed, dtype=bool)
    failed_steps = np.array([s or "unknown" for s in matrix.failed_steps], dtype=object)
    by_step: dict[str, int] = {}
    for step in failed_steps[~passed]:
        by_step[step] = by_step.get(step, 0) + 1
    failures = int(np.count_nonzero(~passed))
    level = plan.level(n) if plan is not None else FAMILY_ALPHA
    groups = _groups(by_step, failed_steps, passed, failures, n)
    tests: list[Test] = []
    untested: dict[str, str] = {}
    for g, group in enumerate(groups):
        selected = group.cases | passed
        is_case = group.cases[selected]
        for j, name in enumerate(matrix.names):
            test, why = _test(matrix, j, g, group, selected, is_case)
            if test is not None:
                tests.append(_with_role(test, group.modes, steps))
            elif g == 0:
                untested[name] = why
    tests, method = corrected(tests, level, matrix, groups)
    return Decision(cycles=n, failures=failures, failures_by_step=by_step, groups=tuple(groups),
                    tests=tuple(tests), untested=untested, level=level,
                    rule=plan.describe(n) if plan is not None else fixed_rule(n), plan=plan, method=method)


def corrected(tests: Sequence[Test], level: float, matrix: FeatureMatrix | None = None,
              groups: Sequence[Group] = ()) -> tuple[list[Test], str]:
    """Each family corrected (the evidence by exact max-T when the run's relabellings can be
    enumerated, else Holm; the consequences by Holm), then the level and the effect floor."""
    out = list(tests)
    method = "Holm"
    for role in ROLES:
        idx = [i for i, t in enumerate(out) if t.role == role]
        adjusted = holm(np.array([out[i].p for i in idx]))
        if role == "evidence" and idx and matrix is not None:
            codes, names = outcome_codes(matrix.passed, matrix.failed_steps)
            count = count_arrangements(codes)
            if count <= EXACT_ARRANGEMENTS:
                which = [(out[i].column, None if groups[out[i].group] is groups[0] else
                          1 + names.index(groups[out[i].group].step)) for i in idx]
                adjusted = max_t(matrix.values, codes, arrangements(codes), which, exact=True)
                method = f"exact max-T over {count} relabellings"
        for i, p_family in zip(idx, adjusted):
            t = out[i]
            out[i] = replace(t, p_family=float(p_family),
                             separates=bool(p_family <= level and t.effect >= SIGNATURE_EFFECT))
    return out, method


def _groups(by_step: dict[str, int], failed_steps: np.ndarray, passed: np.ndarray, failures: int,
            n: int) -> list[Group]:
    """Every failure against the passes, then each failure mode with enough failures of its own
    (when there is more than one mode)."""
    if not failures or failures == n:
        return []
    # When every failure is in one mode, "overall" is that mode: say so in the words.
    groups = [Group(next(iter(by_step)) if len(by_step) == 1 else None, ~passed, tuple(by_step))]
    for step, count in sorted(by_step.items(), key=lambda kv: -kv[1]):
        if MIN_CASES <= count < failures:
            groups.append(Group(step, failed_steps == step, (step,)))
    return groups


def _test(m: FeatureMatrix, j: int, g: int, group: Group, selected: np.ndarray,
          is_case: np.ndarray) -> tuple[Test | None, str]:
    x = m.values[selected, j]
    ok = np.isfinite(x)
    fail, good = x[ok & is_case], x[ok & ~is_case]
    nf, np_ = len(fail), len(good)
    if nf < MIN_CASES or np_ < MIN_CONTROLS:
        return None, f"too few values ({nf} failing, {np_} passing; need {MIN_CASES} and {MIN_CONTROLS})"
    cases = int(np.count_nonzero(is_case))
    controls = len(is_case) - cases
    if abs(nf / cases - np_ / controls) > MAX_PRESENCE_GAP:
        return None, (f"measured in {nf} of {cases} failing but {np_} of {controls} passing cycles: "
                      f"the values come from different kinds of cycles")
    lo, hi = x[ok].min(), x[ok].max()
    if lo == hi:
        return None, "the same value in every cycle"
    result = rank_test(fail, good)
    return Test(group=g, column=j, feature=m.names[j], kind=m.kinds[j], step=group.step, n_fail=nf,
                n_pass=np_, n_missing=int(np.count_nonzero(~ok)), auc_raw=result.auc, p=result.p,
                exact=result.exact), ""


def _with_role(t: Test, modes: tuple[str, ...], steps: Sequence[str]) -> Test:
    """Mark step timings and features measured after the failing step as consequences."""
    if t.kind in CONSEQUENCE_KINDS:
        return replace(t, role="consequence",
                       role_why="a step's duration and attempts describe what the failure did, not why")
    start = WINDOW_STEPS.get(window_of(t.feature) or "")
    if start in steps:
        later = [m for m in modes if (mode_step(m) in steps and steps.index(mode_step(m)) < steps.index(start))]
        if later:
            return replace(t, role="consequence",
                           role_why=f"measured from {start} on, after the failing step ({', '.join(later)})")
    return t


__all__ = ["CONSEQUENCE_KINDS", "Decision", "EVIDENCE_KINDS", "Group", "MAX_PRESENCE_GAP", "MIN_CASES",
           "MIN_CONTROLS", "SIGNATURE_EFFECT", "Test", "WINDOW_STEPS", "corrected", "decide", "mode_step",
           "window_of"]
