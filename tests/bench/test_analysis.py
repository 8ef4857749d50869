"""Correlation analysis on synthetic runs with planted causes, pure noise, and no failures; the
rank test, Holm and the spending plan against their definitions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchtui.bench.analysis import MIN_CASES, analyse, format_quantity, wilson
from benchtui.bench.ranktest import cycles_for_power, holm, power, rank_test, run_power
from benchtui.bench.records import CycleRecord, FeatureMatrix, FeatureValue
from benchtui.bench.sequential import SpendingPlan
from benchtui.bench.stats import mann_whitney, ranks


def matrix(columns: dict[str, tuple[np.ndarray, str, str]], failed_steps: list[str | None]) -> FeatureMatrix:
    names = tuple(sorted(columns))
    return FeatureMatrix(
        names=names, units=tuple(columns[n][1] for n in names), kinds=tuple(columns[n][2] for n in names),
        cycles=tuple(range(1, len(failed_steps) + 1)),
        passed=np.array([s is None for s in failed_steps]), failed_steps=tuple(failed_steps),
        values=np.column_stack([np.asarray(columns[n][0], dtype=float) for n in names]))


def noise(rng: np.random.Generator, n: int, count: int, kind: str = "rail") -> dict:
    return {f"noise.n{i:02d}": (rng.normal(1.2, 0.05, n), "V", kind) for i in range(count)}


def planted_run(seed: int = 3) -> tuple[FeatureMatrix, np.ndarray, list[str | None]]:
    """50 cycles: 15 with VCAP1 min below 1.10 V (14 of them fail in erase), 35 above (all pass)."""
    rng = np.random.default_rng(seed)
    below = np.linspace(1.00, 1.098, 15)
    above = np.linspace(1.102, 1.20, 35)
    vcap = np.concatenate([below, above])
    steps: list[str | None] = [None] + ["erase"] * 14 + [None] * 35  # the lowest one passed
    order = rng.permutation(50)
    vcap, steps = vcap[order], [steps[i] for i in order]
    cols = {"flash.VCAP1.min": (vcap, "V", "rail"), **noise(rng, 50, 20),
            "psu.flash.current": (rng.normal(0.1, 0.01, 50), "A", "psu")}
    return matrix(cols, steps), vcap, steps


def test_planted_threshold_is_ranked_first_with_its_counts_and_words() -> None:
    m, vcap, steps = planted_run()
    a = analyse(m)
    top = a.findings[0]
    assert top.feature == "flash.VCAP1.min" and top.step == "erase"
    assert top.direction == "below" and top.auc_raw < 0.1 and top.separates
    # The separation is printed in the finding's direction: "below fails" splits almost perfectly.
    assert top.auc == pytest.approx(1 - top.auc_raw) and top.auc > 0.9
    assert top.auc_ci == pytest.approx((1 - top.auc_raw_ci[1], 1 - top.auc_raw_ci[0]))
    assert top.exact and top.p < 1e-8 and top.p_family <= a.level
    # The best cut is midway between the highest value below 1.10 V and the lowest above.
    assert top.threshold == pytest.approx((vcap[vcap < 1.1].max() + vcap[vcap > 1.1].min()) / 2)
    assert top.threshold == pytest.approx(1.10)
    assert (top.below.failures, top.below.cycles, top.above.failures, top.above.cycles) == (14, 15, 0, 35)
    # Printed with the digits that set the threshold apart from its neighbours (1.098 | 1.102).
    assert top.gap == pytest.approx((vcap[vcap < 1.1].max(), vcap[vcap > 1.1].min()))
    assert top.text == "erase failed in 14 of 15 cycles where flash.VCAP1.min < 1.100 V, and in 0 of 35 above"
    assert top.below.ci[0] < 14 / 15 < top.below.ci[1] and top.above.ci[0] == 0.0
    assert a.rail_signature and a.separating[0] == top
    assert not any(f.separates for f in a.findings if f.feature.startswith("noise."))


def test_direction_above_and_missing_values_are_left_out_and_counted() -> None:
    rng = np.random.default_rng(5)
    n = 80
    glitches = rng.integers(0, 2, n).astype(float)
    fails = rng.random(n) < 0.5
    glitches[fails] += rng.integers(2, 5, fails.sum())  # failing cycles saw 2..5 NRST glitches
    glitches[:6] = np.nan  # NRST not captured in 6 cycles
    m = matrix({"power_up.NRST.glitches": (glitches, "", "rail"), **noise(rng, n, 5)},
               ["verify" if f else None for f in fails])
    top = analyse(m).findings[0]
    assert top.feature == "power_up.NRST.glitches" and top.direction == "above"
    assert top.n_missing == 6 and top.n_fail + top.n_pass == n - 6
    assert top.threshold == pytest.approx(1.5)
    assert top.above.failures == top.n_fail and top.below.failures == 0
    assert top.text.startswith(f"verify failed in {top.n_fail} of {top.above.cycles} cycles where "
                               "power_up.NRST.glitches > 1.5, and in 0 of")
    assert top.text.endswith("(6 cycles without a value left out)")


def test_auc_with_ties_matches_pairwise_counting() -> None:
    rng = np.random.default_rng(11)
    n = 60
    x = rng.integers(0, 4, n).astype(float)  # heavy ties
    fails = rng.random(n) < (0.2 + 0.15 * x)
    m = matrix({"f": (x, "", "rail")}, ["erase" if f else None for f in fails])
    finding = analyse(m).findings[0]
    pairs = [(a > b) + 0.5 * (a == b) for a, b in itertools.product(x[fails], x[~fails])]
    assert finding.auc == pytest.approx(np.mean(pairs))
    assert finding.auc_ci[0] < finding.auc < finding.auc_ci[1]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_pure_noise_gives_no_rail_signature(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    steps = ["connect" if rng.random() < 0.3 else None for _ in range(n)]
    cols = {**noise(rng, n, 50), **{f"psu.w{i}.current": (rng.normal(0.1, 0.01, n), "A", "psu")
                                    for i in range(10)}}
    a = analyse(matrix(cols, steps))
    assert not a.rail_signature and a.separating == []
    assert len(a.findings) == 60 and a.tests == 60  # everything was tested (one family), nothing separated


def test_a_timing_split_is_a_consequence_shown_apart_never_a_finding() -> None:
    rng = np.random.default_rng(8)
    n = 100
    fails = rng.random(n) < 0.3
    connect = np.where(fails, rng.normal(0.9, 0.05, n), rng.normal(0.2, 0.05, n))
    a = analyse(matrix({"step.connect.duration": (connect, "s", "link"), **noise(rng, n, 10)},
                       ["connect" if f else None for f in fails]))
    assert not a.rail_signature
    timing = next(f for f in a.findings if f.feature == "step.connect.duration")
    assert timing.separates and timing.role == "consequence" and "what the failure did" in timing.role_why
    roles = [f.role for f in a.findings]
    assert roles == sorted(roles, key=lambda r: r != "evidence"), "consequences rank after all evidence"
    assert timing not in a.evidence and a.consequences == [timing]
    assert a.consequence_tests == 1 and a.tests == 10  # its own family: it does not dilute the evidence


def test_features_measured_after_the_failing_step_are_consequences() -> None:
    rng = np.random.default_rng(9)
    n = 80
    fails = rng.random(n) < 0.4
    # The connect failed, so the fault catch (armed after connect) never saw a flash: its
    # capture is quieter in failing cycles. That is the failure's doing, not its cause.
    vcap = np.where(fails, 1.2, rng.normal(1.15, 0.01, n))
    vdd = np.where(fails, rng.normal(3.1, 0.02, n), rng.normal(3.3, 0.02, n))
    a = analyse(matrix({"flash.VCAP1.min": (vcap, "V", "rail"), "power_up.VDD.min": (vdd, "V", "rail")},
                       ["connect (no SWD ACK)" if f else None for f in fails]))
    flash = next(f for f in a.findings if f.feature == "flash.VCAP1.min")
    assert flash.role == "consequence" and "after the failing step" in flash.role_why
    assert a.findings[0].feature == "power_up.VDD.min" and a.findings[0].role == "evidence"
    assert a.rail_signature and a.separating[0].feature == "power_up.VDD.min"


def test_threshold_digits_show_the_split() -> None:
    # VDD means of 2.9386 V (failing) and 2.9412 V (passing) both read "2.94 V" at three digits.
    vdd = np.array([2.9386] * 10 + [2.9412] * 30) + np.linspace(0, 1e-4, 40)
    a = analyse(matrix({"power_up.VDD.mean": (vdd, "V", "rail")}, ["erase"] * 10 + [None] * 30))
    top = a.findings[0]
    lo, hi = top.gap
    assert lo < top.threshold < hi
    shown = float(top.threshold_text.split()[1])
    assert lo < shown < hi, top.threshold_text
    assert top.confidence == "strong"


def test_all_pass_says_no_failures() -> None:
    rng = np.random.default_rng(0)
    a = analyse(matrix(noise(rng, 40, 5), [None] * 40))
    assert a.failures == 0 and a.tests == 0
    assert a.findings == () and not a.rail_signature


def test_per_step_groups_find_each_steps_own_cause() -> None:
    rng = np.random.default_rng(21)
    n = 300
    vcap = rng.uniform(1.0, 1.2, n)
    glitches = rng.poisson(0.3, n).astype(float)
    steps: list[str | None] = []
    for v, g in zip(vcap, glitches):
        steps.append("erase" if v < 1.06 else "verify" if g >= 2 else None)
    a = analyse(matrix({"flash.VCAP1.min": (vcap, "V", "rail"),
                        "power_up.NRST.glitches": (glitches, "", "rail"), **noise(rng, n, 8)}, steps))
    assert a.failures_by_step == {"erase": steps.count("erase"), "verify": steps.count("verify")}
    assert a.for_step("erase")[0].feature == "flash.VCAP1.min"
    assert a.for_step("verify")[0].feature == "power_up.NRST.glitches"
    assert a.for_step(None)[0].feature == "flash.VCAP1.min"  # erase is most of the failures
    erase = a.for_step("erase")[0]
    assert erase.n_fail == steps.count("erase") and erase.n_pass == steps.count(None)


def test_minimum_count_rule_and_too_few_failures() -> None:
    rng = np.random.default_rng(2)
    n = 60
    steps = ["erase" if i < MIN_CASES - 1 else None for i in range(n)]
    a = analyse(matrix({"flash.VCAP1.min": (rng.normal(1.2, 0.02, n), "V", "rail")}, steps))
    assert a.findings == () and a.tests == 0
    assert "too few values" in a.untested["flash.VCAP1.min"]


def test_matrix_from_records_feeds_the_analysis() -> None:
    records = []
    for i in range(40):
        v = 1.0 + 0.005 * i
        failed = v < 1.06
        records.append(CycleRecord(i, 0.0, 1.0, not failed, "erase" if failed else None, None, None,
                                   features=(FeatureValue("flash.VCAP1.min", v, "V", "rail"),)))
    a = analyse(FeatureMatrix.from_records(records))
    assert a.findings[0].text.startswith("erase failed in 12 of 12 cycles where flash.VCAP1.min < 1.058 V")


@pytest.mark.parametrize("k, n", [(0, 35), (14, 15), (7, 20), (20, 20)])
def test_wilson_interval_endpoints_solve_the_score_equation(k: int, n: int) -> None:
    lo, hi = wilson(k, n)
    assert lo <= k / n <= hi
    z2 = 1.959963984540054 ** 2
    for p in (lo, hi):
        if 0 < p < 1:
            assert (k / n - p) ** 2 == pytest.approx(z2 * p * (1 - p) / n)


@pytest.mark.parametrize("value, unit, text", [(1.1, "V", "1.10 V"), (340e-6, "s", "340 µs"),
                                               (0.0125, "A", "12.5 mA"), (1.5, "", "1.5"),
                                               (0.0, "V", "0 V")])
def test_format_quantity(value: float, unit: str, text: str) -> None:
    assert format_quantity(value, unit) == text


# --- the decision: under "no effect", over the family tested -----------------------------------

def test_a_chance_auc_of_085_among_nine_rails_does_not_separate() -> None:
    """6 failing and 24 passing cycles: one rail at AUC 0.85 by chance has an exact p of about
    0.006; Holm over the nine rails tested needs 0.05 / 9. (The old Wald rule, with the
    interval's error at the observed AUC, called such a split separating.)"""
    rng = np.random.default_rng(0)
    steps = ["erase"] * 6 + [None] * 24
    while True:
        x = rng.normal(size=30)
        if abs(_auc_of(x[:6], x[6:]) - 0.85) < 0.01:
            break
    cols = {"power_up.VDD.mean": (x, "V", "rail"), **noise(rng, 30, 8)}
    a = analyse(matrix(cols, steps))
    top = next(f for f in a.findings if f.feature == "power_up.VDD.mean")
    assert a.tests == 9 and 0.84 < top.auc < 0.87 and top.exact
    assert 0.003 < top.p < 0.01 and top.p_family == pytest.approx(min(1.0, 9 * top.p))
    assert not top.separates and not a.rail_signature and top.confidence == "suggestive"


def test_the_effect_floor_stays_a_rule_of_its_own() -> None:
    """500 cycles: a shift too small to matter (AUC ~0.6) is far beyond chance but no signature."""
    rng = np.random.default_rng(4)
    n = 500
    fails = rng.random(n) < 0.3
    x = rng.normal(0, 1, n) + np.where(fails, 0.4, 0.0)
    a = analyse(matrix({"power_up.VDD.mean": (x, "V", "rail")}, ["erase" if f else None for f in fails]))
    [f] = a.findings
    assert not f.exact and f.p < 1e-3 and f.effect < 0.2
    assert not f.separates and not a.rail_signature


def test_rank_test_is_the_exact_permutation_p_with_ties() -> None:
    """Against counting every way of choosing which cycles failed (average ranks for ties)."""
    rng = np.random.default_rng(1)
    for trial in range(40):
        n = int(rng.integers(4, 11))
        k = int(rng.integers(1, n))
        x = rng.integers(0, 4, n).astype(float) if trial % 2 else rng.normal(size=n)
        r = ranks(x)
        centre = k * (n + 1) / 2
        observed = abs(r[:k].sum() - centre)
        subsets = list(itertools.combinations(range(n), k))
        as_far = sum(abs(r[list(c)].sum() - centre) >= observed - 1e-9 for c in subsets)
        p, exact, _ = rank_test(x[:k], x[k:])
        assert exact and p == pytest.approx(as_far / len(subsets), abs=1e-12), (x, k)


def test_rank_test_beyond_the_exact_size_uses_the_tie_corrected_normal() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 5, 200).astype(float)
    p, exact, _ = rank_test(x[:60], x[60:])
    assert not exact
    _, reference = mann_whitney(x[:60], x[60:])  # the board comparison's normal approximation
    assert p == pytest.approx(reference, rel=1e-9)  # with ties there is no continuity correction


def test_holm_is_the_step_down_adjustment() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm(np.array([])).size == 0


def test_the_spending_plan_spends_alpha_over_its_looks_and_no_more() -> None:
    plan = SpendingPlan(40)
    levels = [plan.level(n) for n in range(1, 41)]
    assert sum(levels) == pytest.approx(plan.alpha) and plan.spent(40) == pytest.approx(plan.alpha)
    assert all(lv > 0 for lv in levels) and levels == sorted(levels, reverse=True)  # Pocock type: even-ish
    assert plan.level(0) == plan.level(41) == 0.0
    assert 0.001 < plan.level(20) < 0.002
    a = analyse(matrix(noise(np.random.default_rng(3), 20, 3), ["erase"] * 6 + [None] * 14), plan=plan)
    assert a.level == plan.level(20) and a.rule.startswith("sequential: look after cycle 20 of at most 40")


def test_a_bound_is_counted_as_censored_and_said_where_the_threshold_is() -> None:
    """The fault catch fired in the failing cycles only; the others store its level as a bound."""
    records = []
    for i in range(30):
        failed = i % 3 == 0
        value, bound = (1.05 - 0.002 * i, None) if failed else (1.1, "lower")
        records.append(CycleRecord(i, 0.0, 1.0, not failed, "erase" if failed else None, None, None,
                                   features=(FeatureValue("flash.VCAP1.min", value, "V", "rail", bound, 0.008),)))
    m = FeatureMatrix.from_records(records)
    assert m.censored(0) == 20 and m.bound(1, 0) == "lower" and m.bound(0, 0) is None
    [f] = analyse(m).findings
    assert f.censored == 20 and f.bound == "lower" and f.bound_value == pytest.approx(1.1)
    assert f.direction == "below" and f.auc == 1.0 and f.separates
    assert "20 cycles only bound it (≥ 1.100 V" in f.censored_text and "censored" in f.censored_text


def test_power_and_cycles_for_power_agree() -> None:
    level = 0.05 / 20
    n = cycles_for_power(0.9, 0.3, level, min_effect=0.2, min_cases=5, min_controls=5)
    assert n is not None
    assert run_power(0.9, n, 0.3, level, min_effect=0.2, min_cases=5, min_controls=5) >= 0.8
    assert run_power(0.9, n - 1, 0.3, level, min_effect=0.2, min_cases=5, min_controls=5) < 0.8
    # The binomial count of failures costs power: the expected count alone would promise more.
    nf = round(n * 0.3)
    assert power(0.9, nf, n - nf, level, min_effect=0.2) > run_power(0.9, n, 0.3, level, min_effect=0.2,
                                                                      min_cases=5, min_controls=5)
    assert cycles_for_power(0.65, 0.3, level, min_effect=0.2, min_cases=5, min_controls=5) is None


def _auc_of(fail: np.ndarray, ok: np.ndarray) -> float:
    return float(np.mean([(a > b) + 0.5 * (a == b) for a in fail for b in ok]))
