"""Messages that bring the bench's events and the drivers' log lines onto the app's loop."""

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
