"""The hidden tabs are drawn ahead, off screen (tui/tabs.py): laid out at the size they will be
shown at, without showing them, without changing what is on screen, without taking the focus,
and again after the terminal is resized."""

from __future__ import annotations

import pytest
from textual.widgets import Button, ContentSwitcher, DataTable

from benchtui.tui.app import BenchApp
from benchtui.tui.keys import TABS

from .conftest import screen_text, wait_for

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"


def hidden_panels(app):
    switcher = app.query_one("#tabs", ContentSwitcher)
    return switcher, [p for p in switcher.children if p.id != switcher.current]


async def test_hidden_tabs_are_laid_out_before_their_first_visit_and_the_screen_stays(absent_bench):
    app = BenchApp(absent_bench)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.warmed_up, "the warm-up and the tabs drawn ahead")
        switcher, hidden = hidden_panels(app)
        assert switcher.current == "overview-panel" and len(hidden) == len(TABS) - 1
        assert app.predraw.drawn == 2 * len(hidden)  # two passes (see tabs.py)
        for panel in hidden:
            assert not panel.display, panel.id
            # laid out at the switcher's size although never shown: its first visit is no layout
            assert panel.outer_size == switcher.outer_size, (panel.id, panel.outer_size)
        assert app.query_one("#runs-table", DataTable).outer_size.width > 0
        rows = screen_text(app)
        assert "PSU (1)" in "\n".join(rows) and "Setpoint V" not in "\n".join(rows)
        await pilot.press("2")
        assert any("Mass erase" in r for r in screen_text(app))


async def test_a_resize_draws_the_hidden_tabs_again_at_the_new_size(absent_bench):
    app = BenchApp(absent_bench)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.warmed_up, "the tabs drawn ahead")
        drawn = app.predraw.drawn
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: app.predraw.drawn >= drawn + 12 and app.predraw.done,
                       "the tabs drawn again")
        switcher, hidden = hidden_panels(app)
        assert switcher.outer_size.width == 80
        assert all(p.outer_size == switcher.outer_size for p in hidden), [(p.id, p.outer_size) for p in hidden]


async def test_drawing_ahead_waits_while_a_widget_has_the_focus(absent_bench):
    app = BenchApp(absent_bench)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.warmed_up, "the tabs drawn ahead")
        await pilot.press("1")
        button = app.query_one("#power-panel").query(Button).first()
        button.focus()
        await wait_for(pilot, lambda: app.focused is button, "the button to have the focus")
        drawn, waited = app.predraw.drawn, app.predraw.waited
        app.predraw.start()
        # hiding the shown tab for a moment would blur the button (its Hide event): each step
        # finds the focus taken and waits instead
        await wait_for(pilot, lambda: app.predraw.waited >= waited + 2, "two steps to wait for the focus")
        assert app.focused is button and app.predraw.drawn == drawn and not app.predraw.done
        app.screen.set_focus(None)
        await wait_for(pilot, lambda: app.predraw.done, "the tabs drawn once nothing has the focus")
        assert app.predraw.drawn == drawn + 2 * (len(TABS) - 1)
