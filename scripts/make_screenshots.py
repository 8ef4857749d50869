"""Make the README's screenshots (SVG) of the console's main screens from the virtual bench.

    python scripts/make_screenshots.py [--out screenshots] [--size 120x36]

Starts the demo profile's virtual bench (vcap-marginal scenario, seed 2) on free ports, drives the app
headless with Textual's Pilot the way a user would (keys only), and saves one SVG per screen; the
shmoo tab is shot on a brownout bench of its own (its edge is in VDD), with a small grid.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.profile import load_profile
from benchtui.tui.app import BenchApp
from benchtui.tui.cycle_view import CycleScreen
from benchtui.tui.panels import ScopePanel

SHOTS = ("power", "target", "scope", "loop", "cycle", "results", "help", "overview", "overview-80x24",
         "shmoo")
#: The shmoo screenshot's grid: brownout's edge in VDD, at two off-times.
SHMOO_X, SHMOO_Y, SHMOO_CYCLES = "psu.voltage=3.0:3.6:0.1", "cycle.off_s=0.01,0.05", "6"


async def until(pilot, condition, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"make_screenshots: timed out waiting for {what}")
        await pilot.pause(0.05)


async def shoot(profile, out: Path, size: tuple[int, int], cycles: int) -> list[str]:
    app = BenchApp(profile)
    saved = []

    def save(name: str) -> None:
        saved.append(app.save_screenshot(f"{name}.svg", str(out)))

    async with app.run_test(size=size) as pilot:
        st = lambda: app.session is not None and app.session.state  # noqa: E731
        await until(pilot, lambda: st() and st().psu_connected and st().scope_connected, "instruments")
        for _ in range(3):  # a few power-cycles with readbacks between: the V/I history shows them
            await pilot.press("p")
            await pilot.pause(0.2)
            await until(pilot, lambda: "power-cycle" not in app.busy, "power-cycle")
            await pilot.pause(2.2)
        save("power")
        await pilot.press("2", "c")
        await until(pilot, lambda: app.state.target.option_bytes is not None, "option bytes")
        await pilot.pause(0.2)
        save("target")
        await pilot.press("3", "g")
        await until(pilot, lambda: app.query_one(ScopePanel).last is not None, "a capture")
        await pilot.pause(0.2)
        save("scope")
        app.query_one("#cycles").value = str(cycles)
        await pilot.press("l")
        loop = app.state.loop
        await until(pilot, lambda: app.engine is None and len(loop.records) == cycles, "the loop",
                    timeout=60.0 + 30.0 * cycles)
        await until(pilot, lambda: loop.analysis is not None and not app.analysing, "correlation")
        await pilot.pause(0.5)  # the loop tab repaints at most every 0.25 s
        save("loop")
        # Enter on the first failing cycle opens it in full
        failed = next((i for i, r in enumerate(loop.records) if not r.passed), 0)
        table = app.query_one("#cycles-table")
        table.focus()
        table.move_cursor(row=failed)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CycleScreen), "the cycle view")
        await pilot.pause(0.3)
        save("cycle")
        await pilot.press("escape")
        await pilot.press("5")
        await until(pilot, lambda: app.state.results.runs, "the run list")
        await pilot.pause(0.2)
        save("results")
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        save("help")
        await pilot.press("escape", "0")
        await pilot.pause(0.5)
        save("overview")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.5)
        save("overview-80x24")
    return saved


async def shoot_shmoo(profile, out: Path, size: tuple[int, int]) -> str:
    """The shmoo tab (7) once its small grid has run: keys and fields only, as a user would."""
    from textual.widgets import Input

    app = BenchApp(profile)
    async with app.run_test(size=size) as pilot:
        st = lambda: app.session is not None and app.session.state  # noqa: E731
        await until(pilot, lambda: st() and st().psu_connected and st().scope_connected, "instruments")
        await pilot.press("7")
        for field, value in (("#shmoo-x", SHMOO_X), ("#shmoo-y", SHMOO_Y), ("#shmoo-cycles", SHMOO_CYCLES)):
            app.query_one(field, Input).value = value
        await pilot.press("h")
        await until(pilot, lambda: app.state.shmoo.running, "the shmoo to start")
        await until(pilot, lambda: not app.state.shmoo.running, "the shmoo", timeout=600.0)
        await pilot.pause(0.5)  # the tab repaints at most every 0.25 s
        return app.save_screenshot("shmoo.svg", str(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "screenshots"))
    parser.add_argument("--size", default="120x36")
    parser.add_argument("--cycles", type=int, default=12)
    parser.add_argument("--scenario", default="vcap-marginal")
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    profile = load_profile(DEMO_PROFILE)
    vb, live = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            live = live.replace(store=dataclasses.replace(live.store, database=str(Path(tmp) / "shots.db")))
            saved = asyncio.run(shoot(live, out, (width, height), args.cycles))
    finally:
        vb.stop()
    vb, live = start_virtual_bench(profile, scenario="brownout", seed=args.seed)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            live = live.replace(store=dataclasses.replace(live.store, database=str(Path(tmp) / "shmoo.db")),
                                cycle=dataclasses.replace(live.cycle, trigger_timeout_s=0.5))
            saved.append(asyncio.run(shoot_shmoo(live, out, (width, height))))
    finally:
        vb.stop()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
