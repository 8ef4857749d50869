"""Scope actions: capture the power-up edge, or arm the fault-catch trigger and wait for a dip."""

from __future__ import annotations

from .base import ActionsBase


class ScopeActions(ActionsBase):

    def action_capture(self, which: str = "power_up") -> None:
        """Power-up: power-cycle and capture the edge. Fault-catch: arm and wait for a dip."""
        async def work() -> None:
            waveforms = await self.session.capture(which, power_cycle=which == "power_up")
            if waveforms is None:
                self.notify(f"no {which.replace('_', '-')} trigger within "
                            f"{self.profile.cycle.trigger_timeout_s:g} s", severity="warning")
        self.act("scope", f"capture {which.replace('_', '-')}", work)
