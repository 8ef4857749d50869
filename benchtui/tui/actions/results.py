"""Results actions: the correlation of the running loop, the run list, a run's report (shown and
exported), one cycle opened in full, and saving the log and the current capture.

Everything that reads the database or writes a file runs in a thread: a run can be large.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from textual import on

from ..messages import CycleChosen, ReportExportRequested, RunChosen, RunHighlighted
from ..panels import LogPanel, LoopPanel, OverviewPanel, ResultsPanel
from .boards import BoardActions


class ResultsActions(BoardActions):
    """The results tab's reads, and the loop's correlation (BoardActions: the boards compared)."""

    _analysis_running = False
    _analysis_again: int | None = None

    def output_dir(self) -> Path:
        """Where saved logs, captures and exported reports go: beside the profile's database."""
        return Path(self.profile.store.database).expanduser().resolve().parent

    def notice(self, text: str) -> None:
        """A one-line notice that also lands in the log."""
        self.log_line("console", text)
        self.notify(text, timeout=8, markup=False)  # it may name a file or a run

    def _store(self) -> Any:
        from ...bench.store import open_store
        return open_store(self.profile.store.database, readonly=True)

    # -- correlation of the running loop ----------------------------------------------------
    @property
    def analysing(self) -> bool:
        """A correlation is being computed (or one is due after it)."""
        return self._analysis_running or self._analysis_again is not None

    def analyse_run(self, run_id: int | None) -> None:
        """Recompute the correlation in a thread; calls made while one runs coalesce into one rerun."""
        if run_id is None:
            return
        if self._analysis_running:
            self._analysis_again = run_id
            return
        self._analysis_running = True

        def analyse() -> Any:
            from ...bench.report import load_report
            # The same report `benchtui report` prints: the correlation with the run's steps and
            # the diagnosis in hardware terms (what to do next), not only the statistic.
            with self._store() as store:
                return load_report(store, run_id)

        def done(report: Any) -> None:
            if self.state.loop.analysed(run_id, report.analysis, report.diagnosis):
                self.changed(LoopPanel, OverviewPanel)
        self.in_thread(analyse, "correlation", done, group="analysis", finally_=self._analysis_done)

    def _analysis_done(self) -> None:
        self._analysis_running = False
        again, self._analysis_again = self._analysis_again, None
        if again is not None:
            self.analyse_run(again)

    # -- runs -------------------------------------------------------------------------------
    def load_runs(self) -> None:
        """Read the run list of the profile's database in a thread (and compare its boards)."""
        from ...bench.store import exists
        if not exists(self.profile.store.database):
            return

        def read() -> list[Any]:
            with self._store() as store:
                return store.runs()

        def done(runs: list[Any]) -> None:
            self.state.results.runs = sorted(runs, key=lambda r: r.id, reverse=True)
            self.changed(ResultsPanel)
        self.in_thread(read, "list runs", done, group="runs")
        self.load_boards()

    def action_refresh_runs(self) -> None:
        self.load_runs()

    @on(RunHighlighted)
    def run_highlighted(self, message: RunHighlighted) -> None:
        self.state.results.selected_run = message.run_id
        self.load_cycles(message.run_id)

    def load_cycles(self, run_id: int) -> None:
        """Read the cycles of one run (no waveforms) for the results tab, in a thread."""
        def read() -> list[Any]:
            with self._store() as store:
                return store.cycles(run_id)

        def done(cycles: list[Any]) -> None:
            results = self.state.results
            results.cycles_run, results.cycles = run_id, cycles
            self.changed(ResultsPanel)
        self.in_thread(read, f"cycles of run {run_id}", done, group="run-cycles", exclusive=True)

    def selected_run_id(self) -> int | None:
        """The run the results tab's cursor is on (the newest until the cursor moved)."""
        results = self.state.results
        if results.selected_run is not None:
            return results.selected_run
        return results.runs[0].id if results.runs else None

    def action_open_report(self) -> None:
        self.open_report(self.selected_run_id())

    @on(RunChosen)
    def run_chosen(self, message: RunChosen) -> None:
        self.open_report(message.run_id)

    def _report_text(self, run_id: int) -> tuple[str, dict]:
        """(text, json) of a run's report with every finding (the console has no --json): the
        same diagnosis, salvage advice and statistics as `benchtui report`."""
        from ...bench.report import format_report, load_report, report_json
        with self._store() as store:
            report = load_report(store, run_id)
        rows = max(1, len(report.analysis.findings or ()))
        return (format_report(report.analysis, report.run, report.diagnosis, rows=rows),
                report_json(report.analysis, report.run, report.diagnosis))

    def open_report(self, run_id: int | None) -> None:
        from ..dialogs import ReportScreen
        if run_id is None:
            self.notify("no runs recorded yet: run the loop (l) first", severity="warning")
            return
        self.in_thread(lambda: self._report_text(run_id)[0], f"report of run {run_id}",
                       lambda text: self.push_screen(ReportScreen(run_id, text)), group="report")

    @on(ReportExportRequested)
    def report_export_requested(self, message: ReportExportRequested) -> None:
        self.action_export_report(message.run_id)

    def action_export_report(self, run_id: int | None = None) -> None:
        """Write the selected run's report as text and JSON beside the database; say where."""
        run_id = run_id or self.selected_run_id()
        if run_id is None:
            self.notify("no run to export: run the loop (l) first", severity="warning")
            return
        out = self.output_dir()

        def write() -> Path:
            text, data = self._report_text(run_id)
            path = out / f"benchtui-run-{run_id}-report.txt"
            path.write_text(text + "\n", encoding="utf-8")
            path.with_suffix(".json").write_text(json.dumps(data, indent=2, default=str) + "\n",
                                                 encoding="utf-8")
            return path
        self.in_thread(write, f"export report of run {run_id}",
                       lambda path: self.notice(f"report of run {run_id} saved to {path} (and .json)"),
                       group="export")

    # -- one cycle in full ------------------------------------------------------------------
    @on(CycleChosen)
    def cycle_chosen(self, message: CycleChosen) -> None:
        self.open_cycle(message.run_id, message.index)

    def open_cycle(self, run_id: int, index: int) -> None:
        """Read cycle `index` of run `run_id` (steps, features, waveforms) and show it."""
        from ..cycle_view import CycleScreen

        def read() -> tuple[Any, dict]:
            with self._store() as store:
                record = next((c for c in store.cycles(run_id) if c.index == index), None)
                if record is None:
                    raise LookupError(f"run {run_id} has no cycle {index}")
                return record, store.waveforms(run_id, index)
        self.in_thread(read, f"open cycle {index}",
                       lambda got: self.push_screen(CycleScreen(run_id, got[0], got[1], self.profile)),
                       group="cycle-view")

    # -- saving -----------------------------------------------------------------------------
    def action_save(self) -> None:
        """Save the log and the scope tab's current capture beside the database; one notice."""
        lines = list(self.panel(LogPanel).lines)
        capture = self.state.capture.last
        out = self.output_dir()
        stamp = time.strftime("%Y%m%d-%H%M%S")

        def write() -> list[str]:
            saved = []
            log_path = out / f"benchtui-log-{stamp}.txt"
            log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            saved.append(str(log_path))
            if capture is not None:
                which, waveforms = capture
                cap_path = out / f"benchtui-capture-{which}-{stamp}.csv"
                write_capture_csv(cap_path, waveforms)
                saved.append(str(cap_path))
            return saved
        what = "log and capture" if capture is not None else "log (no capture yet)"
        self.in_thread(write, "save", lambda saved: self.notice(f"{what} saved: {', '.join(saved)}"),
                       group="save")


def write_capture_csv(path: Path, waveforms: dict[str, Any]) -> None:
    """One capture as CSV: a time column per net (seconds from the trigger) and its volts."""
    import numpy as np

    nets = list(waveforms)
    columns, header = [], []
    for net in nets:
        wf = waveforms[net]
        volts = np.asarray(wf.volts, dtype=float)
        columns += [wf.t0 + wf.dt * np.arange(len(volts)), volts]
        header += [f"{net}.t_s", f"{net}.V"]
    n = max((len(c) for c in columns), default=0)
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(header) + "\n")
        for i in range(n):
            f.write(",".join(f"{c[i]:.9g}" if i < len(c) else "" for c in columns) + "\n")
