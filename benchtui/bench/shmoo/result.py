"""A shmoo's result: per cell its cycles, failure rate with a Wilson interval and dominant failure
mode, and the boundary between the cells above and below the level (the same rule the adaptive
order refines on: halfway between the lowest and highest rate, `plan.level_of`).

One object feeds every view (text, JSON, HTML, the console). It is built from the store
(`load_shmoo`, every cell's runs pooled) or from a plan's tallies while a shmoo runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..stats import wilson
from .grid import Cell, Grid
from .plan import CellTally, level_of, side


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    conditions: dict
    cycles: int
    failures: int
    interval: tuple[float, float]
    #: The most frequent failure mode and how many failures it accounts for (None: no failure).
    mode: str | None
    mode_count: int
    #: +1 above the boundary level, -1 below, 0 not decided (or no level).
    side: int
    runs: tuple[int, ...] = ()

    @property
    def rate(self) -> float:
        return self.failures / self.cycles if self.cycles else math.nan


@dataclass(frozen=True)
class ShmooResult:
    grid: Grid
    cells: dict[Cell, CellResult]
    #: The boundary level, or None when the grid shows no edge.
    level: float | None
    #: Pairs of neighbouring cells (one step apart on one axis) on either side of the level.
    edges: tuple[tuple[Cell, Cell], ...]
    shmoo_id: int | None = None
    name: str = ""
    status: str = ""
    settings: dict = field(default_factory=dict)

    @property
    def cycles(self) -> int:
        return sum(c.cycles for c in self.cells.values())

    def boundary_along(self, axis: int = 0) -> dict[tuple, tuple[float, int, int]]:
        """Where the boundary crosses each line along `axis`: line (the other axis' index, or ()
        in 1-D) -> (position in index units, the run cell before it, the one after it).

        One crossing per line: the step that best splits the line's cells into a side below the
        level and a side above it, every cycle weighted alike (the maximum-likelihood change
        point of a step between two rates around the level). Noise in one cell does not move it
        as a class flip between two cells would; a line with no such split has none."""
        if self.level is None:
            return {}
        lines: dict[tuple, list[CellResult]] = {}
        for cell, c in self.cells.items():
            rest = tuple(i for k, i in enumerate(cell) if k != axis)
            lines.setdefault(rest, []).append(c)
        out = {}
        for rest, cells in lines.items():
            cells.sort(key=lambda c: c.cell[axis])
            split = change_point([(c.failures, c.cycles) for c in cells], self.level)
            if split is not None:
                a, b = cells[split - 1].cell[axis], cells[split].cell[axis]
                out[rest] = ((a + b) / 2, a, b)
        return dict(sorted(out.items()))

    def summary(self) -> str:
        """One line: where the edge is, or that there is none."""
        run = sum(1 for c in self.cells.values() if c.cycles)
        head = f"{run} of {len(self.grid)} cells run, {self.cycles} cycles"
        if self.level is None:
            rates = [c.rate for c in self.cells.values() if c.cycles]
            low, top = (min(rates), max(rates)) if rates else (0.0, 0.0)
            if top == 0:
                return f"{head}; no edge inside the grid (no cell failed)"
            if low == 1:
                return f"{head}; no edge inside the grid (every cycle failed)"
            return f"{head}; no edge inside the grid (cells from {low:.0%} to {top:.0%}, not told apart)"
        pairs = f"{len(self.edges)} cell pair{'' if len(self.edges) == 1 else 's'}"
        return f"{head}; boundary at {self.level:.0%} failures, {pairs} across it"


def change_point(counts: list[tuple[int, int]], level: float) -> int | None:
    """The index s (1..len-1) splitting (failures, cycles) pairs into a run below `level` and a
    run above it (or the other way round) with the most cycles on their side; None when the two
    sides' pooled rates do not lie on either side of the level."""
    if len(counts) < 2:
        return None
    gains = [k - level * n for k, n in counts]   # > 0: the cell leans above the level
    total = sum(gains)
    best, best_score, left = None, 0.0, 0.0
    for s in range(1, len(counts)):
        left += gains[s - 1]
        score = abs(total - 2 * left)             # right - left: rising (+) or falling (-)
        if score > best_score:
            best, best_score = s, score
    if best is None:
        return None
    k_left = sum(k for k, _ in counts[:best]); n_left = sum(n for _, n in counts[:best])
    k_right = sum(k for k, _ in counts[best:]); n_right = sum(n for _, n in counts[best:])
    low, high = sorted((k_left / n_left, k_right / n_right))
    return best if low < level <= high else None


def result_from_tallies(grid: Grid, tallies: dict[Cell, CellTally], *, runs: dict[Cell, tuple] | None = None,
                        level: float | None = None, **meta: Any) -> ShmooResult:
    """`level`: the one the shmoo decided on (from its coarse pass: a lattice over the whole grid;
    the cells it ran later crowd the edge and would pull a level computed from all of them
    towards the edge's rates); default: from these cells."""
    if level is None:
        level = level_of(tallies)
    cells: dict[Cell, CellResult] = {}
    for cell, t in tallies.items():
        if not t.cycles:
            continue
        mode, count = max(t.modes.items(), key=lambda kv: (kv[1], kv[0])) if t.modes else (None, 0)
        cells[cell] = CellResult(cell, grid.conditions(cell), t.cycles, t.failures,
                                 wilson(t.failures, t.cycles), mode, count,
                                 0 if level is None else side(t, level, final=True),
                                 tuple((runs or {}).get(cell, ())))
    edges = []
    if level is not None:
        for cell, c in cells.items():
            for axis in range(len(cell)):
                nxt = cell[:axis] + (cell[axis] + 1,) + cell[axis + 1:]
                other = cells.get(nxt)
                if other is not None and other.side != c.side:
                    edges.append((cell, nxt))
    return ShmooResult(grid, cells, level, tuple(sorted(edges)), **meta)


def load_shmoo(store: Any, shmoo_id: int | None = None) -> ShmooResult:
    """The result of a stored shmoo (default: the last one); StoreError if there is none."""
    from ...errors import StoreError

    if shmoo_id is None:
        every = store.shmoos()
        if not every:
            raise StoreError(f"{store.where}: no shmoo in this database (run `benchtui shmoo` first)")
        shmoo_id = every[-1].id
    summary = store.shmoo(shmoo_id)
    grid = Grid.from_dicts(list(summary.axes))
    tallies: dict[Cell, CellTally] = {}
    runs: dict[Cell, tuple] = {}
    for counts in store.cell_counts(shmoo_id):
        cell = grid.cell_of(counts.conditions)
        if cell is None:
            continue
        t = tallies.setdefault(cell, CellTally())
        t.cycles += counts.cycles
        t.failures += counts.failures
        for mode, n in counts.modes.items():
            t.modes[mode] = t.modes.get(mode, 0) + n
        runs[cell] = runs.get(cell, ()) + tuple(counts.runs)
    level = summary.settings.get("level")
    return result_from_tallies(grid, tallies, runs=runs, level=level if isinstance(level, (int, float)) else None,
                               shmoo_id=shmoo_id, name=summary.name, status=summary.status,
                               settings=summary.settings)


__all__ = ["CellResult", "ShmooResult", "change_point", "load_shmoo", "result_from_tallies"]
