"""The report as fixed-width text: verdict, findings in hardware terms, salvage, what to run
next, then the statistics (evidence ranked; consequences and unexplained features apart)."""

from __future__ import annotations

import re
import textwrap
import time

from ...text import printable_lines
from ..analysis import SIGNATURE_EFFECT, Analysis, Finding
from ..diagnosis import Diagnosis, Item, diagnose
from ..records import RunSummary

#: Rows in each statistics table (the JSON carries every finding).
TABLE_ROWS = 15
FEATURE_WIDTH = 28
#: "erase (write-protected)": the failure mode a finding is about ("any" = every failure).
MODE_WIDTH = 23
#: Width the prose is wrapped to.
WIDTH = 100
LABEL = 15


def item_fields(item: Item) -> list[tuple[str, list[str]]]:
    """A finding as labelled fields (text, Markdown and HTML show the same ones)."""
    evidence = [item.evidence_text] + [f"also {e.text}" for e in item.supporting]
    part = [f"{item.part}: {item.part_what}"] + [f"· {c}" for c in item.checks]
    fields = [("what happened", [item.happened]), ("observed", [item.observation]),
              ("evidence", evidence)]
    if item.points_back:
        fields.append(("cause", [item.points_back]))
    fields += [("what it means", [item.meaning]), ("likely part", part), ("next", [item.measure])]
    return fields


def run_header(run: RunSummary) -> list[str]:
    scenario = f" [{run.scenario}]" if run.scenario else ""
    bench = f" on {run.bench}" if run.bench else ""
    return [f"run {run.id} \"{run.name}\"{scenario}{bench}: {run.status}, {run.cycles} cycles, {run.failures} failed",
            f"  {when(run.started)} .. {when(run.ended) if run.ended else 'now'}"]


def format_report(analysis: Analysis, run: RunSummary, diagnosis: Diagnosis | None = None, *,
                  rows: int = TABLE_ROWS) -> str:
    """The whole report as text."""
    d = diagnosis or diagnose(analysis)
    lines = run_header(run) + ["", *_wrap(f"verdict: {d.verdict}", "  ", "  ")]
    if d.happened and analysis.failures:
        lines.append(f"  {d.happened}")
    if d.rule and analysis.failures:
        lines += _wrap(f"decided: {d.rule}", "  ", "    ")
    if d.items:
        lines += ["", "findings:"]
        for item in d.items:
            lines.append(f"  {item.rank}. {item.part}  [{item.confidence}]")
            for label, values in item_fields(item):
                for n, value in enumerate(values):
                    head = f"     {label + ':' if n == 0 else '':<{LABEL}}"
                    lines += _wrap(value, head, " " * len(head))
    if d.salvage:
        lines += ["", "salvage (the board ended the run protected):"]
        for s in d.salvage:
            lines += _wrap(f"{s.title} — {s.state}", "  - ", "    ")
            lines += [f"      $ {c}" for c in s.commands]
            if s.console:
                lines += _wrap(s.console, "      ", "      ")
            lines += _wrap(f"cost: {s.cost}", "      ", "      ")
    if d.more_data:
        lines += ["", "to learn more:"] + [w for m in d.more_data for w in _wrap(m, "  - ", "    ")]
    evidence = [f for f in analysis.findings if f.role == "evidence"]
    if evidence:
        lines += ["", "features ranked (evidence):", header(), rule()]
        lines += [row(rank, f) for rank, f in enumerate(evidence[:rows], 1)]
        if len(evidence) > rows:
            lines.append(f"  ... {len(evidence) - rows} more (use --json for all)")
        lines += _wrap(SEPARATES_NOTE.format(tests=analysis.tests, level=analysis.level), "  ", "    ")
        if any(f.censored for f in evidence[:rows]):
            lines += _wrap(CENSORED_NOTE, "  ", "    ")
    if d.consequences:
        lines += ["", "consequences (what the failure did, or measured after it; never a finding):"]
        lines += [f"  - {f.text} — {f.role_why}" for f in d.consequences[:rows]]
    if d.unexplained:
        lines += ["", "separating, but not explained by the knowledge base:"]
        lines += [f"  - {f.text} (AUC {f.auc:.2f})" for f in d.unexplained[:rows]]
    return printable_lines(lines)  # names from the database (run, bench) are shown, not obeyed


#: The footnotes of the ranked table (text, Markdown and HTML say the same).
SEPARATES_NOTE = ("* separates: family-wise p (over the {tests} evidence tests made) at most {level:.2g}, "
                  f"and AUC at least {0.5 + SIGNATURE_EFFECT:.2f}. AUC is the separation in the direction of "
                  "the threshold (1.00: a perfect split); the interval is shown, it does not decide.")
CENSORED_NOTE = ("bound: cycles whose value is only a bound (the fault catch did not fire: the rail never "
                 "crossed its trigger level), censored: the ranks tie them at the bound.")


def header() -> str:
    return (f"{'#':>3} {'feature':<{FEATURE_WIDTH}} {'failure':<{MODE_WIDTH}} {'AUC':>5} {'95% CI':>11} "
            f"{'p family':>8} {'threshold':>14} {'fail below':>16} {'fail above':>16} {'miss':>5} {'bound':>5}")


def rule() -> str:
    return "-" * len(header())


def row(rank: int, f: Finding) -> str:
    feature = f.feature if len(f.feature) <= FEATURE_WIDTH else "…" + f.feature[-FEATURE_WIDTH + 1:]
    mode = f.step or "any"
    mode = mode if len(mode) <= MODE_WIDTH else mode[:MODE_WIDTH - 1] + "…"
    mark = "*" if f.separates else " "
    return (f"{rank:>3} {feature:<{FEATURE_WIDTH}} {mode:<{MODE_WIDTH}} {f.auc:>5.2f} "
            f"{f.auc_ci[0]:>5.2f}-{f.auc_ci[1]:<5.2f} {p_short(f.p_family):>8} {f.threshold_text:>14} "
            f"{rate(f.below.failures, f.below.cycles):>16} {rate(f.above.failures, f.above.cycles):>16} "
            f"{f.n_missing:>5} {f.censored:>5}{mark}")


def p_short(p: float) -> str:
    """A p-value in a table cell: "0.003", "2e-05", "1"."""
    return "1" if p >= 0.9995 else f"{p:.3f}" if p >= 0.001 else f"{p:.0e}"


def rate(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.0f}%)" if n else "0/0"


def when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _wrap(text: str, first: str, rest: str) -> list[str]:
    """Wrapped to WIDTH, never between a number and its unit ("2 Ω", "1.2 V ± 5 %")."""
    glued = _NUMBER_UNIT.sub("\\1\u00a0", text)
    lines = textwrap.wrap(glued, WIDTH, initial_indent=first, subsequent_indent=rest,
                          break_on_hyphens=False, break_long_words=False) or [first.rstrip()]
    return [line.replace("\u00a0", " ") for line in lines]


_NUMBER_UNIT = re.compile(r"(\d|±) (?=(?:[µmnkM]?(?:V|A|Ω|F|s|Hz)|%|×)(?![A-Za-z]))")


__all__ = ["CENSORED_NOTE", "SEPARATES_NOTE", "format_report", "header", "item_fields", "p_short", "rate", "row",
           "rule", "run_header", "when"]
