"""The records one run produces: steps, features, waveforms, cycles, and a run's summary.

The cycle engine builds one `CycleRecord` per finished cycle and hands it to the results store;
the store gives the same records back. All records are frozen so that a record handed to the
UI and to the store cannot change under either of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from .quantity import format_feature

#: Step outcomes, in the order a report lists them.
OUTCOMES = ("pass", "fail", "error", "skipped")
#: Feature kinds: scope-measured rails, PSU readback, step timing, debug-link behaviour, and the
#: option-byte state read at power-up (`ob.protected_sectors`, `ob.changed`, `ob.rdp_level`, ...).
KINDS = ("rail", "psu", "timing", "link", "ob")
#: Run states. "interrupted" is a "running" run whose writer is gone (crash, kill, power loss).
RUN_STATUSES = ("running", "completed", "stopped", "error", "interrupted")


@dataclass(frozen=True)
class StepRecord:
    """One step of one cycle: when it ran, how it ended, and the error evidence if any."""

    name: str
    started: float
    ended: float
    outcome: str
    attempts: int = 1
    error_class: str | None = None
    error_text: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.ended - self.started


#: What a bound means: "lower": the quantity was at least the value ("≥ 1.100 V": a falling
#: fault-catch trigger that did not fire); "upper": at most the value.
BOUNDS = ("lower", "upper")
#: How FeatureMatrix.bounds marks them (0: a reading).
BOUND_CODES = {"lower": 1, "upper": -1}


@dataclass(frozen=True)
class FeatureValue:
    """One number measured in one cycle, e.g. `flash.VCAP1.min` = 1.08 V (None = not measured).

    `bound` is None for a measurement, else the value is only a bound on the quantity (BOUNDS):
    the fault catch that did not fire says "VCAP1 never went below 1.100 V", not "1.100 V".
    `resolution` is the smallest step the instrument resolved it to (None = unknown)."""

    name: str
    value: float | None
    unit: str
    kind: str
    bound: str | None = None
    resolution: float | None = None

    @property
    def text(self) -> str:
        """The value as an engineer reads it: "1.096 V", "≥ 1.100 V", "-" when missing."""
        return format_feature(self.value, self.unit, self.bound, self.resolution)


@dataclass(frozen=True, eq=False)
class WaveformRecord:
    """One captured net: sample i was taken at t0 + i*dt seconds (relative to the trigger).

    A capture that came back unusable (a NaN time base, no samples) is still stored, with
    `valid=False` and the reason, so that the cycle it belongs to is never dropped.
    """

    capture: str
    net: str
    t0: float
    dt: float
    volts: np.ndarray
    valid: bool = True
    invalid_reason: str | None = None

    def times(self) -> np.ndarray:
        return self.t0 + self.dt * np.arange(len(self.volts))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WaveformRecord):
            return NotImplemented
        return (self.capture, self.net, self.t0, self.dt, self.valid, self.invalid_reason) \
            == (other.capture, other.net, other.t0, other.dt, other.valid, other.invalid_reason) \
            and np.array_equal(np.asarray(self.volts), np.asarray(other.volts))


@dataclass(frozen=True)
class EventRecord:
    """Something worth a line in the run's history that is not a measurement: option bytes that
    changed since the previous cycle, a board swapped on the bench, a destructive step confirmed
    at the start of a run, a capture marked invalid. `cycle` is None for run-level events.

    `kind` is a short machine name ("option_bytes_changed", "board_changed",
    "destructive_confirmed", "capture_invalid", ...); `text` is the line a user reads.
    """

    kind: str
    text: str
    cycle: int | None = None
    at: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CycleRecord:
    """One power cycle with everything measured in it. `failed_step` is the first step that failed."""

    index: int
    started: float
    ended: float
    passed: bool
    failed_step: str | None
    error_class: str | None
    error_text: str | None
    steps: tuple[StepRecord, ...] = ()
    features: tuple[FeatureValue, ...] = ()
    waveforms: tuple[WaveformRecord, ...] = ()
    #: The board on the bench: its 96-bit unique ID as 24 hex digits (None when unread), and the
    #: profile's label for it (a serial sticker), if any.
    board_uid: str | None = None
    board_label: str | None = None
    #: The target as read at connect: part, dev_id, rev, flash_kb, package, layout (single/dual
    #: bank), ... (empty when the cycle never connected).
    target: dict[str, Any] = field(default_factory=dict)
    #: The option bytes read after power-up: raw registers, decoded fields, complement checks.
    option_bytes: dict[str, Any] = field(default_factory=dict)
    #: Events of this cycle (stored with it, in the same transaction).
    events: tuple[EventRecord, ...] = ()

    def feature(self, name: str) -> float | None:
        """The value of feature `name` in this cycle (None when missing or not measured)."""
        return next((f.value for f in self.features if f.name == name), None)


@dataclass(frozen=True)
class RunSummary:
    """One run as the runs list shows it."""

    id: int
    name: str
    started: float
    ended: float | None
    status: str
    cycles: int
    failures: int
    scenario: str | None = None
    #: Which bench recorded the run (`[bench] name`, else the host name).
    bench: str | None = None
    #: The shmoo this run is a cell of (its conditions: `ResultsStore.run_tags`), or None.
    shmoo: int | None = None


#: How each error class reads in a failure mode ("erase (write-protected)").
_MODE_WORDS = {
    "WriteProtected": "write-protected", "FlashOperationError": "flash error",
    "NoSwdAck": "no SWD ACK", "TransferFault": "bus fault", "VerifyMismatch": "mismatch",
    "StepFailed": "no trigger", "CoreReset": "core reset", "ProbeLost": "probe lost", "Cancelled": "cancelled",
}


def failure_mode(step: str | None, error_class: str | None) -> str | None:
    """The step and the kind of error together: one erase can fail in two ways with two causes
    (a write-protected sector after a bad option-byte load, a flash error after a VCAP dip)."""
    if step is None or not error_class:
        return step
    return f"{step} ({_MODE_WORDS.get(error_class, error_class)})"


@dataclass(frozen=True, eq=False)
class FeatureMatrix:
    """Every feature of every cycle of a run, as one table for the correlation analysis.

    `values[i, j]` is feature `names[j]` in cycle `cycles[i]`; NaN means missing or not measured
    (the analysis leaves those cycles out for that feature and reports how many).
    """

    names: tuple[str, ...]
    units: tuple[str, ...]
    kinds: tuple[str, ...]
    cycles: tuple[int, ...]
    passed: np.ndarray
    #: Per cycle: None when it passed, else its failure mode (`failure_mode`: step + error kind).
    failed_steps: tuple[str | None, ...]
    values: np.ndarray
    #: Per cell, BOUND_CODES: 1 where the value is a lower bound ("≥"), -1 an upper one, 0 a
    #: reading (None: all readings). The ranks tie a bound with its equals: censored values.
    bounds: np.ndarray | None = None
    #: Per column, the finest resolution its values were measured with (None: unknown).
    resolutions: tuple[float | None, ...] | None = None

    @classmethod
    def from_rows(cls, cycles: "list[tuple[int, bool, str | None]]",
                  rows: "Iterable[tuple[int, str, float | None, str, str]]") -> "FeatureMatrix":
        """Build the table from cycles (index, passed, failed_step) and feature rows
        (position of the cycle in `cycles`, name, value, unit, kind[, bound[, resolution]]).
        Columns sorted by name."""
        rows = list(rows)
        meta: dict[str, tuple[str, str]] = {}
        finest: dict[str, float] = {}
        for _, name, _, unit, kind, *rest in rows:
            meta.setdefault(name, (unit, kind))
            if len(rest) > 1 and rest[1]:
                finest[name] = min(rest[1], finest.get(name, rest[1]))
        names = tuple(sorted(meta))
        column = {name: j for j, name in enumerate(names)}
        values = np.full((len(cycles), len(names)), np.nan)
        marks = np.zeros(values.shape, dtype=np.int8)
        for i, name, value, _, _, *bound in rows:
            if value is not None:
                values[i, column[name]] = value
                if bound and bound[0]:
                    marks[i, column[name]] = BOUND_CODES[bound[0]]
        return cls(names=names, units=tuple(meta[n][0] for n in names),
                   kinds=tuple(meta[n][1] for n in names), cycles=tuple(c[0] for c in cycles),
                   passed=np.array([bool(c[1]) for c in cycles], dtype=bool),
                   failed_steps=tuple(c[2] for c in cycles), values=values, bounds=marks,
                   resolutions=tuple(finest.get(n) for n in names))

    @classmethod
    def from_records(cls, records: "Iterable[CycleRecord]") -> "FeatureMatrix":
        """Build the table from cycle records."""
        records = list(records)
        return cls.from_rows([(r.index, r.passed, failure_mode(r.failed_step, r.error_class))
                              for r in records],
                             ((i, f.name, f.value, f.unit, f.kind, f.bound, f.resolution)
                              for i, r in enumerate(records) for f in r.features))

    def __len__(self) -> int:
        return len(self.cycles)

    def column(self, name: str) -> np.ndarray:
        """All cycles' values of one feature (NaN = missing)."""
        return self.values[:, self.names.index(name)]

    def bound(self, i: int, j: int) -> str | None:
        """"lower" / "upper" when cell (i, j) is a bound, None for a reading."""
        code = 0 if self.bounds is None else int(self.bounds[i, j])
        return {1: "lower", -1: "upper"}.get(code)

    def resolution(self, j: int) -> float | None:
        return None if self.resolutions is None else self.resolutions[j]

    def censored(self, j: int) -> int:
        """How many cycles hold only a bound for feature j."""
        return 0 if self.bounds is None else int(np.count_nonzero(self.bounds[:, j]))

    def row(self, i: int) -> dict[str, float | None]:
        """One cycle's features by name, None for missing."""
        return {n: (None if np.isnan(v) else float(v)) for n, v in zip(self.names, self.values[i])}


__all__ = ["BOUNDS", "BOUND_CODES", "CycleRecord", "EventRecord", "FeatureMatrix", "FeatureValue", "KINDS", "OUTCOMES", "RUN_STATUSES", "RunSummary",
           "StepRecord", "WaveformRecord"]
