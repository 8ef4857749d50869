"""A shmoo as one self-contained HTML file: a heat map of the failure rate (inline SVG, no script,
nothing from the network) with the boundary drawn between the cells on either side of it, and
the table of cells with their Wilson intervals and dominant failure modes.

The SVG is written by hand (rectangles, lines, text): a grid of cells needs no plotting library,
and each cell carries its numbers as data attributes and a <title> (the browser's tooltip).
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path

from ...errors import ReportError
from ..shmoo.result import CellResult, ShmooResult

CELL = 46          # px, one cell of the heat map
MARGIN_L, MARGIN_B, MARGIN_T, MARGIN_R = 96, 70, 20, 20

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:70rem;padding:1rem 1.5rem;
color:#222;line-height:1.4}h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.1rem;border-bottom:1px solid #ccc;
margin-top:2rem}.meta{color:#555;font-size:.9rem}.summary{font-size:1.05rem;background:#fff6e0;
border-left:4px solid #e0a000;padding:.6rem .8rem}svg.shmoo{max-width:100%;height:auto}
svg text{font-size:12px;fill:#222}svg .rate{font-size:11px;text-anchor:middle;dominant-baseline:central}
svg .boundary{stroke:#000;stroke-width:4;stroke-linecap:round}
svg .crossing{stroke:#1f4fd1;stroke-width:3;stroke-dasharray:5 3}svg .notrun{fill:#f2f2f2}
table{border-collapse:collapse;font-size:.85rem}th,td{border-bottom:1px solid #e4e4e4;padding:.2rem .5rem;
text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.legend{font-size:.85rem;color:#444}
"""


def write_shmoo_html(result: ShmooResult, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    try:
        path.write_text(render_shmoo_html(result), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{path}: cannot write the HTML shmoo: {exc.strerror or exc}") from None
    return path


def render_shmoo_html(result: ShmooResult) -> str:
    e = html.escape
    title = f"shmoo {result.shmoo_id}: {result.name}" if result.shmoo_id else result.name
    level = (f"The boundary (thick black line) separates the cells above {result.level:.0%} failures from "
             f"those below it; the dashed blue mark on each line of {result.grid.axes[0].name} is where that "
             "line is best split in two (the crossing the table lists).") \
        if result.level is not None else "No edge inside the grid."
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">{e(result.status or "")} · written {e(time.strftime("%Y-%m-%d %H:%M:%S"))}</p>',
        f'<p class="summary" id="summary">{e(result.summary())}</p>',
        "<h2>Failure rate</h2>",
        _svg(result),
        f'<p class="legend">Colour: failure rate from 0 % (green) to 100 % (red); grey: a cell the '
        f"adaptive order did not need to run. {e(level)}</p>",
        _crossings(result),
        "<h2>Cells</h2>", _table(result),
        "</body></html>",
    ]
    return "\n".join(parts)


def _svg(result: ShmooResult) -> str:
    e = html.escape
    grid = result.grid
    x = grid.axes[0]
    y = grid.axes[1] if len(grid.axes) > 1 else None
    nx, ny = len(x.values), (len(y.values) if y else 1)
    w, h = MARGIN_L + nx * CELL + MARGIN_R, MARGIN_T + ny * CELL + MARGIN_B

    def left(i: int) -> int:
        return MARGIN_L + i * CELL

    def top(j: int) -> int:          # the largest value of the second axis at the top
        return MARGIN_T + (ny - 1 - j) * CELL

    out = [f'<svg class="shmoo" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" role="img" aria-label="{e(result.summary())}">']
    for i in range(nx):
        for j in range(ny):
            cell = (i, j) if y else (i,)
            c = result.cells.get(cell)
            where = e(grid.describe(cell))
            if c is None:
                out.append(f'<rect class="cell notrun" data-cell="{i},{j}" x="{left(i)}" y="{top(j)}" '
                           f'width="{CELL}" height="{CELL}" stroke="#fff"><title>{where}: not run</title></rect>')
                continue
            lo, hi = c.interval
            tip = (f"{where}: {c.failures} of {c.cycles} failed ({c.rate:.0%}, 95 % {lo:.0%}–{hi:.0%})"
                   + (f"; mostly {c.mode}" if c.mode else ""))
            out.append(f'<rect class="cell" data-cell="{i},{j}" data-rate="{c.rate:.4f}" data-side="{c.side}" '
                       f'x="{left(i)}" y="{top(j)}" width="{CELL}" height="{CELL}" fill="{_colour(c)}" '
                       f'stroke="#fff"><title>{e(tip)}</title></rect>')
            out.append(f'<text class="rate" x="{left(i) + CELL / 2}" y="{top(j) + CELL / 2}">'
                       f"{c.rate * 100:.0f}</text>")
    for a, b in result.edges:   # a line on the side the two cells share
        axis = 0 if a[0] != b[0] else 1
        i, j = b[0], (b[1] if y else 0)
        if axis == 0:
            x0 = left(i)
            out.append(f'<line class="boundary" x1="{x0}" y1="{top(j)}" x2="{x0}" y2="{top(j) + CELL}"/>')
        else:
            y0 = top(j) + CELL
            out.append(f'<line class="boundary" x1="{left(i)}" y1="{y0}" x2="{left(i) + CELL}" y2="{y0}"/>')
    for rest, (pos, a, b) in result.boundary_along(0).items():   # each line's change point
        j = rest[0] if y else 0
        x0 = MARGIN_L + (pos + 0.5) * CELL
        out.append(f'<line class="crossing" data-line="{j}" x1="{x0}" y1="{top(j) + 3}" x2="{x0}" '
                   f'y2="{top(j) + CELL - 3}"><title>{e(x.name)}: between {e(x.show(x.values[a]))} and '
                   f'{e(x.show(x.values[b]))}</title></line>')
    base = MARGIN_T + ny * CELL
    for i, v in enumerate(x.values):
        out.append(f'<text x="{left(i) + CELL / 2}" y="{base + 16}" text-anchor="middle">{e(x.show(v))}</text>')
    out.append(f'<text x="{MARGIN_L + nx * CELL / 2}" y="{base + 42}" text-anchor="middle">{e(x.label)}</text>')
    if y:
        for j, v in enumerate(y.values):
            out.append(f'<text x="{MARGIN_L - 6}" y="{top(j) + CELL / 2}" text-anchor="end" '
                       f'dominant-baseline="central">{e(y.show(v))}</text>')
        cx, cy = 14, MARGIN_T + ny * CELL / 2
        out.append(f'<text x="{cx}" y="{cy}" text-anchor="middle" transform="rotate(-90 {cx} {cy})">'
                   f"{e(y.label)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def _crossings(result: ShmooResult) -> str:
    e = html.escape
    crossings = result.boundary_along(0)
    if not crossings:
        return ""
    x = result.grid.axes[0]
    y = result.grid.axes[1] if len(result.grid.axes) > 1 else None
    items = "".join(f"<li>{e(f'{y.name} = {y.show(y.values[rest[0]])}: ' if y else '')}between "
                    f"{e(x.show(x.values[a]))} and {e(x.show(x.values[b]))}</li>"
                    for rest, (_, a, b) in crossings.items())
    return f'<h2>Boundary along {e(x.name)}</h2><ul id="crossings">{items}</ul>'


def _colour(c: CellResult) -> str:
    """Green (0 %) through yellow to red (100 %)."""
    r = max(0.0, min(1.0, c.rate))
    if r < 0.5:
        red, green = int(60 + 390 * r), 180
    else:
        red, green = 255, int(180 - 300 * (r - 0.5))
    return f"rgb({min(255, red)},{max(0, green)},60)"


def _table(result: ShmooResult) -> str:
    e = html.escape
    names = [a.name for a in result.grid.axes]
    rows = ["<table id=\"cells\"><thead><tr>" + "".join(f"<th>{e(n)}</th>" for n in names)
            + "<th>cycles</th><th>failed</th><th>rate</th><th>95 % interval</th><th>dominant mode</th>"
              "<th>runs</th></tr></thead><tbody>"]
    for cell in sorted(result.cells):
        c = result.cells[cell]
        lo, hi = c.interval
        values = "".join(f"<td class=\"num\">{e(a.show(a.values[i]))}</td>" for a, i in zip(result.grid.axes, cell))
        mode = f"{c.mode} ({c.mode_count} of {c.failures})" if c.mode else "–"
        rows.append(f"<tr>{values}<td class=\"num\">{c.cycles}</td><td class=\"num\">{c.failures}</td>"
                    f"<td class=\"num\">{c.rate:.0%}</td><td class=\"num\">{lo:.0%} – {hi:.0%}</td>"
                    f"<td>{e(mode)}</td><td>{e(', '.join(map(str, c.runs)))}</td></tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


__all__ = ["render_shmoo_html", "write_shmoo_html"]
