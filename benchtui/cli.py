"""Command-line entry: demo | tui | run | report | export | sim | check.

Errors from the project's exception tree are printed here, as one line, and nowhere else.
This is the only module outside `sim/` that starts the virtual bench (for `demo`, `sim` and
`run --virtual`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .errors import BenchError
from .profile import Profile, load_profile

DEMO_PROFILE = Path(__file__).resolve().parent.parent / "profiles" / "demo-stm32f767.toml"

EXIT_OK, EXIT_FAILURES, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


# ---------------------------------------------------------------------------------------------
# The virtual bench
# ---------------------------------------------------------------------------------------------

def start_virtual_bench(profile: Profile, *, serve_probe: bool = False, free_ports: bool = True,
                        scenario: str | None = None, seed: int | None = None,
                        state_file: str | None = None) -> tuple[Any, Profile]:
    """Start the profile's virtual bench in this process; return it and the profile rewired to it.

    With `free_ports` the instruments listen on free localhost ports and the twin is reached
    in-process through the pyOCD probe plugin; otherwise the `[sim]` ports are used and the twin
    is served with pyOCD's DebugProbeServer as well (for clients in other processes).
    """
    from .sim.bench import VirtualBench
    from .sim.firmware import ensure_test_firmware

    sim = profile.sim
    if sim is None:
        raise BenchError(f"{profile.source}: has no [sim] section: it describes a real bench",
                         where="profile")
    if profile.target.firmware:
        ensure_test_firmware(profile.target.firmware)
    vb = VirtualBench(
        scenario=scenario or sim.scenario, seed=sim.seed if seed is None else seed,
        time_scale=sim.time_scale, variant=sim.variant, psu_model=sim.psu_model,
        scope_model=sim.scope_model, host=sim.host,
        psu_port=0 if free_ports else sim.psu_port, scope_port=0 if free_ports else sim.scope_port,
        probe_port=0 if free_ports else sim.probe_port, serve_probe=serve_probe or not free_ports,
        state_file=state_file or sim.state_file)
    vb.start()
    rewired = profile.replace(
        psu=dataclasses.replace(profile.psu, resource=vb.psu_resource),
        scope=dataclasses.replace(profile.scope, resource=vb.scope_resource),
        target=dataclasses.replace(profile.target, probe_uid=vb.probe_uid if free_ports
                                   else vb.remote_uid),
        sim=dataclasses.replace(sim, scenario=vb.scenario, seed=vb.seed))
    return vb, rewired


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile or DEMO_PROFILE)
    vb, profile = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed)
    try:
        return _run_tui(profile)
    finally:
        vb.stop()


def cmd_tui(args: argparse.Namespace) -> int:
    return _run_tui(load_profile(args.profile))


def _run_tui(profile: Profile) -> int:
    from .tui.app import BenchApp

    BenchApp(profile).run()
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Headless loop with a live progress line; Ctrl-C stops cleanly."""
    from .bench.engine import CycleEngine
    from .bench.session import BenchSession
    from .bench.progress import ProgressLine

    profile = load_profile(args.profile)
    vb = None
    if args.virtual:
        vb, profile = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed)
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


def cmd_report(args: argparse.Namespace) -> int:
    from .bench.analysis import analyse
    from .bench.report import format_report, report_json
    from .bench.store import ResultsStore

    with ResultsStore(args.database, readonly=True) as store:
        runs = store.runs()
        if not runs:
            raise BenchError(f"{args.database}: no runs recorded", where="store")
        run = next((r for r in runs if r.id == args.run), None) if args.run else runs[-1]
        if run is None:
            raise BenchError(f"{args.database}: no run {args.run} (runs: "
                             f"{', '.join(str(r.id) for r in runs)})", where="store")
        analysis = analyse(store.feature_matrix(run.id))
    if args.json:
        print(json.dumps(report_json(analysis, run), indent=2, default=str))
    else:
        print(format_report(analysis, run))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .bench.export import export_csv, export_jsonl, export_waveforms
    from .bench.store import ResultsStore

    with ResultsStore(args.database, readonly=True) as store:
        runs = store.runs()
        if not runs:
            raise BenchError(f"{args.database}: no runs recorded", where="store")
        run_id = args.run or runs[-1].id
        out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
        try:
            (export_csv if args.format == "csv" else export_jsonl)(store, run_id, out)
        finally:
            if args.out:
                out.close()
        if args.waveforms:
            n = export_waveforms(store, run_id, args.waveforms)
            print(f"wrote {n} waveform files to {args.waveforms}", file=sys.stderr)
    return EXIT_OK


def cmd_sim(args: argparse.Namespace) -> int:
    """Serve the virtual bench on the profile's [sim] ports until Ctrl-C."""
    profile = load_profile(args.profile)
    vb, rewired = start_virtual_bench(profile, free_ports=False, scenario=args.scenario,
                                      seed=args.seed, state_file=args.state_file)
    if not args.off:
        vb.front_panel_on(profile.psu.voltage, profile.psu.current_limit)
    print(f"virtual bench: scenario {vb.scenario}, seed {vb.seed}, STM32F767{vb.variant.upper()} twin")
    print(f"  PSU    {rewired.psu.resource}")
    print(f"  scope  {rewired.scope.resource}")
    print(f"  probe  {vb.remote_uid}   (pyocd ... -u {vb.remote_uid} -t stm32f767zi)")
    print(f"  board  {'unpowered' if args.off else f'powered: PSU CH1 ON at {profile.psu.voltage} V'}")
    print("Ctrl-C stops.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        vb.stop()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .devices.check import check_instruments, check_target

    profile = load_profile(args.profile)
    vb = None
    if args.virtual:
        vb, profile = start_virtual_bench(profile)
    try:
        results = list(check_instruments(profile)) + [check_target(profile)]
    finally:
        if vb is not None:
            vb.stop()
    for r in results:
        mark = "ok  " if r.ok else "FAIL"
        print(f"{mark} {r.name:<6} {r.resource}")
        print(f"     {r.identity or ''}{' — ' if r.identity and r.detail else ''}{r.detail or ''}")
    psu, probe = results[0], results[-1]
    if psu.ok and "output OFF" in (psu.detail or "") and not probe.ok:
        print("hint: the PSU output is OFF, so the target is unpowered: switch it on "
              "(benchtui console: o) and check again")
    return EXIT_OK if all(r.ok for r in results) else EXIT_ERROR


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="benchtui", description=(
        "Bench console for STM32 boards: flash over pyOCD, SCPI PSU and scope, power-cycle loops."))
    p.add_argument("--version", action="version", version=f"benchtui {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log to stderr (-v info, -vv debug incl. every SCPI exchange)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def scenario_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--scenario", help="virtual bench fault scenario (default: the profile's)")
        sp.add_argument("--seed", type=int, help="virtual bench random seed")

    sp = sub.add_parser("demo", help="the console on the virtual bench (simulated PSU, scope, STM32F767)")
    sp.add_argument("--profile", help=f"a profile with a [sim] section (default {DEMO_PROFILE.name})")
    scenario_args(sp)
    sp.set_defaults(func=cmd_demo)

    sp = sub.add_parser("tui", help="the console on a bench described by a profile")
    sp.add_argument("--profile", required=True)
    sp.set_defaults(func=cmd_tui)

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

    sp = sub.add_parser("report", help="ranked correlation report of a recorded run")
    sp.add_argument("database")
    sp.add_argument("--run", type=int, help="run id (default: the latest)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_report)

    sp = sub.add_parser("export", help="export a recorded run (one row per cycle)")
    sp.add_argument("database")
    sp.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    sp.add_argument("--run", type=int, help="run id (default: the latest)")
    sp.add_argument("--out", help="output file (default: stdout)")
    sp.add_argument("--waveforms", metavar="DIR", help="also write every capture to DIR")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("sim", help="serve the virtual bench on the profile's [sim] ports")
    sp.add_argument("--profile", default=str(DEMO_PROFILE))
    sp.add_argument("--state-file", help="keep the twin's flash and option bytes across restarts")
    sp.add_argument("--off", action="store_true",
                    help="leave the simulated PSU output off (default: on at the profile's setpoint)")
    scenario_args(sp)
    sp.set_defaults(func=cmd_sim)

    sp = sub.add_parser("check", help="connect to every instrument and the probe, print identity and state")
    sp.add_argument("--profile", required=True)
    sp.add_argument("--virtual", action="store_true", help="check against the profile's virtual bench")
    sp.set_defaults(func=cmd_check)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        return args.func(args)
    except BenchError as exc:
        print(f"benchtui: {exc.one_line()}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("benchtui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
