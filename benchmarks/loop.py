"""Cycle wall time: benchtui's engine vs a bare script making the same driver calls in sequence.

Both run in this process against the same virtual bench (time scale 0, healthy board), on the
demo profile with the seed-sized image (or --small for a 48 KB one). The bare script calls the
drivers directly on one thread, stores nothing and computes no features; the engine does
everything it does in a real run (owner threads, events, features, one SQLite commit per
cycle). Prints per-cycle times and the ratio (goal <= 1.10).

    python benchmarks/loop.py [--cycles N] [--small]
    python benchmarks/loop.py --nrst-noise [--cycles N] [--time-scale S]

`--nrst-noise` runs the engine on the nrst-noise scenario instead, in-process and over pyOCD's
probe server, and prints the median wall time of a failing cycle (a core reset mid-erase or
mid-program) against a passing one (goal: failing <= passing x 1.10): a reset must be seen at
once, not after a flash-algorithm timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchtui.bench.engine import CycleEngine
from benchtui.bench.session import BenchSession
from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.devices.firmware import load_firmware
from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.devices.target import TargetLink
from benchtui.profile import load_profile
from benchtui.sim.firmware import write_test_hex


def bare_cycles(profile, cycles: int) -> list[float]:
    """The same driver calls as one engine cycle, in sequence, on this thread."""
    psu, scope = open_psu(profile.psu), open_scope(profile.scope)
    psu.apply(profile.psu.voltage, profile.psu.current_limit)
    scope.setup_channels()
    link = TargetLink(profile.target)
    c = profile.cycle
    times = []
    image = None
    for _ in range(cycles):
        t0 = time.perf_counter()
        psu.set_output(False)
        time.sleep(c.off_s)
        scope.arm(profile.scope.power_up)
        psu.set_output(True)
        time.sleep(c.on_settle_s)
        psu.read()
        if scope.wait_for_trigger(c.trigger_timeout_s):
            scope.fetch_all()
        link.connect()
        if image is None:
            image = load_firmware(profile.target.firmware, aliases=profile.target.aliases,
                                  flash=link.flash_regions())
        link.read_option_bytes()
        scope.arm(profile.scope.fault_catch)
        link.erase(link.sectors_for(image))
        psu.read()
        link.program(image)
        link.verify(image)
        if scope.wait_for_trigger(0.0):
            scope.fetch_all()
        else:
            scope.stop()
        link.disconnect()
        times.append(time.perf_counter() - t0)
    psu.safe_state()
    psu.close()
    scope.close()
    return times


async def engine_cycles(profile, cycles: int) -> list[float]:
    stamps: list[float] = []

    def on_event(event) -> None:
        if type(event).__name__ in ("CycleStarted", "CycleFinished"):
            stamps.append(time.perf_counter())

    session = BenchSession(profile)
    await session.open()
    engine = CycleEngine(session, on_event=on_event)
    await engine.run(cycles)
    await session.close()
    return [stamps[i + 1] - stamps[i] for i in range(0, len(stamps) - 1, 2)]


VERBOSE = "-v" in sys.argv


async def scenario_cycles(profile, cycles: int) -> list[tuple[float, bool, str]]:
    """(wall seconds, passed, failed step) of each engine cycle."""
    starts: dict[int, float] = {}
    out: list[tuple[float, bool, str]] = []

    def on_event(event) -> None:
        name = type(event).__name__
        if name == "CycleStarted":
            starts[event.index] = time.perf_counter()
        elif name == "CycleFinished":
            r = event.record
            out.append((time.perf_counter() - starts[r.index], r.passed, r.failed_step or ""))
            if VERBOSE and not r.passed:
                print(f"    cycle {r.index}: {out[-1][0] * 1000:.0f} ms, {r.failed_step}: "
                      f"{r.error_class}: {(r.error_text or '')[:160]}")

    session = BenchSession(profile)
    await session.open()
    await CycleEngine(session, on_event=on_event).run(cycles)
    await session.close()
    return out


def nrst_noise(args) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        firmware = write_test_hex(Path(tmp) / "fw.hex", **({"size": 48 * 1024} if args.small else {}))
        profile = load_profile(DEMO_PROFILE)
        profile = profile.replace(
            target=dataclasses.replace(profile.target, firmware=str(firmware)),
            store=dataclasses.replace(profile.store, database=str(Path(tmp) / "bench.db")),
            sim=dataclasses.replace(profile.sim, time_scale=args.time_scale))
        for label, served in (("in-process probe plugin", False), ("TCP probe server", True)):
            vb, live = start_virtual_bench(profile, scenario="nrst-noise", seed=5, serve_probe=served)
            if served:
                live = live.replace(target=dataclasses.replace(live.target, probe_uid=vb.remote_uid))
            try:
                rows = asyncio.run(scenario_cycles(live, args.cycles))
            finally:
                vb.stop()
            passing = [t for t, ok, _ in rows if ok]
            failing = [t for t, ok, step in rows if not ok and step in ("erase", "program", "verify")]
            print(f"[{label}] nrst-noise, {len(rows)} cycles, time scale {args.time_scale:g}: "
                  f"{len(passing)} passed, {len(failing)} failed in erase/program/verify")
            if passing:
                print(f"  passing cycle : median {statistics.median(passing) * 1000:8.1f} ms")
            if failing:
                print(f"  failing cycle : median {statistics.median(failing) * 1000:8.1f} ms "
                      f"(max {max(failing) * 1000:.1f} ms)")
            if passing and failing:
                ratio = statistics.median(failing) / statistics.median(passing)
                print(f"  ratio failing/passing = {ratio:.3f} (goal <= 1.10)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--small", action="store_true", help="48 KB image instead of the seed's 689 KB")
    ap.add_argument("--nrst-noise", action="store_true", help="failing vs passing cycle on nrst-noise")
    ap.add_argument("--time-scale", type=float, default=0.0, help="twin time scale for --nrst-noise")
    ap.add_argument("-v", action="store_true", help="--nrst-noise: print each failing cycle")
    args = ap.parse_args()
    if args.nrst_noise:
        return nrst_noise(args)
    with tempfile.TemporaryDirectory() as tmp:
        firmware = write_test_hex(Path(tmp) / "fw.hex", **({"size": 48 * 1024} if args.small else {}))
        profile = load_profile(DEMO_PROFILE)
        profile = profile.replace(
            target=dataclasses.replace(profile.target, firmware=str(firmware)),
            store=dataclasses.replace(profile.store, database=str(Path(tmp) / "bench.db")))
        vb, live = start_virtual_bench(profile, scenario="healthy")
        try:
            results = {}
            for round_ in range(2):  # interleave to share the machine's noise fairly
                results.setdefault("bare", []).extend(bare_cycles(live, args.cycles))
                results.setdefault("engine", []).extend(asyncio.run(engine_cycles(live, args.cycles)))
        finally:
            vb.stop()
    bare, engine = statistics.median(results["bare"]), statistics.median(results["engine"])
    print(f"image {'48 KB' if args.small else '689 KB'}, {2 * args.cycles} cycles each, time scale 0")
    print(f"bare driver script : median {bare * 1000:8.1f} ms/cycle")
    print(f"benchtui engine    : median {engine * 1000:8.1f} ms/cycle")
    print(f"ratio engine/bare  : {engine / bare:.3f}  (goal <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
