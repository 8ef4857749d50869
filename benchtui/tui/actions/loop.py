"""Loop actions: run the cycle engine, pause/resume it, stop it after the current step."""

from __future__ import annotations

from typing import Any

from .base import ActionsBase


class LoopActions(ActionsBase):

    def action_run_loop(self) -> None:
        """Check that the bench is free, then start the loop with the loop tab's settings."""
        from ..panels import LoopPanel

        if self.loop_running:
            self.notify("the loop is already running", severity="warning")
            return
        if self._busy:
            self.notify(f"busy: {', '.join(self._busy.values())} in progress", severity="warning")
            return
        panel = self.panel(LoopPanel)
        self.start_loop(panel.cycles_requested, panel.stop_on_failure)

    def start_loop(self, cycles: int, stop_on_failure: bool, confirmed: bool = False) -> None:
        """Start the engine for `cycles` cycles (0 = until stopped); the loop tab shows it.
        A profile with a destructive step every cycle (a mass erase) is confirmed first."""
        from ...bench.engine import CycleEngine
        from ...bench.safety import destructive_steps
        from ..panels import LoopPanel

        destructive = destructive_steps(self.profile)
        if destructive and not confirmed:
            self.confirm("Erase the whole chip every cycle?",
                         f"This loop does {' and '.join(destructive)}. Everything in the target's "
                         "flash is lost, on every cycle.", "Run the loop",
                         lambda: self.start_loop(cycles, stop_on_failure, confirmed=True))
            return
        engine = CycleEngine(self.session)
        engine.stop_on_failure = stop_on_failure
        if destructive:
            engine.confirm_destructive("console dialog")
        self.engine = engine
        self.log_line("user", f"run loop: {cycles or 'until stopped'} cycles"
                              f"{', stop on failure' if engine.stop_on_failure else ''}")
        self.action_show_tab("loop")

        async def work() -> Any:
            try:
                return await engine.run(cycles)
            finally:
                self.engine = None
                self.panel(LoopPanel).invalidate()  # "cycle n: step" becomes the run's totals

        def done(summary: Any) -> None:
            if summary is not None:
                self.notify(f"run {summary.id}: {summary.cycles} cycles, {summary.failures} failed "
                            f"({summary.status})", severity="error" if summary.status == "error" else "information")
            self.load_runs()
        self.act("loop", "loop", work, then=done)

    def action_pause(self) -> None:
        from ..panels import LoopPanel
        if self.engine is None:
            self.notify("no loop running: l starts one", severity="warning")
            return
        self.engine.resume() if self.engine.paused else self.engine.pause()
        self.panel(LoopPanel).show_status()
        self.refresh_status()

    def action_stop_loop(self) -> None:
        if self.engine is None:
            self.notify("no loop running", severity="warning")
            return
        self.engine.stop()
        self.refresh_status()
