"""The bench as the app sees it: PSU, scope and target, each on its own owner thread.

Every method is `async` and safe to await from an event loop (Textual's or `asyncio.run`): the
blocking driver call runs on the device's owner thread (pyvisa and pyOCD sessions stay on the
thread that created them). Results come back as return values; progress and log lines come
back as events through `on_event`, delivered on the loop thread. The target's operations
(connect, option bytes, the firmware image, erase, program, verify) are in target_ops.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..devices.owner import DeviceOwner
from ..errors import (BenchError, InstrumentError,
                      InstrumentSilent, InstrumentUnreachable)
from ..profile import Profile, TriggerConfig
from . import events as ev
from .target_ops import TargetOperations

if TYPE_CHECKING:
    from ..devices.firmware import FirmwareImage
    from ..devices.psu import Psu, PsuReading
    from ..devices.scope import Scope
    from ..devices.target import TargetLink

#: Shortest time between two progress events of one operation.
PROGRESS_INTERVAL_S = 0.1


#: Link states of an instrument, as the status bar shows them.
LINK_STATES = ("connecting", "connected", "lost", "reconnecting", "absent")
#: Errors that mean the instrument's link is gone (not a refused command): the session marks it
#: lost and the next use, or `reconnect()`, opens it again.
LINK_ERRORS = (InstrumentUnreachable, InstrumentSilent)


@dataclass
class BenchState:
    """What the status bar shows: identities, connection state, the last known PSU output.

    `psu_link` / `scope_link`: "connecting" (first open), "connected", "lost" (was connected,
    stopped answering), "reconnecting", "absent" (never reached since the console started).
    """

    psu_identity: str | None = None
    scope_identity: str | None = None
    target_identity: Any = None  # devices.target.TargetIdentity
    psu_error: str | None = None
    scope_error: str | None = None
    target_error: str | None = None
    psu_link: str = "connecting"
    scope_link: str = "connecting"
    #: The PSU output as last commanded or read back (None: not known yet).
    psu_output: bool | None = None
    #: The last PSU readback and when it was taken (time.time()).
    psu_reading: Any = None
    psu_read_at: float | None = None

    @property
    def psu_connected(self) -> bool:
        return self.psu_link == "connected"

    @property
    def scope_connected(self) -> bool:
        return self.scope_link == "connected"

    @property
    def target_connected(self) -> bool:
        return self.target_identity is not None


class BenchSession(TargetOperations):
    """PSU + scope + target of one profile, with async calls and events."""

    def __init__(self, profile: Profile, on_event: ev.EventSink = ev.ignore):
        self.profile = profile
        self.on_event = on_event
        self.state = BenchState()
        self.psu: Psu | None = None
        self.scope: Scope | None = None
        self._owners = {name: DeviceOwner(name) for name in ("psu", "scope", "target")}
        # Made on its owner thread (where pyOCD will run): importing the target stack there keeps
        # it off the event loop while the console draws its first frame.
        self._target = self._owners["target"].submit(_target_link, profile.target, profile.source)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._images: dict[tuple, FirmwareImage] = {}
        self._mismatch_said: str | None = None
        self._link_locks = {"psu": asyncio.Lock(), "scope": asyncio.Lock()}
        #: The setpoint a (re)connect applies: the profile's, then the last one the user applied.
        self._setpoint = (profile.psu.voltage, profile.psu.current_limit)
        #: The output ramp a (re)connect applies (None: the supply's own setting is left alone).
        self._ramp: float | None = profile.psu.ramp_s

    @property
    def target(self) -> "TargetLink":
        """The probe/target link (waits for its construction, which starts with the session)."""
        return self._target.result()

    @property
    def setpoint(self) -> tuple[float, float]:
        """(volts, amps) last applied: the profile's until the user applies another."""
        return self._setpoint

    # -- plumbing ---------------------------------------------------------------------------
    def emit(self, event: ev.Event) -> None:
        self.on_event(event)

    def log(self, source: str, text: str) -> None:
        self.emit(ev.Log(source, text))

    def _emit_threadsafe(self, event: ev.Event) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.emit, event)

    async def _run(self, device: str, fn: Callable, *args: Any, **kw: Any) -> Any:
        self._loop = asyncio.get_running_loop()
        return await self._owners[device].run(fn, *args, **kw)

    def _progress(self, step: str, index: int | None) -> Callable[[int, int], None]:
        """A progress callback for a worker thread that forwards to the loop as events.

        pyOCD reports every page; at most PROGRESS_INTERVAL_S apart (and the last one) reach the
        loop, so a fast flash does not keep the UI thread (and the GIL) busy redrawing a bar.
        """
        last = 0.0

        def report(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if done >= total or now - last >= PROGRESS_INTERVAL_S:
                last = now
                self._emit_threadsafe(ev.Progress(index, step, done, total))
        return report

    async def _instrument(self, device: str) -> Any:
        """The PSU or scope driver, reconnecting first if it is lost or was never reached.

        Retried on use: an instrument switched on after the console, or restarted, works again
        at the next action without restarting the app.
        """
        if getattr(self.state, f"{device}_link") != "connected":
            await self.reconnect([device])
        inst = self.psu if device == "psu" else self.scope
        if inst is None or getattr(self.state, f"{device}_link") != "connected":
            err = getattr(self.state, f"{device}_error") or "not connected"
            raise InstrumentUnreachable(err.split(": ", 1)[-1] if err.startswith(_where(device)) else err,
                                        where=_where(device))
        return inst

    async def _call(self, device: str, method: str, *args: Any) -> Any:
        """Call a PSU/scope driver method on its owner thread; a lost link marks it lost."""
        inst = await self._instrument(device)
        try:
            return await self._run(device, getattr(inst, method), *args)
        except LINK_ERRORS as exc:
            self.mark_lost(device, exc)
            raise

    async def _use(self, device: str, fn: Callable, *args: Any) -> Any:
        """`fn(driver, *args)` on the PSU's or scope's owner thread; a lost link marks it lost."""
        inst = await self._instrument(device)
        try:
            return await self._run(device, fn, inst, *args)
        except LINK_ERRORS as exc:
            self.mark_lost(device, exc)
            raise

    # -- lifecycle --------------------------------------------------------------------------
    async def open(self) -> BenchState:
        """Connect PSU and scope. A failing instrument becomes a DeviceError event, not an exception."""
        await asyncio.gather(self._open_psu(), self._open_scope())
        return self.state

    async def reconnect(self, devices: Sequence[str] | None = None) -> BenchState:
        """Open again every instrument in `devices` (default: each one not connected).

        The old connection is closed first (quietly: it is usually already gone). A failure is a
        DeviceError event and leaves the instrument lost; it never raises.
        """
        todo = [d for d in (devices or ("psu", "scope"))
                if devices is not None or getattr(self.state, f"{d}_link") != "connected"]
        await asyncio.gather(*(self._reopen(d) for d in todo))
        return self.state

    async def _reopen(self, device: str) -> None:
        async with self._link_locks[device]:
            if getattr(self.state, f"{device}_link") == "connected":
                return  # another caller reconnected it while this one waited
            self._set_link(device, "reconnecting")
            old = self.psu if device == "psu" else self.scope
            if old is not None:
                try:
                    await self._run(device, old.close)
                except Exception:  # noqa: BLE001 - the old link is usually gone already
                    pass
            await (self._open_psu() if device == "psu" else self._open_scope())

    def _set_link(self, device: str, link: str) -> None:
        if getattr(self.state, f"{device}_link") != link:
            setattr(self.state, f"{device}_link", link)
            self.emit(ev.LinkChanged(_where(device), link))

    def _failed(self, device: str, exc: BenchError) -> None:
        was = getattr(self.state, f"{device}_identity") is not None
        setattr(self.state, f"{device}_error", exc.one_line())
        self._set_link(device, "lost" if was else "absent")
        self.emit(ev.DeviceError(_where(device), exc))

    async def _open_psu(self) -> None:
        cfg = self.profile.psu
        try:
            self.psu = await self._run("psu", _open_psu, cfg)
            # The profile defines the supply: set it now (the output state is left as found).
            await self._run("psu", self.psu.apply, *self._setpoint)
            if self._ramp is not None:
                await self._run("psu", self.psu.set_ramp, self._ramp)
            reading = await self._run("psu", self.psu.read)
        except BenchError as exc:
            self.psu = None
            self._failed("psu", exc)
            return
        again = self.state.psu_identity is not None
        self.state.psu_identity, self.state.psu_error = self.psu.identity, None
        self.state.psu_output = bool(reading.output)
        self.state.psu_reading, self.state.psu_read_at = reading, time.time()
        self._set_link("psu", "connected")
        self.log("PSU", f"{'reconnected' if again else 'connected'} {self.psu.identity} at {cfg.resource}; "
                        f"setpoint {self._setpoint[0]:.3f} V, limit {self._setpoint[1]:.3f} A, "
                        f"output {'ON' if reading.output else 'OFF'}")

    async def _open_scope(self) -> None:
        cfg = self.profile.scope
        try:
            self.scope = await self._run("scope", _open_scope, cfg)
            await self._run("scope", self.scope.setup_channels)
        except BenchError as exc:
            self.scope = None
            self._failed("scope", exc)
            return
        again = self.state.scope_identity is not None
        self.state.scope_identity, self.state.scope_error = self.scope.identity, None
        self._set_link("scope", "connected")
        self.log("scope", f"{'reconnected' if again else 'connected'} {self.scope.identity} at {cfg.resource}")

    async def close(self) -> None:
        """Leave the PSU in its safe state and release every device."""
        if self.psu is not None:
            try:
                await self.psu_safe_state()
            except BenchError as exc:
                self.log("PSU", f"could not reach safe state: {exc.one_line()}")
        for inst, device in ((self.psu, "psu"), (self.scope, "scope")):
            if inst is not None:
                try:
                    await self._run(device, inst.close)
                except Exception:  # noqa: BLE001 - closing a link that is already gone
                    pass
        if self.target.connected:
            try:
                await self._run("target", self.target.disconnect)
            except BenchError:
                pass
        for owner in self._owners.values():
            owner.close()

    def mark_lost(self, device: str, exc: BenchError) -> None:
        """Record that an instrument (or the probe) stopped answering; once per loss.

        The next use of a lost PSU or scope reconnects it (`_instrument`), and so does `reconnect()`.
        """
        if device in ("psu", "scope"):
            if getattr(self.state, f"{device}_link") in ("lost", "absent") \
                    and getattr(self.state, f"{device}_error") == exc.one_line():
                return
            self._failed(device, exc)
            return
        setattr(self.state, f"{device}_error", exc.one_line())
        self.emit(ev.DeviceError(_where(device), exc))

    # -- power ------------------------------------------------------------------------------
    async def psu_read(self) -> PsuReading:
        reading = await self._call("psu", "read")
        self.state.psu_output = bool(reading.output)
        self.state.psu_reading, self.state.psu_read_at = reading, time.time()
        return reading

    async def psu_apply(self, voltage: float, current_limit: float) -> None:
        await self._call("psu", "apply", voltage, current_limit)
        self._setpoint = (voltage, current_limit)
        self.log("PSU", f"setpoint {voltage:.3f} V, limit {current_limit:.3f} A")

    async def psu_set_ramp(self, seconds: float) -> None:
        """Ramp the output up over `seconds` at each output-on (0: off); a supply without a
        programmable ramp refuses with SafetyError before anything is sent."""
        await self._call("psu", "set_ramp", seconds)
        self._ramp = seconds
        self.log("PSU", f"output ramp {seconds:g} s" if seconds else "output ramp off")

    async def psu_output(self, on: bool) -> None:
        await self._call("psu", "set_output", on)
        self.state.psu_output = on
        self.log("PSU", f"output {'ON' if on else 'OFF'}")

    async def psu_safe_state(self) -> None:
        """The profile's safe state: output off."""
        await self._call("psu", "safe_state")
        self.state.psu_output = False
        self.log("PSU", "safe state: output OFF")

    async def power_cycle(self, off_s: float | None = None) -> None:
        off_s = self.profile.cycle.off_s if off_s is None else off_s
        await self.psu_output(False)
        await asyncio.sleep(off_s)
        await self.psu_output(True)

    # -- scope ------------------------------------------------------------------------------
    def trigger(self, which: str) -> TriggerConfig:
        trig = getattr(self.profile.scope, which, None)
        if trig is None:
            raise InstrumentError(f"the profile has no scope.{which} trigger", where="scope")
        return trig

    async def arm(self, which: str) -> None:
        await self._call("scope", "arm", self.trigger(which))

    async def wait_capture(self, timeout_s: float | None = None,
                           cancel: threading.Event | None = None) -> dict | None:
        """Wait for the armed acquisition; fetch every net if it triggered, else None."""
        timeout_s = self.profile.cycle.trigger_timeout_s if timeout_s is None else timeout_s
        if not await self._call("scope", "wait_for_trigger", timeout_s, cancel):
            return None
        return await self._call("scope", "fetch_all")

    async def scope_stop(self) -> None:
        await self._call("scope", "stop")

    async def triggered(self, *, record: bool = False) -> bool:
        """True if the armed acquisition has completed (no waiting; with `record`, waiting at
        most for the post-trigger part of the record, so that a trigger that just fired counts)."""
        if record:
            return await self._call("scope", "wait_for_record", None)
        return await self._call("scope", "wait_for_trigger", 0.0, None)

    async def check_wiring(self) -> list[Any]:
        """`check --wiring` on the open instruments: the PSU at the session's setpoint (switched
        on for the check and off again if it was off), each scope channel's level judged against
        what its net must read (devices/wiring.py); the scope's channels end as the profile sets
        them. One wiring.Finding per mapped net."""
        from ..devices import wiring

        volts, amps = self._setpoint
        was_on = await self._use("psu", wiring.power_for_check, volts, amps)
        self.state.psu_output = True
        self.log("PSU", f"wiring check: {volts:.3f} V, limit {amps:.3f} A, output ON"
                        + ("" if was_on else " for the check"))
        try:
            await asyncio.sleep(wiring.SETTLE_S)
            levels = await self._use("scope", wiring.survey, self.profile)
        finally:
            if not was_on:
                await self.psu_output(False)
        return wiring.findings(self.profile, volts, levels)

    async def capture(self, which: str = "power_up", *, power_cycle: bool = False) -> dict | None:
        """Arm on the profile's trigger, optionally power-cycle, and fetch the capture."""
        if power_cycle:
            await self.psu_output(False)
            await asyncio.sleep(self.profile.cycle.off_s)
        await self.arm(which)
        if power_cycle:
            await self.psu_output(True)
        waveforms = await self.wait_capture()
        if waveforms is None:
            self.log("scope", f"{which}: no trigger within {self.profile.cycle.trigger_timeout_s} s")
        else:
            self.emit(ev.CaptureReady(None, which, waveforms))
        return waveforms


# The drivers are imported where they are first used, on the device's owner thread: pyvisa and
# the dialects take ~0.5 s to import, which would otherwise delay the console's first frame.
def _open_psu(cfg: Any) -> "Psu":
    from ..devices.psu import open_psu
    return open_psu(cfg)


def _open_scope(cfg: Any) -> "Scope":
    from ..devices.scope import open_scope
    return open_scope(cfg)


def _target_link(cfg: Any, source: str | None = None) -> "TargetLink":
    from ..devices.target import TargetLink
    return TargetLink(cfg, source=source)


def _where(device: str) -> str:
    """The name errors and events use for a device: 'PSU', 'scope', 'target'."""
    return "PSU" if device == "psu" else device
