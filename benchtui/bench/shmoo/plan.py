"""The order a shmoo visits its cells in, and when a cell has had enough cycles.

Full grid: every cell, `cycles` cycles each, row by row.

Adaptive (the default), to find the edge with fewer cycles:

1. Coarse pass: the cells on a lattice of every `stride`-th value of each axis (both ends
   included) get up to half the cycles; a cell whose first MIN_CYCLES cycles all pass or all
   fail stops there.
2. The boundary level: halfway between the lowest and the highest rate seen. When no two cells'
   intervals are apart (a grid with no edge inside it, e.g. a healthy board), the shmoo ends here.
   Cells neither all-pass nor all-fail first get the rest of their cycles when the coarse pass
   alone shows no edge (two plateaus close together need more than a few cycles to tell apart).
3. Refinement along the edge: a lattice square whose corners fall on both sides of the level is
   split in two along each axis that still has cells between its corners, and the new corners are
   visited; squares whose corners agree are not refined. This repeats down to neighbouring cells.
4. Early stop: a cell stops as soon as its Wilson interval lies on one side of the level (at
   least MIN_CYCLES cycles); a cell still undecided after its first visit is visited again, up to
   `cycles` in all. Cells far from the edge settle in a few cycles; those at the edge get them all.

A square whose four corners agree can still hide an island of the other class smaller than the
coarse lattice: the coarse stride bounds the smallest feature the adaptive order can find.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from ..stats import Z95, wilson
from .grid import Cell, Grid

#: Cycles before a cell may stop early.
MIN_CYCLES = 5
#: The z of the interval a cell's early stop is decided on (99 %: the decision is looked at after
#: every cycle, so it is held to a stricter interval than the 95 % the views show; the error it
#: leaves on the boundary is measured in benchmarks/shmoo.py).
DECISION_Z = 2.576

#: Two cells whose intervals do not overlap are an edge; fewer than this between the highest and
#: lowest rate is no edge at all.
MIN_CONTRAST = 0.25


@dataclass
class CellTally:
    """What one cell has given so far."""

    cycles: int = 0
    failures: int = 0
    visits: int = 0
    modes: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.failures / self.cycles if self.cycles else math.nan

    def interval(self, z: float = Z95) -> tuple[float, float]:
        return wilson(self.failures, self.cycles, z)


def coarse_stride(n: int) -> int:
    """Every how many values the coarse pass takes on an axis of `n` values: a power of two that
    leaves three to five intervals (1 for up to 5 values)."""
    if n <= 5:
        return 1
    return 2 ** max(0, int(math.floor(math.log2((n - 1) / 2.5))))


def lattice(n: int, stride: int) -> list[int]:
    return sorted(set(range(0, n, stride)) | {n - 1})


def level_of(tallies: dict[Cell, CellTally]) -> float | None:
    """The boundary level when the grid has an edge: halfway between the plateaus of the two
    groups the cells fall into. The cells sorted by rate are split where two rates (one per
    group) explain the cycles best (the binomial maximum likelihood: two plateaus are told apart
    whatever their sizes). No edge when the groups' pooled rates are less than MIN_CONTRAST apart
    or their intervals overlap."""
    seen = sorted((t for t in tallies.values() if t.cycles), key=lambda t: t.rate)
    if len(seen) < 2:
        return None
    best: tuple[float, int] | None = None
    for s in range(1, len(seen)):
        fit = _loglik(_pooled(seen[:s])) + _loglik(_pooled(seen[s:]))
        if best is None or fit > best[0]:
            best = (fit, s)
    low, high = _pooled(seen[:best[1]]), _pooled(seen[best[1]:])
    if high.rate - low.rate < MIN_CONTRAST or low.interval()[1] >= high.interval()[0]:
        return None
    # Each side's plateau: the median of its outer half (the cells of a gradual transition, on
    # whichever side they fall, do not pull the level away from halfway between the plateaus).
    lows, highs = [t.rate for t in seen[:best[1]]], [t.rate for t in seen[best[1]:]]
    return (_median(lows[:(len(lows) + 1) // 2]) + _median(highs[len(highs) // 2:])) / 2


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _pooled(group: list[CellTally]) -> CellTally:
    return CellTally(sum(t.cycles for t in group), sum(t.failures for t in group))


def _loglik(t: CellTally) -> float:
    """Binomial log-likelihood of a group's cycles at its own rate."""
    k, n = t.failures, t.cycles
    return sum(x * math.log(x / n) for x in (k, n - k) if x)


def side(tally: CellTally, level: float, *, final: bool, z: float = DECISION_Z) -> int:
    """+1 above the level, -1 below, 0 undecided (its interval holds the level); `final`: decide
    an undecided cell by its rate (it has had all its cycles)."""
    lo, hi = tally.interval(z)
    if lo > level:
        return 1
    if hi < level:
        return -1
    if final:
        return 1 if tally.rate >= level else -1
    return 0


class Plan:
    """Which cell to run next and for how many cycles; `record` each cycle's outcome."""

    def __init__(self, grid: Grid, cycles: int, *, adaptive: bool = True,
                 min_cycles: int = MIN_CYCLES):
        if cycles < 1:
            raise ValueError("a shmoo needs at least one cycle per cell")
        self.grid, self.cycles, self.adaptive = grid, cycles, adaptive
        self.min_cycles = min(min_cycles, cycles)
        self.tallies: dict[Cell, CellTally] = {}
        self.level: float | None = None
        self.phase = "coarse" if adaptive else "full"
        self._current: Cell | None = None
        self._visit_cap = cycles
        if adaptive:
            self.strides = tuple(coarse_stride(n) for n in grid.shape)
            coords = [lattice(n, s) for n, s in zip(grid.shape, self.strides)]
            self._queue: list[Cell] = list(itertools.product(*coords))
            self._squares = [tuple(zip(c[:-1], c[1:])) if len(c) > 1 else ((c[0], c[0]),)
                             for c in coords]
            self._squares = [tuple(sq) for sq in itertools.product(*self._squares)]
        else:
            self.strides = tuple(1 for _ in grid.shape)
            self._queue = list(grid.cells())
            self._squares = []

    # -- what to run ---------------------------------------------------------------------------
    @property
    def coarse_cycles(self) -> int:
        return max(self.min_cycles, math.ceil(self.cycles / 2))

    def next(self) -> tuple[Cell, int] | None:
        """The next cell and the most cycles to give it on this visit; None when done."""
        while True:
            while self._queue:
                cell = self._queue.pop(0)
                left = self.cycles - self.tally(cell).cycles
                if left <= 0 or self._decided(cell):
                    continue
                cap = min(left, self.coarse_cycles) if self.phase == "coarse" else left
                self._current, self._visit_cap = cell, self.tally(cell).cycles + cap
                self.tally(cell).visits += 1
                return cell, cap
            if not self._advance():
                self._current = None
                return None

    def tally(self, cell: Cell) -> CellTally:
        return self.tallies.setdefault(cell, CellTally())

    def record(self, cell: Cell, failed: bool, mode: str | None = None) -> None:
        t = self.tally(cell)
        t.cycles += 1
        if failed:
            t.failures += 1
            key = mode or "?"
            t.modes[key] = t.modes.get(key, 0) + 1

    def settled(self, cell: Cell) -> bool:
        """The current visit of `cell` may end now."""
        t = self.tally(cell)
        if t.cycles >= self._visit_cap or t.cycles >= self.cycles:
            return True
        if not self.adaptive or t.cycles < self.min_cycles:
            return False
        if self.level is None:   # coarse pass: only the plain cases stop early
            return t.failures in (0, t.cycles) and t.cycles >= self.min_cycles + 2
        return side(t, self.level, final=False) != 0

    # -- phases --------------------------------------------------------------------------------
    def _decided(self, cell: Cell) -> bool:
        t = self.tally(cell)
        return self.level is not None and t.cycles >= self.min_cycles and side(t, self.level, final=False) != 0

    def _advance(self) -> bool:
        """Move to the next phase or refinement round; False when nothing is left to run."""
        if self.phase in ("full", "done"):
            self.phase = "done"
            return False
        if self.phase in ("coarse", "coarse-more"):
            self.level = level_of(self.tallies)
            mixed = [c for c, t in self.tallies.items() if 0 < t.failures < t.cycles < self.cycles]
            if self.level is None and mixed and self.phase == "coarse":
                # No edge yet, but cells that are neither all-pass nor all-fail: their first
                # cycles may be too few to tell two plateaus apart; they get the rest first.
                self.phase = "coarse-more"
                self._queue = mixed
                return True
            if self.level is None:
                self.phase = "done"
                return False
            self.phase = "refine"
            # Coarse cells the level leaves undecided get the rest of their cycles first.
            self._queue = [c for c, t in self.tallies.items() if t.cycles < self.cycles]
            if self._queue:
                return True
        return self._refine()

    def _refine(self) -> bool:
        """Split every square whose corners disagree into halves along each axis that still has
        cells between its corners; queue the new corners. When no square is left to split, the
        lines along the first axis are polished (`_polish`)."""
        split: list[tuple] = []
        new: list[Cell] = []
        for square in self._squares:
            corners = list(itertools.product(*({a, b} for a, b in square)))
            sides = {side(self.tally(c), self.level, final=True) for c in corners}
            if len(sides) < 2:
                continue
            halves = []
            for a, b in square:
                halves.append([(a, (a + b) // 2), ((a + b) // 2, b)] if b - a >= 2 else [(a, b)])
            if all(len(h) == 1 for h in halves):
                continue   # neighbours already: the edge is found to one step here
            for sub in itertools.product(*halves):
                split.append(sub)
                for c in itertools.product(*({a, b} for a, b in sub)):
                    if c not in self.tallies and c not in new:
                        new.append(c)
        self._squares = split
        if new:
            self._queue = new
            return True
        self._squares = []
        return self._polish()

    def _polish(self) -> bool:
        """Bisection along the first axis: on every line, the two run cells either side of the
        line's change point (the boundary `report --shmoo` prints) are brought next to each other;
        a line with no change point of its own yet is seeded where its neighbours have theirs."""
        from .result import change_point

        n0 = self.grid.shape[0]
        lines: dict[tuple, list[int]] = {}
        for cell, t in self.tallies.items():
            if t.cycles:
                lines.setdefault(cell[1:], []).append(cell[0])
        found: dict[tuple, tuple[int, int]] = {}
        for rest, xs in lines.items():
            xs.sort()
            split = change_point([(self.tallies[(x,) + rest].failures, self.tallies[(x,) + rest].cycles)
                                  for x in xs], self.level)
            if split is not None:
                found[rest] = (xs[split - 1], xs[split])
        new: list[Cell] = []
        for rest, (a, b) in found.items():
            if b - a > 1:
                new.append(((a + b) // 2,) + rest)
        for rest, xs in lines.items():   # a line all on one side: step outwards towards the edge
            if rest in found or not found:
                continue
            near = min(found, key=lambda r: sum(abs(p - q) for p, q in zip(r, rest)))
            target = sum(found[near]) / 2
            # Beyond the end towards the neighbours' edge; both ends when it is inside (the
            # cells there are too close to the level to split the line on their own).
            steps = [xs[-1] + 1] if target > xs[-1] else [xs[0] - 1] if target < xs[0] \
                else [xs[0] - 1, xs[-1] + 1]
            new.extend((x,) + rest for x in steps if 0 <= x < n0)
        if len(self.grid.shape) > 1 and found:
            for j in range(self.grid.shape[1]):
                if (j,) in found or (j,) in lines:
                    continue
                near = sorted(found, key=lambda r: abs(r[0] - j))[:2]
                for r in near:
                    a, b = found[r]
                    for i in (a, b):
                        c = (min(max(i, 0), n0 - 1), j)
                        if not self.tally(c).cycles and c not in new:
                            new.append(c)
        new = [c for c in new if not self.tally(c).cycles]
        if not new:
            self.phase = "done"
            return False
        self._queue = new
        return True

    @property
    def cycles_run(self) -> int:
        return sum(t.cycles for t in self.tallies.values())


__all__ = ["CellTally", "MIN_CONTRAST", "MIN_CYCLES", "Plan", "coarse_stride", "lattice",
           "level_of", "side"]
