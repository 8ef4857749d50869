"""The report as Markdown: the same findings as the text and HTML reports, as tables, no plots
— to paste into a forum post or an issue."""

from __future__ import annotations

import re
import string

from ...text import printable
from .model import Report
from .text import CENSORED_NOTE, SEPARATES_NOTE, item_fields, p_short, rate, when

TABLE_ROWS = 20


def format_markdown(report: Report) -> str:
    run, a, d = report.run, report.analysis, report.diagnosis
    scenario = f" [{run.scenario}]" if run.scenario else ""
    # Names from the database (run, bench, target, scenario) are literal text: every character
    # Markdown or HTML could act on is escaped, not only the ones prose needs.
    out = [f"# benchtui report: run {run.id} “{_literal(run.name)}”{_literal(scenario)}", "",
           f"{_literal(run.status)}, {run.cycles} cycles, {run.failures} failed · {when(run.started)} .. "
           f"{when(run.ended) if run.ended else 'now'}"
           + (f" · bench {_literal(run.bench)}" if run.bench else "")
           + (f" · target {_literal(report.context.target)}" if report.context.target else ""), "",
           f"**Verdict:** {_text(d.verdict)}", ""]
    if a.failures:
        out += [_text(d.happened), "", f"Decided: {_text(d.rule)}", ""]
    if d.items:
        out += ["## Findings", ""]
        for item in d.items:
            out += [f"### {item.rank}. {_text(item.part)} ({item.confidence})", "", "| | |", "|---|---|"]
            for label, values in item_fields(item):
                out.append(f"| **{label}** | " + "<br>".join(_cell(v) for v in values) + " |")
            out.append("")
    if d.salvage:
        out += ["## Salvage: the board ended the run protected", ""]
        for s in d.salvage:
            out += [f"**{_text(s.title)}** — {_text(s.state)}", ""]
            if s.commands:
                out += ["```sh", *map(printable, s.commands), "```", ""]  # one line each: no fence break
            if s.console:
                out += [_text(s.console), ""]
            out += [f"Cost: {_text(s.cost)}", ""]
    if d.more_data:
        out += ["## To learn more", ""] + [f"- {_text(m)}" for m in d.more_data] + [""]
    evidence = a.evidence[:TABLE_ROWS]
    if evidence:
        out += ["## Features ranked (evidence)", "",
                "| # | feature | failure | AUC | 95 % CI | p (family) | threshold | fail below | fail above | missing "
                "| bound | confidence |",
                "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
        for n, f in enumerate(evidence, 1):
            mark = " \\*" if f.separates else ""
            out.append(f"| {n}{mark} | `{f.feature}` | {_cell(f.step or 'any')} | {f.auc:.2f} | "
                       f"{f.auc_ci[0]:.2f}–{f.auc_ci[1]:.2f} | {p_short(f.p_family)} | {_cell(f.threshold_text)} | "
                       f"{rate(f.below.failures, f.below.cycles)} | {rate(f.above.failures, f.above.cycles)} | "
                       f"{f.n_missing} | {f.censored} | {f.confidence} |")
        if len(a.evidence) > TABLE_ROWS:
            out.append(f"\n{len(a.evidence) - TABLE_ROWS} more features in `benchtui report --json`.")
        out += ["", "\\" + _text(SEPARATES_NOTE.format(tests=a.tests, level=a.level)), ""]
        if any(f.censored for f in evidence):
            out += [_text(CENSORED_NOTE), ""]
    if d.consequences:
        out += ["## Consequences (what the failure did; never a finding)", ""]
        out += [f"- {_text(f.text)} — {_text(f.role_why)}" for f in d.consequences[:TABLE_ROWS]] + [""]
    if d.unexplained:
        out += ["## Separating, but not explained by the knowledge base", ""]
        out += [f"- {_text(f.text)} (AUC {f.auc:.2f})" for f in d.unexplained[:TABLE_ROWS]] + [""]
    used = list(dict.fromkeys(s for item in d.items for s in item.sources))
    used += [s for sv in d.salvage for s in sv.sources if s not in used]
    if used:
        out += ["## Sources", ""] + [f"- {_text(s)}" for s in used] + [""]
    return "\n".join(out).rstrip() + "\n"


def _text(value: str) -> str:
    """Prose: feature names (dots, underscores) in code; elsewhere keep Markdown from reading
    "<2" as a tag or "*" and "_" as emphasis."""
    value = _FEATURE.sub(r"`\1`", value)
    parts = re.split(r"(`[^`]*`)", value)
    return "".join(p if p.startswith("`") else _escape(p) for p in parts)


def _escape(value: str) -> str:
    value = printable(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("*", "\\*").replace("_", "\\_")


def _literal(value: str) -> str:
    """`value` shown as written: printable (benchtui/text.py), `&`, `<` and `>` as entities and
    every other ASCII punctuation backslash-escaped (CommonMark 2.4), so that no tag, link,
    emphasis, code span, heading or table cell boundary can come out of it."""
    return "".join(_LITERAL.get(c, "\\" + c if c in _PUNCTUATION else c) for c in printable(value))


_LITERAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_PUNCTUATION = frozenset(string.punctuation) - set(_LITERAL)


def _cell(value: str) -> str:
    """A table cell: prose without pipes or line breaks."""
    return _text(value).replace("|", "\\|").replace("\n", " ")


_FEATURE = re.compile(r"\b((?:power_up|flash|psu|step|ob)\.[A-Za-z0-9_.]*[A-Za-z0-9_])")


__all__ = ["format_markdown"]
