"""`run`: the loop headless, with a live progress line; Ctrl-C stops cleanly."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
from typing import Any

from ..errors import BenchError
from ..profile import load_profile
from .common import (
    EXIT_ERROR,
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    scenario_args,
    start_virtual_bench,
)


def cmd_run(args: argparse.Namespace) -> int:
    """Headless loop with a live progress line; Ctrl-C stops cleanly."""
    from ..bench.engine import CycleEngine
    from ..bench.progress import ProgressLine
    from ..bench.session import BenchSession

    profile = load_profile(args.profile)
    vb = None
    if args.virtual:
        vb, profile = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed,
                                          board=args.board)
    if args.db:
        profile = profile.replace(store=dataclasses.replace(profile.store, database=args.db))
    line = ProgressLine(sys.stderr, quiet=args.quiet)

    async def main() -> Any:
        session = BenchSession(profile, on_event=line.handle)
        await session.open()
        st = session.state
        if not (st.psu_connected and st.scope_connected):
            await session.close()
            errors = [e for e in (st.psu_error, st.scope_error) if e]
            missing = " and the ".join(n for n, e in (("PSU", st.psu_error), ("scope", st.scope_error)) if e)
            why = "; ".join(errors) if args.quiet else "see above"
            raise BenchError(f"cannot run the loop without the {missing} ({why})", where="bench")
        engine = CycleEngine(session, on_event=line.handle)
        if args.stop_on_failure:
            engine.stop_on_failure = True
        line.engine = engine
        try:
            return await engine.run(args.cycles)
        finally:
            await session.close()

    def first_interrupt() -> None:
        line.interrupted = True
        if line.engine is not None:
            line.engine.stop()

    try:
        summary = _run_interruptible(main(), first_interrupt)
    finally:
        line.close()
        if vb is not None:
            vb.stop()
    print(f"run {summary.id}: {summary.cycles} cycles, {summary.failures} failed, "
          f"status {summary.status}; database {profile.store.database}")
    if summary.status == "stopped" and line.interrupted:
        return EXIT_INTERRUPTED
    if summary.status == "error":
        return EXIT_ERROR
    return EXIT_FAILURES if summary.failures else EXIT_OK


def _run_interruptible(coro: Any, on_first_interrupt: Any) -> Any:
    """Run a coroutine; the first Ctrl-C asks it to stop cleanly, the second cancels it."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(coro)
    count = 0

    def on_sigint(*_: Any) -> None:
        nonlocal count
        count += 1
        print("\nbenchtui: stopping after the current step (Ctrl-C again to abort)", file=sys.stderr)
        loop.call_soon_threadsafe(on_first_interrupt if count == 1 else task.cancel)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        signal.signal(signal.SIGINT, previous)
        loop.close()


def register(sub: Any) -> None:
    sp = sub.add_parser("run", help="run the power-cycle / flash / measure loop headless")
    sp.add_argument("--profile", required=True)
    sp.add_argument("--cycles", type=int, help="number of cycles (0 = until Ctrl-C; default: profile)")
    sp.add_argument("--db", help="results database (default: the profile's store.database)")
    sp.add_argument("--stop-on-failure", action="store_true")
    sp.add_argument("--virtual", action="store_true",
                    help="start the profile's virtual bench in this process first")
    sp.add_argument("-q", "--quiet", action="store_true", help="no live progress line")
    scenario_args(sp)
    sp.set_defaults(func=cmd_run)
