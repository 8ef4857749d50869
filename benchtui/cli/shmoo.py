"""`shmoo`: the failure rate over a grid of one or two conditions, to find where the margin ends.

    benchtui shmoo --profile P --vary psu.voltage=3.0:3.6:0.1 --vary cycle.off_s=0.006,0.01,0.02 --cycles 20
    benchtui shmoo --profile P --virtual --scenario brownout --vary psu.voltage=3.0:3.6:0.1
    benchtui report --shmoo [ID] [--json | --html FILE]    # the grid again, from the database

Each visit of a cell is one run of the loop tagged with the shmoo and the cell's values, so
`report --run`, `export` and `report --by-board` read it like any run. The cells are visited in
an adaptive order (a coarse pass, then along the edge; `--full` runs every cell `--cycles`
times). Every cell is checked against the profile's hard limits before anything runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from ..errors import BenchError
from ..profile import Profile, load_profile
from ..text import printable
from .common import (EXIT_ERROR, EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, scenario_args,
                     start_virtual_bench)

#: Cycles per cell when --cycles is not given.
DEFAULT_CYCLES = 20


def build(profile: Profile, varies: list[str], cycles: int, *, full: bool) -> tuple[Any, Any]:
    """The grid and the plan for `--vary` arguments, the hard limits checked."""
    from ..bench.shmoo import Grid, Plan, check_limits, parse_vary

    if not 1 <= len(varies) <= 2:
        raise BenchError("a shmoo varies one or two fields: give --vary once or twice", where="shmoo")
    axes = tuple(parse_vary(v) for v in varies)
    if len(axes) == 2 and axes[0].name == axes[1].name:
        raise BenchError(f"--vary {axes[0].name} is given twice", where="shmoo")
    grid = Grid(axes)
    check_limits(profile, grid)
    if cycles < 1:
        raise BenchError(f"--cycles {cycles}: at least 1 cycle per cell", where="shmoo")
    return grid, Plan(grid, cycles, adaptive=not full)


def run_shmoo(profile: Profile, grid: Any, plan: Any, *, confirmed: bool, quiet: bool,
              html: str | None = None, as_json: bool = False) -> int:
    """Run it on the bench, print the result; the exit code."""
    from ..bench import events as ev
    from ..bench.report.shmoo import shmoo_json, shmoo_text
    from ..bench.session import BenchSession
    from ..bench.shmoo.runner import ShmooRunner
    from ..bench.store import display_name
    from .loop import _run_interruptible, _say

    holder: dict[str, Any] = {}

    def on_event(event: Any) -> None:
        if quiet:
            return
        if isinstance(event, ev.ShmooCell) and event.cycles and holder["runner"].plan.settled(event.cell):
            print(printable(f"cell {grid.describe(event.cell)}: {event.failures} of {event.cycles} "
                            f"failed ({event.phase})"), file=sys.stderr, flush=True)

    async def main() -> Any:
        session = BenchSession(profile, on_event=lambda event: None)
        runner = ShmooRunner(session, grid, plan, on_event=on_event,
                             confirmed_by="--yes" if confirmed else None)
        holder["runner"] = runner
        runner.preflight()          # the limits and the one confirmation, before connecting
        await session.open()
        st = session.state
        try:
            if not (st.psu_connected and st.scope_connected):
                raise BenchError("cannot run a shmoo without the PSU and the scope: "
                                 + "; ".join(e for e in (st.psu_error, st.scope_error) if e), where="bench")
            return await runner.run()
        finally:
            await session.close()

    def last_words() -> None:
        runner = holder.get("runner")
        failed = runner.safe_state_failed if runner is not None else None
        if runner is not None and runner.engine is not None and not runner.engine.safe_state_confirmed:
            _say("benchtui: WARNING: " + (failed or f"PSU {profile.psu.resource}: output OFF not confirmed "
                                          "before exit; its output may still be ON: switch it off at the instrument"))

    result = _run_interruptible(main(), lambda: holder["runner"].stop() if "runner" in holder else None,
                                lambda: holder["runner"].abort() if "runner" in holder else None, last_words)
    if as_json:
        print(json.dumps(shmoo_json(result), indent=2, default=str))
    else:
        print(shmoo_text(result))
    if html:
        from ..bench.report.shmoo_html import write_shmoo_html
        path = write_shmoo_html(result, html)
        print(f"wrote {path}", file=sys.stderr)
    print(f"\ndatabase {display_name(profile.store.database)}: "
          f"benchtui report {display_name(profile.store.database)} --shmoo {result.shmoo_id}", file=sys.stderr)
    if result.status == "error":
        return EXIT_ERROR
    if result.status == "stopped":
        return EXIT_INTERRUPTED
    return EXIT_FAILURES if any(c.failures for c in result.cells.values()) else EXIT_OK


def cmd_shmoo(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    if args.db:
        profile = profile.replace(store=dataclasses.replace(profile.store, database=args.db))
    grid, plan = build(profile, args.vary or [], DEFAULT_CYCLES if args.cycles is None else args.cycles,
                       full=args.full)
    if not args.virtual:
        return run_shmoo(profile, grid, plan, confirmed=args.yes, quiet=args.quiet, html=args.html,
                         as_json=args.json)
    vb, live = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed, board=args.board)
    try:
        if not args.quiet:
            print(f"virtual bench ({vb.scenario}, seed {vb.seed}): {len(grid)} cells, up to "
                  f"{plan.cycles} cycles each ({'every cell' if args.full else 'adaptive order'})",
                  file=sys.stderr)
        return run_shmoo(live, grid, plan, confirmed=args.yes, quiet=args.quiet, html=args.html,
                         as_json=args.json)
    finally:
        vb.stop()


def report_shmoo(args: argparse.Namespace) -> int:
    """`report --shmoo [ID]`: a stored shmoo as text, --json or --html."""
    from ..bench.report.shmoo import shmoo_json, shmoo_text
    from ..bench.shmoo.result import load_shmoo
    from ..bench.store import open_store

    wanted = None if args.shmoo == "last" else _shmoo_id(args.shmoo)
    with open_store(args.database, readonly=True) as store:
        result = load_shmoo(store, wanted)
    if args.html:
        from ..bench.report.shmoo_html import write_shmoo_html
        path = write_shmoo_html(result, args.html if args.html != "-" else f"benchtui-shmoo{result.shmoo_id}.html")
        print(f"wrote {path}: {result.summary()}", file=sys.stderr)
    if args.json:
        print(json.dumps(shmoo_json(result), indent=2, default=str))
    elif not args.html:
        print(shmoo_text(result))
    return EXIT_OK


def _shmoo_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BenchError(f"--shmoo {printable(text)!r}: expected a shmoo id (a number)", where="report") from None
    if value < 1:
        raise BenchError(f"--shmoo {value}: shmoo ids start at 1", where="report")
    return value


def register(sub: Any) -> None:
    from ..bench.shmoo import AXES

    sp = sub.add_parser("shmoo", help="failure rate over a grid of supply voltage, off-time, ramp, ...",
                        description="Vary one or two fields over a grid; each cell is a run of the loop. "
                                    "Fields: " + ", ".join(AXES))
    sp.add_argument("--profile", required=True)
    sp.add_argument("--vary", action="append", metavar="FIELD=SPEC",
                    help="a field and its values: a:b:step (both ends included) or a list a,b,c "
                         "(give it once or twice)")
    sp.add_argument("--cycles", type=int, help=f"cycles per cell at most (default {DEFAULT_CYCLES})")
    sp.add_argument("--full", action="store_true",
                    help="run every cell --cycles times (default: adaptive, coarse first then along the edge)")
    sp.add_argument("--db", help="results database: a file or postgresql://USER@HOST:PORT/DB")
    sp.add_argument("--yes", action="store_true",
                    help="confirm, once for the whole grid, destructive steps every cycle repeats")
    sp.add_argument("--virtual", action="store_true", help="start the profile's virtual bench first")
    sp.add_argument("--json", action="store_true", help="print the result as JSON")
    sp.add_argument("--html", metavar="FILE", help="also write the heat map as one HTML file")
    sp.add_argument("-q", "--quiet", action="store_true", help="no line per cell")
    scenario_args(sp)
    sp.set_defaults(func=cmd_shmoo)
