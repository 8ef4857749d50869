"""The loop tab: cycles and stop-on-failure, run / pause / stop, progress, the live cycle table,
the ranked correlation summary as cycles land, and the top feature plotted by pass/fail."""

from __future__ import annotations

import dataclasses
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
from ..widgets import StripPlot
from ..words import step_words
from .base import BenchPanel, set_text

#: Columns of the cycle table; "key features" shows the top-ranked features' values.
COLUMNS = ("#", "result", "error", "key features")
#: Width of the error column; the highlighted cycle's whole error is shown below the table.
ERROR_WIDTH = 26
#: Summary lines shown (the report in the results tab has them all).
SUMMARY_LINES = 4


@dataclasses.dataclass(frozen=True, slots=True)
class CycleRow:
    """What the loop tab keeps of a landed cycle: its table row, detail line and plot point.

    The store keeps the whole record (Enter reads it back). A CycleRecord is ~150 objects the
    garbage collector walks on every full pass (steps, features, events, option bytes); kept
    for every cycle of an all-day run, those passes grow into the event loop's longest stalls.
    A row is one object: its values dict holds only numbers (the collector does not track it)
    and `units` is one dict shared by all rows of the panel.
    """

    index: int
    passed: bool
    failed_step: str | None
    error_text: str | None
    values: dict[str, float | None]
    units: dict[str, str]

    @classmethod
    def of(cls, record: Any, units: dict[str, str]) -> "CycleRow":
        for f in record.features:
            units.setdefault(f.name, f.unit)
        return cls(record.index, record.passed, record.failed_step, record.error_text,
                   {f.name: f.value for f in record.features}, units)


def feature_value(row: CycleRow, name: str) -> float | None:
    return row.values.get(name)


def display_scale(unit: str, values: list[float]) -> tuple[float, str]:
    """(factor, unit) to show values in: seconds as ms or µs, so 4e-06 reads as 4 µs."""
    if unit != "s":
        return 1.0, unit
    top = max((abs(v) for v in values if v is not None), default=0.0)
    return (1.0, "s") if top >= 1 else (1e3, "ms") if top >= 1e-3 else (1e6, "µs")


def format_value(value: float | None, unit: str) -> str:
    """A feature value with its unit, scaled for reading: '4 µs', '1.29 V', '0'."""
    if value is None:
        return "-"
    factor, shown = display_scale(unit, [value])
    return f"{value * factor:.3g} {shown}".rstrip()


def short_feature(name: str) -> str:
    """'power_up.VCAP1.max' -> 'VCAP1.max': the window is in the summary, the column is narrow."""
    parts = name.split(".")
    return ".".join(parts[1:]) if len(parts) > 2 else name


def key_features_label(names: list[str]) -> str:
    """Header of the key-features column: the feature names, so each cell holds only values."""
    return " / ".join(short_feature(name) for name in names) or "key features"


def key_features_text(row: CycleRow, names: list[str]) -> str:
    """'12 µs / 1.29 V': the cycle's values of `names`, in the header's order ('-' if missing)."""
    return " / ".join(format_value(feature_value(row, n), row.units.get(n, "")) for n in names)


def short_error(text: str | None, width: int = ERROR_WIDTH) -> str:
    """The part of an error that differs between cycles, in `width` cells.

    Errors read 'what was done: what went wrong (evidence)'; the table shows what went wrong
    ('flash error PGPERR …'); the detail line under the table shows the whole message.
    """
    text = (text or "").replace("\n", " ").strip()
    head, sep, tail = text.partition(": ")
    core = tail if sep and tail else head
    return core if len(core) <= width else core[: width - 1] + "…"


def cycle_detail(record: CycleRow, names: list[str]) -> Text:
    """One cycle in full: result, failing step, the whole error, its key features."""
    text = Text(f"cycle {record.index}: ", "bold")
    if record.passed:
        text.append("pass", "green")
    else:
        text.append(f"FAIL in {record.failed_step or '?'}", "bold red")
        if record.error_text:
            text.append(f" — {printable(' '.join(record.error_text.split()))}")
    units = record.units
    features = "  ".join(f"{short_feature(n)} {format_value(feature_value(record, n), units.get(n, ''))}"
                         for n in names if feature_value(record, n) is not None)
    if features:
        text.append(f"  [{features}]", "dim")
    return text


class LoopPanel(BenchPanel):
    """Runs the cycle engine and shows what it finds while it runs."""

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.records: list[CycleRow] = []
        self._units: dict[str, str] = {}  # feature name -> unit, shared by the rows
        self.run_id: int | None = None
        self.planned: int | None = None
        self.step = ""
        self.started = 0.0
        fault = self.bench.profile.scope.fault_catch
        #: Until the correlation ranks features, show the fault-catch net's minimum.
        self.key_names: list[str] = [f"flash.{fault.source}.min"] if fault else []
        self.analysis: Any = None
        self.diagnosis: Any = None

    def compose(self) -> ComposeResult:
        cycle = self.bench.profile.cycle
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
        for name in COLUMNS:
            label = key_features_label(self.key_names) if name == "key features" else name
            table.add_column(label, width=ERROR_WIDTH if name == "error" else None, key=name)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.data_table.id != "cycles-table":
            return
        record = next((r for r in self.records if str(r.index) == event.row_key.value), None)
        if record is not None:
            self.query_one("#cycle-detail", Static).update(cycle_detail(record, self.key_names))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a cycle row opens that cycle in full (read back from the store)."""
        if event.data_table.id != "cycles-table" or event.row_key is None or self.run_id is None:
            return
        self.bench.open_cycle(self.run_id, int(event.row_key.value))

    @property
    def cycles_requested(self) -> int:
        value = self.query_one("#cycles", Input).value.strip()
        return int(value) if value.isdigit() else self.bench.profile.cycle.count

    @property
    def stop_on_failure(self) -> bool:
        return self.query_one("#stop-on-failure", Switch).value

    # -- events -----------------------------------------------------------------------------
    def bench_event(self, event: Any) -> None:
        if isinstance(event, ev.RunStarted):
            self.start_run(event.run_id, event.planned)
        elif isinstance(event, ev.CycleStarted):
            self.step = "starting"
        elif isinstance(event, ev.StepStarted):
            self.step = step_words(event.step)
        elif isinstance(event, ev.Progress) and event.index is not None and event.total:
            self.step = f"{step_words(event.step)} {100 * event.done // event.total}%"
        elif isinstance(event, ev.CycleFinished):
            self.add_cycle(event.record)
            self.bench.analyse_run(self.run_id)
        elif isinstance(event, ev.RunFinished):
            self.step = f"finished: {event.summary.status}"
        else:
            return
        self.invalidate()

    def start_run(self, run_id: int, planned: int | None) -> None:
        self.run_id, self.planned, self.records = run_id, planned, []
        self.started, self.step, self.analysis, self.diagnosis = time.monotonic(), "", None, None
        self.query_one(DataTable).clear()
        bar = self.query_one("#loop-progress", ProgressBar)
        bar.display = bool(planned)  # until stopped: the status line counts the cycles
        bar.update(total=max(1, planned or 1), progress=0)
        self.query_one("#summary", Static).update(Text(f"run {run_id}: correlation appears as cycles land", "dim"))
        self.query_one(StripPlot).set_points("", [], None)

    def add_cycle(self, record: Any) -> None:
        # The row keeps what the table, detail line and plot show; the rest of the record (and
        # its waveforms) stays in the store, where Enter reads it back.
        record = CycleRow.of(record, self._units)
        self.records.append(record)
        result = Text("pass", "green") if record.passed else \
            Text(f"FAIL {record.failed_step or ''}".strip(), "bold red")
        self.query_one(DataTable).add_row(
            str(record.index), result, Text(printable(short_error(record.error_text))),  # no markup
            key_features_text(record, self.key_names), key=str(record.index))
        self.query_one(DataTable).move_cursor(row=len(self.records) - 1)

    def paint(self) -> None:
        self.show_status()

    def show_status(self) -> None:
        """'cycle 5/12: program 66%   done ✓2 ✗2   6.5 cycles/min' while running; totals after."""
        passed = sum(1 for r in self.records if r.passed)
        failed = len(self.records) - passed
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = len(self.records) / elapsed * 60
        of = f"/{self.planned}" if self.planned else ""
        running = self.bench.engine is not None
        paused = "  PAUSED" if running and self.bench.engine.paused else ""
        if running:
            text = Text(f"cycle {len(self.records) + 1}{of}: {self.step}{paused}   done ")
        else:
            text = Text(f"{len(self.records)}{of} cycles {self.step or 'idle'}   ")
        text.append(f"✓{passed}", "green")
        text.append(" ")
        text.append(f"✗{failed}", "bold red" if failed else "dim")
        if self.records:
            text.append(f"   {rate:.1f}/min", "dim")
        set_text(self.query_one("#loop-status", Label), text)  # one row, 1fr wide: no layout
        bar = self.query_one("#loop-progress", ProgressBar)
        if bar.display and bar.progress != len(self.records):
            bar.update(progress=len(self.records))

    # -- correlation ------------------------------------------------------------------------
    def show_analysis(self, analysis: Any, diagnosis: Any = None) -> None:
        """The diagnosis in hardware terms (what to measure next), then the ranked correlation
        lines; the top features become the table's key columns and the plot."""
        self.analysis, self.diagnosis = analysis, diagnosis
        findings = list(getattr(analysis, "findings", []) or [])
        lines = list(getattr(analysis, "summary", []) or [])
        text = Text()
        items = list(getattr(diagnosis, "items", ()) or ())
        if items:
            text.append(f"▸ {diagnosis.verdict}", "bold yellow")
            text.append(f"\n  next: {items[0].measure}")
            text.append("\n")
        text.append(f"correlation (ranked, {len(self.records)} cycles)", "bold")
        for i, line in enumerate(lines[:SUMMARY_LINES]):
            text.append("\n")
            text.append(f"▸ {line}", "bold yellow" if i == 0 and findings and not items else "")
        if not lines:
            text.append("\nno separating feature yet", "dim")
        self.query_one("#summary", Static).update(text)
        names = list(dict.fromkeys(f.feature for f in findings))[:2]  # a feature can rank twice
        if names and names != self.key_names:
            self.key_names = names
            self._refresh_key_column()
        if findings:
            top = findings[0]
            points = [(feature_value(r, top.feature), not r.passed) for r in self.records]
            points = [(v, failed) for v, failed in points if v is not None]
            threshold = getattr(top, "threshold", None)
            factor, unit = display_scale(self._units.get(top.feature, ""), [v for v, _ in points])
            indices = [r.index for r in self.records if feature_value(r, top.feature) is not None]
            self.query_one(StripPlot).set_points(
                f"{top.feature} ({unit})" if unit else top.feature, [(v * factor, f) for v, f in points],
                None if threshold is None else threshold * factor,
                x_range=(indices[0], indices[-1]) if indices else None)

    def _refresh_key_column(self) -> None:
        table = self.query_one(DataTable)
        # A new column (not a relabel): DataTable sizes a column from its label when it is added.
        table.remove_column("key features")
        table.add_column(key_features_label(self.key_names), key="key features", default="")
        for record in self.records:
            table.update_cell(str(record.index), "key features", key_features_text(record, self.key_names),
                              update_width=True)
