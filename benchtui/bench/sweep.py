"""A batch sweep: the same loop on one board after another, one run per board.

`insert(k)` puts board k on the bench — on the virtual bench it swaps the simulated board; on
a real bench it is the technician (the caller asks and waits). The PSU output is off between
boards (every run ends in the safe state). Afterwards `report --by-board` compares the boards.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Sequence

from . import events as ev
from .engine import CycleEngine
from .records import RunSummary
from .session import BenchSession


class Sweep:
    """Run `cycles` cycles on each board of `boards`; `stop()` ends it after the current step."""

    def __init__(self, session: BenchSession, boards: Sequence[int], cycles: int,
                 insert: Callable[[int], None], on_event: ev.EventSink | None = None,
                 on_board: Callable[[int, RunSummary], None] | None = None):
        self.session, self.boards, self.cycles = session, list(boards), cycles
        self.insert, self.on_event, self.on_board = insert, on_event, on_board
        self.engine: CycleEngine | None = None
        self.summaries: list[RunSummary] = []
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True
        if self.engine is not None:
            self.engine.stop()

    def abort(self) -> None:
        """Ctrl-C twice: the current run is aborted (PSU safe state first), no board follows."""
        self._stopped = True
        if self.engine is not None:
            self.engine.abort()

    async def run(self) -> list[RunSummary]:
        for k in self.boards:
            if self._stopped:
                break
            await asyncio.to_thread(self.insert, k)
            self.engine = CycleEngine(self.session, on_event=self.on_event)
            summary = await self.engine.run(self.cycles)
            self.summaries.append(summary)
            if self.on_board is not None:
                self.on_board(k, summary)
            if summary.status == "error":
                break
        return self.summaries


__all__ = ["Sweep"]
