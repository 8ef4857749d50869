"""The log tab: one timestamped line per action, instrument exchange summary and problem."""

from __future__ import annotations

from textual.app import ComposeResult

from ..logview import LogView, log_line
from .base import BenchPanel

#: Lines the log keeps (the view, and what ^s saves).
MAX_LINES = 5000


class LogPanel(BenchPanel):
    """A scrolling log; the newest line is at the bottom and stays in view.

    Lines reach the view when the tab is on screen (a hidden log costs the event loop nothing
    per line); until then they wait in `_pending`. `lines` is the plain text of both.
    """

    def __init__(self, state, **kw) -> None:
        super().__init__(state, **kw)
        self._pending: list[tuple[str, int, str, str]] = []

    def compose(self) -> ComposeResult:
        yield LogView(max_lines=MAX_LINES, id="log-view")

    @property
    def lines(self) -> list[str]:
        """The last MAX_LINES lines as plain text, oldest first (what ^s saves)."""
        shown = self.query_one(LogView).plain_lines() if self.is_mounted else []
        return (shown + [line[0] for line in self._pending])[-MAX_LINES:]

    def write(self, when: float, source: str, text: str, severity: str = "") -> None:
        self._pending.append(log_line(when, source, text, severity))
        del self._pending[:-MAX_LINES]
        self.invalidate()

    def paint(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            self.query_one(LogView).write_lines(pending)
