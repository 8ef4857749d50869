"""The results tab: earlier runs in the database; Enter opens a run's correlation report."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Label

from .base import BenchPanel

COLUMNS = ("run", "started", "scenario", "cycles", "failed", "status")


def run_row(run: Any) -> tuple:
    started = getattr(run, "started", None)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started)) if isinstance(started, (int, float)) \
        else str(started or "")
    failures = getattr(run, "failures", 0) or 0
    return (str(run.id), when, getattr(run, "scenario", None) or "-", str(getattr(run, "cycles", "")),
            Text(str(failures), "bold red" if failures else "green"), getattr(run, "status", "") or "")


class ResultsPanel(BenchPanel):
    """Lists runs (read in a thread: the database may be large); Enter or 'Open report' opens one."""

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.runs: list[Any] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Button("Refresh", id="refresh", compact=True)
            yield Button("Open report (enter)", id="open", compact=True, variant="primary")
            yield Label(self.bench.profile.store.database, id="database", classes="hint")
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "refresh":
            self.bench.load_runs()
        elif event.button.id == "open":
            self.open_selected()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_selected()

    def show_runs(self, runs: list[Any]) -> None:
        self.runs = sorted(runs, key=lambda r: r.id, reverse=True)
        table = self.query_one(DataTable)
        table.clear()
        for run in self.runs:
            table.add_row(*run_row(run), key=str(run.id))

    def open_selected(self) -> None:
        table = self.query_one(DataTable)
        if not self.runs:
            self.notify("no runs recorded yet: run the loop (l) first", severity="warning")
            return
        run = self.runs[min(table.cursor_row, len(self.runs) - 1)]
        self.bench.open_report(run.id)
