"""What a report shows about one run, read from the store: the run, its correlation and its
diagnosis, the profile's context, the feature matrix and the cycles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..analysis import Analysis, analyse
from ..diagnosis import Diagnosis, RunContext, diagnose
from ..records import CycleRecord, FeatureMatrix, RunSummary
from ..sequential import FAMILY_ALPHA, SpendingPlan


@dataclass(frozen=True, eq=False)
class Report:
    """Everything a report shows about one run."""

    run: RunSummary
    analysis: Analysis
    diagnosis: Diagnosis
    context: RunContext
    matrix: FeatureMatrix
    cycles: tuple[CycleRecord, ...]
    #: The store the run was read from (the HTML report fetches a few cycles' waveforms).
    store: Any = None


def load_report(store: Any, run_id: int | None = None, *, commands: frozenset[str] | None = None) -> Report:
    """Read a run (the latest if `run_id` is None) and compute its correlation and diagnosis.
    A run watched after every cycle (`run --until-diagnosed`) is decided at its last look's
    level, as the loop decided it. `commands`: the benchtui commands available, for the salvage
    advice (None: all)."""
    run = store.run(run_id) if run_id is not None else store.runs()[-1]
    cycles = tuple(store.cycles(run.id))
    metadata = store.run_metadata(run.id)
    context = RunContext.from_metadata(metadata, list(cycles))
    matrix = store.feature_matrix(run.id)
    analysis = analyse(matrix, context.steps, plan=plan_of(metadata))
    return Report(run, analysis, diagnose(analysis, context, commands=commands), context, matrix, cycles, store)


def plan_of(metadata: dict[str, Any]) -> SpendingPlan | None:
    """The alpha-spending plan a run was watched under (the profile snapshot's `sequential`)."""
    seq = (metadata.get("profile") or {}).get("sequential")
    if not isinstance(seq, dict):
        return None
    try:
        return SpendingPlan(int(seq["max_cycles"]), float(seq.get("alpha", FAMILY_ALPHA)))
    except (KeyError, TypeError, ValueError):
        return None
