"""Loop actions: run the cycle engine, pause/resume it, stop it after the current step."""

from __future__ import annotations

from typing import Any

from textual import on

from ...bench.safety import destructive_steps
from ...bench.sequential import DEFAULT_MAX_CYCLES
from ..messages import RunRequested
from ..panels import LoopPanel, OverviewPanel
from .results import ResultsActions


class LoopActions(ResultsActions):
    """Runs the loop; when a run ends, the run list is read again (ResultsActions)."""

    def action_run_loop(self) -> None:
        """Run the loop with the loop tab's settings (the tab posts RunRequested with them)."""
        self.panel(LoopPanel).request_run()

    @on(RunRequested)
    def run_requested(self, message: RunRequested) -> None:
        """Check that the bench is free, then start the loop."""
        if self.loop_running:
            self.notify("the loop is already running", severity="warning")
            return
        if self._busy:
            self.notify(f"busy: {', '.join(self.busy)} in progress", severity="warning")
            return
        self.start_loop(message.cycles, message.stop_on_failure, until_diagnosed=message.until_diagnosed)

    def start_loop(self, cycles: int, stop_on_failure: bool, confirmed: bool = False, *,
                   until_diagnosed: bool = False) -> None:
        """Start the engine for `cycles` cycles (0 = until stopped); the loop tab shows it.
        With `until_diagnosed` it stops as soon as the diagnosis is settled (at most `cycles`,
        0: DEFAULT_MAX_CYCLES), tested after every cycle under the alpha-spending plan.
        A profile with a destructive step every cycle (a mass erase) is confirmed first."""
        from ...bench.engine import CycleEngine  # with pyOCD behind it: imported after the first frame

        destructive = destructive_steps(self.profile)
        if destructive and not confirmed:
            self.confirm("Erase the whole chip every cycle?",
                         f"This loop does {' and '.join(destructive)}. Everything in the target's "
                         "flash is lost, on every cycle.", "Run the loop",
                         lambda: self.start_loop(cycles, stop_on_failure, confirmed=True,
                                                 until_diagnosed=until_diagnosed))
            return
        engine = CycleEngine(self.session)
        engine.stop_on_failure = stop_on_failure
        if destructive:
            engine.confirm_destructive("console dialog")
        if until_diagnosed:
            cycles = cycles or DEFAULT_MAX_CYCLES
            engine.until_diagnosed(cycles)
        self.state.loop.engine = engine
        self.state.loop.until_diagnosed = until_diagnosed
        how = f"until diagnosed, at most {cycles}" if until_diagnosed else str(cycles or "until stopped")
        self.log_line("user", f"run loop: {how} cycles"
                              f"{', stop on failure' if engine.stop_on_failure else ''}")
        self.action_show_tab("loop")

        async def work() -> Any:
            try:
                return await engine.run(cycles)
            finally:
                self.state.loop.engine = None
                self.changed(LoopPanel, OverviewPanel)  # "cycle n: step" becomes the run's totals

        def done(summary: Any) -> None:
            if summary is not None:
                watch = engine.watch
                settled = "" if watch is None else (
                    f"; settled after {watch.settled_at} cycles" if watch.settled_at is not None else "; not settled")
                self.notify(f"run {summary.id}: {summary.cycles} cycles, {summary.failures} failed "
                            f"({summary.status}){settled}",
                            severity="error" if summary.status == "error" else "information")
            self.load_runs()
        self.act("loop", "loop", work, then=done)

    def action_pause(self) -> None:
        if self.engine is None:
            self.notify("no loop running: l starts one", severity="warning")
            return
        self.engine.resume() if self.engine.paused else self.engine.pause()
        self.changed(LoopPanel, OverviewPanel)
        self.refresh_status()

    def action_stop_loop(self) -> None:
        if self.engine is None:
            self.notify("no loop running", severity="warning")
            return
        self.engine.stop()
        self.refresh_status()
