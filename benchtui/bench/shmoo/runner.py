"""Run a shmoo on a bench session: each visit of a cell is one ordinary run of the cycle engine,
with the cell's profile and tagged with the shmoo and the cell's condition values.

Before anything runs: every cell inside the profile's hard limits (`grid.check_limits`), a ramp
axis the supply can make, and one confirmation for a grid that repeats a destructive step (as
the loop asks). Between cells the supply gets the cell's setpoint (with the output off: each run
ends in the safe state). `stop()` ends the shmoo after the current step (the finished cycles are
stored, the cell's run ends "stopped"); `abort()` switches the PSU off at once, as the loop does.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Callable

from ...devices.owner import DeviceOwner
from ...errors import BenchError
from .. import events as ev
from ..engine import CycleEngine
from ..records import failure_mode
from ..safety import require_confirmation
from ..session import BenchSession
from ..store import open_store
from .grid import Cell, Grid, cell_profile, check_limits
from .plan import Plan
from .result import ShmooResult, result_from_tallies


class ShmooRunner:
    """One shmoo of `grid` on `session` following `plan`; `run()` returns its result."""

    def __init__(self, session: BenchSession, grid: Grid, plan: Plan, *,
                 on_event: ev.EventSink | None = None, confirmed_by: str | None = None,
                 name: str | None = None):
        self.session, self.grid, self.plan = session, grid, plan
        self.profile = session.profile
        self.on_event = on_event or session.on_event
        self.confirmed_by = confirmed_by
        self.name = name or f"shmoo: {' x '.join(a.name for a in grid.axes)}"
        self.engine: CycleEngine | None = None
        self.shmoo_id: int | None = None
        self.status = "completed"
        self.result: ShmooResult | None = None
        self._stopped = False
        self._runs: dict[Cell, tuple[int, ...]] = {}
        self._owner = DeviceOwner("shmoo-store")

    # -- control ----------------------------------------------------------------------------
    def stop(self) -> None:
        """End after the current step: no further cell."""
        self._stopped = True
        if self.engine is not None:
            self.engine.stop()

    def abort(self) -> None:
        """Ctrl-C twice: the current run is aborted (PSU off first), no further cell."""
        self._stopped = True
        if self.engine is not None:
            self.engine.abort()

    @property
    def safe_state_failed(self) -> str | None:
        return self.engine.safe_state_failed if self.engine is not None else None

    # -- before anything runs ---------------------------------------------------------------
    def preflight(self) -> list[str]:
        """The checks that refuse a shmoo before its first cycle; the destructive steps the
        user confirmed (once for the whole grid)."""
        check_limits(self.profile, self.grid)
        destructive: list[str] = []
        for cell in self.grid.cells():
            for what in require_confirmation(
                    cell_profile(self.profile, self.grid, cell), self.confirmed_by is not None,
                    "run the shmoo with --yes (or confirm it in the console's dialog) to confirm it "
                    "once for the whole grid"):
                if what not in destructive:
                    destructive.append(what)
        return destructive

    def _check_ramp(self) -> None:
        """A ramp axis needs a supply that can make each of its values (known once connected)."""
        ramp = next((a for a in self.grid.axes if a.name == "psu.ramp_s"), None)
        if ramp is None:
            return
        psu = self.session.psu
        if psu is None:
            raise BenchError("cannot check psu.ramp_s: the PSU is not connected", where="shmoo")
        for i, value in enumerate(ramp.values):
            try:
                psu.check_ramp(value)
            except BenchError as exc:
                raise type(exc)(f"shmoo refused before anything ran: {ramp.name} = {ramp.show(value)}: "
                                f"{exc}", where="shmoo") from None

    # -- run --------------------------------------------------------------------------------
    async def run(self) -> ShmooResult:
        self.preflight()
        self._check_ramp()
        await self.session.check_firmware()
        store = await self._owner.run(open_store, self.profile.store.database)
        try:
            bench = self.profile.bench.name or socket.gethostname()
            settings = {"cycles": self.plan.cycles, "adaptive": self.plan.adaptive,
                        "profile": self.profile.source, "scenario": getattr(self.profile.sim, "scenario", None)}
            self.shmoo_id = await self._owner.run(store.start_shmoo, self.name, self.grid.as_dicts(),
                                                  settings, bench)
            try:
                await self._cells()
            except asyncio.CancelledError:
                self.status = "stopped"
                raise
            except BaseException:
                self.status = "error"
                raise
            finally:
                await asyncio.shield(self._owner.run(store.end_shmoo, self.shmoo_id, self.status,
                                                     {**settings, "level": self.plan.level}))
        finally:
            await asyncio.shield(self._owner.run(store.close))
            self._owner.close()
        self.result = self._result()
        self.on_event(ev.ShmooFinished(self.result, self.status))
        return self.result

    async def _cells(self) -> None:
        applied: dict[str, Any] = {}
        while not self._stopped:
            task = self.plan.next()
            if task is None:
                break
            cell, cap = task
            profile = cell_profile(self.profile, self.grid, cell)
            await self._apply_supply(profile, applied)
            conditions = self.grid.conditions(cell)
            self.engine = CycleEngine(self.session, on_event=self._hook(cell), profile=profile,
                                      shmoo=(self.shmoo_id, conditions))
            if self.confirmed_by is not None:
                self.engine.confirm_destructive(self.confirmed_by)
            self._emit(cell)
            summary = await self.engine.run(cap)
            self._runs[cell] = self._runs.get(cell, ()) + (summary.id,)
            if summary.status == "error":
                self.status = "error"
                break
            if self._stopped or summary.status == "stopped":
                self.status = "stopped"
                break

    async def _apply_supply(self, profile: Any, applied: dict[str, Any]) -> None:
        """The cell's setpoint and ramp, when they differ from what the supply has (the output
        is off between runs: each ends in the safe state)."""
        setpoint = (profile.psu.voltage, profile.psu.current_limit)
        if self.session.setpoint != setpoint:
            await self.session.psu_apply(*setpoint)
        if profile.psu.ramp_s is not None and applied.get("ramp") != profile.psu.ramp_s:
            await self.session.psu_set_ramp(profile.psu.ramp_s)
            applied["ramp"] = profile.psu.ramp_s

    def _hook(self, cell: Cell) -> Callable[[Any], None]:
        def on_event(event: Any) -> None:
            self.on_event(event)
            if isinstance(event, ev.CycleFinished):
                rec = event.record
                self.plan.record(cell, not rec.passed, failure_mode(rec.failed_step, rec.error_class))
                self._emit(cell)
                if self.plan.settled(cell) and self.engine is not None:
                    self.engine.enough()
        return on_event

    def _emit(self, cell: Cell) -> None:
        t = self.plan.tally(cell)
        self.on_event(ev.ShmooCell(self.shmoo_id or 0, cell, self.grid.conditions(cell), t.cycles,
                                   t.failures, self.plan.phase, self.plan.level))

    def _result(self) -> ShmooResult:
        return result_from_tallies(self.grid, self.plan.tallies, runs=self._runs, level=self.plan.level,
                                   shmoo_id=self.shmoo_id, name=self.name, status=self.status,
                                   settings={"cycles": self.plan.cycles, "adaptive": self.plan.adaptive})


__all__ = ["ShmooRunner"]
