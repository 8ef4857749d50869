"""Shmoo actions: check the tab's fields, confirm a grid that repeats a destructive step once,
run the shmoo on the console's session, stop it.

While a shmoo runs the bench is as busy as with the loop (the other actions wait), each cell's
run is the loop's run of the moment (the loop tab shows its cycles, `space` pauses it), and
stopping the loop (s) or the shmoo (j) ends the shmoo after the current step.
"""

from __future__ import annotations

from typing import Any

from textual import on

from ...errors import BenchError, ConfirmationRequired
from ..messages import ShmooRequested
from ..panels import LoopPanel, OverviewPanel
from ..panels.shmoo import ShmooPanel
from .loop import LoopActions


class ShmooActions(LoopActions):
    """Runs shmoos (bench/shmoo/runner.py) from the shmoo tab."""

    @property
    def loop_running(self) -> bool:
        return self.state.loop.running or self.state.shmoo.running

    def action_run_shmoo(self) -> None:
        self.panel(ShmooPanel).request_shmoo()

    @on(ShmooRequested)
    def shmoo_requested(self, message: ShmooRequested) -> None:
        if self.loop_running:
            self.notify("the loop or a shmoo is already running", severity="warning")
            return
        if self._busy:
            self.notify(f"busy: {', '.join(self.busy)} in progress", severity="warning")
            return
        from ...bench.shmoo import Grid, Plan, check_limits, parse_vary
        from ...bench.shmoo.runner import ShmooRunner

        try:
            if not 1 <= len(message.varies) <= 2:
                raise BenchError("a shmoo varies one or two fields", where="shmoo")
            grid = Grid(tuple(parse_vary(v) for v in message.varies))
            check_limits(self.profile, grid)
        except (BenchError, ValueError) as exc:
            self.report(exc if isinstance(exc, BenchError) else BenchError(str(exc), where="shmoo"), "shmoo")
            return
        runner = ShmooRunner(self.session, grid, Plan(grid, message.cycles, adaptive=not message.full),
                             on_event=self._shmoo_sink)
        try:
            runner.preflight()
        except ConfirmationRequired as exc:   # a destructive step every cycle: ask once for the grid
            self.confirm("Erase the whole chip every cycle of every cell?",
                         f"{exc.one_line()}", "Run the shmoo",
                         lambda: self._start_shmoo(grid, message, confirmed=True))
            return
        self._start_shmoo(grid, message, runner=runner)

    def _start_shmoo(self, grid: Any, message: ShmooRequested, *, confirmed: bool = False,
                     runner: Any = None) -> None:
        from ...bench.shmoo import Plan
        from ...bench.shmoo.runner import ShmooRunner

        if runner is None:
            runner = ShmooRunner(self.session, grid, Plan(grid, message.cycles, adaptive=not message.full),
                                 on_event=self._shmoo_sink, confirmed_by="console dialog" if confirmed else None)
        self.state.shmoo.start(grid, runner)
        self.log_line("user", f"run shmoo: {' x '.join(message.varies)}, up to {message.cycles} cycles per cell"
                              f"{', every cell' if message.full else ''}")
        self.action_show_tab("shmoo")
        self.changed(ShmooPanel)

        async def work() -> Any:
            try:
                return await runner.run()
            finally:
                self.state.loop.engine = None
                self.state.shmoo.finished()
                self.changed(ShmooPanel, LoopPanel, OverviewPanel)

        def done(result: Any) -> None:
            if result is not None:
                self.notify(f"shmoo {result.shmoo_id}: {result.summary()}", markup=False)
            self.load_runs()
        self.act("loop", "shmoo", work, then=done)

    def _shmoo_sink(self, event: Any) -> None:
        """The runner's events: each cell's engine is the loop's engine of the moment (so that
        pause, stop and quit reach it); then on to the app like every bench event."""
        from ...bench import events as ev

        runner = self.state.shmoo.runner
        if isinstance(event, ev.RunStarted) and runner is not None:
            self.state.loop.engine = runner.engine
        self._bench_sink(event)

    def action_stop_shmoo(self) -> None:
        runner = self.state.shmoo.runner
        if runner is None:
            self.notify("no shmoo running", severity="warning")
            return
        self.log_line("user", "stop shmoo")
        runner.stop()
        self.refresh_status()

    def action_stop_loop(self) -> None:
        if self.state.shmoo.running:
            self.action_stop_shmoo()
            return
        super().action_stop_loop()
