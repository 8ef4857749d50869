"""Typed events emitted by the bench session and the cycle engine.

The TUI and the headless CLI consume the same events: the engine knows nothing of either.
Events are delivered on the asyncio loop thread that runs the session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from ..errors import BenchError


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    planned: int | None


@dataclass(frozen=True)
class CycleStarted:
    index: int


@dataclass(frozen=True)
class StepStarted:
    index: int
    step: str


@dataclass(frozen=True)
class StepFinished:
    index: int
    record: Any  # records.StepRecord


@dataclass(frozen=True)
class Progress:
    index: int | None
    step: str
    done: int
    total: int


@dataclass(frozen=True)
class CaptureReady:
    index: int | None
    capture: str
    waveforms: dict  # net -> Waveform


@dataclass(frozen=True)
class CycleFinished:
    record: Any  # records.CycleRecord
    passed: int
    failed: int


@dataclass(frozen=True)
class RunFinished:
    summary: Any  # records.RunSummary


@dataclass(frozen=True)
class ShmooCell:
    """A shmoo cell's tally after one of its cycles (or when its visit starts: cycles as before)."""

    shmoo_id: int
    cell: tuple
    conditions: dict
    cycles: int
    failures: int
    phase: str            # "coarse", "refine" or "full"
    level: float | None   # the boundary level once known


@dataclass(frozen=True)
class ShmooFinished:
    result: Any  # bench.shmoo.result.ShmooResult
    status: str


@dataclass(frozen=True)
class Log:
    source: str
    text: str
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class DeviceError:
    where: str
    error: BenchError


@dataclass(frozen=True)
class LinkChanged:
    """An instrument's link state changed: where is "PSU" or "scope", state one of
    session.LINK_STATES ("connecting", "connected", "lost", "reconnecting", "absent")."""

    where: str
    state: str


@dataclass(frozen=True)
class Diagnosed:
    """A run watched until diagnosed (`run --until-diagnosed`): the diagnosis after cycle `index`
    at that look's level; `settled`: the loop stops here."""

    index: int
    analysis: Any  # analysis.Analysis
    diagnosis: Any  # diagnosis.Diagnosis
    settled: bool


Event = Union[RunStarted, CycleStarted, StepStarted, StepFinished, Progress, CaptureReady,
              CycleFinished, RunFinished, Log, DeviceError, LinkChanged, ShmooCell, ShmooFinished,
              Diagnosed]
EventSink = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """The default sink."""
