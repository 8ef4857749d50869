"""The report's plots as inline SVG, drawn with matplotlib (no pyplot state, no display).

- distribution: one feature's values in passing and failing cycles, with the threshold;
- waveforms: a capture's nets, passing and failing cycles overlaid, with the profile's limits;
- timeline: every cycle's outcome (and the top feature's value) against the cycle number.

Waveforms are reduced to a min/max envelope per time bin before plotting, so a 1 µs NRST
glitch in a 12 000-sample record survives while the SVG stays small.
"""

from __future__ import annotations

import io
import re
from typing import Sequence

import numpy as np

from ..analysis import Finding
from ..quantity import si

PASS_COLOUR = "#1f77b4"
FAIL_COLOUR = "#d62728"
LIMIT_COLOUR = "#555555"
#: Time bins of a waveform envelope (two points each).
ENVELOPE_BINS = 500
#: Colours of failure modes on the timeline (passing cycles are PASS_COLOUR, as in the other plots).
MODE_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=96, layout="constrained")


def _svg(fig, salt: str) -> str:
    """The figure as an <svg> element to inline (no XML prolog, no metadata, unique ids)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.size": 9}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None,
                                                 "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # Ids must be unique across the several SVGs of one page: prefix them with the salt.
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{salt}-{m.group(1)}"', text)
    text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{salt}-{m.group(1)})", text)
    text = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{salt}-{m.group(1)}"', text)
    return text.replace("<svg ", f'<svg role="img" class="plot" data-plot="{salt}" ', 1)


def distribution_svg(finding: Finding, passing: np.ndarray, failing: np.ndarray, salt: str) -> str:
    """Strip plot of a feature in passing vs failing cycles, with the threshold line."""
    fig = _figure(6.4, 1.9)
    ax = fig.add_subplot()
    values = np.concatenate([passing, failing]) if len(passing) + len(failing) else np.array([0.0])
    factor, prefix = si(float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0, finding.unit)
    rng = np.random.default_rng(0)  # the same jitter every time: reports compare
    for row, (vals, colour, label) in enumerate(((passing, PASS_COLOUR, "pass"),
                                                 (failing, FAIL_COLOUR, finding.step or "fail"))):
        y = row + rng.uniform(-0.18, 0.18, len(vals))
        ax.scatter(vals / factor, y, s=14, color=colour, alpha=0.75, linewidths=0, label=label)
    ax.axvline(finding.threshold / factor, color=LIMIT_COLOUR, linestyle="--", linewidth=1)
    ax.annotate(f"threshold {finding.threshold_text}", (finding.threshold / factor, 1.45),
                fontsize=8, color=LIMIT_COLOUR, ha="center", annotation_clip=False)
    ax.set_yticks([0, 1], ["pass", "fail"])
    ax.set_ylim(-0.5, 1.7)
    unit = f" ({prefix}{finding.unit})" if finding.unit else ""
    ax.set_xlabel(f"{finding.feature}{unit}")
    ax.set_title(f"{finding.feature} — {finding.step or 'any failure'}: AUC {finding.auc:.2f}", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig, salt)


def envelope(t: np.ndarray, v: np.ndarray, bins: int = ENVELOPE_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of each time bin, in time order: glitches survive, the point count is 2 x bins."""
    n = len(v)
    if n <= 2 * bins:
        return t, v
    edges = np.linspace(0, n, bins + 1).astype(int)
    ts, vs = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        seg = v[a:b]
        i, j = int(np.argmin(seg)), int(np.argmax(seg))
        for k in sorted((i, j)):
            ts.append(t[a + k])
            vs.append(seg[k])
    return np.asarray(ts), np.asarray(vs)


def waveforms_svg(capture: str, nets: Sequence[str],
                  traces: dict[str, list[tuple[bool, int, np.ndarray, np.ndarray]]],
                  limits: dict[str, tuple[float | None, float | None]], salt: str) -> str:
    """One panel per net: (failed, cycle, t, volts) traces overlaid, with min/max limits."""
    fig = _figure(6.4, 1.35 * len(nets) + 0.5)
    axes = fig.subplots(len(nets), 1, sharex=True, squeeze=False)[:, 0]
    span = [tr for net in nets for tr in traces.get(net, [])]
    tmax = max((float(np.max(np.abs(t))) for _, _, t, _ in span), default=1e-3)
    factor, prefix = si(tmax, "s")
    for ax, net in zip(axes, nets):
        for failed, cycle, t, v in traces.get(net, []):
            te, ve = envelope(t, v)
            ax.plot(te / factor, ve, color=FAIL_COLOUR if failed else PASS_COLOUR, linewidth=0.8,
                    alpha=0.7, label=f"cycle {cycle} {'fail' if failed else 'pass'}")
        lo, hi = limits.get(net, (None, None))
        for limit in (lo, hi):
            if limit is not None:
                ax.axhline(limit, color=LIMIT_COLOUR, linestyle="--", linewidth=0.8)
        ax.set_ylabel(f"{net} (V)")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(f"time from trigger ({prefix}s)")
    handles = [_line(PASS_COLOUR, "passing cycles"), _line(FAIL_COLOUR, "failing cycles"),
               _line(LIMIT_COLOUR, "limits", "--")]
    axes[0].legend(handles=handles, loc="upper right", fontsize=7, ncols=3)
    axes[0].set_title(f"{capture} capture", fontsize=9)
    return _svg(fig, salt)


def _line(colour: str, label: str, style: str = "-"):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, linestyle=style, label=label)


def timeline_svg(cycles: Sequence[int], modes: Sequence[str | None], salt: str,
                 finding: Finding | None = None, values: np.ndarray | None = None) -> str:
    """Each cycle's outcome by failure mode; with a finding, its feature's value per cycle above."""
    order = [m for m in dict.fromkeys(m for m in modes if m)]
    lanes = ["pass"] + order
    rows = 2 if finding is not None and values is not None else 1
    fig = _figure(6.4, 1.0 + 0.3 * len(lanes) + (1.6 if rows == 2 else 0))
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False, height_ratios=[1.6, 1] if rows == 2 else [1])[:, 0]
    x = np.asarray(cycles)
    colour = {m: MODE_COLOURS[i % len(MODE_COLOURS)] for i, m in enumerate(order)}
    if rows == 2:
        ax = axes[0]
        factor, prefix = si(float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0, finding.unit)
        for m in [None] + order:
            sel = np.array([mm == m for mm in modes])
            ax.scatter(x[sel], values[sel] / factor, s=12, color=colour.get(m, PASS_COLOUR), linewidths=0)
        ax.axhline(finding.threshold / factor, color=LIMIT_COLOUR, linestyle="--", linewidth=0.8)
        ax.set_ylabel(f"{finding.feature.rsplit('.', 2)[-2]}.{finding.feature.rsplit('.', 1)[-1]}"
                      + (f" ({prefix}{finding.unit})" if finding.unit else ""), fontsize=8)
        ax.set_title(f"{finding.feature} per cycle (threshold {finding.threshold_text})", fontsize=9)
        ax.grid(alpha=0.3)
    ax = axes[-1]
    for lane, m in enumerate([None] + order):
        sel = np.array([mm == m for mm in modes])
        ax.scatter(x[sel], np.full(int(sel.sum()), lane), s=18, marker="s", linewidths=0,
                   color=colour.get(m, PASS_COLOUR))
    ax.set_yticks(range(len(lanes)), lanes, fontsize=8)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("cycle")
    ax.grid(axis="x", alpha=0.3)
    if rows == 1:
        ax.set_title("outcome of every cycle", fontsize=9)
    return _svg(fig, salt)


__all__ = ["distribution_svg", "envelope", "timeline_svg", "waveforms_svg"]
