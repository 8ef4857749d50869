"""A shmoo as text (the grid of failure rates with the boundary drawn, then a table per cell with
its Wilson interval and dominant failure mode) and as JSON (`report --shmoo`, `--json`).

The grid puts the first axis across (columns) and the second up (rows, its largest value at the
top, as a plot would). `│` between two cells and `─` under one mark the boundary: the two cells
lie on either side of the level (halfway between the lowest and highest rate, see
bench/shmoo/result.py); `·` is a cell the adaptive order did not need to run.
"""

from __future__ import annotations


from ...text import printable
from ..shmoo.result import CellResult, ShmooResult

CELL_W = 6


def shmoo_text(result: ShmooResult) -> str:
    lines = [printable(f"shmoo {result.shmoo_id}: {result.name}" if result.shmoo_id else result.name)
             + (f" ({result.status})" if result.status else "")]
    lines.append(result.summary())
    lines.append("failure rate per cell (%)"
                 + (f"; │ and ─ mark the boundary at {result.level:.0%}" if result.level is not None else "")
                 + "; · not run")
    lines.append("")
    lines += _grid_lines(result)
    lines.append("")
    lines += _cell_table(result)
    if result.level is not None:
        lines.append("")
        lines += _crossings(result)
    return "\n".join(lines)


def _grid_lines(result: ShmooResult) -> list[str]:
    grid = result.grid
    x = grid.axes[0]
    y = grid.axes[1] if len(grid.axes) > 1 else None
    labels = [_short(x.show(v)) for v in x.values]
    w = max([CELL_W] + [len(s) + 1 for s in labels])   # a column as wide as its longest label
    rows = list(range(len(y.values)))[::-1] if y else [None]
    row_labels = [(_short(y.show(y.values[j])) if y else "") for j in rows]
    lw = max([len(s) for s in row_labels] + [len(y.name) if y else 0, 4])
    edges = set(result.edges)
    out = [" " * lw + "  " + "".join(s.rjust(w) for s in labels) + f"   ← {x.label}"]
    for r, (j, label) in enumerate(zip(rows, row_labels)):
        text = label.rjust(lw) + "  "
        for i in range(len(x.values)):
            cell = (i, j) if y else (i,)
            c = result.cells.get(cell)
            mark = " "
            if i and _edge(edges, ((i - 1, j) if y else (i - 1,)), cell):
                mark = "│"
            text += mark + _rate(c).rjust(w - 1)
        out.append(text.rstrip())
        if y and r + 1 < len(rows):
            below = rows[r + 1]
            under = "".join(("─" * (w - 1) if _edge(edges, (i, below), (i, j)) else " " * (w - 1))
                            .rjust(w) for i in range(len(x.values)))
            if under.strip():
                out.append(" " * (lw + 2) + under.rstrip())
    if y:
        out.append(f"{'↑ ' + y.label}")
    return out


def _cell_table(result: ShmooResult) -> list[str]:
    grid = result.grid
    names = [a.name for a in grid.axes]
    head = "  ".join(n.rjust(12) for n in names) + "  cycles  failed    rate   95 % interval  dominant mode"
    out = [head]
    for cell in sorted(result.cells):
        c = result.cells[cell]
        values = "  ".join(_short(a.show(a.values[i])).rjust(12) for a, i in zip(grid.axes, cell))
        lo, hi = c.interval
        mode = f"{c.mode} ({c.mode_count} of {c.failures})" if c.mode else "-"
        out.append(printable(f"{values}  {c.cycles:6d}  {c.failures:6d}  {c.rate:6.0%}   "
                             f"{lo:5.0%} – {hi:4.0%}   {mode}"))
    return out


def _crossings(result: ShmooResult) -> list[str]:
    """Where the boundary crosses each line of the first axis, in its units."""
    x = result.grid.axes[0]
    y = result.grid.axes[1] if len(result.grid.axes) > 1 else None
    out = [f"boundary along {x.name} (the step that best splits each line around {result.level:.0%}):"]
    for rest, (_, a, b) in result.boundary_along(0).items():
        prefix = f"  at {y.name} = {y.show(y.values[rest[0]])}: " if y else "  "
        out.append(f"{prefix}between {x.show(x.values[a])} and {x.show(x.values[b])}")
    if len(out) == 1:
        out.append("  none: the edge runs along this axis (see the grid)")
    return out


def _edge(edges: set, a: tuple, b: tuple) -> bool:
    return (min(a, b), max(a, b)) in edges


def _rate(c: CellResult | None) -> str:
    return "·" if c is None else f"{c.rate * 100:.0f}"


def _short(text: str) -> str:
    return text.replace(" ", "")


def shmoo_json(result: ShmooResult) -> dict:
    """Plain data for `report --shmoo --json` (rates as fractions, intervals at 95 %)."""
    grid = result.grid
    return {
        "shmoo": result.shmoo_id, "name": result.name, "status": result.status,
        "axes": grid.as_dicts(), "level": result.level, "cycles": result.cycles,
        "summary": result.summary(),
        "cells": [{"cell": list(c.cell), "conditions": c.conditions, "cycles": c.cycles,
                   "failures": c.failures, "rate": c.rate, "interval": list(c.interval),
                   "mode": c.mode, "mode_count": c.mode_count, "side": c.side, "runs": list(c.runs)}
                  for c in (result.cells[k] for k in sorted(result.cells))],
        "edges": [[list(a), list(b)] for a, b in result.edges],
        "boundary": [{"line": {a.name: a.values[i] for a, i in zip(grid.axes[1:], rest)},
                      "axis": grid.axes[0].name, "between": [grid.axes[0].values[lo], grid.axes[0].values[hi]],
                      "position": pos}
                     for rest, (pos, lo, hi) in result.boundary_along(0).items()],
        "settings": result.settings,
    }


__all__ = ["shmoo_json", "shmoo_text"]
