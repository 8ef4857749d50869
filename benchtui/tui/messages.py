"""The console's messages.

Two kinds go up to the app: what the bench did (`BenchEvent`, `LogRecordMessage`, posted from the
session's threads) and what the user asked for in a panel or a screen (the rest). Panels never
call the app or read another panel; the app handles these with `@on` and changes the state.
"""

from __future__ import annotations

import logging
from typing import Any

from textual.message import Message


class BenchEvent(Message):
    """A session or engine event, delivered on the app's loop."""

    def __init__(self, event: Any):
        super().__init__()
        self.event = event


class LogRecordMessage(Message):
    """A `logging` record from the drivers (instrument exchange summaries)."""

    def __init__(self, when: float, source: str, text: str):
        super().__init__()
        self.when, self.source, self.text = when, source, text


class AppLogHandler(logging.Handler):
    """Forwards benchtui's INFO+ log records to the log tab (post_message is thread-safe)."""

    def __init__(self, app: Any):
        super().__init__(logging.INFO)
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        source = record.name.rsplit(".", 1)[-1]
        self.app.post_message(LogRecordMessage(record.created, source, record.getMessage()))


# -- what the user asked for -------------------------------------------------------------------
class TabRequested(Message):
    """Show tab `tab` (a click on an overview card)."""

    def __init__(self, tab: str):
        super().__init__()
        self.tab = tab


class CycleChosen(Message):
    """Open cycle `index` of run `run_id` in full (Enter on a cycle row)."""

    def __init__(self, run_id: int, index: int):
        super().__init__()
        self.run_id, self.index = run_id, index


class RunHighlighted(Message):
    """The results tab's cursor is on run `run_id`: read its cycles."""

    def __init__(self, run_id: int):
        super().__init__()
        self.run_id = run_id


class RunChosen(Message):
    """Open the report of run `run_id` (Enter on a run row, the open button)."""

    def __init__(self, run_id: int | None):
        super().__init__()
        self.run_id = run_id


class ReportExportRequested(Message):
    """Write the report of run `run_id` to files (x on a report screen)."""

    def __init__(self, run_id: int):
        super().__init__()
        self.run_id = run_id


class BoardsChosen(Message):
    """Show the by-board report in full (Enter on a board row)."""


class SetpointSubmitted(Message):
    """Apply this PSU setpoint; the power tab checked it against the profile's maxima."""

    def __init__(self, volts: float, amps: float):
        super().__init__()
        self.volts, self.amps = volts, amps


class InputRefused(Message):
    """A value the user typed was refused (`error` says why, in the error tree's terms)."""

    def __init__(self, error: Exception, action: str):
        super().__init__()
        self.error, self.action = error, action


class ConnectModeChanged(Message):
    """The target tab's connect mode was changed."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode


class RunRequested(Message):
    """Run the loop for `cycles` cycles (0: until stopped), as the loop tab's fields say; with
    `until_diagnosed`, until the diagnosis is settled, at most `cycles` (0: the default maximum)."""

    def __init__(self, cycles: int, stop_on_failure: bool, *, until_diagnosed: bool = False):
        super().__init__()
        self.cycles, self.stop_on_failure = cycles, stop_on_failure
        #: Stop as soon as the diagnosis is settled; `cycles` is then the most to run.
        self.until_diagnosed = until_diagnosed


class CaptureMeasured(Message):
    """The scope tab measured a capture (`views`: net -> capture.NetView): other views show it."""

    def __init__(self, capture: str, index: int | None, when: float, views: dict):
        super().__init__()
        self.capture, self.index, self.when, self.views = capture, index, when, views


class ShmooRequested(Message):
    """Run a shmoo: `varies` as typed (FIELD=SPEC, one or two), at most `cycles` per cell;
    `full`: every cell, not the adaptive order."""

    def __init__(self, varies: list[str], cycles: int, *, full: bool = False):
        super().__init__()
        self.varies, self.cycles, self.full = list(varies), cycles, full


class ProfileWritten(Message):
    """The init screen wrote the profile `path` and checked it (`ok`: every part answered)."""

    def __init__(self, path: str, ok: bool):
        super().__init__()
        self.path, self.ok = path, ok
