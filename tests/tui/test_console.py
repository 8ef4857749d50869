"""The console's findings (issue 11) through the Pilot, on the virtual bench: instruments that
come back, keys with a button focused, one name per action, errors that use what the app knows,
a cycle opened in full, quitting a running loop, saving and exporting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Button, DataTable, Input

from benchtui.sim.instruments import start_instruments
from benchtui.tui.app import BenchApp
from benchtui.tui.cycle_view import CycleScreen
from benchtui.tui.dialogs import ConfirmDialog
from benchtui.tui.keys import COMMANDS, TABS
from benchtui.tui.panels import ScopePanel, TargetPanel

from .conftest import connected, log_has, on_screen, power_on, screen_text, wait_for

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

LOOP_WAIT_S = 60.0


def restart_instruments(vb, psu_port: int, scope_port: int) -> None:
    """The PSU and scope come back on the same ports (switched on again, or restarted)."""
    vb.instruments = start_instruments(vb.board, psu_port=psu_port, scope_port=scope_port)


async def test_instruments_reconnect_on_use_and_from_the_reconnect_key(bench_factory):
    vb, profile = bench_factory()
    ports = vb.instruments.psu_port, vb.instruments.scope_port
    vb.instruments.stop()  # the console starts before the instruments
    app = BenchApp(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        st = app.session.state
        await wait_for(pilot, lambda: st.psu_link == "absent" and st.scope_link == "absent", "both absent")
        await on_screen(pilot, lambda rows: "✗ PSU" in rows[1], "the PSU marked absent")
        restart_instruments(vb, *ports)
        await pilot.press("p")  # retried on use: the power-cycle reconnects the PSU first
        await wait_for(pilot, lambda: log_has(app, "output ON") and st.psu_connected, "power-cycle after retry")
        await on_screen(pilot, lambda rows: "● PSU RIGOL DP832" in rows[1], "the PSU connected")
        vb.instruments.stop()  # now they go away while the console runs
        await pilot.press("o")
        await wait_for(pilot, lambda: st.psu_link == "lost", "the PSU marked lost")
        await on_screen(pilot, lambda rows: "✗ PSU lost" in rows[1], "the PSU lost on the status bar")
        restart_instruments(vb, *ports)
        await pilot.press("r")
        await wait_for(pilot, lambda: connected(app), "both reconnected by r")
        assert log_has(app, "reconnected RIGOL TECHNOLOGIES,DP832")
        await on_screen(pilot, lambda rows: "● PSU RIGOL DP832" in rows[1] and "● scope RIGOL DS1054Z" in rows[1],
                        "both connected on the status bar")


async def test_tab_keys_work_with_a_button_focused_and_every_action_has_one_name(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("5", "tab", "tab")
        assert isinstance(app.focused, Button)
        await pilot.press("6")
        assert app.active_tab == "log" and app.query_one("#log-panel").display
        for key, (tab, _) in zip("0123456", TABS):
            await pilot.press(key)
            assert app.active_tab == tab
            assert app.query_one("#tabs").current == f"{tab}-panel"
            buttons = list(app.query_one(f"#{tab}-panel").query(Button))
            if buttons:
                buttons[0].focus()
        # every button runs an action of the command table and carries its name and key
        names = {c.action: c for c in COMMANDS}
        for b in app.query(Button):
            if b.action:
                action = b.action.removeprefix("app.")
                assert action in names, b.id
                c = names[action]
                assert str(b.label).startswith(c.name.split("/")[0]) and str(b.label).endswith(c.key_label)
        # and the palette finds it by the same name
        for name in ("Program…", "Read OB", "Capture fault-catch", "Reconnect", "Export report"):
            await pilot.press("ctrl+p")
            await pilot.press(*name.lower()[:9])
            await on_screen(pilot, name, f"the palette to offer {name!r}")
            await pilot.press("escape")


async def test_errors_use_what_the_app_knows_and_old_option_bytes_are_not_current(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        assert app.session.state.psu_output is False, "the demo bench starts with the output off"
        await pilot.press("2", "c")
        await wait_for(pilot, lambda: app.last_problem is not None, "the connect error")
        assert "PSU output is off (press o)" in app.last_problem
        assert "try connect mode under-reset" not in app.last_problem
        await pilot.press("o")
        await wait_for(pilot, lambda: app.session.state.psu_output, "output on")
        await pilot.press("c")
        panel = app.query_one(TargetPanel)
        await wait_for(pilot, lambda: app.state.option_bytes_current, "option bytes of the connected target")
        await wait_for(pilot, lambda: "OPTCR1 0x" in str(panel.query_one("#ob").content), "the option bytes drawn")
        drawn = panel.query_one("#ob").content
        # the loop reads the same option bytes every cycle: equal values are not drawn again
        app.option_bytes_read(dataclasses.replace(app.state.target.option_bytes))
        await wait_for(pilot, lambda: not panel.stale, "the target tab's next paint")
        assert panel.query_one("#ob").content is drawn
        await pilot.press("c")  # disconnect: what is shown is now an earlier reading
        await wait_for(pilot, lambda: not app.session.state.target_connected, "disconnect")
        text = "\n".join(await on_screen(pilot, "target not connected now", "the reading marked as earlier"))
        assert "as read at" in text
        assert panel.query_one("#ob").has_class("stale")
        await pilot.press("0")
        await on_screen(pilot, "(at ", "the overview marking the old reading too")


async def test_enter_opens_a_cycle_and_quit_asks_while_the_loop_runs(bench_factory):
    vb, profile = bench_factory("vcap-marginal", seed=2)
    app = BenchApp(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        app.query_one("#cycles", Input).value = "6"
        await pilot.press("l")
        loop = app.state.loop
        await wait_for(pilot, lambda: app.engine is not None, "the loop to start")
        await wait_for(pilot, lambda: app.engine is None, "6 cycles", LOOP_WAIT_S)
        # A failing cycle whose captures went below a limit (below_min > 0 after the rail settled).
        failed = next((r for r in loop.records if not r.passed and any(
            name.endswith(".below_min") and value for name, value in r.values.items())), None)
        assert failed is not None, "vcap-marginal seed 2 fails within 6 cycles, with a dip below the limit"
        table = app.query_one("#cycles-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == len(loop.records), "every cycle in the table")
        table.focus()
        table.move_cursor(row=[r.index for r in loop.records].index(failed.index))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CycleScreen), "the cycle view")
        screen = app.screen
        assert screen.record.index == failed.index
        steps = "\n".join(screen_text(app))
        assert f"cycle {failed.index}: FAIL" in steps
        assert "power-up capture (time from the trigger)" in steps and "ms" in steps
        assert screen.captures.get("power_up"), "the power-up waveforms are read back from the store"
        from benchtui.tui.cycle_view import steps_table
        body = "".join(str(seg.text) for seg in Console(width=110).render(steps_table(screen.record)))
        assert " ".join(failed.error_text.split())[:80] in " ".join(body.split()), "the whole error"
        assert any(screen.marks.values()), "a violation is marked in the features"
        await pilot.press("escape")
        # a running loop: q asks first; n keeps it running
        app.query_one("#cycles", Input).value = "0"
        await pilot.press("l")
        await wait_for(pilot, lambda: app.engine is not None, "a second loop")
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert app.is_running and app.engine is not None
        await pilot.press("s")
        await wait_for(pilot, lambda: app.engine is None, "the loop to stop", LOOP_WAIT_S)
        # results: export the report; the notice names the file
        await pilot.press("5")
        await wait_for(pilot, lambda: app.query_one("#runs-table", DataTable).row_count == 2, "two runs")
        await pilot.press("x")
        await wait_for(pilot, lambda: log_has(app, "saved to"), "the export notice")
        report = Path(profile.store.database).parent / "benchtui-run-2-report.txt"
        assert report.is_file() and "run 2" in report.read_text()
        assert report.with_suffix(".json").is_file()


async def test_save_writes_the_log_and_the_current_capture(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await power_on(pilot, app)
        await pilot.press("3", "g")
        scope = app.query_one(ScopePanel)
        await wait_for(pilot, lambda: scope.last is not None, "a capture")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: log_has(app, "log and capture saved"), "the save notice")
        line = next(line for line in app.query_one("#log-panel").lines if "log and capture saved" in line)
        paths = [Path(p.strip()) for p in line.split("saved: ", 1)[1].split(",")]
        log, capture = paths
        assert log.is_file() and "output ON" in log.read_text(), "the saved log holds the session's lines"
        header = capture.read_text().splitlines()[0].split(",")
        assert header[:2] == ["VDD.t_s", "VDD.V"] and len(capture.read_text().splitlines()) > 100
