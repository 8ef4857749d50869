"""The steps of one cycle, as the engine runs them (a mixin of `CycleEngine`).

One coroutine per step name of `cycle.steps` (in the order the profile lists them); each gets the
`Cycle` being gathered and adds features, waveforms, details and events to it; a failure is an
exception (a driver's BenchError, or StepFailed for a step's own check). The engine times,
retries and records them (bench/engine.py).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import BenchError, VerifyMismatch
from . import events as ev
from .features import compute_capture_features, psu_features, unusable
from .records import EventRecord, FeatureValue, StepRecord, WaveformRecord


class StepFailed(BenchError):
    """A step's own check failed (no trigger, verify mismatch) without a driver exception."""

    where = "step"


@dataclass
class Cycle:
    """What one cycle gathers while it runs."""

    index: int
    started: float = field(default_factory=time.time)
    steps: list[StepRecord] = field(default_factory=list)
    features: list[FeatureValue] = field(default_factory=list)
    waveforms: list[WaveformRecord] = field(default_factory=list)
    failed: StepRecord | None = None
    details: dict[str, dict] = field(default_factory=dict)
    # Board identity and option-byte forensics (the identity step, bench/forensics.py).
    board_uid: str | None = None
    target: dict = field(default_factory=dict)
    option_bytes: dict = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)


class CycleSteps:
    """The step coroutines; `CycleEngine` provides session, profile, events and the store."""

    session: Any
    profile: Any
    _cancel: Any

    # -- steps ------------------------------------------------------------------------------
    async def _power_off(self, cycle: Cycle) -> None:
        await self.session.psu_output(False)
        await asyncio.sleep(self.profile.cycle.off_s)

    async def _arm_power_up(self, cycle: Cycle) -> None:
        await self.session.arm("power_up")

    async def _power_on(self, cycle: Cycle) -> None:
        await self.session.psu_output(True)
        await asyncio.sleep(self.profile.cycle.on_settle_s)
        self._psu_reading(cycle, "on", await self.session.psu_read())

    async def _capture(self, cycle: Cycle, capture: str, feature_window: str) -> dict | None:
        waveforms = await self.session.wait_capture(cancel=self._cancel)
        if waveforms is None:
            return None
        usable = {}
        for net, wf in waveforms.items():
            # An unusable record (NaN time base...) is kept, marked invalid: never dropped.
            reason = unusable(wf)
            cycle.waveforms.append(WaveformRecord(capture, net, wf.t0, wf.dt, wf.volts,
                                                  valid=reason is None, invalid_reason=reason))
            if reason is None:
                usable[net] = wf
                continue
            text = f"{capture} capture of {net} is unusable ({reason}): stored marked invalid"
            cycle.events.append(EventRecord("capture_invalid", text, cycle.index, time.time(),
                                            {"capture": capture, "net": net, "reason": reason}))
            self._log("scope", text)
        # numpy over a few 10k-sample records: a worker thread, not the event loop.
        cycle.features.extend(await asyncio.to_thread(
            compute_capture_features, feature_window, usable, self._limits()))
        self.on_event(ev.CaptureReady(cycle.index, capture, usable))
        return waveforms

    async def _capture_power_up(self, cycle: Cycle) -> None:
        if await self._capture(cycle, "power_up", "power_up") is None:
            raise StepFailed(f"no power-up edge on {self.session.trigger('power_up').source} within "
                             f"{self.profile.cycle.trigger_timeout_s} s: check the PSU output and scope wiring")

    async def _connect(self, cycle: Cycle) -> None:
        # The run's own profile: a shmoo cell may vary the connect mode or the SWD frequency.
        target = self.profile.target
        await self.session.connect(target.connect_mode, target.frequency_hz)

    async def _read_identity(self, cycle: Cycle) -> None:
        seen = self._identity.identity(cycle.index, self.session.state.target_identity)
        cycle.board_uid, cycle.target = seen.board_uid, seen.target
        cycle.events.extend(seen.events)
        forensics = await self.session.read_option_forensics()
        seen_ob = self._identity.option_bytes(cycle.index, forensics)
        cycle.option_bytes = seen_ob.option_bytes
        cycle.features.extend(seen_ob.features)
        cycle.events.extend(seen_ob.events)
        for line in seen.log + seen_ob.log:   # each said once per run ("loop" reaches `run` too)
            self._log("loop", f"target: {line}")
        ob = forensics.options
        if ob is None:      # a target with no family module: no option bytes to record
            return
        protected = ob.protected_sectors()
        self._details(cycle, "read_identity", optcr=f"0x{ob.optcr:08X}", optcr1=f"0x{ob.optcr1:08X}",
                      registers=[f"0x{v:08X}" for _, v in ob.registers()],
                      rdp_level=ob.rdp_level, protected_sectors=protected)
        if protected:
            self._log("target", f"option bytes: sectors {protected} write-protected ({ob.register_text()})")

    async def _arm_fault_catch(self, cycle: Cycle) -> None:
        await self.session.arm("fault_catch")

    async def _erase(self, cycle: Cycle) -> None:
        which = "chip" if self.profile.target.erase == "chip" else "image"
        erase = asyncio.ensure_future(self.session.erase(which, confirm=self.destructive_confirmed,
                                                         index=cycle.index, cancel=self._cancel))
        try:
            # Read the PSU while the erase draws its current (different owner threads).
            if self.session.psu is not None:
                self._psu_reading(cycle, "flash", await self.session.psu_read())
        finally:
            await erase

    async def _program(self, cycle: Cycle) -> None:
        await self.session.program(index=cycle.index, cancel=self._cancel)

    async def _verify(self, cycle: Cycle) -> None:
        result = await self.session.verify(index=cycle.index, cancel=self._cancel)
        if not result.ok:
            raise VerifyMismatch(f"programmed but mismatched: {result.mismatch_count} bytes differ, "
                                 f"first at 0x{result.first_mismatch:08X}",
                                 first_address=result.first_mismatch, count=result.mismatch_count)

    async def _capture_fault(self, cycle: Cycle) -> None:
        trig = self.session.trigger("fault_catch")
        waveforms = None
        # The fault that ended the flash steps may have fired the trigger a moment ago (a reset
        # ends the step within a millisecond of the glitch): let its record complete.
        if await self.session.triggered(record=True):
            waveforms = await self._capture(cycle, "fault_catch", "flash")
        cycle.features.append(FeatureValue(f"flash.{trig.source}.triggered",
                                           1.0 if waveforms else 0.0, "", "rail"))
        if waveforms is None and trig.slope in ("falling", "rising"):
            # No crossing: the net stayed on the safe side of the trigger level all along. That
            # is a bound, not a reading ("VCAP1 never went below 1.100 V"), at the resolution of
            # the same channel's power-up capture.
            what, bound = ("min", "lower") if trig.slope == "falling" else ("max", "upper")
            resolution = next((f.resolution for f in cycle.features
                               if f.name == f"power_up.{trig.source}.{what}"), None)
            cycle.features.append(FeatureValue(f"flash.{trig.source}.{what}", trig.level, "V", "rail",
                                               bound=bound, resolution=resolution))
        if waveforms is None:
            await self.session.scope_stop()

    async def _disconnect(self, cycle: Cycle) -> None:
        if self.session.target.connected:
            await self.session.disconnect()

    # -- helpers ----------------------------------------------------------------------------
    def _psu_reading(self, cycle: Cycle, window: str, reading: Any) -> None:
        """The PSU features of `window`; a measurement the PSU had no number for (SCPI's
        9.9E37) is stored as missing, and a `reading_invalid` event keeps the reason."""
        cycle.features.extend(psu_features(window, reading))
        why = getattr(reading, "invalid", None)
        if why:
            text = f"PSU reading in the {window} window has no value ({why}): stored as missing"
            cycle.events.append(EventRecord("reading_invalid", text, cycle.index, time.time(),
                                            {"window": window, "reason": why}))
            self._log("PSU", text)

    def _details(self, cycle: Cycle, step: str, **values: Any) -> None:
        cycle.details.setdefault(step, {}).update(values)

    def _limits(self) -> dict[str, tuple[float | None, float | None]]:
        return {net: (ch.min, ch.max) for net, ch in self.profile.scope.channels.items()}
