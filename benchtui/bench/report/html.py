"""The report as one self-contained HTML file: the verdict, the findings, salvage, the ranked
table, and plots (inline SVG: no JavaScript, no fonts or scripts from the network).

matplotlib draws the plots: it is the well-kept plotting library that renders static SVG
without a browser runtime, so the file opens anywhere, offline, and diffs as text.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ...errors import ReportError
from ..analysis import Finding
from .model import Report
from .text import CENSORED_NOTE, SEPARATES_NOTE, item_fields, p_short, rate, when

#: Features whose distribution is plotted (distinct, from the findings' evidence first).
DISTRIBUTIONS = 4
#: Cycles per outcome whose waveforms are overlaid (spread over the run).
WAVEFORM_CYCLES = 4
CAPTURES = ("power_up", "fault_catch")
TABLE_ROWS = 40

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:62rem;padding:1rem 1.5rem;
color:#222;line-height:1.4}
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.1rem;border-bottom:1px solid #ccc;margin-top:2rem}
h3{font-size:1rem;margin:.3rem 0}
.meta{color:#555;font-size:.9rem}.verdict{font-size:1.1rem;background:#fff6e0;border-left:4px solid #e0a000;
padding:.6rem .8rem}.ok{background:#eaf7ea;border-left-color:#2ca02c}
.finding{border:1px solid #ddd;border-radius:4px;padding:.4rem .9rem;margin:.8rem 0}
.finding dl{display:grid;grid-template-columns:9rem 1fr;gap:.25rem .8rem;margin:.4rem 0}
.finding dt{font-weight:600;color:#444}.finding dd{margin:0}.finding dd p{margin:0 0 .2rem}
.conf{font-size:.8rem;font-weight:600;padding:.05rem .4rem;border-radius:3px;background:#eee;margin-left:.5rem}
.conf-strong{background:#d62728;color:#fff}.conf-moderate{background:#ff7f0e;color:#fff}
table{border-collapse:collapse;font-size:.85rem;width:100%}th,td{border-bottom:1px solid #e4e4e4;padding:.2rem .4rem;
text-align:left;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.sep td:first-child::after{content:" *"}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#555}svg.plot{width:100%;height:auto}
code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}pre{padding:.4rem .6rem;overflow-x:auto}
.sources{font-size:.8rem;color:#555}
"""


def write_html(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the report to `path`; returns the path. A one-line ReportError if it cannot."""
    path = Path(path)
    text = render_html(report)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{path}: cannot write the HTML report: {exc.strerror or exc}") from None
    return path


def render_html(report: Report) -> str:
    run, d = report.run, report.diagnosis
    e = html.escape
    scenario = f" [{run.scenario}]" if run.scenario else ""
    title = f"benchtui report: run {run.id} “{run.name}”{scenario}"
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
           f"<header><h1>{e(title)}</h1>",
           f'<p class="meta">{e(run.status)}, {run.cycles} cycles, {run.failures} failed · '
           f"{e(when(run.started))} .. {e(when(run.ended)) if run.ended else 'now'}"
           f"{' · bench ' + e(run.bench) if run.bench else ''}"
           f"{' · target ' + e(report.context.target) if report.context.target else ''}</p>",
           f'<p class="verdict{" ok" if not report.analysis.failures else ""}" id="verdict">'
           f"<strong>Verdict:</strong> {e(d.verdict)}</p>"]
    if report.analysis.failures:
        out.append(f'<p class="meta">{e(d.happened)}</p>')
        out.append(f'<p class="meta" id="rule">Decided: {e(d.rule)}</p>')
    out.append("</header>")
    out += _findings(report)
    out += _salvage(report)
    if d.more_data:
        out += ['<section id="more"><h2>To learn more</h2><ul>'] + [f"<li>{e(m)}</li>" for m in d.more_data]
        out.append("</ul></section>")
    out += _plots(report)
    out += _tables(report)
    out += _sources(report)
    out.append(f'<footer class="meta">written by benchtui on {e(time.strftime("%Y-%m-%d %H:%M:%S"))}'
               "</footer></body></html>")
    return "\n".join(out)


def _findings(report: Report) -> list[str]:
    e = html.escape
    items = report.diagnosis.items
    if not items:
        return []
    out = ['<section id="findings"><h2>Findings</h2>']
    for item in items:
        out.append(f'<article class="finding" id="finding-{item.rank}" data-part="{e(item.part_id)}">')
        out.append(f"<h3>{item.rank}. {e(item.part)}<span class=\"conf conf-{e(item.confidence.split()[0])}\">"
                   f"{e(item.confidence)}</span></h3><dl>")
        for label, values in item_fields(item):
            out.append(f"<dt>{e(label)}</dt><dd>" + "".join(f"<p>{e(v)}</p>" for v in values) + "</dd>")
        out.append("</dl></article>")
    out.append("</section>")
    return out


def _salvage(report: Report) -> list[str]:
    e = html.escape
    if not report.diagnosis.salvage:
        return []
    out = ['<section id="salvage"><h2>Salvage: the board ended the run protected</h2>']
    for s in report.diagnosis.salvage:
        out.append(f"<h3>{e(s.title)}</h3><p>{e(s.state)}</p>")
        if s.commands:
            out.append("<pre>" + "\n".join(e(c) for c in s.commands) + "</pre>")
        if s.console:
            out.append(f"<p>{e(s.console)}</p>")
        out.append(f"<p><strong>Cost:</strong> {e(s.cost)}</p>")
    out.append("</section>")
    return out


# --- plots -------------------------------------------------------------------------------------

def _plots(report: Report) -> list[str]:
    from .plots import distribution_svg, timeline_svg, waveforms_svg

    e = html.escape
    out: list[str] = []
    m = report.matrix
    modes = list(m.failed_steps)
    passed = np.asarray(m.passed, dtype=bool)
    chosen = _plotted_findings(report)
    if chosen:
        out.append('<section id="distributions"><h2>Evidence: pass vs fail</h2>')
        for n, f in enumerate(chosen, 1):
            col = m.column(f.feature)
            cases = np.array([s == f.step for s in modes]) if f.step else ~passed
            pas, fail = col[passed & np.isfinite(col)], col[cases & np.isfinite(col)]
            out.append(f'<figure id="dist-{n}">{distribution_svg(f, pas, fail, f"dist{n}")}'
                       f"<figcaption>{e(f.text)}</figcaption></figure>")
        out.append("</section>")
    waves = _waveform_figures(report, waveforms_svg)
    if waves:
        out += ['<section id="waveforms"><h2>Waveforms: passing vs failing cycles</h2>'] + waves + ["</section>"]
    top = chosen[0] if chosen else None
    values = m.column(top.feature) if top is not None else None
    out.append('<section id="timeline"><h2>Timeline</h2><figure id="timeline-plot">'
               f"{timeline_svg(list(m.cycles), modes, 'timeline', top, values)}"
               "<figcaption>Every cycle's outcome by failure mode"
               f"{' and the top feature per cycle' if top is not None else ''}.</figcaption></figure></section>")
    return out


def _plotted_findings(report: Report) -> list[Finding]:
    """The headline and supporting features of the findings, distinct, strongest first."""
    wanted: list[tuple[str, str | None]] = []
    for item in report.diagnosis.items:
        for ev in ([item.evidence] if item.evidence else []) + list(item.supporting):
            key = (ev.feature, ev.mode)
            if key not in wanted and all(ev.feature != w[0] for w in wanted):
                wanted.append(key)
    found = {(f.feature, f.step): f for f in report.analysis.findings}
    chosen = [found[k] for k in wanted if k in found][:DISTRIBUTIONS]
    if not chosen:  # no finding: show the strongest evidence features anyway
        chosen = [f for f in report.analysis.evidence if f.step == (report.analysis.evidence[0].step
                                                                     if report.analysis.evidence else None)][:2]
    return chosen


def _waveform_figures(report: Report, waveforms_svg: Any) -> list[str]:
    e = html.escape
    store = report.store
    if store is None:
        return []
    focus = set(report.diagnosis.items[0].modes) if report.diagnosis.items else set()
    failing = [c.index for c in report.cycles if not c.passed and (not focus or _mode_of(c) in focus)]
    passing = [c.index for c in report.cycles if c.passed]
    # The fault catch only has a capture where its trigger fired: pick those cycles for it.
    fired = {c.index for c in report.cycles
             if any(f.name.startswith("flash.") and f.name.endswith(".triggered") and f.value
                    for f in c.features)}
    wanted = {"power_up": ([i for i in failing], passing),
              "fault_catch": ([i for i in failing if i in fired], [i for i in passing if i in fired])}
    traces: dict[str, dict[str, list]] = {}
    loaded: dict[int, tuple] = {}
    for capture, (fail_ids, pass_ids) in wanted.items():
        picks = [(True, i) for i in _spread(fail_ids, WAVEFORM_CYCLES)] + \
                [(False, i) for i in _spread(pass_ids, WAVEFORM_CYCLES)]
        for failed, index in picks:
            if index not in loaded:
                loaded[index] = store.waveforms(report.run.id, index)
            for w in loaded[index]:
                if w.capture != capture or not w.valid or not len(w.volts):
                    continue
                traces.setdefault(w.capture, {}).setdefault(w.net, []).append(
                    (failed, index, w.times(), np.asarray(w.volts, dtype=float)))
    out = []
    for n, capture in enumerate([c for c in CAPTURES if c in traces] + [c for c in traces if c not in CAPTURES]):
        nets = list(traces[capture])
        who = traces[capture]
        n_fail = len({c for net in nets for f, c, _, _ in who[net] if f})
        n_pass = len({c for net in nets for f, c, _, _ in who[net] if not f})
        note = "" if n_pass else " (no passing cycle has this capture: the trigger did not fire in them)"
        svg = waveforms_svg(capture, nets, who, report.context.limits, f"wave{n}")
        out.append(f'<figure id="waves-{e(capture)}">{svg}<figcaption>{e(capture)}: {n_fail} failing and '
                   f"{n_pass} passing cycles overlaid; dashed lines are the profile's limits{e(note)}."
                   "</figcaption></figure>")
    return out


def _mode_of(cycle: Any) -> str | None:
    from ..records import failure_mode
    return failure_mode(cycle.failed_step, cycle.error_class)


def _spread(items: Sequence[int], k: int) -> list[int]:
    if len(items) <= k:
        return list(items)
    return [items[int(round(i))] for i in np.linspace(0, len(items) - 1, k)]


# --- tables and sources ------------------------------------------------------------------------

def _tables(report: Report) -> list[str]:
    e = html.escape
    a, d = report.analysis, report.diagnosis
    out = []
    evidence = a.evidence[:TABLE_ROWS]
    if evidence:
        out += ['<section id="features"><h2>Features ranked (evidence)</h2><table><thead><tr>'
                "<th>#</th><th>feature</th><th>failure</th><th>AUC</th><th>95 % CI</th><th>p (family)</th>"
                "<th>threshold</th><th>fail below</th><th>fail above</th><th>missing</th><th>bound</th>"
                "<th>confidence</th></tr></thead><tbody>"]
        for n, f in enumerate(evidence, 1):
            out.append(f'<tr class="{"sep" if f.separates else ""}"><td class="num">{n}</td><td>{e(f.feature)}</td>'
                       f"<td>{e(f.step or 'any')}</td><td class=\"num\">{f.auc:.2f}</td>"
                       f'<td class="num">{f.auc_ci[0]:.2f}–{f.auc_ci[1]:.2f}</td><td class="num">{p_short(f.p_family)}</td>'
                       f'<td class="num">{e(f.threshold_text)}</td>'
                       f'<td class="num">{rate(f.below.failures, f.below.cycles)}</td>'
                       f'<td class="num">{rate(f.above.failures, f.above.cycles)}</td>'
                       f'<td class="num">{f.n_missing}</td><td class="num">{f.censored}</td><td>{e(f.confidence)}</td></tr>')
        out.append(f'</tbody></table><p class="meta">{e(SEPARATES_NOTE.format(tests=a.tests, level=a.level))}</p>')
        if any(f.censored for f in evidence):
            out.append(f'<p class="meta">{e(CENSORED_NOTE)}</p>')
        out.append("</section>")
    if d.consequences:
        out += ['<section id="consequences"><h2>Consequences (what the failure did; never a finding)</h2><ul>']
        out += [f"<li>{e(f.text)} — {e(f.role_why)}</li>" for f in d.consequences[:TABLE_ROWS]]
        out.append("</ul></section>")
    if d.unexplained:
        out += ['<section id="unexplained"><h2>Separating, but not explained by the knowledge base</h2><ul>']
        out += [f"<li>{e(f.text)} (AUC {f.auc:.2f})</li>" for f in d.unexplained[:TABLE_ROWS]]
        out.append("</ul></section>")
    return out


def _sources(report: Report) -> list[str]:
    e = html.escape
    used = list(dict.fromkeys(s for item in report.diagnosis.items for s in item.sources))
    used += [s for sv in report.diagnosis.salvage for s in sv.sources if s not in used]
    if not used:
        return []
    return (['<section id="sources" class="sources"><h2>Sources</h2><ul>']
            + [f"<li>{e(s)}</li>" for s in used] + ["</ul></section>"])


__all__ = ["render_html", "write_html"]
