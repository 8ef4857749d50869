"""The diagnosis proper: `diagnose(analysis, context)` turns the correlation's decision into
findings about the board, each with what happened, the evidence, the likely part and the next
measurement, and says whether the run has settled the question.

It is the one decision every view shows (text, JSON, HTML, Markdown, the console): its `status`,
`verdict`, `summary` and `rail_signature` come from the same separating findings, so no view can
say "rail signature" while another says "none".

- A part is named with confidence only from separating evidence the knowledge base explains
  (`knowledge.toml` [[evidence]]), or "by elimination" once enough failing and passing cycles
  were compared that a rail signature as clear as PLAN_AUC would have separated with
  probability POWER — and none did.
- Below that the verdict is "not enough yet", with how many more cycles would settle it (the
  same power calculation, at the run's failure rate and the level its next looks are held to),
  and what the failure mode alone suggests ([[mode]] rules, matched by words, step and the
  FLASH_SR flags the failures set).
- A separating rail the knowledge base cannot explain is said as such, never hidden under
  "no rail signature". Consequences (step timings, anything measured after the failure) are
  listed apart and never make a finding.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..analysis import MIN_CASES, MIN_CONTROLS, RAIL_KINDS, SIGNATURE_EFFECT, Analysis, Finding
from ..ranktest import POWER, run_power
from ..sequential import FAMILY_ALPHA
from ..stats import zero_failure_bound
from .context import RunContext
from .evidence import evidence_items, p_text, vcap_follows_vdd
from .knowledge import KnowledgeBase, load_knowledge
from .model import BY_ELIMINATION, MODE_ONLY, SETTLED, STATUSES, Diagnosis, Evidence, Item
from .modes import PLAN_AUC, condition, mode_items, plural
from .salvage import salvage_for
from .words import what_happened

#: The failure rate a clean run is compared with (1 board in 25: the seed's batch).
REFERENCE_RATE = 1 / 25


def diagnose(analysis: Analysis, context: RunContext | None = None,
             knowledge: KnowledgeBase | None = None, commands: frozenset[str] | None = None) -> Diagnosis:
    """Turn a run's correlation into findings about the board (see the module docstring).
    `commands`: the benchtui commands that exist (salvage leaves out commands it cannot run);
    None = assume all."""
    kb = knowledge or load_knowledge()
    ctx = context or RunContext()
    happened = what_happened(analysis)
    consequences = tuple(f for f in analysis.consequences if f.separates)
    salvage = salvage_for(kb, ctx, commands)
    rule = analysis.rule + (f"; {analysis.method} over {analysis.tests} evidence tests" if analysis.tests else "")
    base = dict(salvage=salvage, consequences=consequences, sources=kb.sources, rule=rule)
    n = analysis.cycles
    if n == 0:
        return _settle(Diagnosis("no cycles recorded", happened, (), status="no cycles", **base))
    if analysis.failures == 0:
        bound = zero_failure_bound(n)
        more = [f"no failure in {n} cycles: the failure rate is below {bound:.1%} (95 % confidence)"]
        needed = _cycles_for_bound(REFERENCE_RATE)
        if bound > REFERENCE_RATE:
            more.append(f"to show it is below {REFERENCE_RATE:.0%} (1 board in 25) takes {needed} cycles "
                        f"without a failure ({needed - n} more)")
        return _settle(Diagnosis(f"no failures in {n} cycles", happened, (), more_data=tuple(more),
                                 status="no failures", settled=bound <= REFERENCE_RATE,
                                 more_cycles=None if bound <= REFERENCE_RATE else needed - n, **base))
    if analysis.failures == n:
        return _settle(Diagnosis(f"all {n} cycles failed: nothing passing to compare against", happened, (),
                                 more_data=(f"every cycle failed ({happened}): the correlation needs passing "
                                            f"cycles; check the setup with a known good board",),
                                 status="all failed", **base))

    matched: list[tuple[Finding, str]] = []
    unexplained: list[Finding] = []
    for f in analysis.separating:
        rule = kb.rule_for(f.feature, f.direction)
        if rule is None:
            unexplained.append(f)
        else:
            matched.append((f, rule.id))
    items = evidence_items(kb, ctx, analysis, matched)
    items = [vcap_follows_vdd(kb, ctx, i, supply_seen=any(j.part_id == "supply" for j in items)) for i in items]
    covered = {m for item in items for m in item.modes}
    rail_unexplained = [f for f in unexplained if f.kind in RAIL_KINDS]
    items = _ranked(items + mode_items(kb, ctx, analysis, covered, rail_unexplained))
    top = items[0] if items else None
    if top is not None and top.kind == "evidence" and top.confident:
        status = "found"
    elif rail_unexplained:
        status = "unexplained"
    elif top is not None and top.confidence == BY_ELIMINATION:
        status = "eliminated"
    else:
        status = "not yet"
    more_cycles = None if status in SETTLED else cycles_to_settle(analysis)
    more = _more_data(kb, ctx, analysis, items, status, more_cycles)
    verdict = _verdict(analysis, items, status, rail_unexplained, more_cycles)
    return _settle(Diagnosis(verdict, happened, tuple(items), more_data=tuple(more),
                             unexplained=tuple(unexplained), status=status, settled=status in SETTLED,
                             rail_signature=analysis.rail_signature, more_cycles=more_cycles, **base),
                   analysis)


def _settle(d: Diagnosis, analysis: Analysis | None = None) -> Diagnosis:
    """The summary lines, from the diagnosis itself."""
    lines = [d.verdict]
    if analysis is not None and analysis.failures:
        lines.append(d.happened)
        lines += [f"{f.kind} (AUC {f.auc:.2f}): {f.text}" for f in analysis.separating[:2]]
    return replace(d, summary=tuple(lines))


# --- ranking, verdict, more data ---------------------------------------------------------------

def _ranked(items: list[Item]) -> list[Item]:
    """Evidence items first (in the analysis' order), symptoms after the cause they point at,
    then failure modes by elimination, then hints."""
    evidence = [i for i in items if i.kind != "mode" and not i.symptom]
    symptoms = [i for i in items if i.kind != "mode" and i.symptom]
    modes = [i for i in items if i.kind == "mode"]
    ordered = (evidence + symptoms) if evidence else (symptoms + evidence)
    ordered += [i for i in modes if i.confident] + [i for i in modes if not i.confident]
    return [replace(item, rank=n) for n, item in enumerate(ordered, 1)]


def _verdict(analysis: Analysis, items: list[Item], status: str, rail_unexplained: list[Finding],
             more_cycles: int | None) -> str:
    top = items[0] if items else None
    if status == "found" and top is not None:
        return f"likely the {top.part}: {top.observation}"
    if status == "unexplained":
        f = rail_unexplained[0]
        return (f"a rail separates the failures, but the knowledge base does not say which part: {f.feature} "
                f"{f.threshold_text} (AUC {f.auc:.2f}); probe that net at the pin")
    if status == "eliminated" and top is not None:
        return f"no rail signature; by elimination the {top.part}: {top.observation}"
    count = f"{plural(analysis.failures, 'failure')} in {analysis.cycles} cycles"
    when = f"about {more_cycles} more cycles would settle it" if more_cycles else "more cycles are needed"
    hint = f"; the failure mode alone suggests {top.hint}" if top is not None and top.hint else ""
    return f"not enough yet ({count}): {when}{hint}"


def cycles_to_settle(analysis: Analysis) -> int | None:
    """More cycles after which a rail signature as clear as PLAN_AUC would separate with
    probability POWER — or its absence could be claimed — at this run's failure rate (that of
    its commonest failure mode) and the level its looks are held to; None when no run length
    within the plan does."""
    if not analysis.failures or analysis.failures == analysis.cycles:
        return None
    rate = max(analysis.failures_by_step.values()) / analysis.cycles
    family = max(1, analysis.tests, analysis.varying)
    plan = analysis.plan
    limit = plan.max_cycles if plan is not None else 100_000
    n = analysis.cycles
    while n < limit:
        n = min(limit, n + 1 if n < 200 else math.ceil(n * 1.05))
        level = (plan.level(n) if plan is not None else FAMILY_ALPHA) / family
        if run_power(PLAN_AUC, n, rate, level, min_effect=SIGNATURE_EFFECT, min_cases=MIN_CASES,
                     min_controls=MIN_CONTROLS) >= POWER:
            return n - analysis.cycles
    return None


def _more_data(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis, items: list[Item], status: str,
               more_cycles: int | None) -> list[str]:
    lines: list[str] = []
    rate = analysis.failure_rate
    if status == "not yet":
        if analysis.failures < MIN_CASES:
            need = math.ceil(MIN_CASES / rate)
            lines.append(f"{plural(analysis.failures, 'failure')} in {analysis.cycles} cycles ({rate:.1%}): a comparison needs "
                         f"{MIN_CASES} failing and {MIN_CONTROLS} passing cycles; about "
                         f"{max(0, need - analysis.cycles)} more cycles give them")
        if more_cycles is not None:
            lines.append(f"at this failure rate a rail signature as clear as AUC {PLAN_AUC:.2f} would separate "
                         f"{POWER:.0%} of the time after about {analysis.cycles + more_cycles} cycles in all "
                         f"({more_cycles} more); as many without one rule it out")
        elif analysis.plan is not None:
            lines.append(f"within the plan's {analysis.plan.max_cycles} cycles even a signature as clear as AUC "
                         f"{PLAN_AUC:.2f} would not separate {POWER:.0%} of the time at this failure rate: "
                         f"run longer (--max-cycles)")
        best = min((f for f in analysis.evidence if f.kind in RAIL_KINDS), key=lambda f: (f.p, -f.effect),
                   default=None)
        if best is not None:
            lines.append(f"strongest rail/PSU feature so far: {best.feature} {best.threshold_text} (AUC "
                         f"{best.auc:.2f}, {p_text(analysis, best)}): not a signature yet")
    confident_modes = [m for i in items if i.confident for m in i.modes]
    for mode in analysis.failures_by_step:
        if mode not in confident_modes or analysis.failures < MIN_CASES:
            for c in kb.catches:
                if any(w in mode for w in c.words) and condition(c.condition, ctx) and c.text not in lines:
                    lines.append(c.text)
    for mode, count in analysis.failures_by_step.items():
        if 0 < count < MIN_CASES <= analysis.failures:
            lines.append(f"{mode}: {count} failures, too few to test on their own (need {MIN_CASES})")
    return lines


def _cycles_for_bound(rate: float) -> int:
    """Cycles without a failure that put the 95 % upper bound below `rate`."""
    return math.ceil(math.log(0.05) / math.log(1 - rate))


__all__ = ["BY_ELIMINATION", "Diagnosis", "Evidence", "Item", "MODE_ONLY", "PLAN_AUC", "SETTLED", "STATUSES",
           "cycles_to_settle", "diagnose", "p_text"]
