"""The loop tab: cycles and stop-on-failure, run / pause / stop, progress, the live cycle table,
the ranked correlation summary as cycles land, and the top feature plotted by pass/fail."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import Integer
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Static, Switch

from ...bench import events as ev
from ..widgets import StripPlot
from .base import BenchPanel

#: Columns of the cycle table; "key features" shows the top-ranked features' values.
COLUMNS = ("#", "result", "failed step", "error", "key features")


def feature_value(record: Any, name: str) -> float | None:
    for f in record.features:
        if f.name == name:
            return f.value
    return None


def key_features_text(record: Any, names: list[str]) -> str:
    parts = []
    for name in names:
        value = feature_value(record, name)
        if value is not None:
            parts.append(f"{name.split('.', 1)[-1]} {value:.3g}")
    return "  ".join(parts)


class LoopPanel(BenchPanel):
    """Runs the cycle engine and shows what it finds while it runs."""

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.records: list[Any] = []
        self.run_id: int | None = None
        self.planned: int | None = None
        self.step = ""
        self.started = 0.0
        fault = self.bench.profile.scope.fault_catch
        #: Until the correlation ranks features, show the fault-catch net's minimum.
        self.key_names: list[str] = [f"flash.{fault.source}.min"] if fault else []
        self.analysis: Any = None

    def compose(self) -> ComposeResult:
        cycle = self.bench.profile.cycle
        with Horizontal(classes="row"):
            yield Label("Cycles", classes="field-label")
            yield Input(str(cycle.count), id="cycles", type="integer", classes="number",
                        validators=[Integer(minimum=0)], tooltip="0 = until stopped")
            yield Label("stop on fail", classes="field-label")
            yield Switch(cycle.stop_on_failure, id="stop-on-failure")
            yield Button("Run l", id="run", compact=True, variant="primary")
            yield Button("Pause ␣", id="pause", compact=True)
            yield Button("Stop s", id="stop", compact=True, variant="error")
        with Horizontal(classes="row"):
            yield ProgressBar(total=None, show_eta=False, id="loop-progress")
            yield Label("idle", id="loop-status")
        with Horizontal(id="loop-body"):
            yield DataTable(id="cycles-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="loop-findings"):
                yield Static(Text("correlation: appears as cycles land", "dim"), id="summary")
                yield StripPlot(id="top-plot")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)

    @property
    def cycles_requested(self) -> int:
        value = self.query_one("#cycles", Input).value.strip()
        return int(value) if value.isdigit() else self.bench.profile.cycle.count

    @property
    def stop_on_failure(self) -> bool:
        return self.query_one("#stop-on-failure", Switch).value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"run": self.bench.action_run_loop, "pause": self.bench.action_pause,
                   "stop": self.bench.action_stop_loop}
        if event.button.id in actions:
            actions[event.button.id]()

    # -- events -----------------------------------------------------------------------------
    def bench_event(self, event: Any) -> None:
        if isinstance(event, ev.RunStarted):
            self.start_run(event.run_id, event.planned)
        elif isinstance(event, ev.CycleStarted):
            self.step = "starting"
        elif isinstance(event, ev.StepStarted):
            self.step = event.step
        elif isinstance(event, ev.Progress) and event.index is not None and event.total:
            self.step = f"{event.step} {100 * event.done // event.total}%"
        elif isinstance(event, ev.CycleFinished):
            self.add_cycle(event.record)
            self.bench.analyse_run(self.run_id)
        elif isinstance(event, ev.RunFinished):
            self.step = f"finished: {event.summary.status}"
        else:
            return
        self.show_status()

    def start_run(self, run_id: int, planned: int | None) -> None:
        self.run_id, self.planned, self.records = run_id, planned, []
        self.started, self.step, self.analysis = time.monotonic(), "", None
        self.query_one(DataTable).clear()
        self.query_one("#loop-progress", ProgressBar).update(total=planned, progress=0)
        self.query_one("#summary", Static).update(Text(f"run {run_id}: correlation appears as cycles land", "dim"))
        self.query_one(StripPlot).set_points("", [], None)

    def add_cycle(self, record: Any) -> None:
        self.records.append(record)
        result = Text("pass", "green") if record.passed else Text("FAIL", "bold red")
        error = (record.error_text or "").replace("\n", " ")
        self.query_one(DataTable).add_row(
            str(record.index), result, record.failed_step or "", error[:60],
            key_features_text(record, self.key_names), key=str(record.index))
        self.query_one(DataTable).move_cursor(row=len(self.records) - 1)
        self.query_one("#loop-progress", ProgressBar).update(progress=len(self.records))

    def show_status(self) -> None:
        passed = sum(1 for r in self.records if r.passed)
        failed = len(self.records) - passed
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = len(self.records) / elapsed * 60
        of = f"/{self.planned}" if self.planned else ""
        paused = "  PAUSED" if self.bench.engine is not None and self.bench.engine.paused else ""
        text = Text(f"cycle {len(self.records)}{of}  ")
        text.append(f"✓{passed}", "green")
        text.append("  ")
        text.append(f"✗{failed}", "bold red" if failed else "dim")
        text.append(f"  {self.step}  {rate:.1f}/min{paused}")
        self.query_one("#loop-status", Label).update(text)

    # -- correlation ------------------------------------------------------------------------
    def show_analysis(self, analysis: Any) -> None:
        """Ranked summary lines; the top features become the table's key columns and the plot."""
        self.analysis = analysis
        findings = list(getattr(analysis, "findings", []) or [])
        lines = list(getattr(analysis, "summary", []) or [])
        text = Text("correlation (ranked)\n", "bold")
        for i, line in enumerate(lines[:6]):
            text.append(f"{line}\n", "bold yellow" if i == 0 else "")
        if not lines:
            text.append("no separating feature yet", "dim")
        self.query_one("#summary", Static).update(text)
        names = [f.feature for f in findings[:2]]
        if names and names != self.key_names:
            self.key_names = names
            self._refresh_key_column()
        if findings:
            top = findings[0]
            points = [(feature_value(r, top.feature), not r.passed) for r in self.records]
            points = [(v, failed) for v, failed in points if v is not None]
            self.query_one(StripPlot).set_points(top.feature, points, getattr(top, "threshold", None))

    def _refresh_key_column(self) -> None:
        table = self.query_one(DataTable)
        column = list(table.columns)[-1]
        for record in self.records:
            table.update_cell(str(record.index), column, key_features_text(record, self.key_names))
