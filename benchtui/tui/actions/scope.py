"""Scope actions: capture the power-up edge, or arm the fault-catch trigger and wait for a dip;
a capture the scope tab measured is shown on the overview too."""

from __future__ import annotations

from textual import on

from ..messages import CaptureMeasured
from ..panels import OverviewPanel
from .base import ConsoleBase


class ScopeActions(ConsoleBase):

    def action_capture(self, which: str = "power_up") -> None:
        """Power-up: power-cycle and capture the edge. Fault-catch: arm and wait for a dip."""
        async def work() -> None:
            waveforms = await self.session.capture(which, power_cycle=which == "power_up")
            if waveforms is None:
                self.notify(f"no {which.replace('_', '-')} trigger within "
                            f"{self.profile.cycle.trigger_timeout_s:g} s", severity="warning")
        self.act("scope", f"capture {which.replace('_', '-')}", work)

    @on(CaptureMeasured)
    def capture_measured(self, message: CaptureMeasured) -> None:
        capture = self.state.capture
        capture.shown = (message.capture, message.index, message.when, message.views)
        capture.measured += 1
        self.changed(OverviewPanel)
