"""A loop that mass-erases every cycle asks once, in the console's confirmation dialog."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Input

from benchtui.bench.store import open_store
from benchtui.tui.app import BenchApp
from benchtui.tui.dialogs import ConfirmDialog

from .conftest import connected, log_has, wait_for

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"


async def test_a_chip_erase_loop_is_confirmed_once_in_a_dialog_and_recorded(bench_factory):
    vb, profile = bench_factory()
    profile = profile.replace(target=dataclasses.replace(profile.target, erase="chip"))
    app = BenchApp(profile)
    loop_status = lambda: str(app.query_one("#loop-status").render())  # noqa: E731
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        app.query_one("#cycles", Input).value = "2"
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog),
                       "the dialog: a chip erase every cycle must be confirmed")
        await pilot.press("enter")  # Cancel has the focus
        await wait_for(pilot, lambda: log_has(app, "Erase the whole chip every cycle?: cancelled"),
                       "the cancel, in the log")
        assert app.engine is None and not log_has(app, "run loop:")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the dialog again")
        await pilot.press("y")
        # What lasts: the log line of the start, then the loop tab's "finished" (a 2-cycle loop
        # can be over before a check of `app.engine` ever sees it running).
        await wait_for(pilot, lambda: log_has(app, "run loop: 2 cycles"), "the loop to start")
        await wait_for(pilot, lambda: "finished: completed" in loop_status(), "the loop to end", 60)
        assert log_has(app, "mass erase done")
    with open_store(profile.store.database, readonly=True) as store:
        run = store.runs()[-1]
        events = [e for e in store.events(run.id) if e.kind == "destructive_confirmed"]
    assert run.cycles == 2 and len(events) == 1
    assert "console dialog" in events[0].text and 'target.erase = "chip"' in events[0].text
