"""Power actions: power-cycle, output on/off, apply the setpoint (within the profile's maxima),
and the readback the power tab and the overview show."""

from __future__ import annotations

import asyncio

from textual import on

from ..messages import InputRefused, SetpointSubmitted
from ..panels import OverviewPanel, PowerPanel
from .base import ConsoleBase

#: How often the readback is refreshed while no loop runs (seconds).
POLL_S = 1.0


class PowerActions(ConsoleBase):

    _polling = False

    def start_psu_poll(self) -> None:
        self.set_interval(POLL_S, self.poll_psu)

    def poll_psu(self) -> None:
        """Refresh the readback unless a loop owns the bench or a read is still in flight."""
        session = self.session
        if self._polling or session is None or not session.state.psu_connected or self.loop_running:
            return
        self._polling = True
        self.run_worker(self._poll(), group="psu-poll", exit_on_error=False)

    async def _poll(self) -> None:
        try:
            await self._read_psu()
        except Exception as exc:  # a PSU that stopped answering: say so once, mark it lost
            self.instrument_lost("psu", exc, "PSU readback")
        finally:
            self._polling = False

    async def _read_psu(self) -> None:
        self.state.psu.add(await self.session.psu_read())
        self.changed(PowerPanel, OverviewPanel)

    def action_power_cycle(self) -> None:
        off_s = self.profile.cycle.off_s

        async def work() -> None:
            # session.power_cycle() step by step, reading back while off so the history shows it.
            await self.session.psu_output(False)
            await self._read_psu()
            await asyncio.sleep(off_s)
            await self.session.psu_output(True)
            await self._read_psu()
        self.log_line("user", f"power-cycle (off {off_s:g} s)")
        self.act("psu", "power-cycle", work)

    def action_toggle_output(self) -> None:
        async def work() -> None:
            reading = self.state.psu.reading or await self.session.psu_read()
            await self.session.psu_output(not reading.output)
            await self._read_psu()
        self.act("psu", "output on/off", work)

    def action_apply_setpoint(self) -> None:
        self.panel(PowerPanel).apply()  # the panel checks its fields and posts SetpointSubmitted

    @on(SetpointSubmitted)
    def apply_setpoint(self, message: SetpointSubmitted) -> None:
        volts, amps = message.volts, message.amps

        async def work() -> None:
            await self.session.psu_apply(volts, amps)
            self.state.psu.applied = (volts, amps)
            await self._read_psu()
        self.act("psu", "apply setpoint", work)

    @on(InputRefused)
    def input_refused(self, message: InputRefused) -> None:
        self.report(message.error, message.action)
