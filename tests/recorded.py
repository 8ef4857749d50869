"""Scenario runs recorded once on the virtual bench and kept in `tests/data/runs/`, so that the
statistics tests and `benchmarks/diagnosis.py` read fixed data instead of a fresh run whose
outcome moves with the machine's load (the swd-intermittent dropouts are wall-clock intervals).

Each file holds one run: the scenario, the seed, the profile snapshot the diagnosis reads, and
every cycle with its steps, features (bounds and resolutions included), option bytes and events;
no waveforms. `to_store` writes a stored run (or its first N cycles) into a results database, so
that the reports are read through the store exactly as for a run on the bench.

Re-record (about half an hour on two cores; nrst-noise runs at time scale 1):

    python -m tests.recorded [--scenario NAME ...] [--seeds 1-5] [--cycles 40]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchtui.bench.records import CycleRecord, EventRecord, FeatureMatrix, FeatureValue, StepRecord

RUNS = Path(__file__).with_name("data") / "runs"
SCENARIOS = ("vcap-marginal", "brownout", "swd-intermittent", "healthy", "nrst-noise")
SEEDS = (1, 2, 3, 4, 5)
CYCLES = 40


@dataclass(frozen=True)
class RecordedRun:
    scenario: str
    seed: int
    metadata: dict[str, Any]
    cycles: tuple[CycleRecord, ...]

    def matrix(self, cycles: int | None = None) -> FeatureMatrix:
        return FeatureMatrix.from_records(self.cycles[:cycles])

    def to_store(self, db: str | Path, cycles: int | None = None) -> int:
        """Write the run (its first `cycles` cycles) into the results database `db`; the run id."""
        from benchtui.bench.store import open_store

        with open_store(db) as store:
            run_id = store.start_run(f"recorded {self.scenario} seed {self.seed}", self.metadata.get("profile") or {},
                                     self.metadata.get("versions") or {}, self.metadata.get("instruments") or {},
                                     scenario=self.scenario, bench="recorded")
            for c in self.cycles[:cycles]:
                store.add_cycle(run_id, c)
            store.end_run(run_id)
        return run_id


def path_for(scenario: str, seed: int) -> Path:
    return RUNS / f"{scenario}-seed{seed}.json.gz"


def load(scenario: str, seed: int) -> RecordedRun:
    with gzip.open(path_for(scenario, seed), "rt", encoding="utf-8") as f:
        data = json.load(f)
    return RecordedRun(data["scenario"], data["seed"], data["metadata"],
                       tuple(_cycle(c) for c in data["cycles"]))


def available() -> list[tuple[str, int]]:
    return [(s, k) for s in SCENARIOS for k in SEEDS if path_for(s, k).exists()]


def save(scenario: str, seed: int, metadata: dict[str, Any], cycles: list[CycleRecord]) -> Path:
    path = path_for(scenario, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"scenario": scenario, "seed": seed, "metadata": metadata, "cycles": [_plain(c) for c in cycles]}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(data, f, separators=(",", ":"), default=str)
    return path


def record(scenario: str, seed: int, cycles: int, firmware: Path, folder: Path) -> Path:
    """Run the scenario on the virtual bench (tests/scenario_runs.py's setup) and save it."""
    from benchtui.bench.store import open_store
    from tests.scenario_runs import SPECS, run_scenario

    spec = {k: v for k, v in SPECS[scenario].items() if k not in ("until_failures", "until_passes", "max_cycles")}
    run = run_scenario(scenario, folder, firmware, spec={**spec, "seed": seed, "cycles": cycles})
    with open_store(run.db, readonly=True) as store:
        return save(scenario, seed, store.run_metadata(run.summary.id), store.cycles(run.summary.id))


def _plain(c: CycleRecord) -> dict[str, Any]:
    row = asdict(c)
    row.pop("waveforms")
    row["features"] = [[f.name, f.value, f.unit, f.kind, f.bound, f.resolution] for f in c.features]
    row["steps"] = [[s.name, round(s.started, 6), round(s.ended, 6), s.outcome, s.attempts, s.error_class,
                     s.error_text, s.details] for s in c.steps]
    return row


def _cycle(row: dict[str, Any]) -> CycleRecord:
    return CycleRecord(**{**row, "features": tuple(FeatureValue(*f) for f in row["features"]),
                          "steps": tuple(StepRecord(*s) for s in row["steps"]),
                          "events": tuple(EventRecord(**e) for e in row["events"])})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", action="append", choices=SCENARIOS)
    ap.add_argument("--seeds", default="1-5", help="e.g. 1-5 or 2,4")
    ap.add_argument("--cycles", type=int, default=CYCLES)
    args = ap.parse_args(argv)
    seeds = range(int(args.seeds.split("-")[0]), int(args.seeds.split("-")[1]) + 1) if "-" in args.seeds \
        else [int(s) for s in args.seeds.split(",")]
    from benchtui.sim.firmware import write_test_hex

    with tempfile.TemporaryDirectory() as tmp:
        firmware = write_test_hex(Path(tmp) / "board-test-small.hex", size=48 * 1024)
        for scenario in args.scenario or SCENARIOS:
            for seed in seeds:
                folder = Path(tmp) / f"{scenario}-{seed}"
                folder.mkdir()
                path = record(scenario, seed, args.cycles, firmware, folder)
                run = load(scenario, seed)
                failed = sum(not c.passed for c in run.cycles)
                print(f"{path.name}: {len(run.cycles)} cycles, {failed} failed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
