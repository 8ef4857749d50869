"""Text-region snapshots at 80x24 and the keyboard-only paths (help, palette), on a bench whose
instruments are not there: the console must still open, say so in words, and stay usable."""

from __future__ import annotations

import pytest

from benchtui.tui.app import BenchApp
from benchtui.tui.dialogs import TextScreen

from .conftest import log_has, on_screen, screen_text, wait_for


@pytest.mark.slow
async def test_80x24_frame_regions(absent_bench):
    app = BenchApp(absent_bench)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.state.psu_error and app.session.state.scope_error,
                       "both instruments to fail")
        # the footer lays out its keys after the first frame (slow under load): wait for it
        await wait_for(pilot, lambda: screen_text(app)[-1].strip(), "the footer")
        rows = await on_screen(pilot, lambda rows: "✗ scope connection refused" in rows[1]
                               and "✗ PSU connection refused" in rows[1], "the link state")
        assert len(rows) == 24 and all(len(r) <= 80 for r in rows)
        assert rows[0].startswith(" cycles 0 ✓0 ✗0 │ scenario vcap-marginal │ Virtual bench")
        # the link state reads without colour: a symbol and words
        assert "✗ PSU connection refused" in rows[1] and "✗ scope connection refused" in rows[1]
        assert "○ target not connected" in rows[1]
        assert rows[2].split() == ["0", "Overview", "1", "Power", "2", "Target", "3", "Scope", "4", "Loop",
                                   "5", "Results", "6", "Log", "7", "Shmoo"], rows[:4]
        assert rows[-1].split()[:12] == ["p", "Power-cycle", "f", "Flash", "l", "Run", "loop", "r",
                                         "Reconnect", "?", "Help", "q"], rows[-3:]
        text = "\n".join(rows)
        assert "PSU (1)" in text and "target (2)" in text and "last capture (3)" in text and "loop (4)" in text
        await pilot.press("1")
        assert any("Setpoint V" in r and "Limit A" in r for r in screen_text(app))


async def test_missing_instrument_is_reported_in_words(absent_bench):
    app = BenchApp(absent_bench)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: log_has(app, "connection refused"), "the connection error")
        assert log_has(app, absent_bench.psu.resource) and log_has(app, absent_bench.scope.resource)
        await pilot.press("p")  # power-cycle without a PSU: one line in words, no traceback
        await wait_for(pilot, lambda: log_has(app, "power-cycle failed"), "the power-cycle error")
        assert app.is_running


@pytest.mark.slow
async def test_help_lists_every_key(absent_bench):
    app = BenchApp(absent_bench)
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, TextScreen)
        assert any("Keys" in row for row in screen_text(app))
        from benchtui.tui.keys import COMMANDS
        for c in COMMANDS:  # the whole page (it scrolls)
            assert f"{c.key_label:<6} {c.name}" in app.screen.text
        await pilot.press("escape")
        assert not isinstance(app.screen, TextScreen)


@pytest.mark.slow
async def test_number_keys_switch_tabs_and_palette_finds_actions(absent_bench):
    app = BenchApp(absent_bench)
    async with app.run_test(size=(100, 30)) as pilot:
        for key, tab in zip("6543210", ("log", "results", "loop", "scope", "target", "power", "overview")):
            await pilot.press(key)
            assert app.active_tab == tab and app.query_one("#tabs").current == f"{tab}-panel"
        await pilot.press("ctrl+p")
        await pilot.press(*"mass er")
        await on_screen(pilot, "Mass erase…", "the palette to name the button's name")


@pytest.mark.slow
async def test_tab_bar_and_key_bar_are_clickable(absent_bench):
    """The tabs and the footer keys are one line each (cheap to draw); a click still works."""
    from benchtui.tui.keys import TAB_KEYS, TABS
    app = BenchApp(absent_bench)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = screen_text(app)[2]
        for tab, title in TABS[::-1]:
            await pilot.click("#tab-bar", offset=(bar.index(f"{TAB_KEYS[tab]} {title}") + 1, 0))
            assert app.active_tab == tab and app.query_one("#tabs").current == f"{tab}-panel"
            assert app.query_one(f"#{tab}-panel").display
        rows = await on_screen(pilot, lambda rows: "0 Overview" in rows[2], "the tab bar")
        assert f"{TAB_KEYS['overview']} Overview" in rows[2]
        keys = rows[-1]
        await pilot.click("#key-bar", offset=(keys.index("Help"), 0))
        assert isinstance(app.screen, TextScreen), "a click on '? Help' opens the help"
