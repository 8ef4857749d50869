"""The console's loop run until diagnosed: it stops by itself once the diagnosis is settled, and
the loop tab, the overview and the report it opens all say the same verdict (the one decision);
a bound (the fault catch that did not fire) reads as a bound."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Switch

from benchtui.bench.report import load_report
from benchtui.bench.store import open_store
from benchtui.tui.app import BenchApp

from .conftest import connected, log_has, on_screen, wait_for

pytestmark = pytest.mark.slow

LOOP_WAIT_S = 120.0


async def test_the_loop_stops_once_diagnosed_and_every_view_says_the_same(bench_factory):
    vb, profile = bench_factory("vcap-marginal", seed=2)
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("4")
        app.query_one("#cycles", Input).value = "40"
        app.query_one("#until-diagnosed", Switch).value = True
        await pilot.press("l")
        await wait_for(pilot, lambda: app.engine is not None, "the loop to start")
        loop = app.state.loop
        await wait_for(pilot, lambda: app.engine is None, "the loop to stop by itself", LOOP_WAIT_S)
        cycles = len(loop.records)
        assert 5 < cycles < 40 and log_has(app, f"settled after {cycles} cycles"), cycles
        await wait_for(pilot, lambda: loop.diagnosis is not None and not app.analysing
                       and loop.analysis.cycles == cycles, "the diagnosis of the last cycle")
        with open_store(profile.store.database, readonly=True) as store:
            report = load_report(store, loop.run_id)
        verdict = report.diagnosis.verdict
        assert report.diagnosis.settled and report.diagnosis.first.part_id == "vcap"
        assert report.analysis.plan is not None and report.analysis.plan.max_cycles == 40
        assert loop.diagnosis.verdict == verdict and loop.diagnosis.rail_signature == report.diagnosis.rail_signature
        head = verdict[:verdict.rfind(" ", 0, 36)]  # the start of the verdict: on one row, however it wraps
        await on_screen(pilot, f"▸ {head}", "the loop tab's verdict")
        await on_screen(pilot, f"look after cycle {cycles} of at most 40", "how it was decided")
        await pilot.press("0")
        await on_screen(pilot, f"verdict: {head}", "the overview's verdict")
        # The fault catch did not fire in the passing cycles: VCAP1 never went below 1.100 V.
        passing = [r for r in loop.records if r.passed]
        assert passing and all(r.text("flash.VCAP1.min") == "≥ 1.100 V" for r in passing)
