"""`sweep`: the loop on one board after another, then the boards compared.

    benchtui sweep --profile P --boards 25 --cycles 6          # a real bench: asks for each board
    benchtui sweep --profile P --virtual                       # the profile's virtual batch
    benchtui demo --sweep                                      # the demo's batch of 25, 6 cycles each

On a real bench, the technician swaps the board when asked (the PSU output is off) and presses
Enter; on the virtual bench the simulated batch's boards are swapped in turn. Each board is one
run; at the end the by-board report of the sweep's runs is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any, Callable

from ..errors import BenchError
from ..profile import Profile, bundled, load_profile
from .common import (EXIT_ERROR, EXIT_FAILURES, EXIT_OK, scenario_args, short_test_firmware,
                     start_virtual_bench)

#: The demo's sweep: a batch of this many boards, this many cycles each (about a minute).
DEMO_BATCH, DEMO_CYCLES = 25, 6
#: ...flashing a short image (one sector erased and programmed per cycle).
DEMO_IMAGE_BYTES = 8 * 1024


def run_sweep(profile: Profile, boards: list[int], cycles: int, insert: Callable[[int], None],
              *, quiet: bool = False) -> int:
    """Run the sweep, print a line per board and the by-board report; the exit code."""

    from ..bench.board_report import board_comparison, format_boards
    from ..bench.session import BenchSession
    from ..bench.store import display_name, open_store
    from ..bench.sweep import Sweep

    def on_board(k: int, summary: Any) -> None:
        if not quiet:
            print(f"board {k}: run {summary.id}, {summary.cycles} cycles, {summary.failures} failed, "
                  f"{summary.status}", file=sys.stderr, flush=True)

    async def main() -> list:
        session = BenchSession(profile, on_event=lambda event: None)
        await session.open()
        st = session.state
        if not (st.psu_connected and st.scope_connected):
            await session.close()
            raise BenchError("cannot sweep without the PSU and the scope: "
                             + "; ".join(e for e in (st.psu_error, st.scope_error) if e), where="bench")
        holder["sweep"] = Sweep(session, boards, cycles, insert, on_board=on_board)
        try:
            return await holder["sweep"].run()
        finally:
            await session.close()

    from .loop import _run_interruptible, _say
    holder: dict[str, Any] = {}

    def last_words() -> None:
        engine = holder["sweep"].engine if "sweep" in holder else None
        if engine is not None and not engine.safe_state_confirmed:
            _say("benchtui: WARNING: " + (engine.safe_state_failed or
                 f"PSU {profile.psu.resource}: output OFF not confirmed before exit; its output "
                 "may still be ON: switch it off at the instrument"))

    summaries = _run_interruptible(main(), lambda: holder["sweep"].stop() if "sweep" in holder else None,
                                   lambda: holder["sweep"].abort() if "sweep" in holder else None,
                                   last_words)
    if not summaries:
        raise BenchError("the sweep stopped before its first board", where="sweep")
    with open_store(profile.store.database, readonly=True) as store:
        comparison, runs = board_comparison(store, [s.id for s in summaries])
    print(format_boards(comparison, runs))
    print(f"\ndatabase {display_name(profile.store.database)}: "
          f"benchtui report {display_name(profile.store.database)} --by-board")
    if any(s.status == "error" for s in summaries):
        return EXIT_ERROR
    return EXIT_FAILURES if any(s.failures for s in summaries) else EXIT_OK


def demo_sweep(profile: Profile, args: argparse.Namespace) -> int:
    """`benchtui demo --sweep`: the demo profile's scenario on a virtual batch."""
    from pathlib import Path

    sim = dataclasses.replace(profile.sim, batch=profile.sim.batch or DEMO_BATCH)
    # A short image (one sector): 150 cycles in a minute or two, not the 700 KB demo image's ten.
    image = short_test_firmware(Path(profile.target.firmware or bundled.data_dir() / "firmware" / "board-test-v1.hex")
                                .with_name("board-test-sweep.hex"), DEMO_IMAGE_BYTES)
    profile = profile.replace(sim=sim, cycle=dataclasses.replace(profile.cycle, off_s=0.05, on_settle_s=0.01),
                              target=dataclasses.replace(profile.target, firmware=str(image)))
    vb, live = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed)
    try:
        print(f"virtual batch of {len(vb.batch)} boards ({vb.scenario}, seed {vb.seed}): "
              f"{DEMO_CYCLES} cycles on each; which board is faulty is for the report to find",
              file=sys.stderr)
        return run_sweep(live, list(range(1, len(vb.batch) + 1)), DEMO_CYCLES, vb.insert_board)
    finally:
        vb.stop()


def cmd_sweep(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    if args.db:
        profile = profile.replace(store=dataclasses.replace(profile.store, database=args.db))
    cycles = args.cycles or profile.cycle.count
    if args.virtual:
        vb, live = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed)
        if vb.batch is None:
            vb.stop()
            raise BenchError(f"{profile.source}: [sim] batch is not set: a virtual sweep needs a batch",
                             where="profile")
        boards = _boards(args.boards, len(vb.batch))
        try:
            return run_sweep(live, boards, cycles, vb.insert_board, quiet=args.quiet)
        finally:
            vb.stop()
    if not args.boards:
        raise BenchError("sweep on a real bench: say how many boards (--boards N or a list)", where="sweep")
    boards = _boards(args.boards, None)

    def ask(k: int) -> None:  # the PSU output is off between boards (each run ends safe)
        print(f"\nput board {k} on the bench and press Enter (Ctrl-C ends the sweep) ",
              end="", file=sys.stderr, flush=True)
        if sys.stdin.readline() == "":
            raise BenchError("no answer on stdin: the sweep stops", where="sweep")
    return run_sweep(profile, boards, cycles, ask, quiet=args.quiet)


def _boards(text: str | None, size: int | None) -> list[int]:
    """'25' (boards 1..25), '3,7,9' or '5-12'; every board of the batch when None."""
    if not text:
        return list(range(1, (size or 0) + 1))
    try:
        if text.isdigit() and "," not in text:
            boards = list(range(1, int(text) + 1))
        else:
            boards = []
            for part in text.split(","):
                lo, _, hi = part.partition("-")
                boards += list(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise BenchError(f"--boards {text!r}: expected N, a list (3,7,9) or a range (5-12)",
                         where="sweep") from None
    bad = [k for k in boards if k < 1 or (size is not None and k > size)]
    if bad or not boards:
        raise BenchError(f"--boards {text!r}: board {bad[0] if bad else '?'} is not in the batch"
                         + (f" (boards 1..{size})" if size else ""), where="sweep")
    return boards


def register(sub: Any) -> None:
    sp = sub.add_parser("sweep", help="the loop on one board after another, then the boards compared")
    sp.add_argument("--profile", required=True)
    sp.add_argument("--boards", help="N (boards 1..N), a list 3,7,9 or a range 5-12 "
                                     "(virtual: default every board of the batch)")
    sp.add_argument("--cycles", type=int, help="cycles per board (default: the profile's count)")
    sp.add_argument("--db", help="results database: a file or postgresql://USER@HOST:PORT/DB")
    sp.add_argument("--virtual", action="store_true", help="sweep the profile's virtual batch")
    sp.add_argument("-q", "--quiet", action="store_true", help="no line per board")
    scenario_args(sp)
    sp.set_defaults(func=cmd_sweep)
