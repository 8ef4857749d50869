"""The report of a run: the diagnosis in hardware terms and the statistics behind it.

`load_report(store, run_id)` gathers everything (run, correlation, diagnosis, the profile it ran
with); then `format_report` (text for the CLI and the console), `report_json`, `format_markdown`
(to paste into a forum post or an issue) and `write_html` (one self-contained file with plots)
render the same findings.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..analysis import SIGNATURE_EFFECT, Analysis
from ..diagnosis import Diagnosis, diagnose, load_knowledge
from ..ranktest import EXACT_MAX_CYCLES
from ..records import RunSummary
from ..sequential import FAMILY_ALPHA
from .html import write_html
from .markdown import format_markdown
from .model import Report, load_report, plan_of
from .text import format_report


def report_json(analysis: Analysis, run: RunSummary, diagnosis: Diagnosis | None = None) -> dict[str, Any]:
    """The report as plain JSON-ready data (NaN written as null): the findings in hardware
    terms (each with its part and advice), then every feature's statistics (each with the part
    the knowledge base maps it to, and its role: evidence or consequence)."""
    diagnosis = diagnosis or diagnose(analysis)
    kb = load_knowledge()
    features = []
    for f in analysis.findings:
        row = dataclasses.asdict(f)
        rule = kb.rule_for(f.feature, f.direction) if f.role == "evidence" else None
        # The separation in the finding's direction is "auc"; the raw orientation only here, named.
        row["auc_fail_above_pass"] = row.pop("auc_raw")
        row["auc_fail_above_pass_ci"] = row.pop("auc_raw_ci")
        row.update(auc=f.auc, auc_ci=f.auc_ci, threshold_text=f.threshold_text, confidence=f.confidence,
                   censored_text=f.censored_text,
                   part=kb.parts[rule.part].name if rule else None, part_id=rule.part if rule else None,
                   rule=rule.id if rule else None)
        features.append(row)
    return _clean({
        "run": dataclasses.asdict(run),
        "cycles": analysis.cycles,
        "failures": analysis.failures,
        "failures_by_step": dict(analysis.failures_by_step),
        "status": diagnosis.status,
        "settled": diagnosis.settled,
        "more_cycles": diagnosis.more_cycles,
        "rail_signature": diagnosis.rail_signature,
        "verdict": diagnosis.verdict,
        "happened": diagnosis.happened,
        "decision": {"rule": diagnosis.rule, "level": analysis.level, "alpha": FAMILY_ALPHA,
                     "evidence_tests": analysis.tests, "consequence_tests": analysis.consequence_tests,
                     "test": f"two-sided Mann-Whitney (exact up to {EXACT_MAX_CYCLES} cycles, else normal with "
                             f"the tie correction)",
                     "correction": analysis.method or "none (no test made)",
                     "effect_floor": SIGNATURE_EFFECT,
                     "auc": "separation in the direction of each finding's threshold (1 = perfect split); "
                            "auc_fail_above_pass is P(value in a failing cycle > in a passing one), ties half"},
        "findings": [_item_json(i) for i in diagnosis.items],
        "salvage": [dataclasses.asdict(s) for s in diagnosis.salvage],
        "more_data": list(diagnosis.more_data),
        "summary": list(diagnosis.summary),
        "features": features,
        "consequences": [f.feature + (f" [{f.step}]" if f.step else "") for f in diagnosis.consequences],
        "unexplained": [f.feature + (f" [{f.step}]" if f.step else "") for f in diagnosis.unexplained],
        "untested": dict(analysis.untested),
    })


def _item_json(item: Any) -> dict[str, Any]:
    row = dataclasses.asdict(item)
    row["confident"] = item.confident
    row["advice"] = item.measure  # the next measurement, under the name a reader looks for
    return row


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


__all__ = ["Report", "format_markdown", "format_report", "load_report", "plan_of", "report_json", "write_html"]
