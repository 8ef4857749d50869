"""Pilot tests of every panel against the virtual bench: what an engineer does, and what they see."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from benchtui.tui.app import BenchApp
from benchtui.tui.dialogs import ConfirmDialog, FilePickerDialog, SectorDialog
from benchtui.tui.panels import PowerPanel, ScopePanel
from benchtui.tui.widgets import WaveformPlot

from .conftest import connected, log_has, log_lines, on_screen, power_on, screen_text, wait_for


async def test_status_bar_names_profile_instruments_and_state(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: connected(app), "PSU and scope to connect")
        # Connected, and the "connect instruments" activity over (it shares the top row at 80 columns)
        top, second = (await on_screen(pilot, lambda rows: "scope RIGOL DS1054Z" in rows[1]
                                       and "connect instruments" not in rows[0], "the status bar"))[:2]
        assert profile.name[:30] in top and "cycles 0" in top
        assert "PSU RIGOL DP832" in second and "scope RIGOL DS1054Z" in second
        assert "target not connected" in second


async def test_power_cycle_from_the_keyboard(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("p")
        await wait_for(pilot, lambda: log_has(app, "output ON"), "the PSU output to come back on")
        lines = log_lines(app)
        off = next(i for i, line in enumerate(lines) if "output OFF" in line)
        assert any("output ON" in line for line in lines[off:])
        psu = app.state.psu
        # a readback just after the output went on may catch the supply still rising: wait for it
        # to settle at the setpoint (the poll reads it again every second)
        await wait_for(pilot, lambda: psu.reading is not None and psu.reading.output
                       and abs(psu.reading.voltage - profile.psu.voltage) < 0.2, "readback ON at the setpoint")


@pytest.mark.slow
async def test_setpoint_beyond_the_profile_maximum_is_refused_in_words(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        app.query_one("#voltage", Input).value = "9"
        app.query_one(PowerPanel).apply()
        await wait_for(pilot, lambda: log_has(app, "setpoint 9 V is outside 0..3.6 V"), "the refusal")
        app.query_one("#voltage", Input).value = "3.1"
        app.query_one(PowerPanel).apply()
        await wait_for(pilot, lambda: log_has(app, "setpoint 3.100 V"), "the new setpoint")
        # The log is in order: had 9 V been sent, its line would be there before 3.1 V's.
        assert not log_has(app, "setpoint 9.000 V")
        assert abs(vb.instruments.psu.channels[1].voltage - 3.1) < 1e-9


@pytest.mark.slow
async def test_connect_shows_identity_option_bytes_and_sector_map(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("2")
        await pilot.press("o")  # output on: the target needs power
        await wait_for(pilot, lambda: log_has(app, "output ON"), "output on")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.state.target.option_bytes is not None, "option bytes after connect")
        await wait_for(pilot, lambda: "OPTCR" in "\n".join(screen_text(app)), "option bytes on screen")
        text = "\n".join(screen_text(app))
        assert "STM32F7" in text and "OPTCR" in text and "nWRP" in text.replace("NWRP", "nWRP")
        assert "no sector write-protected" in text


@pytest.mark.slow
async def test_flash_with_progress_and_verify(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 32)) as pilot:
        await power_on(pilot, app)
        await pilot.press("f")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: log_has(app, "verify OK"), "program + verify")
        assert log_has(app, "KB/s")
        await pilot.press("2")  # the target tab draws the last progress when it is shown
        await wait_for(pilot, lambda: any(step in str(app.query_one("#rate").render()) for step in ("verify", "program")),
                       "the target tab's progress line")


@pytest.mark.slow
async def test_destructive_action_cancelled_then_confirmed(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 32)) as pilot:
        await power_on(pilot, app)
        await pilot.press("2")
        await pilot.click("#erase-chip")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # Cancel has the focus: Enter by habit must not erase
        await wait_for(pilot, lambda: log_has(app, "cancelled"), "the cancel, in the log")
        assert not isinstance(app.screen, ConfirmDialog)
        await pilot.click("#erase-chip")
        await pilot.press("y")
        await wait_for(pilot, lambda: log_has(app, "mass erase done"), "mass erase")
        # One mass erase, the confirmed one: the cancelled dialog erased nothing.
        assert sum("mass erase done" in line for line in log_lines(app)) == 1


@pytest.mark.slow
async def test_erase_sectors_dialog_cancels_then_erases_only_the_chosen_sectors(bench_factory):
    from textual.widgets import SelectionList
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 32)) as pilot:
        await power_on(pilot, app)
        await pilot.press("2")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SectorDialog), "the sector dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: log_has(app, "erase sectors: cancelled"), "cancel")
        before = dict(vb.twin.flash.erase_counts)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SectorDialog), "the sector dialog again")
        await pilot.click("#ok")  # nothing selected: refused in the dialog
        assert isinstance(app.screen, SectorDialog)
        app.screen.query_one(SelectionList).select(3)
        app.screen.query_one("#ok").press()  # (a click could land on the notice the refusal left)
        await wait_for(pilot, lambda: log_has(app, "erased sectors 3"), "the erase of sector 3")
        after = dict(vb.twin.flash.erase_counts)
        assert {n: after.get(n, 0) - before.get(n, 0) for n in after if after.get(n, 0) != before.get(n, 0)} == {3: 1}


@pytest.mark.slow
async def test_program_picks_a_file(bench_factory, tmp_path):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        app.action_program()
        await wait_for(pilot, lambda: isinstance(app.screen, FilePickerDialog) and app.screen.query("#path"),
                       "the file picker")
        app.screen.query_one("#path", Input).value = str(tmp_path / "missing.hex")
        await pilot.press("enter")  # handled before press() returns: a refusal keeps the dialog
        assert isinstance(app.screen, FilePickerDialog), "a missing file is refused in the dialog"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, FilePickerDialog), "the dialog to close")
        assert not isinstance(app.screen, ConfirmDialog), "nothing to flash was picked"


@pytest.mark.slow
async def test_scope_capture_draws_every_net_with_features(bench_factory):
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("3")
        await pilot.press("g")
        panel = app.query_one(ScopePanel)
        await wait_for(pilot, lambda: panel.last is not None, "a power-up capture")
        plots = [app.query_one(f"#plot-{net}", WaveformPlot) for net in profile.scope.channels]
        # drawn at the panel's next repaint (at most PAINT_INTERVAL_S after the capture is measured)
        await wait_for(pilot, lambda: all(len(plot.volts) > 100 for plot in plots), "every net drawn")
        await wait_for(pilot, lambda: "power-up (manual)" in "\n".join(screen_text(app)), "the capture line")
        text = "\n".join(screen_text(app))
        assert "power-up (manual)" in text
        assert "min" in text and "VCAP1" in text and "1.1..1.4 V" in text
