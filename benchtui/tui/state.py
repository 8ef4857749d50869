"""The console's state: what the panels show, kept apart from the widgets that show it.

The app owns one `ConsoleState` and is the only one that changes it: bench events go through
`ConsoleState.apply`, the results of actions through the methods below. Panels read it when they
paint and post messages (messages.py) for what the user asked; no panel reads another panel.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from typing import Any

from ..bench import events as ev
from ..bench.quantity import format_feature
from ..profile import Profile
from .shmoo_view import ShmooView
from .words import step_words

#: Readbacks kept for the power tab's V/I history.
HISTORY_POINTS = 60


@dataclasses.dataclass(frozen=True, slots=True)
class CycleRow:
    """What the console keeps of a landed cycle: its table row, detail line and plot point.

    The store keeps the whole record (Enter reads it back). A CycleRecord is ~150 objects the
    garbage collector walks on every full pass (steps, features, events, option bytes); kept
    for every cycle of an all-day run, those passes grow into the event loop's longest stalls.
    A row is one object: its values dict holds only numbers (the collector does not track it)
    and `units` is one dict shared by all rows of a run.
    """

    index: int
    passed: bool
    failed_step: str | None
    error_text: str | None
    values: dict[str, float | None]
    units: dict[str, str]
    #: The features whose value is only a bound ("lower": ≥), usually none.
    bounds: dict[str, str] | None = None
    #: feature name -> the resolution it was measured with, shared by the rows like `units`.
    resolutions: dict[str, float] | None = None

    @classmethod
    def of(cls, record: Any, units: dict[str, str], resolutions: dict[str, float] | None = None) -> "CycleRow":
        for f in record.features:
            units.setdefault(f.name, f.unit)
            if resolutions is not None and f.resolution:
                resolutions.setdefault(f.name, f.resolution)
        bounds = {f.name: f.bound for f in record.features if f.bound}
        return cls(record.index, record.passed, record.failed_step, record.error_text,
                   {f.name: f.value for f in record.features}, units, bounds or None, resolutions)

    def value(self, name: str) -> float | None:
        return self.values.get(name)

    def text(self, name: str) -> str:
        """The value as the reports print it: "1.096 V", "≥ 1.100 V" (a bound), "-"."""
        return format_feature(self.values.get(name), self.units.get(name, ""),
                              (self.bounds or {}).get(name), (self.resolutions or {}).get(name))


class LoopState:
    """The loop: what the user asked for, the run in progress, its cycles and its analysis."""

    def __init__(self, profile: Profile):
        #: The running CycleEngine, None when no loop runs.
        self.engine: Any = None
        self.run_id: int | None = None
        self.planned: int | None = None
        self.records: list[CycleRow] = []
        self.units: dict[str, str] = {}  # feature name -> unit, shared by the rows
        self.resolutions: dict[str, float] = {}  # feature name -> resolution, likewise
        #: The run was started to stop once diagnosed (the loop tab's switch).
        self.until_diagnosed = False
        self.step = ""
        self.started = 0.0
        self.analysis: Any = None
        self.diagnosis: Any = None
        fault = profile.scope.fault_catch
        #: The features the cycle table shows: until the correlation ranks features, the
        #: fault-catch net's minimum.
        self.key_names: list[str] = [f"flash.{fault.source}.min"] if fault else []

    @property
    def running(self) -> bool:
        return self.engine is not None

    @property
    def paused(self) -> bool:
        return self.engine is not None and self.engine.paused

    @property
    def passed(self) -> int:
        return sum(1 for r in self.records if r.passed)

    @property
    def failed(self) -> int:
        return len(self.records) - self.passed

    def apply(self, event: Any) -> bool:
        """Follow one engine event; True if what the loop shows changed."""
        if isinstance(event, ev.RunStarted):
            self.run_id, self.planned, self.records, self.units = event.run_id, event.planned, [], {}
            self.resolutions = {}
            self.started, self.step, self.analysis, self.diagnosis = time.monotonic(), "", None, None
        elif isinstance(event, ev.CycleStarted):
            self.step = "starting"
        elif isinstance(event, ev.StepStarted):
            self.step = step_words(event.step)
        elif isinstance(event, ev.Progress) and event.index is not None and event.total:
            self.step = f"{step_words(event.step)} {100 * event.done // event.total}%"
        elif isinstance(event, ev.CycleFinished):
            # The row keeps what the table, detail line and plot show; the rest of the record
            # (and its waveforms) stays in the store, where Enter reads it back.
            self.records.append(CycleRow.of(event.record, self.units, self.resolutions))
        elif isinstance(event, ev.RunFinished):
            self.step = f"finished: {event.summary.status}"
        elif isinstance(event, ev.Diagnosed):
            if event.settled:
                self.step = f"settled after {event.index} cycles"
            return False
        else:
            return False
        return True

    def analysed(self, run_id: int, analysis: Any, diagnosis: Any) -> bool:
        """The correlation of run `run_id` (ignored if another run started since); the top
        features become the key columns. True if it was taken."""
        if run_id != self.run_id:
            return False
        self.analysis, self.diagnosis = analysis, diagnosis
        findings = list(getattr(analysis, "findings", None) or [])
        names = list(dict.fromkeys(f.feature for f in findings))[:2]  # a feature can rank twice
        if names:
            self.key_names = names
        return True


class TargetState:
    """The target as the console last read it: connect mode, option bytes and when."""

    def __init__(self, profile: Profile):
        self.connect_mode = profile.target.connect_mode
        self.option_bytes: Any = None
        self.option_bytes_at = 0.0

    def option_bytes_read(self, ob: Any, when: float | None = None) -> None:
        self.option_bytes, self.option_bytes_at = ob, when or time.time()


class PsuState:
    """The PSU's readbacks, newest last; `count` numbers them so a view can tell what is new."""

    def __init__(self) -> None:
        self.readings: deque[Any] = deque(maxlen=HISTORY_POINTS)
        self.count = 0
        #: The setpoint the history is drawn against, once the user applied one.
        self.applied: tuple[float, float] | None = None

    @property
    def reading(self) -> Any:
        return self.readings[-1] if self.readings else None

    def add(self, reading: Any) -> None:
        if reading is not None:
            self.readings.append(reading)
            self.count += 1

    def since(self, count: int) -> list[Any]:
        """The readings added after the first `count` (at most the kept ones)."""
        new = self.count - count
        return list(self.readings)[-new:] if new > 0 else []


@dataclasses.dataclass
class CaptureState:
    """The scope's captures: the last one received (for save) and the last one measured."""

    #: (which, waveforms by net) of the capture shown now.
    last: tuple[str, dict] | None = None
    #: (capture, index, when, views by net) the scope tab measured; `measured` counts them.
    shown: tuple[str, int | None, float, dict] | None = None
    measured: int = 0


@dataclasses.dataclass
class WiringState:
    """The last wiring check (devices/wiring.py) the console ran, or the one running."""

    running: bool = False
    #: Its findings, one per mapped net (wiring.Finding), or None before the first check.
    findings: tuple[Any, ...] | None = None
    #: Why the last check could not judge (one line), or None.
    error: str | None = None
    #: The setpoint it was judged at (V) and when it ended (time.time()).
    volts: float | None = None
    at: float | None = None

    def started(self, volts: float) -> None:
        self.running, self.volts = True, volts

    def finished(self, findings: list[Any] | None, error: str | None = None) -> None:
        self.running, self.at = False, time.time()
        self.findings, self.error = (tuple(findings) if findings is not None else None), error

    @property
    def problems(self) -> list[Any]:
        return [f for f in self.findings or () if not f.ok]


@dataclasses.dataclass
class ResultsState:
    """The results tab: runs of the database, the highlighted run and its cycles, the boards."""

    runs: list[Any] = dataclasses.field(default_factory=list)
    selected_run: int | None = None
    cycles_run: int | None = None
    cycles: list[Any] = dataclasses.field(default_factory=list)
    comparison: Any = None  # bench.boards.Comparison of every run
    comparison_runs: list[Any] = dataclasses.field(default_factory=list)


class ConsoleState:
    """Everything the console shows that is not the bench session's own state."""

    def __init__(self, profile: Profile, board_slot: Any = None):
        self.profile = profile
        #: On a virtual batch: how to put another board on the bench (bench.board_tracking.BoardSlot).
        self.board_slot = board_slot
        #: The BenchSession (set once the app has made it); panels read its `state` and `setpoint`.
        self.session: Any = None
        self.loop = LoopState(profile)
        self.target = TargetState(profile)
        self.psu = PsuState()
        self.capture = CaptureState()
        self.results = ResultsState()
        self.wiring = WiringState()
        #: The shmoo tab's shmoo (tui/shmoo_view.py).
        self.shmoo = ShmooView()
        #: (cycles, passed, failed) of the running or last run.
        self.counters = (0, 0, 0)

    @property
    def bench(self) -> Any:
        """The session's state (links, identities, readbacks), None before the session exists."""
        return self.session.state if self.session is not None else None

    def apply(self, event: Any) -> None:
        """Follow one bench event."""
        self.loop.apply(event)
        self.shmoo.apply(event)
        if isinstance(event, ev.CycleFinished):
            self.counters = (event.passed + event.failed, event.passed, event.failed)
            for window in ("on", "flash"):  # the loop's readbacks feed the PSU history
                self.psu.add(cycle_readback(event.record, window))
        elif isinstance(event, ev.CaptureReady):
            self.capture.last = (event.capture, event.waveforms)
        elif isinstance(event, ev.StepFinished) and event.record.name == "read_identity":
            identity = self.bench.target_identity if self.bench is not None else None
            ob = loop_option_bytes(event.record.details, identity)
            if ob is not None:
                self.target.option_bytes_read(ob)

    @property
    def option_bytes_current(self) -> bool:
        """The option bytes shown were read from the target as it is connected now."""
        return self.target.option_bytes is not None and self.bench is not None and self.bench.target_connected


def cycle_readback(record: Any, window: str) -> Any:
    """The PSU readback a loop cycle stored as psu.<window>.voltage/current/cc, or None."""
    from types import SimpleNamespace
    values = {f.name: f.value for f in record.features if f.name.startswith(f"psu.{window}.")}
    volts, amps = values.get(f"psu.{window}.voltage"), values.get(f"psu.{window}.current")
    if volts is None and amps is None:
        return None
    cc = values.get(f"psu.{window}.cc")
    return SimpleNamespace(voltage=volts, current=amps, mode="CC" if cc else "CV", output=True)


def loop_option_bytes(details: dict, identity: Any) -> Any:
    """The option bytes the loop's read_identity step read (its option register words, or
    OPTCR/OPTCR1 in older records), decoded; None for a target with no family module."""
    try:
        words = [int(w, 16) for w in details["registers"]] if "registers" in details else \
            [int(details["optcr"], 16), int(details["optcr1"], 16)]
    except (KeyError, TypeError, ValueError):
        return None
    from ..devices.mcu import STM32F7, family_by_name  # the MCU families: imported when first needed
    family = family_by_name(getattr(identity, "family", "") or "") or STM32F7
    dev_id = getattr(identity, "dev_id", None) or next(iter(family.parts))
    try:
        return family.decode_options(dev_id, getattr(identity, "flash_kb", None) or 1024, *words)
    except ValueError:
        return None
