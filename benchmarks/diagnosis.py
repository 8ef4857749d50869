"""The diagnosis' error rates, measured: false alarms, power, wrong parts, and the loop that stops
when it knows. All on the scenario runs recorded on the virtual bench (tests/data/runs: five
scenarios x seeds 1-5 x 40 cycles; `python -m tests.recorded` records them again) and on noise.

1. False alarms: healthy cycles with failure labels drawn at random (k of n), so that nothing can
   truly separate. The family-wise rate at which any evidence feature "separates", for the real
   features of healthy runs and for Gaussian noise in every column, beside the same draws decided
   by a max-T permutation test (Westfall and Young's step-down, every comparison of the family,
   labels permuted jointly: exact in level by construction). Goal: <= 5 % + Monte-Carlo error.
2. Power: each scenario x seed x 10, 20 and 40 cycles: is the first finding right, wrong, or "not
   yet" (a hint from the failure mode, no confident part)? The same with the max-T reference in
   place of Holm. Goals: power >= 0.9 x the reference's; no wrong part at any cycle count.
3. The loop that stops when it knows (`run --until-diagnosed --max-cycles 40`, alpha spending):
   cycles to a settled verdict per scenario, against a fixed 40; and the false-alarm rate on
   healthy runs looked at after every cycle, beside what a fixed 5 % at every look would give.
   Goal: <= 5 % + Monte-Carlo error.
4. "How many more cycles": the power calculation the advice uses, checked by simulation (a planted
   rail at AUC 0.80-0.95 among the real healthy features, at the run length it names).

    python benchmarks/diagnosis.py [--draws 1000] [--permutations 1000] [--quick]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from statistics import NormalDist

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchtui.bench.analysis import findings_of  # noqa: E402
from benchtui.bench.decision import SIGNATURE_EFFECT, Decision, decide  # noqa: E402
from benchtui.bench.diagnosis import RunContext, diagnose  # noqa: E402
from benchtui.bench.maxt import arrangements, count_arrangements, max_t, outcome_codes  # noqa: E402
from benchtui.bench.ranktest import POWER, cycles_for_power  # noqa: E402
from benchtui.bench.records import FeatureMatrix  # noqa: E402
from benchtui.bench.sequential import FAMILY_ALPHA, SpendingPlan  # noqa: E402
from benchtui.bench.watch import DiagnosisWatch  # noqa: E402
from tests.recorded import SEEDS, load  # noqa: E402

CELLS = ((20, 3), (30, 6), (40, 10), (40, 20))
COUNTS = (10, 20, 40)
#: The part a right first finding names, per scenario (healthy: none at all).
RIGHT = {"vcap-marginal": {"vcap"}, "brownout": {"supply"}, "nrst-noise": {"reset"},
         "swd-intermittent": {"swd"}, "healthy": set()}
SCENARIOS = tuple(RIGHT)
MODE = "erase (flash error)"


def mc_error(p: float, n: int) -> float:
    """The 95 % Monte-Carlo half-width of a rate p from n draws (at least that of 5 %)."""
    return 1.96 * math.sqrt(max(p, FAMILY_ALPHA) * (1 - max(p, FAMILY_ALPHA)) / n)


# --- the max-T permutation reference -----------------------------------------------------------

#: Up to this many relabellings the reference enumerates them all (exact); beyond, random ones.
REFERENCE_EXACT = 20000


def reference_adjusted(matrix: FeatureMatrix, d: Decision, permutations: int, rng: np.random.Generator
                       ) -> np.ndarray:
    """Westfall–Young step-down max-T adjusted p of a decision's evidence family, the outcome
    labels (pass, or the failure mode) relabelled jointly for every comparison (so the rails'
    correlation is kept): every relabelling when there are at most REFERENCE_EXACT, else
    `permutations` random ones."""
    evidence = d.family("evidence")
    codes, names = outcome_codes(matrix.passed, matrix.failed_steps)
    which = [(t.column, None if t.group == 0 else 1 + names.index(d.groups[t.group].step)) for t in evidence]
    exact = count_arrangements(codes) <= REFERENCE_EXACT
    rows = arrangements(codes) if exact else np.stack([codes[rng.permutation(len(codes))]
                                                       for _ in range(permutations)])
    return max_t(matrix.values, codes, rows, which, exact=exact)


def max_t_decision(matrix: FeatureMatrix, d: Decision, permutations: int, rng: np.random.Generator) -> Decision:
    """The same comparisons, the evidence family decided by max-T at the same level (the effect
    floor kept), the consequences by Holm as before."""
    tests = list(d.tests)
    evidence = [i for i, t in enumerate(tests) if t.role == "evidence"]
    adjusted = reference_adjusted(matrix, d, permutations, rng)
    for i, p in zip(evidence, adjusted):
        t = tests[i]
        tests[i] = replace(t, p_family=float(p), separates=bool(p <= d.level and t.effect >= SIGNATURE_EFFECT))
    return replace(d, tests=tuple(tests))


# --- data --------------------------------------------------------------------------------------

def labelled(m: FeatureMatrix, rows: np.ndarray, failing: np.ndarray) -> FeatureMatrix:
    """Cycles `rows` of a matrix, with failures where `failing` (one failure mode)."""
    bounds = None if m.bounds is None else m.bounds[rows]
    return FeatureMatrix(names=m.names, units=m.units, kinds=m.kinds, cycles=tuple(range(1, len(rows) + 1)),
                         passed=~failing, failed_steps=tuple(MODE if f else None for f in failing),
                         values=m.values[rows], bounds=bounds)


def noise_like(m: FeatureMatrix, rng: np.random.Generator, n: int) -> FeatureMatrix:
    """Gaussian noise in every column of a run's layout."""
    return FeatureMatrix(names=m.names, units=m.units, kinds=m.kinds, cycles=tuple(range(1, n + 1)),
                         passed=np.ones(n, bool), failed_steps=(None,) * n, values=rng.normal(size=(n, len(m.names))))


# --- 1. false alarms ---------------------------------------------------------------------------

def false_alarms(healthy: list[FeatureMatrix], draws: int, permutations: int, rng: np.random.Generator):
    """One row per cell and kind of features, as each is done."""
    for n, k in CELLS:
        for source in ("real", "noise"):
            ours = ref = 0
            tests = []
            for _ in range(draws):
                base = healthy[rng.integers(len(healthy))]
                if source == "real":
                    pick = np.sort(rng.choice(len(base), n, replace=False))
                    data = base
                else:
                    pick = np.arange(n)
                    data = noise_like(base, rng, n)
                failing = np.zeros(n, bool)
                failing[rng.choice(n, k, replace=False)] = True
                m = labelled(data, pick, failing)
                d = decide(m)
                tests.append(len(d.family("evidence")))
                ours += bool(d.separating)
                if d.family("evidence"):
                    adjusted = reference_adjusted(m, d, permutations, rng)
                    ref += bool(np.any(adjusted <= FAMILY_ALPHA))
            yield {"n": n, "k": k, "source": source, "ours": ours / draws, "ref": ref / draws,
                   "tests": statistics.median(tests), "draws": draws}


# --- 2. power and wrong parts ------------------------------------------------------------------

def classify(scenario: str, diagnosis) -> str:
    """right / wrong / not yet, from the first finding (a confident one only)."""
    first = diagnosis.first
    if scenario == "healthy":
        return "wrong" if first is not None and first.confident else "right"
    if first is None or not first.confident:
        return "not yet"
    return "right" if first.part_id in RIGHT[scenario] else "wrong"


def power_table(runs: dict, permutations: int, rng: np.random.Generator) -> dict:
    out = {}
    for (scenario, seed), run in runs.items():
        for n in COUNTS:
            cycles = list(run.cycles[:n])
            ctx = RunContext.from_metadata(run.metadata, cycles)
            m = FeatureMatrix.from_records(cycles)
            d = decide(m, ctx.steps)
            ours = diagnose(findings_of(d, m), ctx)
            ref = diagnose(findings_of(max_t_decision(m, d, permutations, rng), m), ctx)
            out[(scenario, seed, n)] = (classify(scenario, ours), classify(scenario, ref), ours)
    return out


# --- 3. the loop that stops when it knows ------------------------------------------------------

def sequential_runs(runs: dict, max_cycles: int) -> dict:
    out = {}
    for (scenario, seed), run in runs.items():
        watch = DiagnosisWatch(max_cycles)
        watch.snapshot_with_plan(run.metadata.get("profile") or {})
        for record in run.cycles[:max_cycles]:
            watch.observe(record)
            if watch.done:
                break
        out[(scenario, seed)] = (watch.settled_at, classify(scenario, watch.diagnosis), watch.diagnosis)
    return out


def sequential_false_alarms(healthy: list[FeatureMatrix], draws: int, rate: float, max_cycles: int,
                            rng: np.random.Generator) -> tuple[float, float]:
    """Healthy cycles in a random order, failures drawn at `rate`, looked at after every cycle:
    (rate of runs where some look separates under the plan, the same with 5 % at every look)."""
    plan = SpendingPlan(max_cycles)
    ours = naive = 0
    for _ in range(draws):
        base = healthy[rng.integers(len(healthy))]
        order = rng.permutation(len(base))[:max_cycles]
        failing = rng.random(len(order)) < rate
        alarm = alarm_naive = False
        for n in range(1, len(order) + 1):
            nf = int(failing[:n].sum())
            if nf < 5 or n - nf < 5:
                continue
            d = decide(labelled(base, order[:n], failing[:n]))
            evidence = d.family("evidence")
            alarm = alarm or any(t.p_family <= plan.level(n) and t.effect >= SIGNATURE_EFFECT for t in evidence)
            alarm_naive = alarm_naive or any(t.separates for t in evidence)
            if alarm and alarm_naive:
                break
        ours += alarm
        naive += alarm_naive
    return ours / draws, naive / draws


# --- 4. the cycles-needed estimate -------------------------------------------------------------

def power_check(healthy: list[FeatureMatrix], draws: int, rng: np.random.Generator) -> list[dict]:
    rows = []
    family = max(int(np.sum([_varies(h, j) for j in range(len(h.names))])) for h in healthy) + 1
    level = FAMILY_ALPHA / family
    for auc in (0.80, 0.90, 0.95):
        for rate in (0.15, 0.3, 0.5):
            n = cycles_for_power(auc, rate, level, min_effect=SIGNATURE_EFFECT, min_cases=5, min_controls=5)
            shift = math.sqrt(2) * NormalDist().inv_cdf(auc)  # binormal AUC of a unit shift
            found = 0
            for _ in range(draws):
                base = healthy[rng.integers(len(healthy))]
                rows_ = rng.integers(len(base), size=n)
                failing = rng.random(n) < rate
                m = labelled(base, rows_, failing)
                planted = rng.normal(size=n) + np.where(failing, shift, 0.0)
                m = FeatureMatrix(names=m.names + ("power_up.PLANT.mean",), units=m.units + ("V",),
                                  kinds=m.kinds + ("rail",), cycles=m.cycles, passed=m.passed,
                                  failed_steps=m.failed_steps, values=np.column_stack([m.values, planted]),
                                  bounds=None)
                d = decide(m)
                found += any(t.feature == "power_up.PLANT.mean" for t in d.separating)
            rows.append({"auc": auc, "rate": rate, "n": n, "power": found / draws, "family": family})
    return rows


def _varies(m: FeatureMatrix, j: int) -> bool:
    x = m.values[:, j]
    x = x[np.isfinite(x)]
    return m.kinds[j] in ("rail", "psu", "ob") and len(x) > 0 and x.min() != x.max()


# --- report ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=1000, help="Monte-Carlo draws per cell (default 1000)")
    ap.add_argument("--permutations", type=int, default=1000, help="max-T permutations (default 1000)")
    ap.add_argument("--quick", action="store_true", help="200 draws, 300 permutations: a smoke run")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    draws, perms = (200, 300) if args.quick else (args.draws, args.permutations)
    sys.stdout.reconfigure(line_buffering=True)  # each table row as it is done
    rng = np.random.default_rng(args.seed)
    started = time.monotonic()
    runs = {(s, k): load(s, k) for s in SCENARIOS for k in SEEDS}
    healthy = [runs[("healthy", k)].matrix() for k in SEEDS]
    ok = True

    print("benchtui diagnosis benchmark: recorded scenario runs (tests/data/runs), "
          f"{draws} draws per cell, max-T with {perms} permutations\n")
    print("1. False alarms: healthy cycles, k of n labelled failing at random; any evidence feature "
          "separating (family-wise)")
    print(f"   {'n':>3} {'k':>3}  {'features':<18} {'tests':>5}  {'benchtui':>9}  {'max-T ref':>9}  "
          f"{'goal <=':>8}")
    for row in false_alarms(healthy, draws, perms, rng):
        goal = FAMILY_ALPHA + mc_error(FAMILY_ALPHA, row["draws"])
        ok &= row["ours"] <= goal
        label = "real (healthy runs)" if row["source"] == "real" else "Gaussian noise"
        note = "  (k < 5 failing cycles: nothing is tested, the verdict is 'not enough yet')" \
            if not row["tests"] else ""
        print(f"   {row['n']:>3} {row['k']:>3}  {label:<18} {row['tests']:>5.0f}  {row['ours']:>8.1%}  "
              f"{row['ref']:>9.1%}  {goal:>8.1%}{'' if row['ours'] <= goal else '  FAIL'}{note}", flush=True)

    sys.stdout.flush()
    print("\n2. Power: first finding right / wrong / not yet, per scenario and cycle count "
          "(seeds 1-5); max-T reference beside")
    table = power_table(runs, max(perms, 1000), rng)
    print(f"   {'scenario':<17} " + "  ".join(f"{f'{n} cycles':^22}" for n in COUNTS))
    print(f"   {'':<17} " + "  ".join(f"{'R/W/N':>9} {'ref R/W/N':>12}" for _ in COUNTS))
    totals = {n: {"ours": 0, "ref": 0, "wrong": 0, "faults": 0} for n in COUNTS}
    for scenario in SCENARIOS:
        cells = []
        for n in COUNTS:
            ours = [table[(scenario, k, n)][0] for k in SEEDS]
            ref = [table[(scenario, k, n)][1] for k in SEEDS]
            cells.append(f"{_rwn(ours):>9} {_rwn(ref):>12}")
            totals[n]["wrong"] += ours.count("wrong")
            if scenario != "healthy":
                totals[n]["faults"] += len(ours)
                totals[n]["ours"] += ours.count("right")
                totals[n]["ref"] += ref.count("right")
        print(f"   {scenario:<17} " + "  ".join(cells))
    for n in COUNTS:
        t = totals[n]
        ratio = t["ours"] / t["ref"] if t["ref"] else 1.0
        ok &= ratio >= 0.9 and t["wrong"] == 0
        print(f"   {n:>2} cycles: power {t['ours']}/{t['faults']} vs max-T {t['ref']}/{t['faults']} "
              f"(ratio {ratio:.2f}, goal >= 0.90); wrong parts {t['wrong']} (goal 0)")

    print("\n3. Until diagnosed (looks after every cycle, Lan–DeMets Pocock-type alpha spending, "
          "at most 40 cycles)")
    seq = sequential_runs(runs, 40)
    print(f"   {'scenario':<17} {'settled after (seeds 1-5)':<30} {'right':>5} {'wrong':>5}  "
          f"{'median to right':>15}  {'fixed 40 right':>14}")
    wrong_seq = 0
    for scenario in SCENARIOS:
        at = [seq[(scenario, k)][0] for k in SEEDS]
        verdicts = [seq[(scenario, k)][1] for k in SEEDS]
        right_at = sorted(a if v == "right" and a is not None else math.inf for a, v in zip(at, verdicts))
        median = statistics.median(right_at)
        fixed = [table[(scenario, k, 40)][0] for k in SEEDS].count("right")
        wrong_seq += verdicts.count("wrong")
        shown = " ".join("-" if a is None else str(a) for a in at)
        med = "-" if scenario == "healthy" else ("> 40" if math.isinf(median) else f"{median:g}")
        print(f"   {scenario:<17} {shown:<30} {verdicts.count('right'):>5} {verdicts.count('wrong'):>5}  "
              f"{med:>15}  {fixed:>12}/5")
    ok &= wrong_seq == 0
    print("   (healthy: '-' = never settled, no failure to diagnose; right = no confident part)")
    for rate in (0.25, 0.5):
        ours, naive = sequential_false_alarms(healthy, draws, rate, 40, rng)
        goal = FAMILY_ALPHA + mc_error(FAMILY_ALPHA, draws)
        ok &= ours <= goal
        print(f"   false alarms over 40 looks, healthy runs, failure rate {rate:.0%}: {ours:.1%} "
              f"(goal <= {goal:.1%}); 5 % at every look instead: {naive:.1%}")

    print("\n4. The cycles-needed estimate, simulated: a rail planted at the AUC among the real healthy "
          f"features, Holm over them; goal: power >= {POWER:.0%} at the run length named")
    print(f"   {'AUC':>5} {'rate':>5} {'cycles':>7} {'power':>7}")
    for row in power_check(healthy, max(200, draws // 4), rng):
        good = row["power"] >= POWER - mc_error(POWER, max(200, draws // 4))
        ok &= good
        print(f"   {row['auc']:>5.2f} {row['rate']:>5.0%} {row['n']:>7} {row['power']:>7.1%}"
              f"{'' if good else '  FAIL'}")

    print(f"\n{'all goals met' if ok else 'GOALS NOT MET'} ({time.monotonic() - started:.0f} s)")
    return 0 if ok else 1


def _rwn(classes: list[str]) -> str:
    return f"{classes.count('right')}/{classes.count('wrong')}/{classes.count('not yet')}"


if __name__ == "__main__":
    sys.exit(main())
