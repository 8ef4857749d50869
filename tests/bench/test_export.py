"""From waveforms to words: features -> store -> analysis -> report, and the CSV/JSONL/npz exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from benchtui.bench.analysis import analyse
from benchtui.bench.export import BASE_COLUMNS, export_csv, export_jsonl, export_waveforms
from benchtui.bench.features import compute_capture_features, step_features
from benchtui.bench.records import CycleRecord, FeatureValue, StepRecord, WaveformRecord
from benchtui.bench.report import format_report, report_json
from benchtui.bench.store import open_store
from benchtui.errors import StoreError

N_CYCLES = 40
DT = 2e-6
LIMITS = {"VCAP1": (1.1, 1.4), "VDD": (3.0, 3.6)}


def synthetic_cycle(index: int, rng: np.random.Generator) -> CycleRecord:
    """A cycle whose erase fails when VCAP1 dipped below 1.10 V during the flash window."""
    n = 2000
    vcap = np.full(n, 1.2) + rng.normal(0, 0.003, n)
    depth = rng.uniform(0.02, 0.2)
    vcap[800:900] -= depth
    vdd = np.full(n, 3.3) + rng.normal(0, 0.005, n)
    waves = {"VCAP1": WaveformRecord("fault_catch", "VCAP1", 0.0, DT, vcap),
             "VDD": WaveformRecord("fault_catch", "VDD", 0.0, DT, vdd)}
    failed = 1.2 - depth < 1.1
    t = 100.0 * index
    steps = (StepRecord("connect", t, t + 0.2, "pass", 1, None, None, {}),
             StepRecord("erase", t + 0.2, t + 1.0, "fail" if failed else "pass", 1,
                        "WriteProtected" if failed else None, "WRPERR" if failed else None, {}))
    features = compute_capture_features("flash", waves, LIMITS)
    if index % 10 == 0:  # the scope missed this capture: no rail features at all
        features, waves = [], {}
    return CycleRecord(index, t, t + 1.5, not failed, "erase" if failed else None,
                       "WriteProtected" if failed else None, "WRPERR" if failed else None,
                       steps, tuple(features + step_features(steps)), tuple(waves.values()))


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[CycleRecord]]:
    db = tmp_path_factory.mktemp("export") / "run.db"
    rng = np.random.default_rng(4)
    records = [synthetic_cycle(i, rng) for i in range(1, N_CYCLES + 1)]
    with open_store(db) as store:
        run_id = store.start_run("synthetic", {}, {}, {}, scenario="vcap-marginal")
        for r in records:
            store.add_cycle(run_id, r)
        store.end_run(run_id)
    return db, run_id, records


def test_report_finds_the_vcap_dip_and_prints_a_table(run_db) -> None:
    db, run_id, records = run_db
    with open_store(db, readonly=True) as store:
        analysis = analyse(store.feature_matrix(run_id))
        summary = store.run(run_id)
    failures = sum(not r.passed for r in records)
    top = analysis.findings[0]
    assert top.feature in ("flash.VCAP1.min", "flash.VCAP1.dip_depth", "flash.VCAP1.below_min")
    assert top.step == "erase (write-protected)" and top.separates and top.n_missing == N_CYCLES // 10
    text = format_report(analysis, summary)
    assert f"run {run_id} \"synthetic\" [vcap-marginal]: completed, {N_CYCLES} cycles, {failures} failed" in text
    assert "feature" in text and "AUC" in text and "fail below" in text
    assert "verdict: likely the VCAP1/VCAP2 capacitors" in text and "findings:" in text
    assert f"{top.feature} {top.threshold_text}: failures in {top.near.failures} of {top.near.cycles}" in text
    header = next(line for line in text.splitlines() if "feature" in line and "AUC" in line)
    row = next(line for line in text.splitlines() if line.lstrip().startswith("1 "))
    assert len(row.rstrip("*")) <= len(header) + 1

    data = report_json(analysis, summary)
    again = json.loads(json.dumps(data, allow_nan=False))
    assert again["features"][0]["feature"] == top.feature and again["rail_signature"] is True
    assert again["findings"][0]["part_id"] == "vcap" and again["findings"][0]["advice"]
    assert again["run"]["id"] == run_id and again["failures_by_step"] == {"erase (write-protected)": failures}


def test_report_with_no_failures(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    records = [r for r in (synthetic_cycle(i, rng) for i in range(1, 80)) if r.passed][:12]
    with open_store(tmp_path / "ok.db") as store:
        run_id = store.start_run("healthy", {}, {}, {})
        for i, r in enumerate(records, 1):
            store.add_cycle(run_id, CycleRecord(**{**r.__dict__, "index": i}))
        store.end_run(run_id)
        text = format_report(analyse(store.feature_matrix(run_id)), store.run(run_id))
    assert "no failures in 12 cycles" in text and "AUC" not in text


def test_csv_has_one_row_per_cycle_with_features_as_columns(run_db) -> None:
    db, run_id, records = run_db
    out = io.StringIO()
    with open_store(db, readonly=True) as store:
        assert export_csv(store, run_id, out) == N_CYCLES
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == N_CYCLES
    assert tuple(rows[0])[: len(BASE_COLUMNS)] == BASE_COLUMNS
    for row, record in zip(rows, records):
        assert int(row["cycle"]) == record.index and row["passed"] == str(int(record.passed))
        assert row["failed_step"] == (record.failed_step or "")
        # ISO 8601 with the UTC offset, to the millisecond.
        started = datetime.fromisoformat(row["started"])
        assert started.tzinfo is not None and abs(started.timestamp() - record.started) < 1e-3
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", row["ended"])
        vmin = record.feature("flash.VCAP1.min")
        if vmin is None:
            assert row["flash.VCAP1.min"] == ""
        else:
            decimals = len(row["flash.VCAP1.min"].split(".")[1])
            assert float(row["flash.VCAP1.min"]) == pytest.approx(vmin, abs=0.51 * 10 ** -decimals)
        assert row["step.erase.attempts"] == "1" and len(row["step.erase.duration"].split(".")[1]) == 6


def test_csv_values_are_rounded_to_the_instruments_resolution(tmp_path: Path) -> None:
    """An 8-bit capture at 0.2 V/div resolves 8 mV: its features are written to the mV, with
    means one decimal finer, times to the sample interval, counts as integers."""
    lsb, rng = 0.008, np.random.default_rng(9)
    db = tmp_path / "q.db"
    with open_store(db) as store:
        run_id = store.start_run("quantised", {}, {}, {})
        for i in range(1, 6):
            vcap = np.round((1.2 + rng.normal(0, 0.006, 2000)) / lsb) * lsb
            vcap[900:950] -= 0.1 + 0.01 * i
            waves = {"VCAP1": WaveformRecord("fault_catch", "VCAP1", 0.0, DT, vcap)}
            features = compute_capture_features("flash", waves, LIMITS)
            features.append(FeatureValue("psu.flash.current", 0.0613 + i * 1e-4, "A", "psu"))
            store.add_cycle(run_id, CycleRecord(i, 1e9 + i, 1e9 + i + 0.5, True, None, None, None,
                                                features=tuple(features), waveforms=tuple(waves.values())))
        store.end_run(run_id)
        out = io.StringIO()
        export_csv(store, run_id, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["flash.VCAP1.min"].count(".") == 1 and len(rows[0]["flash.VCAP1.min"].split(".")[1]) == 3
    assert len(rows[0]["flash.VCAP1.mean"].split(".")[1]) == 4
    assert len(rows[0]["flash.VCAP1.below_min"].split(".")[1]) == 6  # 2 µs samples: to the µs
    assert rows[0]["psu.flash.current"] == "0.0614"
    assert "0000000" not in out.getvalue() and "9999999" not in out.getvalue()


def test_jsonl_rows_carry_flattened_features(run_db, tmp_path: Path) -> None:
    db, run_id, records = run_db
    path = tmp_path / "run.jsonl"
    with open_store(db, readonly=True) as store:
        export_jsonl(store, run_id, path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["cycle"] for r in rows] == [r.index for r in records]
    for row, record in zip(rows, records):
        for f in record.features:
            assert row[f.name] == f.value
        assert [s["name"] for s in row["steps"]] == ["connect", "erase"]
        assert row["passed"] is record.passed


def test_waveforms_export_one_npz_per_cycle_capture(run_db, tmp_path: Path) -> None:
    db, run_id, records = run_db
    folder = tmp_path / "waves"
    with open_store(db, readonly=True) as store:
        written = export_waveforms(store, run_id, folder)
    with_waves = [r for r in records if r.waveforms]
    assert written == len(with_waves) == len(list(folder.glob("*.npz")))
    record = with_waves[3]
    with np.load(folder / f"run{run_id}_cycle{record.index:05d}_fault_catch.npz") as data:
        assert sorted(data["nets"]) == ["VCAP1", "VDD"]
        for w in record.waveforms:
            assert np.array_equal(data[w.net], np.asarray(w.volts, dtype=np.float32))
            assert float(data[f"{w.net}_dt"]) == w.dt and float(data[f"{w.net}_t0"]) == w.t0


def test_waveforms_export_as_csv_with_a_time_column_per_capture(run_db, tmp_path: Path) -> None:
    db, run_id, records = run_db
    folder = tmp_path / "waves-csv"
    with open_store(db, readonly=True) as store:
        written = export_waveforms(store, run_id, folder, fmt="csv")
    record = [r for r in records if r.waveforms][2]
    assert written == len(list(folder.glob("*.csv")))
    with open(folder / f"run{run_id}_cycle{record.index:05d}_fault_catch.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["time_s"] + [w.net for w in record.waveforms]
    assert len(rows) == 1 + len(record.waveforms[0].volts)
    assert float(rows[2][0]) == pytest.approx(record.waveforms[0].t0 + DT, abs=1e-6)
    vcap = next(i for i, w in enumerate(record.waveforms, 1) if w.net == "VCAP1")
    assert float(rows[1][vcap]) == pytest.approx(float(record.waveforms[vcap - 1].volts[0]), abs=1e-5)


def test_export_errors_name_the_path_or_run(run_db, tmp_path: Path) -> None:
    db, run_id, _ = run_db
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with open_store(db, readonly=True) as store:
        with pytest.raises(StoreError, match=f"{blocker / 'sub'}: cannot create the waveform folder"):
            export_waveforms(store, run_id, blocker / "sub")
        with pytest.raises(StoreError, match=f"{tmp_path / 'no' / 'x.csv'}: cannot write"):
            export_csv(store, run_id, tmp_path / "no" / "x.csv")
        with pytest.raises(StoreError, match="no run 42"):
            export_jsonl(store, 42, io.StringIO())
