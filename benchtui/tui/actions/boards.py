"""Board actions: the by-board view of the results tab, its full report, and (on a virtual
batch) putting another board on the bench.

The comparison reads every run of the database in a thread (it can be large). Swapping a board
is only possible on a virtual batch: the console is given a `BoardSlot` by whoever started the
virtual bench (it never imports the simulator); on a real bench the technician swaps boards.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on

from ..dialogs import BoardDialog, TextScreen
from ..messages import BoardsChosen
from ..panels import ResultsPanel
from .base import ConsoleBase


class BoardActions(ConsoleBase):

    # -- the by-board view ------------------------------------------------------------------
    def load_boards(self) -> None:
        """Compare the boards of every run in the database, in a thread; the results tab shows it."""
        from ...bench.store import exists, open_store
        if not exists(self.profile.store.database):
            return

        def compare() -> tuple[Any, list[Any]]:
            from ...bench.board_report import board_comparison
            with open_store(self.profile.store.database, readonly=True) as store:
                return board_comparison(store)

        def done(got: tuple[Any, list[Any]]) -> None:
            results = self.state.results
            results.comparison, results.comparison_runs = got
            self.changed(ResultsPanel)
        self.in_thread(compare, "compare the boards", done, group="boards", exclusive=True)

    @on(BoardsChosen)
    def boards_chosen(self) -> None:
        self.action_board_report()

    def action_board_report(self) -> None:
        """The by-board report in full (every board, every difference in words)."""
        from ...bench.board_report import format_boards
        results = self.state.results
        if results.comparison is None:
            self.notify("no boards compared yet: record some runs first", severity="warning")
            return
        text = format_boards(results.comparison, results.comparison_runs)
        self.push_screen(TextScreen("Boards", text, "benchtui report DB --by-board prints the same"))

    # -- putting another board on the bench (virtual batch) ---------------------------------
    def action_swap_board(self) -> None:
        slot = self.state.board_slot
        if slot is None:
            self.notify("swapping boards is for a virtual batch ([sim] batch); on a real bench, swap it "
                        "by hand: the next connect reads its UID", severity="warning")
            return

        def chosen(number: int | None) -> None:
            if number is not None:
                self.act("target", f"put board {number} on the bench", lambda: self._swap(number))
        self.push_screen(BoardDialog(slot.size, slot.current), chosen)

    async def _swap(self, number: int) -> None:
        slot = self.state.board_slot
        if self.session.state.target_connected:
            await self.session.disconnect()  # the probe would lose the old chip anyway
        await asyncio.to_thread(slot.insert, number)
        slot.current = number
        self.log_line("bench", f"board {number} of {slot.size} is on the bench (virtual batch): "
                               "the next connect reads its UID")
        self.connection_changed()
