"""`run`: the loop headless, with a live progress line.

Ctrl-C: the first stops after the current step; the second aborts: the PSU is switched off at
once and the process exits within ABORT_EXIT_S whatever the instruments are doing (a driver
thread stuck in a read does not hold it). If the PSU cannot confirm "output off", this says so
on the terminal, naming the instrument, even with --quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
import threading
from typing import Any

from ..bench.sequential import DEFAULT_MAX_CYCLES
from ..errors import BenchError
from ..profile import load_profile
from ..text import printable
from .common import (
    DEMO_PROFILE,
    EXIT_ERROR,
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    scenario_args,
    start_virtual_bench,
)

#: After the second Ctrl-C the process is gone within this many seconds, whatever happens.
ABORT_EXIT_S = 2.0


def _say(text: str) -> None:
    """A line the user must see (not subject to --quiet)."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def cmd_run(args: argparse.Namespace) -> int:
    """Headless loop with a live progress line; Ctrl-C stops cleanly, twice aborts."""
    from ..bench.engine import CycleEngine
    from ..bench.progress import ProgressLine
    from ..bench.safety import require_confirmation
    from ..bench.session import BenchSession

    if args.cycles is not None and args.cycles < 1:
        raise BenchError(f"--cycles {args.cycles}: the number of cycles must be at least 1 "
                         "(use --until-stopped to run until Ctrl-C)", where="run")
    if args.max_cycles is not None and not args.until_diagnosed:
        raise BenchError("--max-cycles goes with --until-diagnosed (for a fixed run use --cycles)", where="run")
    if args.max_cycles is not None and args.max_cycles < 1:
        raise BenchError(f"--max-cycles {args.max_cycles}: must be at least 1", where="run")
    if args.profile is None and not args.virtual:
        raise BenchError("say which bench: --profile P (or --virtual for the demo's virtual bench)",
                         where="run")
    profile = load_profile(args.profile or DEMO_PROFILE)
    # A step that destroys something every cycle: refused before anything is touched, unless --yes.
    destructive = require_confirmation(profile, args.yes, "add --yes to confirm")
    vb = None
    if args.virtual:
        vb, profile = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed,
                                          board=args.board)
    if args.db:
        profile = profile.replace(store=dataclasses.replace(profile.store, database=args.db))
    line = ProgressLine(sys.stderr, quiet=args.quiet)
    cycles = 0 if args.until_stopped else args.cycles  # the engine's 0 = until stopped

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
        if line.interrupted:  # Ctrl-C while connecting: nothing was switched on, do not start
            await session.close()
            return None
        engine = CycleEngine(session, on_event=line.handle)
        if args.stop_on_failure:
            engine.stop_on_failure = True
        if destructive:
            engine.confirm_destructive("--yes")
        if args.until_diagnosed:
            engine.until_diagnosed(args.max_cycles or DEFAULT_MAX_CYCLES)
        line.engine = engine
        try:
            return await engine.run(cycles)
        finally:
            if not engine.aborted:  # aborting: the engine did the safe state; just leave
                await session.close()

    def first_interrupt() -> None:
        line.interrupted = True
        if line.engine is not None:
            line.engine.stop()

    def abort() -> None:
        line.interrupted = True
        if line.engine is not None:
            line.engine.abort()

    def last_words() -> None:
        """What the user must know if the process is cut off at the abort deadline."""
        engine = line.engine
        if engine is not None and not engine.safe_state_confirmed:
            _say("benchtui: WARNING: " + (engine.safe_state_failed or
                 f"PSU {profile.psu.resource}: output OFF not confirmed before exit; its output "
                 "may still be ON: switch it off at the instrument"))

    summary = None
    try:
        summary = _run_interruptible(main(), first_interrupt, abort, last_words)
    except KeyboardInterrupt:
        summary = line.engine.summary if line.engine is not None else None
        if summary is None:
            raise
    finally:
        line.close()
        engine = line.engine
        if engine is not None and engine.safe_state_failed:
            _say(f"benchtui: WARNING: {engine.safe_state_failed}")
        if vb is not None:
            vb.stop()
    if summary is None:
        _say("benchtui: interrupted before the loop started; nothing was switched on")
        return EXIT_INTERRUPTED
    print(printable(f"run {summary.id}: {summary.cycles} cycles, {summary.failures} failed, "
                    f"status {summary.status}; database {profile.store.database}"))
    watch = line.engine.watch if line.engine is not None else None
    if watch is not None and watch.diagnosis is not None:
        when = (f"settled after {watch.settled_at} cycles" if watch.settled_at is not None else
                f"not settled within {len(watch.records)} cycles")
        print(printable(f"{when}: {watch.diagnosis.verdict}"))
    if line.engine is not None and line.engine.fatal is not None:
        _say(f"benchtui: run stopped: {line.engine.fatal.one_line()}")
    if summary.status == "stopped" and line.interrupted:
        return EXIT_INTERRUPTED
    if summary.status == "error":
        return EXIT_ERROR
    return EXIT_FAILURES if summary.failures else EXIT_OK


def _run_interruptible(coro: Any, on_first: Any, on_abort: Any, last_words: Any) -> Any:
    """Run a coroutine; the first Ctrl-C asks it to stop cleanly, the second aborts it and arms
    a watchdog that ends the process ABORT_EXIT_S later if it is still alive; a third ends it now."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(coro)
    count = 0

    def hard_exit() -> None:
        last_words()
        _say("benchtui: aborted")
        os._exit(EXIT_INTERRUPTED)

    def on_sigint() -> None:
        nonlocal count
        count += 1
        if count == 1:
            _say("\nbenchtui: stopping after the current step (Ctrl-C again to abort)")
            on_first()
        elif count == 2:
            _say(f"\nbenchtui: aborting: PSU output off, exit within {ABORT_EXIT_S:g} s")
            watchdog = threading.Timer(ABORT_EXIT_S, hard_exit)
            watchdog.daemon = True
            watchdog.start()

            def cancel() -> None:
                on_abort()
                if not task.done():
                    task.cancel()
            cancel()
        else:
            hard_exit()

    # The loop's own signal handling (a wakeup fd): the Ctrl-C wakes the loop whichever thread
    # the kernel handed it to, even while the loop waits on a driver thread with no timer due.
    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.close()


def register(sub: Any) -> None:
    sp = sub.add_parser("run", help="run the power-cycle / flash / measure loop headless")
    sp.add_argument("--profile", help="the bench's profile: a file or a bundled name "
                    f"(default with --virtual: {DEMO_PROFILE.stem})")
    how_long = sp.add_mutually_exclusive_group()
    how_long.add_argument("--cycles", type=int, help="number of cycles, at least 1 (default: the profile's)")
    how_long.add_argument("--until-stopped", action="store_true", help="run until Ctrl-C")
    how_long.add_argument("--until-diagnosed", action="store_true",
                          help="stop as soon as the diagnosis is settled (tested after every cycle under "
                               "an alpha-spending plan, so looking often does not inflate the error)")
    sp.add_argument("--max-cycles", type=int,
                    help=f"with --until-diagnosed: at most this many cycles (default {DEFAULT_MAX_CYCLES})")
    sp.add_argument("--db", help="results database (default: the profile's store.database)")
    sp.add_argument("--stop-on-failure", action="store_true")
    sp.add_argument("--yes", action="store_true",
                    help='confirm destructive steps the profile repeats every cycle (target.erase = "chip")')
    sp.add_argument("--virtual", action="store_true",
                    help="start the profile's virtual bench in this process first")
    sp.add_argument("-q", "--quiet", action="store_true", help="no live progress line")
    scenario_args(sp)
    sp.set_defaults(func=cmd_run)
