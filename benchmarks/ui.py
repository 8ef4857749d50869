"""UI responsiveness: time to first frame, and the longest event-loop stall while a cycle runs.

    python benchmarks/ui.py [--cycles 2]

Goals: first frame < 1.5 s (from before the app module is imported, virtual bench excluded and
reported on its own), longest stall < 50 ms while full cycles (power-cycle, captures, connect,
erase, program, verify) run. The stall is measured by a probe task on the app's own loop that
asks to wake every 5 ms and records how late it wakes; an idle-app baseline is measured in the
same run, so the number to compare is the difference.

By default the virtual bench runs in its own process (`benchtui sim`), as real instruments and
a real probe would: the number is then the console's own stall. `--in-process` runs it in the
app's process as `benchtui demo` does; the simulated board, scope and twin then compete with
the event loop for the GIL, which shows up as stalls that are not the console's work.
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

TICK_S = 0.005


class StallProbe:
    """Wakes every TICK_S on the running loop and records how late each wake-up is."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK_S
            await asyncio.sleep(TICK_S)
            self.late.append(loop.time() - due)

    def start(self) -> None:
        self.late = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> tuple[float, float]:
        self._task.cancel()
        late = sorted(self.late) or [0.0]
        return late[-1], late[int(len(late) * 0.99) - 1 if len(late) > 1 else 0]


async def measure(profile, cycles: int, t_import: float) -> dict[str, float]:
    from benchtui.tui.app import BenchApp
    from benchtui.tui.panels import LoopPanel

    t_imported = time.perf_counter()
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        t_first_frame = time.perf_counter()
        while not (app.session.state.psu_connected and app.session.state.scope_connected):
            await pilot.pause(0.02)
        probe = StallProbe()
        probe.start()
        await asyncio.sleep(1.0)
        idle_max, idle_p99 = probe.stop()
        app.query_one("#cycles").value = str(cycles)
        probe.start()
        t0 = time.perf_counter()
        await pilot.press("l")
        loop = app.query_one(LoopPanel)
        while app.engine is not None or len(loop.records) < cycles:
            await asyncio.sleep(0.02)
        run_s = time.perf_counter() - t0
        busy_max, busy_p99 = probe.stop()
    return {"import_s": t_imported - t_import, "first_frame_s": t_first_frame - t_import,
            "idle_max_ms": idle_max * 1e3, "idle_p99_ms": idle_p99 * 1e3,
            "loop_max_ms": busy_max * 1e3, "loop_p99_ms": busy_p99 * 1e3,
            "cycle_s": run_s / cycles}


class SimProcess:
    """`benchtui sim` in a child process; `profile` is rewired to the resources it prints."""

    def __init__(self, profile):
        import subprocess
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchtui.cli", "sim", "--scenario", "healthy", "--off"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen: dict[str, str] = {}
        for line in self.proc.stdout:
            words = line.split()
            if words and words[0] in ("PSU", "scope", "probe"):
                seen[words[0]] = words[1]
            if line.startswith("Ctrl-C"):
                break
        if len(seen) < 3:
            self.stop()
            raise SystemExit(f"benchtui sim did not start: {seen}")
        self.profile = profile.replace(
            psu=dataclasses.replace(profile.psu, resource=seen["PSU"]),
            scope=dataclasses.replace(profile.scope, resource=seen["scope"]),
            target=dataclasses.replace(profile.target, probe_uid=seen["probe"]))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--in-process", action="store_true",
                        help="run the virtual bench in this process (as `benchtui demo` does)")
    args = parser.parse_args()
    from benchtui.cli import DEMO_PROFILE, start_virtual_bench
    from benchtui.profile import load_profile

    t = time.perf_counter()
    if args.in_process:
        vb, live = start_virtual_bench(load_profile(DEMO_PROFILE), scenario="healthy")
    else:
        vb = SimProcess(load_profile(DEMO_PROFILE))
        live = vb.profile
    vb_s = time.perf_counter() - t
    try:
        with tempfile.TemporaryDirectory() as tmp:
            live = live.replace(store=dataclasses.replace(live.store, database=str(Path(tmp) / "b.db")))
            t_import = time.perf_counter()
            r = asyncio.run(measure(live, args.cycles, t_import))
    finally:
        vb.stop()
    where = "in this process" if args.in_process else "own process"
    print(f"virtual bench start          {vb_s * 1e3:8.0f} ms   ({where}; not part of the first frame)")
    print(f"app import                   {r['import_s'] * 1e3:8.0f} ms")
    print(f"start to first frame         {r['first_frame_s'] * 1e3:8.0f} ms   goal < 1500 ms")
    print(f"loop stall, idle app         {r['idle_max_ms']:8.1f} ms max  {r['idle_p99_ms']:6.1f} ms p99 (baseline)")
    print(f"loop stall, {args.cycles} full cycles    {r['loop_max_ms']:8.1f} ms max  {r['loop_p99_ms']:6.1f} ms p99"
          f"   goal < 50 ms")
    print(f"cycle time                   {r['cycle_s']:8.2f} s")
    ok = r["first_frame_s"] < 1.5 and r["loop_max_ms"] < 50
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
