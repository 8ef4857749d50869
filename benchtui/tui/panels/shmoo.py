"""The shmoo tab: the fields to vary and their values, cycles per cell, adaptive or every cell;
run / stop; the coloured grid filling in as cells are run, and where the boundary lies.

The tab asks for a shmoo with ShmooRequested (its fields as typed); the app checks them (the
hard limits before anything runs) and runs it. What is drawn comes from `state.shmoo`
(tui/shmoo_view.py), which follows the runner's events.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.validation import Integer
from textual.widgets import Input, Label, Static, Switch

from ...bench import events as ev
from ..keys import button
from ..messages import ShmooRequested
from ..shmoo_view import boundary_lines, grid_text
from .base import BenchPanel, set_text

#: What the fields hold at first: the supply's setpoint around the profile's, and the off-time.
DEFAULT_X = "psu.voltage=3.0:3.6:0.1"
DEFAULT_Y = "cycle.off_s=0.01,0.05"


class ShmooPanel(BenchPanel):
    """A shmoo's settings and controls, and its grid as it fills in."""

    def __init__(self, state, **kw: Any):
        super().__init__(state, **kw)
        self._drawn_version = -1

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("vary", classes="field-label")
            yield Input(DEFAULT_X, id="shmoo-x", classes="spec", tooltip="FIELD=a:b:step or FIELD=a,b,c")
            yield Input(DEFAULT_Y, id="shmoo-y", classes="spec", tooltip="a second field (empty: one axis)")
        with Horizontal(classes="row"):
            yield Label("cycles/cell", classes="field-label")
            yield Input("12", id="shmoo-cycles", type="integer", classes="number", validators=[Integer(minimum=1)])
            yield Label("every cell", classes="field-label")
            yield Switch(False, id="shmoo-full", tooltip="off: adaptive (coarse, then along the edge)")
            yield button("run_shmoo", "run-shmoo", variant="primary")
            yield button("stop_shmoo", "stop-shmoo", variant="error")
        yield Label("", id="shmoo-status")
        with VerticalScroll(id="shmoo-body"):
            yield Static(Text("no shmoo yet", "dim"), id="shmoo-grid")
            yield Static("", id="shmoo-boundary")

    def request_shmoo(self) -> None:
        """Ask for a shmoo with this tab's fields."""
        varies = [v for v in (self.query_one("#shmoo-x", Input).value.strip(),
                              self.query_one("#shmoo-y", Input).value.strip()) if v]
        value = self.query_one("#shmoo-cycles", Input).value.strip()
        cycles = int(value) if value.isdigit() and int(value) > 0 else 12
        self.post_message(ShmooRequested(varies, cycles, full=self.query_one("#shmoo-full", Switch).value))

    def bench_event(self, event: Any) -> None:
        if isinstance(event, (ev.ShmooCell, ev.ShmooFinished)):
            self.invalidate()

    def paint(self) -> None:
        view = self.state.shmoo
        set_text(self.query_one("#shmoo-status", Label), Text(view.status_line()))
        if view.version == self._drawn_version:
            return
        self._drawn_version = view.version
        self.query_one("#shmoo-grid", Static).update(grid_text(view))
        lines = boundary_lines(view)
        text = Text()
        if lines:
            text.append(f"boundary along {view.grid.axes[0].name}:", "bold")
            for line in lines:
                text.append(f"\n  {line}")
        elif view.grid is not None and not view.running and view.level is None:
            text.append("no edge inside the grid", "dim")
        self.query_one("#shmoo-boundary", Static).update(text)
