"""The console's shmoo: what it shows of a shmoo (`ShmooView`, part of the console's state) and
the coloured grid drawn from it (`grid_text`).

The view follows the runner's events (ShmooCell after every cycle of a cell, ShmooFinished at
the end), so the grid fills in live: each cell coloured by its failure rate (green 0 % through
yellow to red 100 %), `·` where the adaptive order has not run it, the cell in progress
underlined, and `│` / `─` on the boundary between cells on either side of the level. The same
rules as the text and HTML views (bench/shmoo/result.py, bench/report/shmoo.py).
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text

from ..bench import events as ev
from ..bench.shmoo.plan import CellTally
from ..bench.shmoo.result import result_from_tallies

#: Columns of one cell: its rate in per cent, right-aligned.
CELL_W = 5


class ShmooView:
    """The shmoo the console runs (or ran last): its grid, each cell's tally so far, the level."""

    def __init__(self) -> None:
        self.grid: Any = None          # bench.shmoo.Grid
        self.tallies: dict[tuple, CellTally] = {}
        self.level: float | None = None
        self.phase = ""
        self.current: tuple | None = None
        self.shmoo_id: int | None = None
        self.status = ""
        self.runner: Any = None        # the running ShmooRunner, None when none runs
        #: Bumped on every change: a panel repaints only when it moved.
        self.version = 0

    @property
    def running(self) -> bool:
        return self.runner is not None

    def start(self, grid: Any, runner: Any) -> None:
        self.grid, self.runner, self.tallies = grid, runner, {}
        self.level, self.phase, self.current, self.shmoo_id, self.status = None, "starting", None, None, "running"
        self.version += 1

    def apply(self, event: Any) -> bool:
        """Follow one runner event; True if what the view shows changed."""
        if isinstance(event, ev.ShmooCell) and self.grid is not None:
            t = self.tallies.setdefault(tuple(event.cell), CellTally())
            t.cycles, t.failures = event.cycles, event.failures
            self.current, self.phase, self.level = tuple(event.cell), event.phase, event.level
            self.shmoo_id = event.shmoo_id or self.shmoo_id
        elif isinstance(event, ev.ShmooFinished):
            self.status, self.current = event.status, None
            self.level = event.result.level
            self.tallies = {cell: CellTally(c.cycles, c.failures) for cell, c in event.result.cells.items()}
        else:
            return False
        self.version += 1
        return True

    def finished(self) -> None:
        self.runner = None
        self.version += 1

    def result(self) -> Any:
        return result_from_tallies(self.grid, self.tallies, level=self.level)

    def status_line(self) -> str:
        if self.grid is None:
            return "no shmoo yet: give one or two fields to vary and run it (h)"
        run = sum(1 for t in self.tallies.values() if t.cycles)
        cycles = sum(t.cycles for t in self.tallies.values())
        level = f", boundary at {self.level:.0%}" if self.level is not None else ""
        what = f"shmoo {self.shmoo_id}" if self.shmoo_id else "shmoo"
        state = self.phase if self.running else self.status
        return f"{what}: {state}; {run} of {len(self.grid)} cells, {cycles} cycles{level}"


def rate_style(rate: float) -> Style:
    """A cell's colours: green (0 %) through yellow to red (100 %), dark text."""
    r = max(0.0, min(1.0, rate))
    red, green = (int(60 + 390 * r), 180) if r < 0.5 else (255, int(180 - 300 * (r - 0.5)))
    return Style(bgcolor=f"rgb({min(255, red)},{max(0, green)},60)", color="black")


def grid_text(view: ShmooView) -> Text:
    """The grid as the console draws it: the second axis up (largest value on top), the first
    across, each cell CELL_W wide."""
    text = Text()
    grid = view.grid
    if grid is None:
        return Text("no shmoo yet", "dim")
    result = view.result()
    edges = set(result.edges)
    x = grid.axes[0]
    y = grid.axes[1] if len(grid.axes) > 1 else None
    rows = list(range(len(y.values)))[::-1] if y else [None]
    labels = [y.show(y.values[j]).replace(" ", "") if y else "" for j in rows]
    lw = max([len(s) for s in labels] + [1])
    cw = max([CELL_W] + [len(x.show(v).replace(" ", "")) for v in x.values])   # as wide as its label
    for r, (j, label) in enumerate(zip(rows, labels)):
        text.append(label.rjust(lw) + " ", "dim")
        for i in range(len(x.values)):
            cell = (i, j) if y else (i,)
            left = ((i - 1, j) if y else (i - 1,))
            text.append("│" if i and (left, cell) in edges else " ", "bold")
            t = view.tallies.get(cell)
            if t is None or not t.cycles:
                text.append("·".rjust(cw), "dim")
                continue
            style = rate_style(t.rate)
            if cell == view.current:
                style += Style(underline=True, bold=True)
            text.append(f"{t.rate * 100:.0f}".rjust(cw), style)
        text.append("\n")
        if y and r + 1 < len(rows):
            below = rows[r + 1]
            marks = "".join(("─" * cw if ((i, below), (i, j)) in edges else " " * cw).rjust(cw + 1)
                            for i in range(len(x.values)))
            if marks.strip():
                text.append(" " * (lw + 1) + marks.rstrip() + "\n", "bold")
    text.append(" " * (lw + 1) + "".join(x.show(v).replace(" ", "").rjust(cw + 1) for v in x.values) + "\n", "dim")
    text.append(f"{' ' * (lw + 1)}→ {x.label}" + (f"   ↑ {y.label}" if y else ""), "dim")
    return text


def boundary_lines(view: ShmooView) -> list[str]:
    """Where the boundary crosses each line of the first axis, in words."""
    if view.grid is None or view.level is None:
        return []
    result = view.result()
    x = view.grid.axes[0]
    y = view.grid.axes[1] if len(view.grid.axes) > 1 else None
    out = []
    for rest, (_, a, b) in result.boundary_along(0).items():
        where = f"{y.name} = {y.show(y.values[rest[0]])}: " if y else ""
        out.append(f"{where}between {x.show(x.values[a])} and {x.show(x.values[b])}")
    return out


__all__ = ["ShmooView", "boundary_lines", "grid_text", "rate_style"]
