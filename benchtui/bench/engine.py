"""The cycle engine: power-cycle, capture, connect, erase, program, verify — again and again.

Steps and their order come from the profile (`cycle.steps`). Each step is timed, retried as
the profile allows, and recorded with its outcome and error evidence; captures become features
computed by benchtui itself. Each finished cycle is committed to the store atomically before the
next one starts, so a crash loses at most the cycle in progress. On any exit (stop, error,
Ctrl-C, lost instrument) the PSU is left in the profile's safe state (output off); when that
cannot be confirmed, the engine says so loudly (a `DeviceError`, a log line, a
`psu_safe_state_failed` run event, and `safe_state_failed` for the CLI to print): the output may
still be ON.

`stop()` ends the run after the current step; `abort()` (a second Ctrl-C) switches the PSU off at
once, in parallel with cancelling whatever the run is waiting for, within ABORT_SAFE_STATE_S.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import socket
import threading
import time
from typing import Any, Awaitable, Callable

from ..devices.owner import DeviceOwner
from ..errors import BenchError, InstrumentError, ProbeLost, ProbeNotFound, SafetyError
from ..profile import Profile, profile_to_dict
from . import events as ev
from .board_tracking import BoardTracker
from .features import step_features
from .forensics import IdentityTracker
from .records import CycleRecord, EventRecord, RunSummary, StepRecord
from .safety import psu_off_on_new_connection, require_confirmation
from .session import BenchSession
from .steps import Cycle, CycleSteps, StepFailed
from .store import ResultsStore, open_store
from .watch import DiagnosisWatch

#: Steps that still run after a failure in the same cycle: the fault capture is the evidence,
#: and the probe must be released before the next power cycle.
ALWAYS_RUN = ("capture_fault", "disconnect")
#: Errors that mean the bench, not the board, is broken: the run stops.
FATAL = (InstrumentError, ProbeNotFound, ProbeLost)
#: After abort(), how long the PSU has to confirm "output off" (the CLI exits 2 s after the
#: second Ctrl-C whatever happens; the rest of the time is for the store and the exit).
ABORT_SAFE_STATE_S = 1.2

__all__ = ["ABORT_SAFE_STATE_S", "ALWAYS_RUN", "CycleEngine", "FATAL", "StepFailed"]


class CycleEngine(CycleSteps):
    """Runs cycles on a BenchSession and records them in a ResultsStore."""

    def __init__(self, session: BenchSession, store_path: str | None = None,
                 on_event: ev.EventSink | None = None, *, profile: Profile | None = None,
                 shmoo: tuple[int, dict] | None = None):
        """`profile`: this run's own (a shmoo cell's conditions; default: the session's);
        `shmoo`: (shmoo id, condition values) to tag the run with as one of its cells."""
        self.session = session
        self.profile = profile or session.profile
        self._shmoo = shmoo
        self.store_path = store_path or self.profile.store.database
        self.on_event = on_event or session.on_event
        self.stop_on_failure = self.profile.cycle.stop_on_failure
        self._store_owner = DeviceOwner("store")
        self._store: ResultsStore | None = None
        self._resume = asyncio.Event()
        self._resume.set()
        self._stop_requested = False
        self._enough = False
        self._cancel = threading.Event()
        self.passed = self.failed = 0
        self.run_id: int | None = None
        self.current_step: str | None = None
        self.boards = BoardTracker(self.profile.bench.labels)
        self._fatal: BenchError | None = None
        self._aborting = False
        self._task: asyncio.Task | None = None
        self._safe_task: asyncio.Task | None = None
        #: True once the PSU confirmed output OFF at the end of the run.
        self.safe_state_confirmed = False
        #: The warning line when it could not be confirmed (the output may still be ON).
        self.safe_state_failed: str | None = None
        self.summary: RunSummary | None = None
        #: Set by confirm_destructive(): the user agreed to the destructive steps of this run.
        self.destructive_confirmed = False
        self._confirmed_by = ""
        self._identity = IdentityTracker()   # the previous cycle's board and option bytes
        #: Set by until_diagnosed(): the diagnosis after every cycle, stopping once it is settled.
        self.watch: DiagnosisWatch | None = None
        self._steps: dict[str, Callable[[Cycle], Awaitable[None]]] = {
            "power_off": self._power_off, "arm_power_up": self._arm_power_up,
            "power_on": self._power_on, "capture_power_up": self._capture_power_up,
            "connect": self._connect, "read_identity": self._read_identity,
            "arm_fault_catch": self._arm_fault_catch, "erase": self._erase,
            "program": self._program, "verify": self._verify,
            "capture_fault": self._capture_fault, "disconnect": self._disconnect,
        }

    # -- control ----------------------------------------------------------------------------
    def pause(self) -> None:
        self._resume.clear()
        self._log("loop", "paused (after the current step)")

    def resume(self) -> None:
        self._resume.set()
        self._log("loop", "resumed")

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def stop(self) -> None:
        """Stop after the current step (the probe is still released). A cycle cut short is not
        recorded: it is not a measurement; every cycle finished before is."""
        self._stop_requested = True
        self._resume.set()
        self._log("loop", "stop requested")

    def enough(self) -> None:
        """The caller has the cycles it needs (a settled shmoo cell): the run ends after the
        cycle in progress, as completed."""
        self._enough = True

    def until_diagnosed(self, max_cycles: int) -> DiagnosisWatch:
        """Run until the diagnosis is settled, at most `max_cycles` cycles, testing after every
        cycle at the alpha-spending plan's level (bench/sequential.py)."""
        if max_cycles < 1:
            raise BenchError(f"cannot watch a run of {max_cycles} cycles", where="loop")
        self.watch = DiagnosisWatch(max_cycles)
        return self.watch

    def confirm_destructive(self, by: str) -> None:
        """The user confirmed the run's destructive steps (`by`: "--yes", "console dialog")."""
        self.destructive_confirmed = True
        self._confirmed_by = by

    def abort(self) -> None:
        """Abort now (second Ctrl-C): the PSU is switched off at once, whatever the run waits
        for is cancelled; `run()` then raises CancelledError after recording the run."""
        if self._aborting:
            return
        self._aborting = True
        self._stop_requested = True
        self._cancel.set()
        self._resume.set()
        self._log("loop", "aborting: PSU output off now")
        if self._safe_task is None and self.run_id is not None:
            self._safe_task = asyncio.ensure_future(self._safe_state())
        if self._task is not None and not self._task.done():
            self._task.cancel()

    @property
    def aborted(self) -> bool:
        return self._aborting

    @property
    def fatal(self) -> BenchError | None:
        """The error that ended the run (an instrument or the probe lost), if any."""
        return self._fatal

    # -- run --------------------------------------------------------------------------------
    async def run(self, cycles: int | None = None) -> RunSummary:
        """Run `cycles` cycles (the profile's count if None; 0 = until stopped)."""
        planned = self.profile.cycle.count if cycles is None else cycles
        if self.watch is not None:
            planned = self.watch.plan.max_cycles
        if planned < 0:
            raise BenchError(f"cannot run {planned} cycles", where="loop")
        self._task = asyncio.current_task()
        # Before anything is recorded: consent to destructive steps, a usable firmware file.
        destructive = require_confirmation(
            self.profile, self.destructive_confirmed, "start it with --yes, or confirm it in the console's dialog")
        await self.session.check_firmware()
        self._store = await self._store_owner.run(open_store, self.store_path)
        bench = self.profile.bench.name or socket.gethostname()
        last = await self._store_owner.run(self._store.last_board, bench)
        self.boards = BoardTracker(self.profile.bench.labels, previous=last[1] if last else None,
                                   previous_run=last[0] if last else None)
        snapshot = profile_to_dict(self.profile)
        if self.watch is not None:
            snapshot = self.watch.snapshot_with_plan(snapshot)
        self.run_id = await self._store_owner.run(
            self._store.start_run, self.profile.name, snapshot, _versions(),
            self._instruments(), scenario=self.profile.sim.scenario if self.profile.sim else None,
            bench=bench, **({"shmoo_id": self._shmoo[0], "conditions": self._shmoo[1]}
                            if self._shmoo else {}))
        for what in destructive:
            await self._store_owner.run(self._store.add_event, self.run_id, EventRecord(
                "destructive_confirmed", f"confirmed ({self._confirmed_by}): {what}", None, time.time(),
                {"by": self._confirmed_by, "erase": self.profile.target.erase}))
        self.on_event(ev.RunStarted(self.run_id, planned or None))
        status = "completed"
        try:
            index = 0
            while not self._stop_requested and not self._enough and (planned == 0 or index < planned):
                index += 1
                record = await self._run_cycle(index)
                if record is None:  # cut short by a stop request: not a measurement
                    break
                if record.failed_step and self._fatal:
                    status = "error"
                    break
                if not record.passed and self.stop_on_failure:
                    self._log("loop", f"stopping on first failure (cycle {index})")
                    break
                if self.watch is not None and await self._diagnosed(record):
                    break
            if self._stop_requested and status == "completed":
                status = "stopped"
        except asyncio.CancelledError:
            status = "stopped"
            raise
        except BaseException as exc:  # a bug or a library error we did not map: not "completed"
            status = None
            self._log("loop", f"the loop crashed: {type(exc).__name__}: {exc}")
            raise
        finally:
            summary = await self._finish(status)
        return summary

    async def _finish(self, status: str | None) -> RunSummary:
        """Safe state, then the run's end in the store. `status` None (a crash): the run is left
        open, so that it reads back as "interrupted" like a killed one, never as "completed"."""
        if self._safe_task is None:
            self._safe_task = asyncio.ensure_future(self._safe_state())
        await asyncio.shield(self._safe_task)
        if self.safe_state_failed:
            await self._store_owner.run(self._store.add_event, self.run_id, EventRecord(
                "psu_safe_state_failed", self.safe_state_failed, None, time.time(),
                {"resource": self.profile.psu.resource, "identity": self.session.state.psu_identity}))
        if status is not None:
            await self._store_owner.run(self._store.end_run, self.run_id, status)
        summary = await self._store_owner.run(self._store.run, self.run_id)
        await self._store_owner.run(self._store.close)
        self._store_owner.close()
        self.summary = summary
        self.on_event(ev.RunFinished(summary))
        return summary

    async def _safe_state(self) -> None:
        """Output off, confirmed; else the loud warning. Bounded when aborting."""
        if self.session.psu is None:
            return  # never connected: nothing of ours can be on
        budget = ABORT_SAFE_STATE_S if self._aborting else None
        started = time.monotonic()
        try:
            await asyncio.wait_for(self.session.psu_safe_state(), budget)
            self.safe_state_confirmed = True
            return
        except asyncio.TimeoutError:
            error: BenchError = InstrumentError(f"no answer within {budget:g} s", where="PSU")
        except BenchError as exc:
            error = exc
        # The old connection may be what is broken: one more try on a new one, time permitting.
        left = None if budget is None else budget - (time.monotonic() - started)
        if left is None or left > 0.2:
            try:
                await asyncio.wait_for(asyncio.to_thread(psu_off_on_new_connection, self.profile.psu),
                                       left)
                self.safe_state_confirmed = True
                self._log("PSU", "safe state: output OFF (on a new connection)")
                return
            except asyncio.TimeoutError:
                pass
            except BenchError as exc:
                self._log("PSU", f"new connection for the safe state failed: {exc.one_line()}")
        identity = self.session.state.psu_identity
        text = (f"PSU {self.profile.psu.resource}{f' ({identity})' if identity else ''} could not be "
                f"switched off: {error}; its output may still be ON: switch it off at the instrument")
        self.safe_state_failed = text
        self._log("PSU", text)
        self.on_event(ev.DeviceError("PSU", SafetyError(text, where="PSU")))

    async def _run_cycle(self, index: int) -> CycleRecord | None:
        """Run one cycle and commit it; None if a stop request cut it short (nothing stored)."""
        cycle = Cycle(index)
        self.on_event(ev.CycleStarted(index))
        cut_short = False
        for name in self.profile.cycle.steps:
            if cycle.failed is not None and name not in ALWAYS_RUN:
                continue
            if self._stop_requested and name not in ALWAYS_RUN:
                cut_short = True
                continue
            if not self._resume.is_set():
                self._log("loop", f"paused: holding before {name} of cycle {index}")
                await self._resume.wait()
            record = await self._run_step(name, cycle)
            cycle.steps.append(record)
            if record.outcome != "pass" and cycle.failed is None:
                cycle.failed = record
        if cut_short and cycle.failed is None:
            self._log("loop", f"cycle {index} stopped before its end: not recorded")
            return None
        cycle.features.extend(step_features(cycle.steps))
        swapped = self.boards.observe(index, cycle.board_uid)
        if swapped is not None:
            self._log("board", swapped.text)
        record = CycleRecord(
            index=index, started=cycle.started, ended=time.time(), passed=cycle.failed is None,
            failed_step=cycle.failed.name if cycle.failed else None,
            error_class=cycle.failed.error_class if cycle.failed else None,
            error_text=cycle.failed.error_text if cycle.failed else None,
            steps=tuple(cycle.steps), features=tuple(cycle.features),
            waveforms=tuple(cycle.waveforms), board_uid=cycle.board_uid,
            board_label=self.boards.label(cycle.board_uid), target=cycle.target,
            option_bytes=cycle.option_bytes, events=tuple(cycle.events) + ((swapped,) if swapped else ()))
        await self._store_owner.run(self._store.add_cycle, self.run_id, record)
        if record.passed:
            self.passed += 1
        else:
            self.failed += 1
        self.on_event(ev.CycleFinished(record, self.passed, self.failed))
        return record

    async def _diagnosed(self, record: CycleRecord) -> bool:
        """The watched run's diagnosis after this cycle; True when it is settled."""
        watch = self.watch
        diagnosis = await asyncio.to_thread(watch.observe, record)
        settled = watch.settled_at is not None
        self.on_event(ev.Diagnosed(record.index, watch.analysis, diagnosis, settled))
        if settled:
            self._log("loop", f"settled after {record.index} cycles: {diagnosis.verdict}")
        return settled

    async def _run_step(self, name: str, cycle: Cycle) -> StepRecord:
        self.current_step = name
        self.on_event(ev.StepStarted(cycle.index, name))
        started = time.time()
        retries = self.profile.cycle.retries.get(name, 0)
        attempts, error = 0, None
        while attempts <= retries:
            attempts += 1
            try:
                await self._steps[name](cycle)
                error = None
                break
            except FATAL as exc:
                error = exc
                self._fatal = exc
                self.session.mark_lost(_device_of(exc), exc)
                break
            except BenchError as exc:
                error = exc
                self._log(name, f"attempt {attempts} failed: {exc.one_line()}")
        record = StepRecord(
            name=name, started=started, ended=time.time(),
            outcome="pass" if error is None else ("error" if isinstance(error, FATAL) else "fail"),
            attempts=attempts, error_class=type(error).__name__ if error else None,
            error_text=str(error) if error else None, details=cycle.details.pop(name, {}))
        self.on_event(ev.StepFinished(cycle.index, record))
        return record

    def _instruments(self) -> dict[str, Any]:
        st = self.session.state
        return {"psu": st.psu_identity, "scope": st.scope_identity,
                "probe": self.profile.target.probe_uid}

    def _log(self, source: str, text: str) -> None:
        self.on_event(ev.Log(source, text))


def _device_of(exc: BenchError) -> str:
    where = (exc.where or "").lower()
    return "psu" if where == "psu" else "scope" if where == "scope" else "target"


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("benchtui", "pyocd", "pyvisa", "pyvisa-py", "numpy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "?"
    return out

