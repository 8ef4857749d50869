"""A loop that stops when it knows: the diagnosis after every cycle, under an alpha-spending plan.

`DiagnosisWatch` keeps the run's cycles (without their waveforms), and after each one computes
the correlation and the diagnosis at that look's level (`sequential.SpendingPlan`): the loop stops
as soon as the diagnosis is settled (a part named from separating evidence, a rail signature the
knowledge base cannot name, or a signature ruled out with enough cycles compared), or at the
plan's last cycle. The run's profile snapshot carries the plan (`sequential`), so that a report
read later decides at the same looks' levels as the loop did.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from .analysis import Analysis, analyse
from .diagnosis import Diagnosis, RunContext, diagnose
from .records import CycleRecord, FeatureMatrix
from .sequential import DEFAULT_MAX_CYCLES, FAMILY_ALPHA, SpendingPlan
#: The name of the spending function in the run's profile snapshot.
SPENDING = "lan-demets-pocock"


class DiagnosisWatch:
    """The diagnosis after every cycle of one run, at that look's level."""

    def __init__(self, max_cycles: int = DEFAULT_MAX_CYCLES, alpha: float = FAMILY_ALPHA):
        self.plan = SpendingPlan(max_cycles, alpha)
        self.records: list[CycleRecord] = []
        self.snapshot: dict[str, Any] = {}
        self.steps: Sequence[str] = ()
        self.analysis: Analysis | None = None
        self.diagnosis: Diagnosis | None = None
        #: The cycle after which the diagnosis settled (None: not yet).
        self.settled_at: int | None = None

    def snapshot_with_plan(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """The profile snapshot to store with the run: the plan under `sequential`."""
        self.snapshot = {**snapshot, "sequential": {"max_cycles": self.plan.max_cycles, "alpha": self.plan.alpha,
                                                    "spending": SPENDING}}
        self.steps = tuple((self.snapshot.get("cycle") or {}).get("steps") or ())
        return self.snapshot

    def observe(self, record: CycleRecord) -> Diagnosis:
        """Add a finished cycle; the diagnosis at this look (pure numpy: run it off the UI loop)."""
        self.records.append(dataclasses.replace(record, waveforms=()))
        context = RunContext.from_metadata({"profile": self.snapshot}, self.records)
        self.analysis = analyse(FeatureMatrix.from_records(self.records), context.steps, plan=self.plan)
        self.diagnosis = diagnose(self.analysis, context)
        if self.diagnosis.settled and self.settled_at is None:
            self.settled_at = len(self.records)
        return self.diagnosis

    @property
    def done(self) -> bool:
        return self.settled_at is not None or len(self.records) >= self.plan.max_cycles


__all__ = ["DEFAULT_MAX_CYCLES", "DiagnosisWatch", "SPENDING"]
