"""What the engineer reads on each tab after real bench actions: the power tab's V/I history, the
target panel after any connect, the scope tab's violation marks, the loop tab at 80 and 120 columns."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from benchtui.tui.app import BenchApp
from benchtui.tui.dialogs import ConfirmDialog
from benchtui.tui.panels import PowerPanel, ScopePanel
from benchtui.tui.panels.scope import out_of_limit
from benchtui.tui.widgets import PsuHistory

from .conftest import connected, log_has, on_screen, power_on, screen_text, wait_for

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

LOOP_WAIT_S = 60.0


def rows_with(app, text: str) -> list[str]:
    return [row for row in screen_text(app) if text in row]


async def test_power_tab_history_shows_the_power_cycle(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("1")
        history = app.query_one(PsuHistory)
        await pilot.press("o")
        await wait_for(pilot, lambda: history.points and history.points[-1].mode != "OFF", "output on")
        before = len(history.points)
        await pilot.press("p")

        def cycled() -> bool:  # new points: the readback while off, then one at the setpoint again
            points = list(history.points)[before:]
            off = [i for i, p in enumerate(points) if p.mode == "OFF"]
            return bool(off) and any(p.mode in ("CV", "CC") and p.voltage > 3.0 for p in points[off[-1]:])
        await wait_for(pilot, lambda: "power-cycle" not in app.busy and cycled(), "the power-cycle drawn")
        modes = [p.mode for p in history.points]
        off = max(i for i, m in enumerate(modes) if m == "OFF")
        assert history.points[off].voltage < 0.5, "the readback while off is near 0 V"
        # the readback just after the output went on may catch the supply still rising
        assert modes[off + 1] in ("CV", "CC")
        await on_screen(pilot, "V (setpoint 3.3 V)", "the V history")
        assert rows_with(app, "I (limit 0.5 A)")
        assert rows_with(app, "┤"), "the braille plot is on screen at 80x24"


async def test_flash_alone_connects_and_shows_identity_and_option_bytes(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        await power_on(pilot, app)
        await pilot.press("2", "f")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: log_has(app, "verify OK"), "flash + verify")
        assert app.state.target.option_bytes is not None
        text = "\n".join(await on_screen(pilot, "OPTCR", "the option bytes"))
        assert "● STM32F7" in text and "not connected" not in text
        assert "OPTCR" in text and "WRP " in text and "connect (c) to read them" not in text


async def test_connect_button_label_never_truncates(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        await power_on(pilot, app)
        await pilot.press("2", "c")
        await wait_for(pilot, lambda: app.state.target.option_bytes is not None, "connect")
        for size in ((120, 36), (80, 24)):
            await pilot.resize_terminal(*size)
            rows = await on_screen(pilot, "Disconnect c", f"the disconnect button at {size}")
            for label in ("Flash f", "Program…", "Verify", "Erase…", "Mass erase…", "Unprotect…", "Read OB"):
                assert any(label in row for row in rows), f"{label} at {size}"
        button = app.query_one("#connect", Button)
        assert button.content_region.width >= len("Disconnect c")


async def test_power_up_capture_marks_only_real_violations(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("3", "g")
        panel = app.query_one(ScopePanel)
        await wait_for(pilot, lambda: panel.last is not None, "a power-up capture")
        rows = await on_screen(pilot, lambda rows: sum(" min " in row and " V" in row for row in rows) >= 4,
                               "every net's min")
        mins = [row for row in rows if " min " in row and " V" in row]
        assert len(mins) >= 4, "every net shows its min"
        assert not any("✗" in row.split(" min ", 1)[1] for row in mins), \
            "a rail starting at 0 V in a power-up record is not a violation"
    # the same minimum is a violation once the rail was up when the record began (fault catch)
    assert out_of_limit("min", 1.05, 1.1, 1.4, up_at_start=True)
    assert not out_of_limit("min", 0.0, 1.1, 1.4, up_at_start=False)
    assert out_of_limit("dip_depth", 0.2, 1.1, 1.4, up_at_start=False, below_min=3e-6)
    assert not out_of_limit("dip_depth", 0.02, 1.1, 1.4, up_at_start=False, below_min=0.0)
    assert out_of_limit("max", 1.5, 1.1, 1.4, up_at_start=False)


async def test_loop_tab_readable_at_120_and_80_columns(bench_factory):
    vb, profile = bench_factory("vcap-marginal", seed=2)
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        app.query_one("#cycles", Input).value = "3"
        await pilot.press("l")
        loop = app.state.loop
        # a short run on a loaded machine can start and end between two polls
        await wait_for(pilot, lambda: app.engine is not None or loop.records, "the loop to start")
        await wait_for(pilot, lambda: app.engine is None and loop.records, "3 cycles", LOOP_WAIT_S)
        last = loop.records[-1]
        for size in ((120, 36), (80, 24)):
            await pilot.resize_terminal(*size)
            rows = await on_screen(pilot, lambda rows: len(rows) == size[1] and any(
                "cycles finished" in row for row in rows) and any(f"cycle {last.index}:" in row for row in rows),
                f"the finished loop at {size}")
            status = next(row for row in rows if "cycles finished" in row)
            assert "✓" in status and "/min" in status, f"the loop status fits one row at {size}"
            assert any(f"cycle {last.index}:" in row for row in rows), "the highlighted cycle in full"
            header = next(row for row in rows if row.lstrip().startswith("#") and "result" in row)
            assert "error" in header and ("min" in header or "max" in header or "key" in header)
            assert not any("▍" in row or "▉" in row for row in rows), f"no horizontal scrollbar at {size}"
        # power tab: the loop's PSU readbacks feed the history
        await pilot.press("1")
        await wait_for(pilot, lambda: len(app.query_one(PsuHistory).points) >= 3, "the loop's readbacks")
        assert app.query_one(PowerPanel).is_attached
