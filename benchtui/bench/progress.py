"""The live progress line of `benchtui run`: one line on stderr, rewritten in place."""

from __future__ import annotations

import time
from typing import Any, TextIO

from ..text import printable

from . import events as ev


class ProgressLine:
    """Consumes engine events; shows cycle, pass/fail counts, current step and rate."""

    def __init__(self, stream: TextIO, *, quiet: bool = False):
        self.stream = stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self.engine: Any = None
        self.interrupted = False
        self.planned: int | None = None
        self.cycle = self.passed = self.failed = 0
        self.step = ""
        self.started = time.monotonic()
        self._last_len = 0

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.planned, self.started = event.planned, time.monotonic()
        elif isinstance(event, ev.CycleStarted):
            self.cycle = event.index
        elif isinstance(event, ev.StepStarted):
            self.step = event.step
        elif isinstance(event, ev.CycleFinished):
            self.passed, self.failed = event.passed, event.failed
            rec = event.record
            if not rec.passed:
                self._print_above(f"cycle {rec.index}: FAIL in {rec.failed_step}: {rec.error_text}")
            elif not self.tty:
                self._print_above(f"cycle {rec.index}: pass")
        elif isinstance(event, ev.DeviceError):
            self._print_above(event.error.one_line())
        elif isinstance(event, ev.Log) and event.source == "loop":
            self._print_above(event.text)
        self._redraw()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        done = self.passed + self.failed
        of = f"/{self.planned}" if self.planned else ""
        return (f"cycle {self.cycle}{of}  pass {self.passed}  fail {self.failed}  "
                f"step {self.step or '-':<16} {done / elapsed * 60:5.1f} cycles/min")

    def _redraw(self) -> None:
        if self.quiet or not self.tty:
            return
        text = self.line()
        self.stream.write("\r" + text + " " * max(0, self._last_len - len(text)))
        self.stream.flush()
        self._last_len = len(text)

    def _print_above(self, text: str) -> None:
        if self.quiet:
            return
        text = printable(text)  # error texts and log lines quote instruments, files, names
        if self.tty:
            self.stream.write("\r" + " " * self._last_len + "\r")
            self._last_len = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and not self.quiet and self._last_len:
            self.stream.write("\n")
            self.stream.flush()
