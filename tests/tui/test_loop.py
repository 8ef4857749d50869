"""Pilot tests of the loop: a short run on a fault scenario, pause/resume, results, a lost instrument."""

from __future__ import annotations

import gc

import pytest
from textual.widgets import DataTable, Input, Switch

from benchtui.tui.app import BenchApp
from benchtui.tui.dialogs import TextScreen
from benchtui.tui.widgets import StripPlot

from .conftest import connected, log_has, log_lines, on_screen, screen_text, wait_for

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

LOOP_WAIT_S = 60.0


async def start_loop(pilot, app, cycles: int):
    await wait_for(pilot, lambda: connected(app), "instruments")
    app.query_one("#cycles", Input).value = str(cycles)
    await pilot.press("l")
    # The start's log line lasts; `app.engine` is set only while the loop runs.
    await wait_for(pilot, lambda: log_has(app, "run loop: "), "the loop to start")
    return app.state.loop


async def wait_for_line(pilot, app, text: str) -> str:
    """Wait for a log line containing `text`; return it."""
    await wait_for(pilot, lambda: log_has(app, text), repr(text))
    return next(line for line in log_lines(app) if text in line)


async def test_fault_scenario_loop_ranks_a_feature_and_lists_the_run(bench_factory):
    """The loop tab's diagnose switch: run until the diagnosis is settled (vcap-marginal settles in
    14-20 cycles; a fixed 12 can still be 'not enough yet', depending on the host's timing), then
    the part and what to do on screen, the run in the results tab and its report."""
    vb, profile = bench_factory("vcap-marginal", seed=2)
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        app.query_one("#until-diagnosed", Switch).value = True
        loop = await start_loop(pilot, app, 40)          # at most 40 cycles
        await wait_for(pilot, lambda: app.engine is None and loop.analysis is not None and not app.analysing,
                       "the loop to settle", 3 * LOOP_WAIT_S)
        n = len(loop.records)
        assert 10 <= n < 40, n
        # a landed cycle is one object for the garbage collector: its values dict holds only
        # numbers (untracked), the full record stays in the store
        assert not any(gc.is_tracked(r.values) for r in loop.records)
        # full collections ran as callbacks of their own (after cycles), not from an allocation
        assert app.heap.holding and app.heap.collections >= 1, app.heap.collections
        await wait_for(pilot, lambda: app.query_one("#cycles-table", DataTable).row_count == n, f"{n} rows")
        failed = [r for r in loop.records if not r.passed]
        assert failed and len(failed) < n, "the scenario gives passing and failing cycles"
        text = "\n".join(await on_screen(pilot, f"correlation (ranked, {n} cycles)", "the correlation drawn"))
        # the diagnosis in hardware terms, as `benchtui report` gives it: the part and what to do
        assert loop.diagnosis is not None and loop.diagnosis.items and loop.diagnosis.settled
        assert "likely the VCAP1" in text or "point at the VCAP1" in text, text
        assert "next: " in text
        assert loop.analysis.findings, "a feature separates passing from failing cycles"
        top = loop.analysis.findings[0]
        assert top.feature.split(".", 1)[-1][:12] in text or top.feature in text
        assert app.query_one(StripPlot).points, "the top feature is plotted"
        status = screen_text(app)[0]
        assert f"cycles {n} ✓{n - len(failed)} ✗{len(failed)}" in status
        # the run is in the results tab and its report opens
        await pilot.press("5")
        await wait_for(pilot, lambda: app.state.results.runs, "the run list")
        app.query_one("#runs-table", DataTable).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), "the report")
        report = screen_text(app)
        assert any("failed" in line.lower() for line in report)
        assert any("verdict:" in line and "VCAP1" in line for line in report), report
        await pilot.press("escape")


async def test_pause_and_resume(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        loop = await start_loop(pilot, app, 0)
        await pilot.press("space")
        assert app.engine.paused
        await on_screen(pilot, lambda rows: "loop PAUSED" in rows[0], "the status bar to say PAUSED")
        # The step in progress finishes; then the engine holds before the next one (and says so).
        held = await wait_for_line(pilot, app, "paused: holding before ")
        cycle = int(held.rsplit(" ", 1)[1])
        assert all(r.index < cycle for r in loop.records), "the held cycle is not over"
        await pilot.press("space")
        assert not app.engine.paused
        await wait_for(pilot, lambda: any(r.index == cycle for r in loop.records),
                       "the held cycle to finish after resuming", LOOP_WAIT_S)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.engine is None, "the loop to stop", LOOP_WAIT_S)
        assert log_has(app, "stop requested")


async def test_instruments_disappearing_mid_loop_end_the_run_in_words(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        loop = await start_loop(pilot, app, 0)
        await wait_for(pilot, lambda: len(loop.records) >= 1, "a first cycle", LOOP_WAIT_S)
        vb.instruments.stop()  # the PSU and scope servers go away mid-run
        await wait_for(pilot, lambda: app.engine is None, "the run to end", LOOP_WAIT_S)
        assert app.is_running, "the console survives"
        st = app.session.state
        assert st.psu_error or st.scope_error
        status = screen_text(app)[1]
        assert "✗ PSU lost" in status or "✗ scope lost" in status, "a lost instrument reads as lost, with a symbol"
        assert app.last_problem and app.last_problem.split(":")[0] in ("PSU", "scope"), \
            "the last problem names the lost instrument"
        assert log_has(app, app.last_problem.split(": ", 1)[1][:40])
        # The run's end reaches the loop tab as an event after the engine is gone: wait for it
        # (asserting at once raced with its delivery on a loaded machine).
        await wait_for(pilot, lambda: "finished: error" in str(app.query_one("#loop-status").render()),
                       "the loop tab to say the run finished in error")
