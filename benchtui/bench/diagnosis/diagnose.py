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
from dataclasses import dataclass, field, replace

from ..analysis import MIN_CASES, MIN_CONTROLS, RAIL_KINDS, SIGNATURE_EFFECT, Analysis, Finding, window_of
from ..quantity import format_quantity
from ..ranktest import POWER, power, run_power
from ..sequential import FAMILY_ALPHA
from ..stats import zero_failure_bound
from .context import RunContext
from .knowledge import KnowledgeBase, ModeRule, Part, load_knowledge
from .salvage import Salvage, salvage_for
from .words import fill, finding_words, what_happened

#: Supporting features quoted under a finding (besides its headline).
SUPPORTING = 3
#: Parts that are symptoms of another part's trouble: ranked after the part they point at.
SYMPTOM_PARTS = ("ob_load",)
#: Parts a corrupted option-byte load points back at (the power-up rails and reset).
POWER_UP_PARTS = ("vcap", "supply", "supervisor", "reset")
#: The failure rate a clean run is compared with (1 board in 25: the seed's batch).
REFERENCE_RATE = 1 / 25
#: The rail signature the "how many cycles" advice and "by elimination" plan for: one that
#: separates failing from passing cycles with AUC 0.90 (failing cycles beyond 9 in 10 passing
#: ones), found with probability POWER.
PLAN_AUC = 0.9
#: Statuses: settled ones end a loop that runs until diagnosed.
STATUSES = ("no cycles", "no failures", "all failed", "found", "eliminated", "unexplained", "not yet")
SETTLED = ("found", "eliminated", "unexplained")
#: Confidence of a mode finding.
BY_ELIMINATION = "by elimination"
MODE_ONLY = "failure mode only"


@dataclass(frozen=True)
class Evidence:
    """One statistic behind a finding, in words and as numbers (the AUC in the finding's
    direction: 1.00 is a perfect split)."""

    feature: str
    mode: str | None
    text: str
    threshold: float
    threshold_text: str
    direction: str
    failures_near: int
    cycles_near: int
    failures_far: int
    cycles_far: int
    auc: float
    auc_ci: tuple[float, float]
    confidence: str
    p: float = 1.0
    p_family: float = 1.0
    censored: int = 0


@dataclass(frozen=True)
class Item:
    """One finding in hardware terms."""

    rank: int
    #: "evidence": a separating feature the knowledge base explains; "mode": what a failure
    #: mode says on its own (confidence "by elimination" or "failure mode only").
    kind: str
    part_id: str
    part: str
    part_what: str
    happened: str
    modes: tuple[str, ...]
    observation: str
    meaning: str
    evidence: Evidence | None
    evidence_text: str
    confidence: str
    measure: str
    checks: tuple[str, ...]
    supporting: tuple[Evidence, ...] = ()
    points_back: str | None = None
    rule: str = ""
    sources: tuple[str, ...] = ()
    #: A symptom of another part's trouble (ranked after the cause it points back at).
    symptom: bool = False
    #: The part in a few words ("the SWD link, or a supply dip ..."), for a verdict's hint.
    hint: str = ""

    @property
    def confident(self) -> bool:
        """Named from separating evidence (a cause, not a symptom of one), or by elimination: a
        part the run stands behind."""
        return (self.kind == "evidence" and not self.symptom) or self.confidence == BY_ELIMINATION


@dataclass(frozen=True)
class Diagnosis:
    verdict: str
    happened: str
    items: tuple[Item, ...]
    salvage: tuple[Salvage, ...] = ()
    #: How much more to run, which trigger to use.
    more_data: tuple[str, ...] = ()
    #: Separating findings that are consequences, and ones the knowledge base does not explain.
    consequences: tuple[Finding, ...] = ()
    unexplained: tuple[Finding, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    #: One of STATUSES; `settled` when it is one a loop may stop at.
    status: str = "not yet"
    settled: bool = False
    #: Some rail or PSU feature separates (explained or not): the same set every view shows.
    rail_signature: bool = False
    #: The conclusion first (a status bar shows line 0), then the failure count, then detail.
    summary: tuple[str, ...] = ()
    #: Cycles more that would settle it (None: settled, or no estimate).
    more_cycles: int | None = None
    #: How the findings were decided (fixed sample or a look of a sequential run).
    rule: str = ""

    @property
    def first(self) -> Item | None:
        return self.items[0] if self.items else None


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
    items = _evidence_items(kb, ctx, analysis, matched)
    items = [_vcap_follows_vdd(kb, ctx, i, supply_seen=any(j.part_id == "supply" for j in items)) for i in items]
    covered = {m for item in items for m in item.modes}
    rail_unexplained = [f for f in unexplained if f.kind in RAIL_KINDS]
    items = _ranked(items + _mode_items(kb, ctx, analysis, covered, rail_unexplained))
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


# --- findings from separating evidence ---------------------------------------------------------

def _evidence_items(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis,
                    matched: list[tuple[Finding, str]]) -> list[Item]:
    by_part: dict[str, list[tuple[Finding, str]]] = {}
    for f, rule_id in matched:  # already strongest first
        by_part.setdefault(kb.evidence_rule(rule_id).part, []).append((f, rule_id))
    items = []
    for part_id, entries in by_part.items():
        part = kb.parts[part_id]
        head, rule_id = entries[0]
        rule = kb.evidence_rule(rule_id)
        modes = _modes_of(analysis, [f for f, _ in entries])
        supporting = [_evidence(analysis, f) for f in _supporting(head, [f for f, _ in entries[1:]])]
        words = finding_words(head, ctx)
        points_back = _points_back(kb, head, matched) if part_id in SYMPTOM_PARTS else None
        evidence = _evidence(analysis, head)
        items.append(Item(
            rank=0, kind="evidence", part_id=part_id, part=part.name, part_what=part.what,
            happened=what_happened(analysis, modes), modes=modes,
            observation=fill(rule.observation, words), meaning=fill(rule.meaning, words),
            evidence=evidence, evidence_text=evidence.text, confidence=head.confidence,
            measure=fill(rule.measure, words), checks=part.check, supporting=tuple(supporting),
            points_back=points_back, rule=rule.id, symptom=part_id in SYMPTOM_PARTS, hint=f"the {part.name}",
            sources=kb.source_texts(tuple(dict.fromkeys(rule.sources + part.sources)))))
    return items


def _vcap_follows_vdd(kb: KnowledgeBase, ctx: RunContext, item: Item, *, supply_seen: bool) -> Item:
    """A VCAP dip caught by the fault catch in captures where VDD itself fell below its limit
    (every failing cycle's capture) is the supply's doing: the regulator's output follows VDD
    down. Beside a supply finding it ranks after it as a symptom that points back at it; alone
    it becomes the supply's finding, with the VCAP separation as its evidence."""
    seen, low = ctx.fault_vdd
    if item.part_id != "vcap" or item.evidence is None or window_of(item.evidence.feature) != "flash" \
            or not seen or low < seen:
        return item
    limit = ctx.limits.get("VDD", (None, None))[0]
    net = item.evidence.feature.split(".")[1]
    caught = (f"in {low} of {seen} failing cycles the fault catch on {net} shows VDD below its {limit:g} V "
              f"limit as well (down to {ctx.fault_vdd_min:.2f} V)")
    supply = kb.parts["supply"]
    if supply_seen:
        return replace(item, symptom=True, points_back=(
            f"points back at the {supply.name}: {caught}: VCAP follows VDD down once the regulator runs out "
            f"of headroom"))
    rule = kb.evidence_rule("vdd-dip")
    words = {"setpoint": format_quantity(ctx.setpoint, "V")}
    return replace(item, part_id="supply", part=supply.name, part_what=supply.what, rule=rule.id,
                   observation=f"VDD sags during erase/program: {caught}, and {net} follows it down "
                               f"({item.evidence.feature} {item.evidence.threshold_text} in the failing cycles)",
                   meaning=fill(rule.meaning, words), measure=fill(rule.measure, words), checks=supply.check,
                   hint=f"the {supply.name}", points_back=None, symptom=False,
                   sources=kb.source_texts(tuple(dict.fromkeys(rule.sources + supply.sources))))


def _supporting(head: Finding, others: list[Finding]) -> list[Finding]:
    """Under the headline, SUPPORTING at most, no feature twice in one group: first the best
    finding of each other failure mode (each mode's own evidence), then the best of each other
    instrument (a rail on the scope beside a PSU readback: independent measurements that agree
    weigh more than three readings of one), then the rest, strongest first."""
    chosen: list[Finding] = []
    seen_groups = {head.step}
    for f in others:
        if f.step not in seen_groups:
            seen_groups.add(f.step)
            chosen.append(f)
    seen_kinds = {head.kind} | {f.kind for f in chosen}
    for f in others:
        if f.kind not in seen_kinds and f not in chosen:
            seen_kinds.add(f.kind)
            chosen.append(f)
    seen_features = {head.feature} | {f.feature for f in chosen}
    for f in others:
        if f.feature not in seen_features:
            seen_features.add(f.feature)
            chosen.append(f)
    return chosen[:SUPPORTING]


def _points_back(kb: KnowledgeBase, head: Finding, matched: list[tuple[Finding, str]]) -> str:
    """A corrupted option-byte load is a symptom: name the power-up rail that separates the
    same failures, or say that none does."""
    for f, rule_id in matched:
        rule = kb.evidence_rule(rule_id)
        if rule.part in POWER_UP_PARTS and window_of(f.feature) in ("power_up", "psu.on") \
                and (f.step == head.step or f.step is None or head.step is None):
            return (f"points back at the {kb.parts[rule.part].name}: {f.text} "
                    f"(AUC {f.auc:.2f}, {f.confidence})")
    return ("no power-up rail separates the same cycles yet: capture VCAP1, VDD and NRST together at "
            "power-up (VCAP dips, a slow VDD ramp or an NRST pulse while the option bytes load are the "
            "reported causes)")


def _modes_of(analysis: Analysis, findings: list[Finding]) -> tuple[str, ...]:
    """The failure modes a part's findings cover: a finding of the overall group covers them all."""
    modes: list[str] = []
    for f in findings:
        group = [f.step] if f.step in analysis.failures_by_step else list(analysis.failures_by_step)
        for m in group:
            if m not in modes:
                modes.append(m)
    return tuple(sorted(modes, key=lambda m: -analysis.failures_by_step.get(m, 0)))


def _evidence(analysis: Analysis, f: Finding) -> Evidence:
    near_side = "below" if f.direction == "below" else "above"
    far_side = "above" if f.direction == "below" else "below"
    who = f"{f.step}: " if f.step else ""
    text = (f"{who}{f.feature} {f.threshold_text}: failures in {f.near.failures} of {f.near.cycles} "
            f"cycles {near_side}, {f.far.failures} of {f.far.cycles} {far_side} "
            f"(AUC {f.auc:.2f}, 95 % CI {f.auc_ci[0]:.2f}–{f.auc_ci[1]:.2f}, {p_text(analysis, f)}: "
            f"{f.confidence})")
    if f.censored:
        text += f"; {f.censored_text}"
    return Evidence(f.feature, f.step, text, f.threshold, f.threshold_text.split(" ", 1)[1], f.direction,
                    f.near.failures, f.near.cycles, f.far.failures, f.far.cycles, f.auc, f.auc_ci,
                    f.confidence, f.p, f.p_family, f.censored)


def p_text(analysis: Analysis, f: Finding) -> str:
    """"p = 3e-05 for 24 tests": the family-wise p (the decision's `rule` says how it was corrected)."""
    return f"p = {f.p_family:.2g} for {analysis.tests} tests"


# --- failure modes without separating evidence -------------------------------------------------

def _mode_items(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis, covered: set[str],
                rail_unexplained: list[Finding]) -> list[Item]:
    items = []
    by_part: dict[str, list[tuple[str, ModeRule]]] = {}
    for mode, _count in sorted(analysis.failures_by_step.items(), key=lambda kv: -kv[1]):
        if mode in covered:
            continue
        rule = kb.mode_rule(mode, ctx.flash_sr.get(mode)) or kb.mode_rule("unknown")
        if rule is not None:
            by_part.setdefault(rule.part, []).append((mode, rule))
    for part_id, entries in by_part.items():
        part: Part = kb.parts[part_id]
        modes = tuple(m for m, _ in entries)
        mode, rule = entries[0]
        words = _mode_words(ctx, mode)
        eliminated, why = _elimination(analysis, modes, rail_unexplained)
        too_few = rule.too_few and analysis.failures < MIN_CASES
        measure = next((text for cond, text in rule.measure_if.items() if _condition(cond, ctx)), rule.measure)
        items.append(Item(
            rank=0, kind="mode", part_id=part_id, part=part.name, part_what=part.what,
            happened=what_happened(analysis, modes), modes=modes, observation=fill(rule.observation, words),
            meaning=fill(rule.meaning, words) + (f"; {rule.too_few}" if too_few else ""),
            evidence=None, evidence_text=why, confidence=BY_ELIMINATION if eliminated else MODE_ONLY,
            measure=fill(measure, words), checks=part.check, rule=rule.id, hint=rule.hint,
            sources=kb.source_texts(part.sources)))
    return items


def _mode_words(ctx: RunContext, mode: str) -> dict[str, str]:
    flags = ctx.flash_sr.get(mode)
    return {"step": mode.split(" (", 1)[0], "flash_sr": f": FLASH_SR {' '.join(flags)}" if flags else ""}


def _elimination(analysis: Analysis, modes: tuple[str, ...], rail_unexplained: list[Finding]) -> tuple[bool, str]:
    """Whether no rail signature can be claimed for these modes' failures, and why (in words):
    enough of them and of the passing cycles compared that a signature as clear as PLAN_AUC
    would have separated with probability POWER, and none did."""
    n_fail = sum(analysis.failures_by_step.get(m, 0) for m in modes)
    n_pass = analysis.cycles - analysis.failures
    if analysis.failures < MIN_CASES:
        return False, (f"only {_n(analysis.failures, 'failure')} in {analysis.cycles} cycles: too few to compare rails "
                       f"(need {MIN_CASES}); the part follows from the failure mode alone")
    if rail_unexplained:
        f = rail_unexplained[0]
        return False, (f"{f.feature} {f.threshold_text} separates these failures (AUC {f.auc:.2f}), but the "
                       f"knowledge base does not say which part that points at: see 'not explained' below")
    group = [f for f in analysis.evidence if f.step in modes or f.step is None]
    best = min(group, key=lambda f: (f.p, -f.effect), default=None)
    text = f"no rail, PSU or option-byte feature separates these {n_fail} failures"
    if best is not None:
        text += (f" (strongest: {best.feature}, AUC {best.auc:.2f}, 95 % CI {best.auc_ci[0]:.2f}–"
                 f"{best.auc_ci[1]:.2f}, {p_text(analysis, best)}: within chance)")
    chance = power(PLAN_AUC, n_fail, n_pass, analysis.level / max(1, analysis.tests), min_effect=SIGNATURE_EFFECT)
    if n_fail >= MIN_CASES and chance >= POWER:
        return True, text + (f"; with {n_fail} failing and {n_pass} passing cycles compared, a signature as clear "
                             f"as AUC {PLAN_AUC:.2f} would have separated {chance:.0%} of the time")
    return False, text + (f"; {n_fail} failing and {n_pass} passing cycles are too few to rule one out (a "
                          f"signature as clear as AUC {PLAN_AUC:.2f} would separate {chance:.0%} of the time)")


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
    count = f"{_n(analysis.failures, 'failure')} in {analysis.cycles} cycles"
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
            lines.append(f"{_n(analysis.failures, 'failure')} in {analysis.cycles} cycles ({rate:.1%}): a comparison needs "
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
                if any(w in mode for w in c.words) and _condition(c.condition, ctx) and c.text not in lines:
                    lines.append(c.text)
    for mode, count in analysis.failures_by_step.items():
        if 0 < count < MIN_CASES <= analysis.failures:
            lines.append(f"{mode}: {count} failures, too few to test on their own (need {MIN_CASES})")
    return lines


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _condition(name: str, ctx: RunContext) -> bool:
    source = (ctx.fault_source or "").upper()
    return {"always": True,
            "fault_catch_not_nrst": source != "NRST",
            "fault_catch_is_nrst": source == "NRST",
            "fault_catch_not_vdd": source != "VDD",
            "sim_time_scale_zero": ctx.sim_time_scale == 0}[name]


def _cycles_for_bound(rate: float) -> int:
    """Cycles without a failure that put the 95 % upper bound below `rate`."""
    return math.ceil(math.log(0.05) / math.log(1 - rate))


__all__ = ["BY_ELIMINATION", "Diagnosis", "Evidence", "Item", "MODE_ONLY", "PLAN_AUC", "SETTLED", "STATUSES",
           "cycles_to_settle", "diagnose", "p_text"]
