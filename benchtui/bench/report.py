"""The correlation report: a fixed-width text table for the CLI and the same content as JSON."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

from .analysis import Analysis, Finding, format_quantity
from .records import RunSummary

#: Rows in the text table (the JSON carries every finding).
TABLE_ROWS = 15
FEATURE_WIDTH = 28
#: "erase (write-protected)": the failure mode a finding is about ("any" = every failure).
MODE_WIDTH = 23


def format_report(analysis: Analysis, run: RunSummary, *, rows: int = TABLE_ROWS) -> str:
    """The report as text: run header, summary lines, ranked table, top findings in words."""
    scenario = f" [{run.scenario}]" if run.scenario else ""
    lines = [f"run {run.id} \"{run.name}\"{scenario}: {run.status}, {run.cycles} cycles, "
             f"{run.failures} failed",
             f"  {_when(run.started)} .. {_when(run.ended) if run.ended else 'now'}", ""]
    lines += [f"  {line}" for line in analysis.summary]
    if analysis.findings:
        lines += ["", _header(), _rule()]
        lines += [_row(rank, f) for rank, f in enumerate(analysis.findings[:rows], 1)]
        if len(analysis.findings) > rows:
            lines.append(f"  ... {len(analysis.findings) - rows} more (use --json for all)")
        lines += ["", "  * separates (effect >= 0.2 and interval clear of 0.5 after correction)"]
        strong = [f for f in analysis.findings if f.separates][:5]
        if strong:
            lines += ["", "findings:"] + [f"  {rank}. {f.text}" for rank, f in enumerate(strong, 1)]
    return "\n".join(lines)


def report_json(analysis: Analysis, run: RunSummary) -> dict[str, Any]:
    """The report as plain JSON-ready data (NaN written as null)."""
    return _clean({
        "run": dataclasses.asdict(run),
        "cycles": analysis.cycles,
        "failures": analysis.failures,
        "failures_by_step": dict(analysis.failures_by_step),
        "rail_signature": analysis.rail_signature,
        "summary": list(analysis.summary),
        "findings": [dataclasses.asdict(f) for f in analysis.findings],
        "untested": dict(analysis.untested),
    })


def _header() -> str:
    return (f"{'#':>3} {'feature':<{FEATURE_WIDTH}} {'failure':<{MODE_WIDTH}} {'AUC':>5} {'95% CI':>11} "
            f"{'threshold':>12} {'fail below':>16} {'fail above':>16} {'miss':>5}")


def _rule() -> str:
    return "-" * len(_header())


def _row(rank: int, f: Finding) -> str:
    feature = f.feature if len(f.feature) <= FEATURE_WIDTH else "…" + f.feature[-FEATURE_WIDTH + 1:]
    mode = f.step or "any"
    mode = mode if len(mode) <= MODE_WIDTH else mode[:MODE_WIDTH - 1] + "…"
    mark = "*" if f.separates else " "
    sign = "<" if f.direction == "below" else ">"
    return (f"{rank:>3} {feature:<{FEATURE_WIDTH}} {mode:<{MODE_WIDTH}} {f.auc:>5.2f} "
            f"{f.auc_ci[0]:>5.2f}-{f.auc_ci[1]:<5.2f} {sign + ' ' + format_quantity(f.threshold, f.unit):>12} "
            f"{_rate(f.below.failures, f.below.cycles):>16} {_rate(f.above.failures, f.above.cycles):>16} "
            f"{f.n_missing:>5}{mark}")


def _rate(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.0f}%)" if n else "0/0"


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


__all__ = ["format_report", "report_json"]
