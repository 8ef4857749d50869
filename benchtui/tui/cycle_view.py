"""One recorded cycle in full: steps with durations and whole errors, the power-up and fault-catch
waveforms with their limits, every feature with violations marked, option bytes, board and events.

Opened with Enter on a cycle row (loop tab, results tab); everything shown is read back from the
store, so a cycle of an old run reads the same as one that just finished.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..text import printable
from .capture import format_feature, prepare_capture
from .widgets import WaveformPlot
from .words import step_words

#: Which feature window each capture's features were stored under (bench/engine.py).
CAPTURE_WINDOWS = {"power_up": "power_up", "fault_catch": "flash"}


def steps_table(record: Any) -> Table:
    """Each step: outcome, duration, attempts and its whole error text (wrapped, never cut)."""
    table = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
    table.add_column("step", no_wrap=True, style="bold")
    table.add_column("result", no_wrap=True)
    table.add_column("time", no_wrap=True, justify="right")
    table.add_column("error", ratio=1, overflow="fold")
    for step in record.steps:
        style = {"pass": "green", "fail": "bold red", "error": "bold red"}.get(step.outcome, "yellow")
        tries = f" ×{step.attempts}" if step.attempts > 1 else ""
        error = Text()
        if step.error_text:
            error.append(f"{step.error_class}: " if step.error_class else "", "red")
            error.append(step.error_text)
        table.add_row(step_words(step.name), Text(step.outcome + tries, style),
                      format_feature(step.duration, "s"), error)
    return table


def header_text(run_id: int, record: Any) -> Text:
    text = Text(f"run {run_id}, cycle {record.index}: ", "bold")
    if record.passed:
        text.append("pass", "bold green")
    else:
        text.append(f"FAIL in {step_words(record.failed_step)}", "bold red")
    text.append(f"   {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(record.started))}, "
                f"{format_feature(record.ended - record.started, 's')}", "dim")
    text.append("\nboard ", "dim")
    text.append(record.board_uid or "UID not read", "" if record.board_uid else "dim")
    if record.board_label:   # what the database holds is shown, never obeyed (text.py)
        text.append(f" ({printable(record.board_label)})")
    target = record.target or {}
    if target:
        text.append("   target ", "dim")
        text.append(printable(" ".join(str(target[k]) for k in ("part", "rev", "flash_kb")
                                       if target.get(k) is not None)))
    return text


def option_bytes_text(ob: dict) -> Text:
    """The option bytes as the cycle stored them (raw registers and decoded fields)."""
    if not ob:
        return Text("option bytes: not read in this cycle", "dim")
    text = Text("option bytes after power-up\n", "bold")
    for key, value in ob.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        text.append(f"  {key:<18} ", "dim")
        text.append(f"{shown}\n")
    return text


def features_table(record: Any, marks: dict[str, bool]) -> Table:
    """Every feature of the cycle; `marks` (feature name -> violation) from the capture views."""
    table = Table(box=None, padding=(0, 1), show_header=True, show_edge=False)
    table.add_column("feature", no_wrap=True)
    table.add_column("value", no_wrap=True, justify="right")
    table.add_column("", no_wrap=True)
    for f in record.features:
        bad = marks.get(f.name, False)
        value = "-" if f.value is None else format_feature(f.value, f.unit)
        table.add_row(Text(f.name, "bold red" if bad else ""), Text(value, "bold red" if bad else ""),
                      Text("✗ outside limits", "bold red") if bad else Text(f.kind, "dim"))
    return table


class CycleScreen(ModalScreen[None]):
    """A scrollable page of one cycle; Escape or q closes it."""

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, run_id: int, record: Any, waveforms: tuple, profile: Any):
        super().__init__()
        self.run_id, self.record, self.waveforms, self.profile = run_id, record, waveforms, profile
        channels = profile.scope.channels
        self.captures: dict[str, dict] = {}
        self.invalid: list[str] = []
        marks: dict[str, bool] = {}
        for capture in ("power_up", "fault_catch"):
            wfs = {w.net: SimpleNamespace(t0=w.t0, dt=w.dt, volts=w.volts)
                   for w in waveforms if w.capture == capture and w.valid}
            self.invalid += [f"{capture} {w.net}: {w.invalid_reason}" for w in waveforms
                             if w.capture == capture and not w.valid]
            if not wfs:
                continue
            window = CAPTURE_WINDOWS[capture]
            views = prepare_capture(capture, wfs, channels, features=record.features, window=window)
            self.captures[capture] = views
            for net, view in views.items():
                for suffix, _, _, bad in view.marked():
                    marks[f"{window}.{net}.{suffix}"] = bad
        self.marks = marks

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog page"):
            yield Label(f"Cycle {self.record.index} of run {self.run_id}   (Escape closes)",
                        classes="dialog-title")
            with VerticalScroll(id="cycle-scroll"):
                yield Static(header_text(self.run_id, self.record), id="cycle-header")
                yield Static(Text("steps", "bold"), classes="section")
                yield Static(steps_table(self.record), id="cycle-steps")
                for capture, views in self.captures.items():
                    yield Static(Text(f"{capture.replace('_', '-')} capture (time from the trigger)", "bold"),
                                 classes="section")
                    for net, view in views.items():
                        plot = WaveformPlot(net, view.lo, view.hi, id=f"cv-{capture}-{net}", classes="cv-plot")
                        plot.set_waveform(view.envelope, view.t_span, head=view.key_line(200), ramp=not view.up_at_start)
                        yield plot
                if not self.captures:
                    yield Static(Text("no waveforms stored for this cycle", "dim"), classes="section")
                for line in self.invalid:
                    yield Static(Text(f"capture marked invalid: {line}", "yellow"))
                yield Static(Text("features", "bold"), classes="section")
                yield Static(features_table(self.record, self.marks), id="cycle-features")
                yield Static(option_bytes_text(self.record.option_bytes), id="cycle-ob", classes="section")
                events = list(self.record.events)
                if events:
                    text = Text("events\n", "bold")
                    for e in events:
                        text.append(printable(f"  {e.kind}: {e.text}") + "\n")
                    yield Static(text, id="cycle-events", classes="section")

    def on_mount(self) -> None:
        self.query_one("#cycle-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
