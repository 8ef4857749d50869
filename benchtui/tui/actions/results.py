"""Results actions: the correlation of the running loop, the run list, a run's report (shown and
exported), one cycle opened in full, and saving the log and the current capture.

Everything that reads the database or writes a file runs in a thread: a run can be large.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .base import ActionsBase


class ResultsActions(ActionsBase):

    _analysis_running: bool
    _analysis_again: int | None

    def output_dir(self) -> Path:
        """Where saved logs, captures and exported reports go: beside the profile's database."""
        return Path(self.profile.store.database).expanduser().resolve().parent

    def notice(self, text: str) -> None:
        """A one-line notice that also lands in the log."""
        self.log_line("console", text)
        self.notify(text, timeout=8, markup=False)  # it may name a file or a run

    # -- correlation of the running loop ----------------------------------------------------
    def analyse_run(self, run_id: int | None) -> None:
        """Recompute the correlation in a thread; calls made while one runs coalesce into one rerun."""
        if run_id is None:
            return
        if self._analysis_running:
            self._analysis_again = run_id
            return
        self._analysis_running = True
        self.run_worker(lambda: self._analyse_thread(run_id), thread=True, group="analysis",
                        exit_on_error=False)

    def _analyse_thread(self, run_id: int) -> None:
        from ...bench.report import load_report
        from ...bench.store import ResultsStore
        from ..panels import LoopPanel, OverviewPanel
        try:
            # The same report `benchtui report` prints: the correlation with the run's steps and
            # the diagnosis in hardware terms (what to do next), not only the statistic.
            with ResultsStore(self.profile.store.database, readonly=True) as store:
                report = load_report(store, run_id)
            self.call_from_thread(self.panel(LoopPanel).show_analysis, report.analysis, report.diagnosis)
            self.call_from_thread(self.panel(OverviewPanel).show_analysis, report.analysis)
        except Exception as exc:
            self.call_from_thread(self.report, exc, "correlation")
        finally:
            self.call_from_thread(self._analysis_done)

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
        self.run_worker(self._load_runs_thread, thread=True, group="runs", exit_on_error=False)
        self.load_boards()

    def _load_runs_thread(self) -> None:
        from ...bench.store import ResultsStore
        from ..panels import ResultsPanel
        try:
            with ResultsStore(self.profile.store.database, readonly=True) as store:
                runs = store.runs()
            self.call_from_thread(self.panel(ResultsPanel).show_runs, runs)
        except Exception as exc:
            self.call_from_thread(self.report, exc, "list runs")

    def action_refresh_runs(self) -> None:
        self.load_runs()

    def load_cycles(self, run_id: int) -> None:
        """Read the cycles of one run (no waveforms) for the results tab, in a thread."""
        from ...bench.store import ResultsStore
        from ..panels import ResultsPanel

        def read() -> None:
            try:
                with ResultsStore(self.profile.store.database, readonly=True) as store:
                    cycles = store.cycles(run_id)
                self.call_from_thread(self.panel(ResultsPanel).show_cycles, run_id, cycles)
            except Exception as exc:
                self.call_from_thread(self.report, exc, f"cycles of run {run_id}")
        self.run_worker(read, thread=True, group="run-cycles", exclusive=True, exit_on_error=False)

    def action_open_report(self) -> None:
        from ..panels import ResultsPanel
        self.panel(ResultsPanel).open_selected()

    def _report_text(self, run_id: int) -> tuple[str, dict]:
        """(text, json) of a run's report with every finding (the console has no --json): the
        same diagnosis, salvage advice and statistics as `benchtui report`."""
        from ...bench.report import format_report, load_report, report_json
        from ...bench.store import ResultsStore
        with ResultsStore(self.profile.store.database, readonly=True) as store:
            report = load_report(store, run_id)
        rows = max(1, len(report.analysis.findings or ()))
        return (format_report(report.analysis, report.run, report.diagnosis, rows=rows),
                report_json(report.analysis, report.run, report.diagnosis))

    def open_report(self, run_id: int) -> None:
        from ..dialogs import ReportScreen

        def build() -> None:
            try:
                text, _ = self._report_text(run_id)
                self.call_from_thread(self.push_screen, ReportScreen(run_id, text))
            except Exception as exc:
                self.call_from_thread(self.report, exc, f"report of run {run_id}")
        self.run_worker(build, thread=True, group="report", exit_on_error=False)

    def action_export_report(self, run_id: int | None = None) -> None:
        """Write the selected run's report as text and JSON beside the database; say where."""
        from ..panels import ResultsPanel
        run_id = run_id or self.panel(ResultsPanel).selected_run_id()
        if run_id is None:
            self.notify("no run to export: run the loop (l) first", severity="warning")
            return
        out = self.output_dir()

        def write() -> None:
            try:
                text, data = self._report_text(run_id)
                path = out / f"benchtui-run-{run_id}-report.txt"
                path.write_text(text + "\n", encoding="utf-8")
                path.with_suffix(".json").write_text(json.dumps(data, indent=2, default=str) + "\n",
                                                     encoding="utf-8")
                self.call_from_thread(self.notice, f"report of run {run_id} saved to {path} (and .json)")
            except Exception as exc:
                self.call_from_thread(self.report, exc, f"export report of run {run_id}")
        self.run_worker(write, thread=True, group="export", exit_on_error=False)

    # -- one cycle in full ------------------------------------------------------------------
    def open_cycle(self, run_id: int, index: int) -> None:
        """Read cycle `index` of run `run_id` (steps, features, waveforms) and show it."""
        from ...bench.store import ResultsStore
        from ..cycle_view import CycleScreen

        def read() -> None:
            try:
                with ResultsStore(self.profile.store.database, readonly=True) as store:
                    record = next((c for c in store.cycles(run_id) if c.index == index), None)
                    if record is None:
                        raise LookupError(f"run {run_id} has no cycle {index}")
                    waveforms = store.waveforms(run_id, index)
                self.call_from_thread(self.push_screen, CycleScreen(run_id, record, waveforms,
                                                                    self.profile))
            except Exception as exc:
                self.call_from_thread(self.report, exc, f"open cycle {index}")
        self.run_worker(read, thread=True, group="cycle-view", exit_on_error=False)

    # -- saving -----------------------------------------------------------------------------
    def action_save(self) -> None:
        """Save the log and the scope tab's current capture beside the database; one notice."""
        from ..panels import LogPanel, ScopePanel
        lines = list(self.panel(LogPanel).lines)
        capture = self.panel(ScopePanel).last_capture
        out = self.output_dir()
        stamp = time.strftime("%Y%m%d-%H%M%S")

        def write() -> None:
            try:
                saved = []
                log_path = out / f"benchtui-log-{stamp}.txt"
                log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                saved.append(str(log_path))
                if capture is not None:
                    which, waveforms = capture
                    cap_path = out / f"benchtui-capture-{which}-{stamp}.csv"
                    write_capture_csv(cap_path, waveforms)
                    saved.append(str(cap_path))
                what = "log and capture" if capture is not None else "log (no capture yet)"
                self.call_from_thread(self.notice, f"{what} saved: {', '.join(saved)}")
            except Exception as exc:
                self.call_from_thread(self.report, exc, "save")
        self.run_worker(write, thread=True, group="save", exit_on_error=False)


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
