"""The console's shmoo tab on the virtual bench (brownout): the grid fills in as cells run,
coloured by failure rate, and ends with the boundary drawn in VDD where the scenario puts it."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from benchtui.tui.app import BenchApp
from benchtui.tui.shmoo_view import grid_text, rate_style

from .conftest import connected, on_screen, wait_for

pytestmark = pytest.mark.slow
SHMOO_WAIT_S = 150.0


async def test_shmoo_tab_fills_in_live_and_draws_the_brownout_edge(bench_factory):
    vb, profile = bench_factory("brownout", seed=5, trigger_timeout_s=0.5, on_settle_s=0.01)
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("7")
        await on_screen(pilot, "no shmoo yet", "the shmoo tab")
        app.query_one("#shmoo-x", Input).value = "psu.voltage=3.0:3.6:0.1"
        app.query_one("#shmoo-y", Input).value = "cycle.off_s=0.01,0.05"
        app.query_one("#shmoo-cycles", Input).value = "10"
        await pilot.press("h")
        view = app.state.shmoo
        # live: the first cell's rate is on screen while the shmoo still runs
        await wait_for(pilot, lambda: view.running and any(t.cycles for t in view.tallies.values()),
                       "a first cell", SHMOO_WAIT_S)
        await on_screen(pilot, lambda rows: any("shmoo" in r and "cells" in r for r in rows), "the status line")
        assert app.loop_running            # the bench is busy: other actions wait
        await wait_for(pilot, lambda: not view.running, "the shmoo to finish", SHMOO_WAIT_S)
        rows = await on_screen(pilot, "boundary along psu.voltage", "the boundary drawn")
        grid_rows = [r for r in rows if r.strip().startswith(("50ms", "10ms"))]
        assert len(grid_rows) == 2 and all("│" in r for r in grid_rows), grid_rows
        # documented: 50 % at 3.24 V; the edge between the 3.0 V and the 3.5 V cells in both rows
        result = view.result()
        for (_, a, b) in result.boundary_along(0).values():
            assert 0 <= a and b <= 5
        # coloured: the 3.0 V cells red, the 3.6 V cells green (as the HTML heat map)
        text = grid_text(view)
        styles = {text.plain[s.start:s.end].strip(): s.style for s in text.spans
                  if text.plain[s.start:s.end].strip().isdigit()}
        assert styles["100"].bgcolor == rate_style(1.0).bgcolor
        assert styles["0"].bgcolor == rate_style(0.0).bgcolor
        assert rate_style(1.0).bgcolor.triplet.red == 255 and rate_style(0.0).bgcolor.triplet.green == 180
