"""The fault scenarios run once per test session on the virtual bench, through the real
pipeline (SCPI instruments over pyvisa-py, the STM32 twin through pyOCD, the cycle engine, the
store), and shared by every test that looks at them (the engine's acceptance tests, the
diagnosis tests) so that each run's cost is paid once.

Run sizes are the smallest that give a stable verdict (measured; see SPECS). `nrst-noise`
needs the NRST fault catch and `[sim] time_scale = 1` (at time scale 0 a flash operation is too
short for a µs glitch to land in it); it runs until it has the failures and passes the
correlation needs. Each core reset costs ~10 s there: pyOCD waits for the flash algorithm
until its timeout (flash.timeout.erase_sector / .program, 10 s) once the core has reset.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from benchtui.bench import events as ev
from benchtui.bench.analysis import MIN_CASES, MIN_CONTROLS

#: Per scenario: seed, cycles (or run-until counts with a cap), and profile changes.
SPECS: dict[str, dict[str, Any]] = {
    "healthy": {"seed": 7, "cycles": 5},
    # 20 cycles: 6 failures (seed 7); VCAP is named at 15 and 20 cycles for seeds 1, 2, 3, 4, 7.
    "vcap-marginal": {"seed": 7, "cycles": 20},
    # 20 cycles: 7 failures (seed 5); the supply is named at 20 cycles for seeds 1, 3, 5.
    "brownout": {"seed": 5, "cycles": 20},
    # SWD dropouts are wall-clock intervals, so how many transfers they hit depends on the
    # machine's speed: run until enough failures to correlate (bounded), not a fixed count.
    "swd-intermittent": {"seed": 3, "until_failures": 6, "max_cycles": 80},
    "nrst-noise": {"seed": 7, "until_failures": MIN_CASES, "until_passes": MIN_CONTROLS, "max_cycles": 60,
                   "fault_catch": {"source": "NRST", "level": 1.0, "slope": "falling"}, "time_scale": 1.0},
}


@dataclass(frozen=True)
class ScenarioRun:
    """One recorded scenario run: where it is stored and how long it took."""

    scenario: str
    seed: int
    profile: Any
    summary: Any
    events: tuple = ()
    seconds: float = 0.0
    spec: dict = field(default_factory=dict)

    @property
    def db(self) -> str:
        return self.profile.store.database

    def report(self) -> Any:
        from benchtui.bench.report import load_report
        from benchtui.bench.store import open_store

        with open_store(self.db, readonly=True) as store:
            return load_report(store, self.summary.id)

    def cycles(self) -> list:
        from benchtui.bench.store import open_store

        with open_store(self.db, readonly=True) as store:
            return store.cycles(self.summary.id)


def run_scenario(scenario: str, folder: Path, firmware: Path, spec: dict | None = None) -> ScenarioRun:
    """Start the demo profile's virtual bench for `scenario` (SPECS, or `spec`), run the loop, stop."""
    from benchtui.cli import DEMO_PROFILE, start_virtual_bench
    from benchtui.profile import load_profile

    spec = SPECS[scenario] if spec is None else spec
    profile = load_profile(DEMO_PROFILE)
    scope = profile.scope
    if "fault_catch" in spec:
        scope = dataclasses.replace(scope, fault_catch=dataclasses.replace(scope.fault_catch, **spec["fault_catch"]))
    profile = profile.replace(
        target=dataclasses.replace(profile.target, firmware=str(firmware)),
        store=dataclasses.replace(profile.store, database=str(folder / "results.db")),
        cycle=dataclasses.replace(profile.cycle, off_s=0.05, on_settle_s=0.01),
        scope=scope,
        sim=dataclasses.replace(profile.sim, time_scale=spec.get("time_scale", profile.sim.time_scale)))
    vb, live = start_virtual_bench(profile, scenario=scenario, seed=spec["seed"])
    started = time.monotonic()
    try:
        # Its own thread and event loop: a caller may already run one (Playwright's sync API).
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"scenario-{scenario}") as pool:
            summary, seen = pool.submit(asyncio.run, _loop(live, spec)).result()
    finally:
        vb.stop()
    return ScenarioRun(scenario, spec["seed"], live, summary, tuple(seen), time.monotonic() - started, spec)


async def _loop(profile: Any, spec: dict) -> tuple[Any, list]:
    from benchtui.bench.engine import CycleEngine
    from benchtui.bench.session import BenchSession

    seen: list = []
    session = BenchSession(profile, on_event=seen.append)
    await session.open()
    assert session.state.psu_connected and session.state.scope_connected, seen
    engine = CycleEngine(session)
    cycles = spec.get("cycles", 0)
    if "until_failures" in spec:
        engine.on_event = _until(engine, seen.append, spec)
    try:
        summary = await asyncio.wait_for(engine.run(cycles), 600)
    finally:
        await session.close()
    return summary, seen


def _until(engine: Any, sink: Callable, spec: dict) -> Callable:
    def on_event(event: Any) -> None:
        sink(event)
        if isinstance(event, ev.CycleFinished):
            enough = event.failed >= spec["until_failures"] and event.passed >= spec.get("until_passes", 0)
            if enough or event.record.index >= spec["max_cycles"]:
                engine.stop()
    return on_event


class ScenarioRuns:
    """Session cache: each scenario is run the first time a test asks for it."""

    def __init__(self, folder_for: Callable[[str], Path], firmware: Path):
        self._folder_for = folder_for
        self._firmware = firmware
        self._runs: dict[str, ScenarioRun] = {}

    def __call__(self, scenario: str) -> ScenarioRun:
        if scenario not in self._runs:
            self._runs[scenario] = run_scenario(scenario, self._folder_for(scenario), self._firmware)
        return self._runs[scenario]

    @property
    def done(self) -> dict[str, ScenarioRun]:
        return dict(self._runs)
