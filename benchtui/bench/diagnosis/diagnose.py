"""The diagnosis proper: `diagnose(analysis, context)` reads the knowledge base (`knowledge.toml`, data reviewed like
code, with sources) and answers the seed's two questions: what could be the hardware issue
(ranked findings, each with what happened, the evidence, the likely part and the next
measurement) and can the board be salvaged (when it ends the run protected). Consequences —
step timings, attempts, anything measured after the failure — are listed apart and never make
a finding; separating features the knowledge base cannot explain are listed apart too.

The salvage advice is `salvage.py`, the filling of the knowledge base's sentences `words.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..analysis import FAMILY_ALPHA, MIN_CASES, Analysis, Finding, window_of
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


@dataclass(frozen=True)
class Evidence:
    """One statistic behind a finding, in words and as numbers."""

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


@dataclass(frozen=True)
class Item:
    """One finding in hardware terms."""

    rank: int
    #: "evidence": a separating feature; "provisional": a clean split from fewer failures than a
    #: ranking needs; "mode": a failure mode with no separating feature.
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


@dataclass(frozen=True)
class Diagnosis:
    verdict: str
    happened: str
    items: tuple[Item, ...]
    salvage: tuple[Salvage, ...] = ()
    #: Too few failures, or too little evidence: how much more to run, which trigger to use.
    more_data: tuple[str, ...] = ()
    #: Separating findings that are consequences, and ones the knowledge base does not explain.
    consequences: tuple[Finding, ...] = ()
    unexplained: tuple[Finding, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)


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
    if analysis.cycles == 0:
        return Diagnosis("no cycles recorded", happened, (), salvage, sources=kb.sources)
    if analysis.failures == 0:
        bound = zero_failure_bound(analysis.cycles)
        more = [f"no failure in {analysis.cycles} cycles: the failure rate is below {bound:.1%} "
                f"(95 % confidence)"]
        needed = _cycles_for_bound(REFERENCE_RATE)
        if bound > REFERENCE_RATE:
            more.append(f"to show it is below {REFERENCE_RATE:.0%} (1 board in 25) takes {needed} cycles "
                        f"without a failure ({needed - analysis.cycles} more)")
        return Diagnosis(f"no failures in {analysis.cycles} cycles", happened, (), salvage, tuple(more),
                         consequences, sources=kb.sources)

    evidence = [f for f in analysis.evidence if f.separates]
    matched: list[tuple[Finding, str]] = []
    unexplained: list[Finding] = []
    for f in evidence:
        rule = kb.rule_for(f.feature, f.direction)
        if rule is None:
            unexplained.append(f)
        else:
            matched.append((f, rule.id))
    items = _evidence_items(kb, ctx, analysis, matched)
    items = [_vcap_follows_vdd(kb, ctx, i) for i in items]
    if not items and analysis.failures < MIN_CASES:
        # Too few failures to rank: a provisional reading from the strongest clear split.
        strong = [(f, rule.id) for f in _clean_splits(analysis)
                  for rule in [kb.rule_for(f.feature, f.direction)] if rule is not None]
        items = _evidence_items(kb, ctx, analysis, strong[:SUPPORTING + 1], kind="provisional")[:1]
    covered = {m for item in items for m in item.modes}
    items += _mode_items(kb, ctx, analysis, covered)
    items = _ranked(items)
    more = _more_data(kb, ctx, analysis, items)
    verdict = _verdict(analysis, items)
    return Diagnosis(verdict, happened, tuple(items), salvage, tuple(more), consequences,
                     tuple(unexplained), kb.sources)


# --- findings from separating evidence ---------------------------------------------------------

def _evidence_items(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis,
                    matched: list[tuple[Finding, str]], kind: str = "evidence") -> list[Item]:
    by_part: dict[str, list[tuple[Finding, str]]] = {}
    for f, rule_id in matched:  # already strongest first
        rule = next(r for r in kb.evidence if r.id == rule_id)
        by_part.setdefault(rule.part, []).append((f, rule_id))
    items = []
    for part_id, entries in by_part.items():
        part = kb.parts[part_id]
        head, rule_id = entries[0]
        rule = next(r for r in kb.evidence if r.id == rule_id)
        modes = _modes_of(analysis, [f for f, _ in entries])
        supporting = [_evidence(f) for f in _supporting(head, [f for f, _ in entries[1:]])]
        words = finding_words(head, ctx)
        points_back = None
        if part_id in SYMPTOM_PARTS:
            points_back = _points_back(kb, analysis, head, matched)
        items.append(Item(
            rank=0, kind=kind, part_id=part_id, part=part.name, part_what=part.what,
            happened=what_happened(analysis, modes), modes=modes,
            observation=fill(rule.observation, words), meaning=fill(rule.meaning, words),
            evidence=_evidence(head, kind), evidence_text=_evidence(head, kind).text,
            confidence=head.confidence if kind == "evidence" else f"provisional ({analysis.failures} failures)",
            measure=fill(rule.measure, words), checks=part.check, supporting=tuple(supporting),
            points_back=points_back, rule=rule.id, symptom=part_id in SYMPTOM_PARTS,
            sources=kb.source_texts(tuple(dict.fromkeys(rule.sources + part.sources)))))
    return items


def _vcap_follows_vdd(kb: KnowledgeBase, ctx: RunContext, item: Item) -> Item:
    """A VCAP dip caught by the fault catch in captures where VDD itself fell below its limit
    (every failing cycle's capture) is the supply's symptom: the regulator's output follows VDD
    down. The finding then ranks after the supply and says so (`points_back`)."""
    seen, low = ctx.fault_vdd
    if item.part_id != "vcap" or item.evidence is None or window_of(item.evidence.feature) != "flash" \
            or not seen or low < seen:
        return item
    limit = ctx.limits.get("VDD", (None, None))[0]
    text = (f"points back at the {kb.parts['supply'].name}: in {low} of {seen} failing cycles the fault "
            f"catch shows VDD below its {limit:g} V limit as well (down to {ctx.fault_vdd_min:.2f} V): "
            f"VCAP follows VDD down once the regulator runs out of headroom")
    return replace(item, points_back=text, symptom=True)


def _clean_splits(analysis: Analysis) -> list[Finding]:
    """Provisional findings (too few failures to rank) that split perfectly — every failing
    cycle beyond every passing one — where chance would do that rarely: the exact probability
    of a perfect split, 2 / C(n, failures), Bonferroni-corrected over the features compared."""
    tests = max(1, len(analysis.provisional))
    return [f for f in analysis.provisional
            if f.auc in (0.0, 1.0) and 2 / math.comb(f.n_fail + f.n_pass, f.n_fail) * tests < FAMILY_ALPHA]


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


def _points_back(kb: KnowledgeBase, analysis: Analysis, head: Finding,
                 matched: list[tuple[Finding, str]]) -> str:
    """A corrupted option-byte load is a symptom: name the power-up rail that separates the
    same failures, or say that none does."""
    for f, rule_id in matched:
        rule = next(r for r in kb.evidence if r.id == rule_id)
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


def _evidence(f: Finding, kind: str = "evidence") -> Evidence:
    near_side = "below" if f.direction == "below" else "above"
    far_side = "above" if f.direction == "below" else "below"
    who = f"{f.step}: " if f.step else ""
    confidence = f.confidence if kind == "evidence" else \
        f"provisional: {f.n_fail} failures, fewer than the {MIN_CASES} a ranking needs"
    text = (f"{who}{f.feature} {f.threshold_text}: failures in {f.near.failures} of {f.near.cycles} "
            f"cycles {near_side}, {f.far.failures} of {f.far.cycles} {far_side} "
            f"(AUC {f.auc:.2f}, 95 % CI {f.auc_ci[0]:.2f}–{f.auc_ci[1]:.2f}: {confidence})")
    return Evidence(f.feature, f.step, text, f.threshold, f.threshold_text.split(" ", 1)[1], f.direction,
                    f.near.failures, f.near.cycles, f.far.failures, f.far.cycles, f.auc, f.auc_ci,
                    confidence)


# --- failure modes without separating evidence -------------------------------------------------

def _mode_items(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis, covered: set[str]) -> list[Item]:
    items = []
    by_part: dict[str, list[tuple[str, ModeRule]]] = {}
    for mode, _count in sorted(analysis.failures_by_step.items(), key=lambda kv: -kv[1]):
        if mode in covered:
            continue
        rule = kb.mode_rule(mode) or kb.mode_rule("unknown")
        if rule is not None:
            by_part.setdefault(rule.part, []).append((mode, rule))
    for part_id, entries in by_part.items():
        part: Part = kb.parts[part_id]
        modes = tuple(m for m, _ in entries)
        rule = entries[0][1]
        items.append(Item(
            rank=0, kind="mode", part_id=part_id, part=part.name, part_what=part.what,
            happened=what_happened(analysis, modes), modes=modes, observation=rule.observation,
            meaning=rule.meaning + (f"; {rule.too_few}" if rule.too_few and analysis.failures < MIN_CASES else ""),
            evidence=None, evidence_text=_no_signature(analysis, modes),
            confidence="none" if analysis.failures < MIN_CASES else "by elimination",
            measure=next((text for cond, text in rule.measure_if if _condition(cond, ctx)), rule.measure),
            checks=part.check, rule=rule.id, sources=kb.source_texts(part.sources)))
    return items


def _no_signature(analysis: Analysis, modes: tuple[str, ...]) -> str:
    """Why a mode finding has no statistic: too few failures, or nothing separates."""
    n_fail = sum(analysis.failures_by_step.get(m, 0) for m in modes)
    if analysis.failures < MIN_CASES:
        return (f"only {analysis.failures} failures in {analysis.cycles} cycles: too few to compare rails "
                f"(need {MIN_CASES}); the part follows from the failure mode alone")
    group = [f for f in analysis.evidence if f.step in modes or (f.step is None and len(modes) > 0)]
    best = max(group, key=lambda f: f.effect, default=None)
    text = f"no rail, PSU or option-byte feature separates these {n_fail} failures"
    if best is not None:
        text += (f" (strongest: {best.feature}, AUC {best.auc:.2f}, 95 % CI {best.auc_ci[0]:.2f}–"
                 f"{best.auc_ci[1]:.2f}, within chance)")
    return text


# --- ranking, verdict, more data, salvage ------------------------------------------------------

def _ranked(items: list[Item]) -> list[Item]:
    """Evidence items first (in the analysis' order), symptoms after the cause they point at,
    then failure modes without evidence."""
    evidence = [i for i in items if i.kind != "mode" and not i.symptom]
    symptoms = [i for i in items if i.kind != "mode" and i.symptom]
    modes = [i for i in items if i.kind == "mode"]
    ordered = (evidence + symptoms) if evidence else (symptoms + evidence)
    ordered += modes
    return [_replace_rank(item, n) for n, item in enumerate(ordered, 1)]


def _replace_rank(item: Item, rank: int) -> Item:
    return replace(item, rank=rank)


def _verdict(analysis: Analysis, items: list[Item]) -> str:
    if analysis.failures == analysis.cycles:
        return f"all {analysis.cycles} cycles failed: nothing passing to compare against"
    if not items:
        return f"{analysis.failures} of {analysis.cycles} cycles failed: no finding"
    top = items[0]
    if top.kind == "provisional":
        return f"too few failures to be sure; so far they point at the {top.part}: {top.observation}"
    if top.kind == "mode":
        lead = "too few failures to correlate" if analysis.failures < MIN_CASES else "no rail signature"
        return f"{lead}; the failure mode points at the {top.part}"
    return f"likely the {top.part}: {top.observation}"


def _more_data(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis, items: list[Item]) -> list[str]:
    lines: list[str] = []
    rate = analysis.failure_rate
    if analysis.failures < MIN_CASES:
        need = analysis.cycles_for_min_cases()
        if need is not None:
            lines.append(f"{analysis.failures} failures in {analysis.cycles} cycles ({rate:.1%}): about "
                         f"{max(0, need - analysis.cycles)} more cycles give the {MIN_CASES} failures the "
                         f"correlation needs")
        if analysis.provisional:
            name, auc = analysis.provisional[0].feature, analysis.provisional[0].auc
            total = analysis.cycles_needed(auc)
            if total is None:
                lines.append(f"the strongest effect so far ({name}, AUC {auc:.2f} from {analysis.failures} "
                             f"failures) is too small to count as a signature at any run length")
            else:
                lines.append(f"an effect the size of the strongest so far ({name}, AUC {auc:.2f} from "
                             f"{analysis.failures} failures) would separate after about {total} cycles in all "
                             f"({max(0, total - analysis.cycles)} more)")
    elif not any(i.kind == "evidence" for i in items):
        best = max((f for f in analysis.evidence if f.kind in ("rail", "psu")), key=lambda f: f.effect,
                   default=None)
        if best is not None:
            total = analysis.cycles_needed(best.auc)
            if total is None:
                lines.append(f"the strongest rail/PSU effect ({best.feature}, AUC {best.auc:.2f}) is below "
                             f"the signature rule (|AUC - 0.5| >= 0.2): more cycles would not make it one")
            else:
                lines.append(f"if the strongest rail/PSU effect ({best.feature}, AUC {best.auc:.2f}) were real, "
                             f"about {total} cycles in all would show it ({max(0, total - analysis.cycles)} more)")
    for mode in analysis.failures_by_step:
        if mode not in [m for i in items if i.kind == "evidence" for m in i.modes] or analysis.failures < MIN_CASES:
            for c in kb.catches:
                if any(w in mode for w in c.words) and _condition(c.condition, ctx) and c.text not in lines:
                    lines.append(c.text)
    for mode, count in analysis.failures_by_step.items():
        if 0 < count < MIN_CASES <= analysis.failures:
            lines.append(f"{mode}: {count} failures, too few to test on their own (need {MIN_CASES})")
    return lines


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


__all__ = ["Diagnosis", "Evidence", "Item", "diagnose"]
