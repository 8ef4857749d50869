"""The loop tab: cycles and stop-on-failure, run / pause / stop, progress, the live cycle table,
the ranked correlation summary as cycles land, and the top feature plotted by pass/fail."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import Integer
from textual.widgets import DataTable, Input, Label, ProgressBar, Static, Switch

from ...bench import events as ev
from ...text import printable
from ..keys import button
from ..messages import CycleChosen, RunRequested
from ..state import CycleRow
from ..widgets import StripPlot
from ..words import short_error
from .base import BenchPanel, set_text

#: Columns of the cycle table; "key features" shows the top-ranked features' values.
COLUMNS = ("#", "result", "error", "key features")
#: Width of the error column; the highlighted cycle's whole error is shown below the table.
ERROR_WIDTH = 26
#: Summary lines shown (the report in the results tab has them all).
SUMMARY_LINES = 4


def display_scale(unit: str, values: list[float]) -> tuple[float, str]:
    """(factor, unit) to show values in: seconds as ms or µs, so 4e-06 reads as 4 µs."""
    if unit != "s":
        return 1.0, unit
    top = max((abs(v) for v in values if v is not None), default=0.0)
    return (1.0, "s") if top >= 1 else (1e3, "ms") if top >= 1e-3 else (1e6, "µs")


def short_feature(name: str) -> str:
    """'power_up.VCAP1.max' -> 'VCAP1.max': the window is in the summary, the column is narrow."""
    parts = name.split(".")
    return ".".join(parts[1:]) if len(parts) > 2 else name


def key_features_label(names: list[str]) -> str:
    """Header of the key-features column: the feature names, so each cell holds only values."""
    return " / ".join(short_feature(name) for name in names) or "key features"


def key_features_text(row: CycleRow, names: list[str]) -> str:
    """'12 µs / 1.290 V / ≥ 1.100 V': the cycle's values of `names`, in the header's order, with
    the digits their instrument resolved and a bound shown as a bound ('-' if missing)."""
    return " / ".join(row.text(n) for n in names)


def cycle_detail(record: CycleRow, names: list[str]) -> Text:
    """One cycle in full: result, failing step, the whole error, its key features."""
    text = Text(f"cycle {record.index}: ", "bold")
    if record.passed:
        text.append("pass", "green")
    else:
        text.append(f"FAIL in {record.failed_step or '?'}", "bold red")
        if record.error_text:
            text.append(f" — {printable(' '.join(record.error_text.split()))}")
    features = "  ".join(f"{short_feature(n)} {record.text(n)}" for n in names if record.value(n) is not None)
    if features:
        text.append(f"  [{features}]", "dim")
    return text


class LoopPanel(BenchPanel):
    """The loop's settings and controls, and what it finds while it runs (console.loop)."""

    def __init__(self, state, **kw: Any):
        super().__init__(state, **kw)
        self._drawn_run: int | None = None  # the run whose rows the table holds
        self._drawn_rows = 0
        self._drawn_keys: list[str] = []  # the key columns the table shows
        self._drawn_analysis: Any = None

    @property
    def loop(self) -> Any:
        return self.state.loop

    def compose(self) -> ComposeResult:
        cycle = self.profile.cycle
        with Horizontal(classes="row"):
            yield Label("Cycles", classes="field-label")
            yield Input(str(cycle.count), id="cycles", type="integer", classes="number",
                        validators=[Integer(minimum=0)], tooltip="0 = until stopped")
            yield Label("stop on fail", classes="field-label")
            yield Switch(cycle.stop_on_failure, id="stop-on-failure")
            yield button("run_loop", "run", variant="primary")
            yield button("pause", "pause")
            yield button("stop_loop", "stop", variant="error")
        with Horizontal(classes="row"):
            yield Label("diagnose", classes="field-label")
            yield Switch(False, id="until-diagnosed",
                         tooltip="stop as soon as the diagnosis is settled (Cycles is then the most to run)")
            # Never indeterminate: that bar redraws itself 15 times a second.
            yield ProgressBar(total=max(1, cycle.count), show_eta=False, id="loop-progress")
            yield Label("idle", id="loop-status")
        with Horizontal(id="loop-body"):
            with Vertical(id="loop-left"):
                yield DataTable(id="cycles-table", cursor_type="row", zebra_stripes=True)
                yield Static(Text("highlight a cycle to read its whole error; Enter opens it", "dim"),
                             id="cycle-detail")
            with Vertical(id="loop-findings"):
                yield Static(Text("correlation: appears as cycles land", "dim"), id="summary")
                yield StripPlot(id="top-plot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._drawn_keys = list(self.loop.key_names)
        for name in COLUMNS:
            label = key_features_label(self._drawn_keys) if name == "key features" else name
            table.add_column(label, width=ERROR_WIDTH if name == "error" else None, key=name)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.data_table.id != "cycles-table":
            return
        record = next((r for r in self.loop.records if str(r.index) == event.row_key.value), None)
        if record is not None:
            self.query_one("#cycle-detail", Static).update(cycle_detail(record, self._drawn_keys))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a cycle row opens that cycle in full (read back from the store)."""
        if event.data_table.id != "cycles-table" or event.row_key is None or self._drawn_run is None:
            return
        self.post_message(CycleChosen(self._drawn_run, int(event.row_key.value)))

    def request_run(self) -> None:
        """Ask for a run with this tab's cycle count and stop-on-failure switch."""
        value = self.query_one("#cycles", Input).value.strip()
        cycles = int(value) if value.isdigit() else self.profile.cycle.count
        self.post_message(RunRequested(cycles, self.query_one("#stop-on-failure", Switch).value,
                                       until_diagnosed=self.query_one("#until-diagnosed", Switch).value))

    # -- events -----------------------------------------------------------------------------
    def bench_event(self, event: Any) -> None:
        if isinstance(event, (ev.RunStarted, ev.CycleStarted, ev.StepStarted, ev.CycleFinished,
                              ev.RunFinished)) or (isinstance(event, ev.Progress) and event.index is not None):
            self.invalidate()

    def paint(self) -> None:
        loop = self.loop
        if loop.run_id != self._drawn_run:
            self._start_run(loop.run_id, loop.planned)
        if loop.analysis is not self._drawn_analysis:
            self._show_analysis()
        self._add_rows()
        self.show_status()

    def _start_run(self, run_id: int | None, planned: int | None) -> None:
        self._drawn_run, self._drawn_rows, self._drawn_analysis = run_id, 0, None
        self.query_one(DataTable).clear()
        bar = self.query_one("#loop-progress", ProgressBar)
        bar.display = bool(planned)  # until stopped: the status line counts the cycles
        bar.update(total=max(1, planned or 1), progress=0)
        self.query_one("#summary", Static).update(Text(f"run {run_id}: correlation appears as cycles land", "dim"))
        self.query_one(StripPlot).set_points("", [], None)

    def _add_rows(self) -> None:
        records = self.loop.records
        if self._drawn_rows >= len(records):
            return
        table = self.query_one(DataTable)
        for record in records[self._drawn_rows:]:
            result = Text("pass", "green") if record.passed else \
                Text(f"FAIL {record.failed_step or ''}".strip(), "bold red")
            table.add_row(str(record.index), result, Text(printable(short_error(record.error_text, ERROR_WIDTH))),
                          key_features_text(record, self._drawn_keys), key=str(record.index))
        self._drawn_rows = len(records)
        table.move_cursor(row=len(records) - 1)

    def show_status(self) -> None:
        """'cycle 5/12: program 66%   done ✓2 ✗2   6.5 cycles/min' while running; totals after."""
        loop = self.loop
        elapsed = max(time.monotonic() - loop.started, 1e-6)
        rate = len(loop.records) / elapsed * 60
        of = f"/{loop.planned}" if loop.planned else ""
        paused = "  PAUSED" if loop.paused else ""
        if loop.running:
            text = Text(f"cycle {len(loop.records) + 1}{of}: {loop.step}{paused}   done ")
        else:
            text = Text(f"{len(loop.records)}{of} cycles {loop.step or 'idle'}   ")
        text.append(f"✓{loop.passed}", "green")
        text.append(" ")
        text.append(f"✗{loop.failed}", "bold red" if loop.failed else "dim")
        if loop.records:
            text.append(f"   {rate:.1f}/min", "dim")
        set_text(self.query_one("#loop-status", Label), text)  # one row, 1fr wide: no layout
        bar = self.query_one("#loop-progress", ProgressBar)
        if bar.display and bar.progress != len(loop.records):
            bar.update(progress=len(loop.records))

    # -- correlation ------------------------------------------------------------------------
    def _show_analysis(self) -> None:
        """The diagnosis in hardware terms (what to measure next), then the ranked correlation
        lines; the top features become the table's key columns and the plot."""
        loop = self.loop
        analysis, diagnosis = loop.analysis, loop.diagnosis
        self._drawn_analysis = analysis
        findings = list(getattr(analysis, "findings", []) or [])
        text = Text()
        if diagnosis is not None:  # the one decision, as every report prints it
            text.append(f"▸ {diagnosis.verdict}", "bold yellow" if diagnosis.settled else "bold")
            if diagnosis.items:
                text.append(f"\n  next: {diagnosis.items[0].measure}")
            text.append("\n")
            lines = list(diagnosis.summary[1:])
            text.append(f"correlation (ranked, {len(loop.records)} cycles)", "bold")
            if diagnosis.rule:
                text.append(f"  {diagnosis.rule}", "dim")
            for line in lines[:SUMMARY_LINES]:
                text.append(f"\n▸ {line}")
            if not analysis.separating:
                text.append("\nno separating feature yet", "dim")
        self.query_one("#summary", Static).update(text)
        self._add_rows()  # the rows landed so far, under the old key columns
        if loop.key_names != self._drawn_keys:
            self._drawn_keys = list(loop.key_names)
            self._refresh_key_column()
        if findings:
            top = findings[0]
            points = [(r.value(top.feature), not r.passed) for r in loop.records]
            points = [(v, failed) for v, failed in points if v is not None]
            threshold = getattr(top, "threshold", None)
            factor, unit = display_scale(loop.units.get(top.feature, ""), [v for v, _ in points])
            indices = [r.index for r in loop.records if r.value(top.feature) is not None]
            self.query_one(StripPlot).set_points(
                f"{top.feature} ({unit})" if unit else top.feature, [(v * factor, f) for v, f in points],
                None if threshold is None else threshold * factor,
                x_range=(indices[0], indices[-1]) if indices else None)

    def _refresh_key_column(self) -> None:
        table = self.query_one(DataTable)
        # A new column (not a relabel): DataTable sizes a column from its label when it is added.
        table.remove_column("key features")
        table.add_column(key_features_label(self._drawn_keys), key="key features", default="")
        for record in self.loop.records[:self._drawn_rows]:
            table.update_cell(str(record.index), "key features", key_features_text(record, self._drawn_keys),
                              update_width=True)
