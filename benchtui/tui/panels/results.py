"""The results tab: earlier runs in the database and the cycles of the highlighted run.

Enter on a run opens its correlation report (x exports it to a file); Enter on a cycle opens that
cycle in full. Each view of the results is one widget in `#results-body` (runs, cycles of the
highlighted run, the boards of every run compared), stacked when narrow, side by side when wide.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Static

from ...text import printable
from ..keys import button
from ..messages import BoardsChosen, CycleChosen, RunChosen, RunHighlighted
from ..words import short_error
from .base import BenchPanel

COLUMNS = ("run", "started", "bench", "scenario", "cycles", "failed", "status")
BOARD_COLUMNS = ("", "board", "label", "cycles", "failed", "failures by mode")
CYCLE_COLUMNS = ("#", "result", "error")


def run_row(run: Any) -> tuple:
    started = getattr(run, "started", None)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started)) if isinstance(started, (int, float)) \
        else str(started or "")
    failures = getattr(run, "failures", 0) or 0
    return (str(run.id), when, stored(getattr(run, "bench", None) or "-"),
            stored(getattr(run, "scenario", None) or "-"),
            str(getattr(run, "cycles", "")), Text(str(failures), "bold red" if failures else "green"),
            stored(getattr(run, "status", "") or ""))


def stored(value: Any) -> Text:
    """Text read from the database as a table cell: printable, and a Text, so that a DataTable
    does not read "[...]" in it as markup."""
    return Text(printable(value))


def cycle_row(record: Any) -> tuple:
    result = Text("pass", "green") if record.passed else Text(f"FAIL {record.failed_step or ''}", "bold red")
    return (str(record.index), result, stored(short_error(record.error_text, 40)))


class ResultsPanel(BenchPanel):
    """Runs of the database, the highlighted run's cycles and the boards compared (console.results)."""

    def __init__(self, state, **kw: Any):
        super().__init__(state, **kw)
        self._drawn: dict[str, Any] = {}  # view -> what it drew (by identity)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield button("refresh_runs", "refresh")
            yield button("open_report", "open", variant="primary")
            yield button("export_report", "export")
            yield Label(Text(self.profile.store.database), id="database", classes="hint")
        with Horizontal(id="results-body"):
            with Vertical(id="runs-view", classes="results-view"):
                yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="cycles-view", classes="results-view"):
                yield Label("cycles of the highlighted run (Enter opens one)", id="cycles-title", classes="hint")
                yield DataTable(id="run-cycles-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="boards-view", classes="results-view"):
                yield Static("boards: none compared yet", id="boards-summary", classes="hint")
                yield DataTable(id="boards-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#runs-table", DataTable).add_columns(*COLUMNS)
        self.query_one("#run-cycles-table", DataTable).add_columns(*CYCLE_COLUMNS)
        self.query_one("#boards-table", DataTable).add_columns(*BOARD_COLUMNS)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        results = self.state.results
        if event.data_table.id == "runs-table" and event.row_key is not None:
            self.post_message(RunChosen(int(event.row_key.value)))
        elif event.data_table.id == "run-cycles-table" and results.cycles_run is not None and event.row_key:
            self.post_message(CycleChosen(results.cycles_run, int(event.row_key.value)))
        elif event.data_table.id == "boards-table":
            self.post_message(BoardsChosen())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs-table" and event.row_key is not None:
            self.post_message(RunHighlighted(int(event.row_key.value)))

    def paint(self) -> None:
        results = self.state.results
        if self._drawn.get("runs") is not results.runs:
            self._drawn["runs"] = results.runs
            table = self.query_one("#runs-table", DataTable)
            table.clear()
            for run in results.runs:
                table.add_row(*run_row(run), key=str(run.id))
        if self._drawn.get("cycles") is not results.cycles:
            self._drawn["cycles"] = results.cycles
            self._show_cycles(results.cycles_run, results.cycles)
        if results.comparison is not None and self._drawn.get("boards") is not results.comparison:
            self._drawn["boards"] = results.comparison
            self._show_boards(results.comparison)

    def _show_cycles(self, run_id: int | None, cycles: list[Any]) -> None:
        if run_id is None:
            return
        self.query_one("#cycles-title", Label).update(
            f"run {run_id}: {len(cycles)} cycles, {sum(1 for c in cycles if not c.passed)} failed "
            "(Enter opens one)")
        table = self.query_one("#run-cycles-table", DataTable)
        table.clear()
        for record in cycles:
            table.add_row(*cycle_row(record), key=str(record.index))

    def _show_boards(self, comparison: Any) -> None:
        """The by-board comparison: what stands out in words, then one row per board."""
        lines = list(comparison.summary)
        self.query_one("#boards-summary", Static).update(
            Text("\n".join(map(printable, lines[:4])) + ("\n…" if len(lines) > 4 else "") + "   (y: in full)",
                 "bold red" if comparison.standouts else ""))
        out = {s.row.key for s in comparison.standouts}
        table = self.query_one("#boards-table", DataTable)
        table.clear()
        for row in comparison.rows:
            modes = ", ".join(f"{m} {n}" for m, n in sorted(row.failures_by_mode.items(), key=lambda kv: -kv[1]))
            table.add_row(Text("*", "bold red") if row.key in out else "", stored(row.key), stored(row.label or ""),
                          str(row.cycles), Text(str(row.failures), "bold red" if row.failures else "green"),
                          short_error(modes or "-", 40), key=row.key)
