"""What a failure mode says on its own, when no separating evidence names a part: the knowledge
base's [[mode]] rule (words, step, FLASH_SR flags), and whether enough cycles were compared to
name it by elimination."""

from __future__ import annotations

from ..analysis import MIN_CASES, SIGNATURE_EFFECT, Analysis, Finding
from ..ranktest import POWER, power
from .context import RunContext
from .evidence import p_text
from .knowledge import KnowledgeBase, ModeRule, Part
from .model import BY_ELIMINATION, MODE_ONLY, Item
from .words import fill, what_happened

#: The rail signature the "how many cycles" advice and "by elimination" plan for: one that
#: separates failing from passing cycles with AUC 0.90 (failing cycles beyond 9 in 10 passing
#: ones), found with probability POWER.
PLAN_AUC = 0.9


def mode_items(kb: KnowledgeBase, ctx: RunContext, analysis: Analysis, covered: set[str],
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
        measure = next((text for cond, text in rule.measure_if.items() if condition(cond, ctx)), rule.measure)
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
        return False, (f"only {plural(analysis.failures, 'failure')} in {analysis.cycles} cycles: too few to compare rails "
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


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def condition(name: str, ctx: RunContext) -> bool:
    source = (ctx.fault_source or "").upper()
    return {"always": True,
            "fault_catch_not_nrst": source != "NRST",
            "fault_catch_is_nrst": source == "NRST",
            "fault_catch_not_vdd": source != "VDD",
            "sim_time_scale_zero": ctx.sim_time_scale == 0}[name]


__all__ = ["PLAN_AUC", "condition", "mode_items", "plural"]
