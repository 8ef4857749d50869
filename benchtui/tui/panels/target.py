"""The target tab: probe and connect mode, option bytes with a sector protection map, erase / program / verify."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, ProgressBar, Select, Static

from ...bench import events as ev
from ..keys import button, command, sized
from ..messages import ConnectModeChanged
from .base import BenchPanel, set_text

CONNECT_MODES = ("under-reset", "pre-reset", "halt", "attach")


def connect_label(connected: bool) -> str:
    """'Connect c' / 'Disconnect c': the connect button's label."""
    return f"{'Disconnect' if connected else 'Connect'} {command('toggle_connect').key_label}"


def option_bytes_view(ob: Any) -> Text:
    """Decoded option bytes, one field a line in aligned columns; fields not at their factory
    value in red, with the factory value. Plain lines, not a Rich table: a table is measured and
    laid out anew each time the tab is shown after it changed (10-27 ms of that frame), lines
    are not. A line longer than the panel is cut with an ellipsis (the widget's no-wrap style)."""
    changed = {name: factory for name, _, factory in ob.differences_from_factory()}
    rows = [("OPTCR", f"0x{ob.optcr:08X}", f"OPTCR1 0x{ob.optcr1:08X}", None)]
    for name, value, meaning in ob.describe():
        rows.append((name, value, meaning, changed.get(name)))
    name_w = max(len(r[0]) for r in rows) + 1
    value_w = max(len(r[1]) for r in rows) + 1
    lines = []
    for n, (name, value, meaning, factory) in enumerate(rows):
        if factory is not None:
            lines.append(Text.assemble((name.ljust(name_w), "bold red"), (value.ljust(value_w), "bold red"),
                                       (f"{meaning} (factory 0x{factory:X})", "red")))
        else:
            lines.append(Text.assemble((name.ljust(name_w), "bold"), value.ljust(value_w),
                                       (meaning, "bold" if n == 0 else "dim")))
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


def sector_map(ob: Any) -> Text:
    """One cell per sector, numbered as RM0410/RM0090 and STM32CubeProgrammer number them (bank 2
    from 12): green = writable, red = write-protected; banks apart in dual-bank mode."""
    text = Text("WRP ", "bold")
    protection = ob.sector_protection()
    layout = ob.layout()
    bank = None
    for sector in layout:
        if layout.dual_bank and sector.bank != bank:
            bank = sector.bank
            text.append(f"B{bank} ", "bold")
        text.append(f"{sector.number:>2}", "white on red" if protection[sector.number] else "black on green")
        text.append(" ")
    count = sum(1 for p in protection.values() if p)
    text.append(f" {count} of {len(protection)} sectors write-protected" if count else " no sector write-protected",
                "bold red" if count else "green")
    return text


class TargetPanel(BenchPanel):
    """Probe, connect mode, connect/disconnect; erase, program, verify with progress; option bytes."""

    def __init__(self, state, **kw: Any):
        super().__init__(state, **kw)
        self._op: tuple[str, float] | None = None  # step and start time of the running operation
        self._progress: tuple[str, int, int] | None = None  # (step, done, total) not drawn yet
        self._ob_drawn: tuple | None = None  # (values, current, when) the option bytes area last drew

    def compose(self) -> ComposeResult:
        target = self.profile.target
        with Horizontal(classes="row"):
            yield Label(f"probe {target.probe_uid}", id="probe", classes="field-label")
            yield Select([(m, m) for m in CONNECT_MODES], value=target.connect_mode, allow_blank=False,
                         id="mode", compact=True)
            yield sized(Button(connect_label(False), id="connect", compact=True, variant="primary",
                               action="app.toggle_connect"), connect_label(True))
        with Horizontal(classes="row buttons"):  # two groups: stacked when narrow, one row when wide
            with Horizontal(classes="button-group"):
                yield button("flash", "flash", variant="warning")
                yield button("program", "program")
                yield button("verify", "verify")
                yield button("read_option_bytes", "read-ob")
            with Horizontal(classes="button-group"):
                yield button("erase_sectors", "erase-sectors")
                yield button("erase_chip", "erase-chip", variant="error")
                yield button("remove_wrp", "remove-wrp", variant="error")
        with Horizontal(classes="row"):
            yield ProgressBar(total=100, show_eta=False, id="progress")
            yield Label("", id="rate")
        yield Static("not connected", id="identity")
        yield Static("", id="sectors")
        with VerticalScroll(id="ob-area"):
            yield Static(Text("option bytes: connect (c) to read them", "dim"), id="ob")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "mode" and event.value is not Select.BLANK:
            self.post_message(ConnectModeChanged(str(event.value)))

    # -- views ------------------------------------------------------------------------------
    def paint(self) -> None:
        state = self.state.bench
        ident = self.query_one("#identity", Static)
        if state is not None and state.target_identity is not None:
            set_text(ident, Text.assemble(("● ", "green"), state.target_identity.describe()))
        elif state is not None and state.target_error:
            set_text(ident, Text.assemble(("● ", "bold red"), state.target_error))
        else:
            set_text(ident, Text("○ not connected", "dim"))
        label = connect_label(state is not None and state.target_connected)
        connect = self.query_one("#connect", Button)
        if str(connect.label) != label:
            connect.label = label  # the button is as wide as its longest label (compose)
        self._show_ob()
        if self._progress is not None:
            self._show_progress(*self._progress)

    def _show_ob(self) -> None:
        """The option bytes and WRP map; once the target is disconnected they are marked as an
        earlier reading (dimmed, with the time), never shown as the target's current state."""
        target = self.state.target
        ob = target.option_bytes
        current = self.state.option_bytes_current
        # By value: the loop reads the same option bytes every cycle, and redrawing them (and
        # the layout of the area they are in) is most of a frame.
        key = None if ob is None else (type(ob), ob.encode(), getattr(ob, "dev_id", None),
                                       getattr(ob, "flash_kb", None), current,
                                       None if current else target.option_bytes_at)
        if key is None or self._ob_drawn == key:
            return
        self._ob_drawn = key
        ob_area, sectors = self.query_one("#ob", Static), self.query_one("#sectors", Static)
        ob_area.update(option_bytes_view(ob))
        if current:
            sectors.update(sector_map(ob))
        else:
            when = time.strftime("%H:%M:%S", time.localtime(target.option_bytes_at))
            sectors.update(Text.assemble((f"as read at {when}, target not connected now: ", "bold yellow"),
                                         sector_map(ob)))
        ob_area.set_class(not current, "stale")
        sectors.set_class(not current, "stale")

    def bench_event(self, event: Any) -> None:
        if isinstance(event, ev.Progress):
            self.show_progress(event.step, event.done, event.total)
        elif isinstance(event, ev.StepFinished) and event.record.name == "read_identity":
            self.invalidate()  # the state decoded the option bytes the loop read

    def show_progress(self, step: str, done: int, total: int) -> None:
        """Progress bar plus amount and rate; a new step restarts the clock."""
        if self._op is None or self._op[0] != step or done == 0:
            self._op = (step, time.monotonic())
        self._progress = (step, done, total)
        self.invalidate()

    def _show_progress(self, step: str, done: int, total: int) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)
        elapsed = time.monotonic() - self._op[1] if self._op else 0.0
        if total >= 4096:  # bytes
            rate = f"  {done / 1024 / elapsed:6.1f} KB/s" if elapsed > 0 and done else ""
            text = f"{step} {done / 1024:.1f}/{total / 1024:.1f} KB{rate}"
        else:
            text = f"{step} {done}/{total}"
        set_text(self.query_one("#rate", Label), text)  # #rate is 1fr wide, one row: no layout
