"""Power actions: power-cycle, output on/off, apply the setpoint (within the profile's maxima)."""

from __future__ import annotations

import asyncio

from .base import ActionsBase


class PowerActions(ActionsBase):

    def action_power_cycle(self) -> None:
        from ..panels import PowerPanel
        off_s = self.profile.cycle.off_s
        panel = self.panel(PowerPanel)

        async def work() -> None:
            # session.power_cycle() step by step, reading back while off so the history shows it.
            await self.session.psu_output(False)
            panel.show_reading(await self.session.psu_read())
            await asyncio.sleep(off_s)
            await self.session.psu_output(True)
            panel.show_reading(await self.session.psu_read())
        self.log_line("user", f"power-cycle (off {off_s:g} s)")
        self.act("psu", "power-cycle", work)

    def action_toggle_output(self) -> None:
        from ..panels import PowerPanel
        panel = self.panel(PowerPanel)

        async def work() -> None:
            reading = panel.reading or await self.session.psu_read()
            await self.session.psu_output(not reading.output)
            panel.show_reading(await self.session.psu_read())
        self.act("psu", "output on/off", work)

    def action_apply_setpoint(self) -> None:
        from ..panels import PowerPanel
        self.panel(PowerPanel).apply()
