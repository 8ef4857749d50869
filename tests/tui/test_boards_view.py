"""The console's board view (Results tab: every run's boards compared; y opens it in full) and,
on a virtual batch, putting another board on the bench (i); the overview says which it is."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import DataTable, Input

from benchtui.bench.board_tracking import BoardSlot
from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.profile import load_profile
from benchtui.tui.app import BenchApp
from benchtui.tui.dialogs import TextScreen
from tests.bench.test_boards import uid, write_batch

from .conftest import WAIT_S, absent_profile, connected, log_has, on_screen, screen_text, wait_for

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"


async def test_the_results_tab_compares_the_boards_and_names_the_one_that_stands_out(tmp_path) -> None:
    db = str(tmp_path / "batch.db")
    write_batch(db, faulty=7)
    profile = absent_profile(db)  # no instruments here: the results tab only reads the database
    app = BenchApp(profile)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.state.results.comparison is not None, "the boards compared")
        await pilot.press("5")
        table = app.query_one("#boards-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 25, "a row per board")
        assert str(table.get_row_at(0)[1]) == uid(7) and str(table.get_row_at(0)[0]) == "*"
        words = lambda rows: " ".join(" ".join(rows).split())  # noqa: E731  (wrapped lines joined)
        await on_screen(pilot, lambda rows: "1 of 25 boards stands out:" in words(rows)
                        and f"board {uid(7)} (SN-0007): VCAP1" in words(rows), "the board that stands out")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), "the board report")
        full = "\n".join(screen_text(app))
        assert "by board: 25 boards, 25 runs (1-25), bench bench-1" in full
        await pilot.press("escape")


async def test_putting_another_board_of_a_virtual_batch_on_the_bench(tmp_path) -> None:
    profile = load_profile(DEMO_PROFILE)
    profile = profile.replace(sim=dataclasses.replace(profile.sim, batch=4, faulty=[]),
                              store=dataclasses.replace(profile.store, database=str(tmp_path / "b.db")))
    vb, live = start_virtual_bench(profile)
    try:
        app = BenchApp(live, board_slot=BoardSlot(4, vb.insert_board, vb.board_number))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app), "instruments")
            await pilot.press("o")
            await wait_for(pilot, lambda: log_has(app, "output ON"), "output on")
            await pilot.press("i")
            await wait_for(pilot, lambda: app.screen.query("#board"), "the board dialog")
            field = app.screen.query_one("#board", Input)
            field.value = "3"
            await pilot.press("enter")
            await wait_for(pilot, lambda: log_has(app, "board 3 of 4 is on the bench"), "the swap")
            assert vb.board.uid == vb.batch.spec(3).uid
            await pilot.press("c")
            await wait_for(pilot, lambda: app.session.state.target_connected, "connect", WAIT_S)
            assert app.session.state.target_identity.uid == vb.batch.spec(3).uid
            await pilot.press("0")
            await on_screen(pilot, f"UID {vb.batch.spec(3).uid}", "the new board's UID on the overview")
            await on_screen(pilot, "board batch #3  3/4 of the batch, i swaps", "which board it is")
    finally:
        vb.stop()
