"""Cycles a shmoo spends finding the edge: the adaptive order against the full grid.

Each trial runs the shmoo planner (benchtui.bench.shmoo.plan) twice on the same failure-rate
surface, adaptive and full grid (every cell `--cycles` cycles), drawing each cycle's outcome from
the surface, and checks where each puts the boundary: per line along the first axis, the
boundary `report --shmoo` prints (the change point at the shmoo's level) must lie within one
step of the same estimate made on the true rates. Prints per surface the cycles spent (adaptive /
full; goal <= 1/3) and the share of lines with the boundary within one step (goal: the adaptive
order at most GAP_GOAL below the full grid on the same surfaces).

Surfaces:
  brownout, vcap-marginal   the virtual bench's physics: the board model (benchtui.sim.board)
                            with an injected clock, one erase per power cycle, exactly as the
                            twin asks it (option-byte load, then the erase's verdict); the true
                            rate of a cell is measured once with --truth cycles
  edge                      synthetic: a straight edge at a random angle and place, 0 % on one
                            side, 100 % on the other, a transition 0.5-1.5 steps wide
  plateau                   synthetic: like edge, between 45 % and 95 % (the vcap-marginal shape)

    python benchmarks/shmoo.py [--trials 100] [--cycles 20] [--truth 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from benchtui.bench.shmoo import Grid, Plan, parse_vary
from benchtui.bench.shmoo.plan import CellTally, level_of
from benchtui.bench.shmoo.result import change_point, result_from_tallies


#: The adaptive order may put the boundary within one step on this many fewer lines (a share)
#: than the full grid does on the same surface.
GAP_GOAL = 0.05


# -- surfaces ------------------------------------------------------------------------------------

def physics_rates(scenario: str, grid: Grid, cycles: int, seed: int) -> np.ndarray:
    """The true failure rate of every cell of a VDD x off-time grid on the board model."""
    from benchtui.sim.board import BoardModel

    class Clock:
        t = 1000.0

        def __call__(self) -> float:
            return self.t

    rates = np.zeros(grid.shape)
    for cell in grid.cells():
        c = grid.conditions(cell)
        clock = Clock()
        board = BoardModel(scenario, seed=seed + 7919 * (1 + cell[0]) + 104729 * (cell[1] if len(cell) > 1 else 0), clock=clock)
        board.set_psu(voltage=c.get("psu.voltage", 3.3), current_limit=0.5)
        failed = 0
        for _ in range(cycles):
            board.set_psu(on=True)
            clock.t += 0.02
            bad = not board.powered() or not board.option_load_ok()
            t0, t1 = board.add_load(0.030, 0.002, "erase")
            bad = bad or board.disturbance(t0, t1) is not None
            failed += bad
            clock.t += 0.02
            board.set_psu(on=False)
            clock.t += c.get("cycle.off_s", 0.3)
        rates[cell] = failed / cycles
    return rates


def synthetic_rates(shape: tuple[int, int], rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    """A straight edge at a random angle through the middle half of the grid."""
    nx, ny = shape
    angle = rng.uniform(-np.pi / 3, np.pi / 3)            # mostly across the first axis
    cx, cy = rng.uniform(0.25, 0.75) * (nx - 1), rng.uniform(0.25, 0.75) * (ny - 1)
    width = rng.uniform(0.5, 1.5)                          # steps from 12 % to 88 % of the way
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    d = (i - cx) * np.cos(angle) + (j - cy) * np.sin(angle)
    return low + (high - low) / (1 + np.exp(-d / (width / 4)))


# -- one shmoo on a surface -------------------------------------------------------------------

def run(grid: Grid, rates: np.ndarray, cycles: int, adaptive: bool, rng: np.random.Generator) -> Plan:
    plan = Plan(grid, cycles, adaptive=adaptive)
    while (task := plan.next()) is not None:
        cell, _ = task
        while True:
            plan.record(cell, bool(rng.random() < rates[cell]))
            if plan.settled(cell):
                break
    return plan


def line_crossings(grid: Grid, plan: Plan) -> dict[tuple, float]:
    """Per line along the first axis, where the shmoo puts the boundary (the result's change
    point at the plan's level: what `report --shmoo` prints)."""
    result = result_from_tallies(grid, plan.tallies, level=plan.level)
    return {line: pos for line, (pos, _, _) in result.boundary_along(0).items()}


def true_crossings(grid: Grid, rates: np.ndarray) -> dict[tuple, float]:
    """The same estimate, level included, on the true rates (as if every cell had a million
    cycles)."""
    level = level_of({cell: CellTally(1_000_000, int(rates[cell] * 1e6)) for cell in grid.cells()})
    if level is None:
        return {}
    out = {}
    for j in range(grid.shape[1] if len(grid.shape) > 1 else 1):
        line = rates[:, j] if rates.ndim > 1 else rates
        split = change_point([(int(r * 1e6), 1_000_000) for r in line], level)
        if split is not None:
            out[(j,) if rates.ndim > 1 else ()] = split - 0.5
    return out


def lines_within_one_step(true: dict, est: dict) -> tuple[int, int]:
    """(lines whose estimate is within one step of the truth, lines compared): every line with
    a true crossing or an estimated one."""
    lines = set(true) | set(est)
    ok = sum(1 for line in lines if line in true and line in est and abs(true[line] - est[line]) <= 1)
    return ok, len(lines)


# -- the benchmark --------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--cycles", type=int, default=20, help="cycles per cell at most")
    ap.add_argument("--truth", type=int, default=200, help="cycles per cell for the physics' true rates")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.monotonic()

    vdd_off = Grid((parse_vary("psu.voltage=2.0:3.6:0.1"), parse_vary("cycle.off_s=0.005:0.03:0.0025")))
    off_vdd = Grid((parse_vary("cycle.off_s=0.004:0.024:0.001"), parse_vary("psu.voltage=2.4:3.6:0.1")))
    surfaces = [
        ("brownout (VDD x off-time)", vdd_off, lambda: physics_rates("brownout", vdd_off, args.truth, args.seed)),
        ("vcap-marginal (off-time x VDD)", off_vdd,
         lambda: physics_rates("vcap-marginal", off_vdd, args.truth, args.seed)),
    ]
    synth = Grid((parse_vary("psu.voltage=2.6:3.6:0.05"), parse_vary("cycle.off_s=0.005:0.035:0.0025")))
    print(f"shmoo planner: adaptive vs full grid, {args.cycles} cycles per cell at most, "
          f"{args.trials} trials per surface (seed {args.seed})\n")
    print(f"{'surface':34s} {'grid':>7s} {'full':>7s} {'adaptive':>9s} {'ratio':>6s}   "
          f"{'lines with the boundary within one step':>40s}")
    print(f"{'':34s} {'cells':>7s} {'cycles':>7s} {'cycles':>9s} {'':>6s}   {'adaptive':>12s} {'full':>12s}")
    rows = []
    for name, grid, make in surfaces:
        rates = make()
        rows.append((name, grid, [rates] * args.trials))
    for name, low, high in (("edge 0 % | 100 % (synthetic)", 0.0, 1.0),
                            ("plateau 45 % | 95 % (synthetic)", 0.45, 0.95)):
        rows.append((name, synth, [synthetic_rates(synth.shape, rng, low, high) for _ in range(args.trials)]))
    worst_ratio = worst_gap = 0.0
    for name, grid, surfaces_ in rows:
        full_cycles = adaptive_cycles = 0
        lines = {"adaptive": [0, 0], "full": [0, 0]}
        for rates in surfaces_:
            truth = true_crossings(grid, rates)
            for how in ("adaptive", "full"):
                plan = run(grid, rates, args.cycles, how == "adaptive", rng)
                ok, n = lines_within_one_step(truth, line_crossings(grid, plan))
                lines[how][0] += ok
                lines[how][1] += n
                if how == "adaptive":
                    adaptive_cycles += plan.cycles_run
                else:
                    full_cycles += plan.cycles_run
        ratio = adaptive_cycles / full_cycles
        worst_ratio = max(worst_ratio, ratio)
        n = len(surfaces_)
        share = {k: v[0] / v[1] if v[1] else 1.0 for k, v in lines.items()}
        worst_gap = max(worst_gap, share["full"] - share["adaptive"])
        print(f"{name:34s} {len(grid):7d} {full_cycles / n:7.0f} {adaptive_cycles / n:9.0f} {ratio:6.2f}   "
              f"{share['adaptive']:12.1%} {share['full']:12.1%}")
    print(f"\nworst cycle ratio {worst_ratio:.2f} (goal <= 0.33); boundary lines within one step: "
          f"adaptive at most {max(worst_gap, 0) * 100:.1f} points below the full grid (goal <= {GAP_GOAL * 100:.0f}); "
          f"{time.monotonic() - started:.0f} s")
    return 0 if worst_ratio <= 1 / 3 and worst_gap <= GAP_GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
