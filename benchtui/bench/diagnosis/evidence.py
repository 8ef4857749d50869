"""Findings from separating evidence: the knowledge base's part for each separating feature,
its supporting features, and the symptoms that point back at a cause."""

from __future__ import annotations

from dataclasses import replace

from ..analysis import Analysis, Finding, window_of
from ..quantity import format_quantity
from .context import RunContext
from .knowledge import KnowledgeBase
from .model import Evidence, Item
from .words import fill, finding_words, what_happened

#: Supporting features quoted under a finding (besides its headline).
SUPPORTING = 3
#: Parts that are symptoms of another part's trouble: ranked after the part they point at.
SYMPTOM_PARTS = ("ob_load",)
#: Parts a corrupted option-byte load points back at (the power-up rails and reset).
POWER_UP_PARTS = ("vcap", "supply", "supervisor", "reset")


def evidence_items(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis,
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
        supporting = [evidence_of(analysis, f) for f in _supporting(head, [f for f, _ in entries[1:]])]
        words = finding_words(head, ctx)
        points_back = _points_back(kb, head, matched) if part_id in SYMPTOM_PARTS else None
        evidence = evidence_of(analysis, head)
        items.append(Item(
            rank=0, kind="evidence", part_id=part_id, part=part.name, part_what=part.what,
            happened=what_happened(analysis, modes), modes=modes,
            observation=fill(rule.observation, words), meaning=fill(rule.meaning, words),
            evidence=evidence, evidence_text=evidence.text, confidence=head.confidence,
            measure=fill(rule.measure, words), checks=part.check, supporting=tuple(supporting),
            points_back=points_back, rule=rule.id, symptom=part_id in SYMPTOM_PARTS, hint=f"the {part.name}",
            sources=kb.source_texts(tuple(dict.fromkeys(rule.sources + part.sources)))))
    return items


def vcap_follows_vdd(kb: KnowledgeBase, ctx: RunContext, item: Item, *, supply_seen: bool) -> Item:
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


def evidence_of(analysis: Analysis, f: Finding) -> Evidence:
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


__all__ = ["POWER_UP_PARTS", "SUPPORTING", "SYMPTOM_PARTS", "evidence_items", "evidence_of", "p_text",
           "vcap_follows_vdd"]
