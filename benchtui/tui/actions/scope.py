"""Scope actions: capture the power-up edge, or arm the fault-catch trigger and wait for a dip;
check the wiring (does each probe read what its net must?); a capture the scope tab measured is
shown on the overview too."""

from __future__ import annotations

from textual import on

from ..messages import CaptureMeasured
from ..panels import OverviewPanel, ScopePanel
from ..words import explain
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

    def action_check_wiring(self) -> None:
        """`check --wiring` on the open PSU and scope: the PSU at its setpoint (on for the
        check), each probe's level against its net's; one line per finding on the scope tab."""
        wiring = self.state.wiring
        volts = self.session.setpoint[0] if self.session is not None else self.profile.psu.voltage

        async def work() -> list:
            try:
                found = await self.session.check_wiring()
            except Exception as exc:
                wiring.finished(None, explain(exc, "wiring check", self.facts()).what)
                self.changed(ScopePanel)
                raise
            wiring.finished(found)
            self.changed(ScopePanel)
            return found

        def then(found: list) -> None:
            bad = [f for f in found if not f.ok]
            self.log_line("scope", "wiring looks right" if not bad else
                          f"wiring: {len(bad)} of {len(found)} nets off: " + "; ".join(f.text for f in bad))

        worker = self.act("scope", "wiring check", work, then, also=("psu",))
        if worker is not None:
            self.log_line("user", f"check wiring (PSU at {volts:.3f} V)")
            wiring.started(volts)
            self.changed(ScopePanel)

    @on(CaptureMeasured)
    def capture_measured(self, message: CaptureMeasured) -> None:
        capture = self.state.capture
        capture.shown = (message.capture, message.index, message.when, message.views)
        capture.measured += 1
        self.changed(OverviewPanel)
