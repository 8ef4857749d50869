"""The log tab: one timestamped line per action, instrument exchange summary and problem."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import RichLog

from .base import BenchPanel

#: Styles of sources in the log, so that problems and the loop stand out.
SOURCE_STYLES = {"error": "bold red", "warning": "yellow", "loop": "cyan", "PSU": "magenta",
                 "scope": "blue", "target": "green"}


def log_text(when: float, source: str, text: str, severity: str = "") -> Text:
    """'21:17:34 : PSU: output ON' — the seed's log format, with the source coloured."""
    line = Text(time.strftime("%H:%M:%S", time.localtime(when)) + " : ", "dim")
    line.append(f"{source}: ", SOURCE_STYLES.get(severity) or SOURCE_STYLES.get(source, "bold"))
    line.append(text, SOURCE_STYLES.get(severity, ""))
    return line

#: Lines the log keeps (the view, and what ^s saves).
MAX_LINES = 5000


class LogPanel(BenchPanel):
    """A scrolling log; the newest line is at the bottom and stays in view.

    `lines` keeps the plain text too; lines reach the RichLog when the tab is on screen (a
    hidden log costs the event loop nothing per line).
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.lines: list[str] = []
        self._pending: list[Text] = []

    def compose(self) -> ComposeResult:
        yield RichLog(id="log-view", wrap=True, max_lines=MAX_LINES, markup=False, auto_scroll=True)

    def write(self, when: float, source: str, text: str, severity: str = "") -> None:
        line = log_text(when, source, text, severity)
        self.lines.append(line.plain)
        del self.lines[:-MAX_LINES]
        self._pending.append(line)
        del self._pending[:-MAX_LINES]
        self.invalidate()

    def paint(self) -> None:
        pending, self._pending = self._pending, []
        if pending:  # one write: the RichLog measures and renders the batch once
            self.query_one(RichLog).write(Text("\n").join(pending))
