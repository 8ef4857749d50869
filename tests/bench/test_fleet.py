"""Many benches, one PostgreSQL database: three bench processes sweeping their boards at the
same time, one killed mid-run; then `report --by-board` across them. And `store migrate`
copying runs SQLite -> PostgreSQL -> SQLite without losing a field."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from benchtui.bench.records import CycleRecord, EventRecord, FeatureValue, StepRecord, WaveformRecord
from benchtui.bench.store import SCHEMA_VERSION, open_store
from benchtui.cli import DEMO_PROFILE, main

ROOT = Path(__file__).resolve().parents[2]


def bench_profile(tmp_path: Path, name: str, seed: int, url: str, firmware: Path) -> Path:
    """The demo profile as bench `name`: its own virtual batch of 2 boards (seed), results in `url`."""
    text = DEMO_PROFILE.read_text()
    text = text.replace('firmware = "firmware/board-test-v1.hex"', f'firmware = "{firmware}"')
    text = text.replace('database = "benchtui-demo.db"', f'database = "{url}"')
    text = re.sub(r"(?m)^seed = \d+", f"seed = {seed}\nbatch = 2\nfaulty = []", text)
    text = re.sub(r"(?m)^off_s = .*", "off_s = 0.02", text)
    text += f'\n[bench]\nname = "{name}"\n'
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_three_benches_write_one_database_and_a_killed_one_loses_nothing_finished(
        pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from benchtui.sim.firmware import write_test_hex

    firmware = write_test_hex(tmp_path / "tiny.hex", size=2048)
    procs = {}
    for name, seed, cycles in (("bench-A", 11, 3), ("bench-B", 12, 3), ("bench-C", 13, 40)):
        profile = bench_profile(tmp_path, name, seed, pg_url, firmware)
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "benchtui.cli", "sweep", "--profile", str(profile), "--virtual",
             "--cycles", str(cycles), "-q"], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
    killed = procs["bench-C"]
    try:
        deadline = time.monotonic() + 120
        while not _ready(pg_url) and time.monotonic() < deadline:  # the first bench builds the schema
            time.sleep(0.1)
        with open_store(pg_url, readonly=True) as reader:  # reads while three benches write
            while time.monotonic() < deadline:
                runs = {r.bench: r for r in reader.runs()}
                if "bench-C" in runs and runs["bench-C"].cycles >= 3:
                    break
                time.sleep(0.1)
            else:
                pytest.fail("bench-C did not record 3 cycles in 120 s: "
                            + (killed.stderr.read() if killed.poll() is not None else ""))
        os.kill(killed.pid, signal.SIGKILL)  # mid-run: its first board is still being cycled
        for name in ("bench-A", "bench-B"):
            out, err = procs[name].communicate(timeout=120)
            assert procs[name].returncode in (0, 1), err
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
            p.wait()
    assert killed.returncode == -signal.SIGKILL

    with open_store(pg_url, readonly=True) as store:
        runs = store.runs()
        by_bench: dict[str, list] = {}
        for r in runs:
            by_bench.setdefault(r.bench, []).append(r)
        assert [(r.status, r.cycles) for r in by_bench["bench-A"]] == [("completed", 3)] * 2
        assert [(r.status, r.cycles) for r in by_bench["bench-B"]] == [("completed", 3)] * 2
        [c_run] = by_bench["bench-C"]
        assert c_run.status == "interrupted" and c_run.cycles >= 3
        cycles = store.cycles(c_run.id)  # every finished cycle of the dead bench is there, whole
        assert [c.index for c in cycles] == list(range(1, len(cycles) + 1))
        assert all(c.steps[-1].name == "disconnect" and c.features and c.board_uid for c in cycles)
        assert store.integrity_check() == "ok"
        spans = {b: (min(c.started for r in rs for c in store.cycles(r.id)),
                     max(c.ended for r in rs for c in store.cycles(r.id))) for b, rs in by_bench.items()}
    assert spans["bench-A"][0] < spans["bench-C"][1] and spans["bench-C"][0] < spans["bench-A"][1], \
        "the benches wrote at the same time"

    assert main(["report", pg_url, "--by-board", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["key"]: row for row in report["rows"]}
    assert len(rows) == 5  # 2 + 2 boards, and bench-C's first
    assert sorted(b for row in rows.values() for b in row["benches"]) == \
        ["bench-A", "bench-A", "bench-B", "bench-B", "bench-C"]
    assert report["enough"] and report["standouts"] == []  # all healthy: nothing stands out
    assert main(["report", pg_url, "--by-bench"]) == 0
    text = capsys.readouterr().out
    assert "too few benches to compare" in text and "bench-C" in text
    assert main(["report", pg_url, "--by-board", "--bench", "bench-C"]) == 0
    assert "by board: 1 boards, 1 runs" in capsys.readouterr().out


def _ready(url: str) -> bool:
    """The schema exists (the first bench to start builds it)."""
    from benchtui.errors import StoreError
    try:
        with open_store(url, readonly=True):
            return True
    except StoreError:
        return False


def write_runs(db: str) -> list[int]:
    rng = np.random.default_rng(5)
    with open_store(db) as store:
        ids = []
        for k in range(3):
            run = store.start_run(f"run {k}", {"name": f"p{k}", "psu": {"voltage": 3.3}},
                                  {"benchtui": "0.1.0"}, {"psu": "RIGOL"}, scenario="vcap-marginal",
                                  bench=f"bench-{k % 2}")
            store.add_event(run, EventRecord("destructive_confirmed", "mass erase confirmed", at=10.0))
            for i in range(1, 4):
                store.add_cycle(run, CycleRecord(
                    index=i, started=100.0 * k + i, ended=100.0 * k + i + 0.5, passed=i != 2,
                    failed_step=None if i != 2 else "erase", error_class=None if i != 2 else "WriteProtected",
                    error_text=None if i != 2 else "WRPERR",
                    steps=(StepRecord("connect", 1.0, 1.1, "pass", 2, None, None, {"idcode": "0x451"}),),
                    features=(FeatureValue("power_up.VCAP1.dip_depth", float(rng.random()), "V", "rail"),
                              FeatureValue("flash.VCAP1.min", None, "V", "rail")),
                    waveforms=(WaveformRecord("power_up", "VCAP1", -1e-4, 2e-6, rng.random(300)),
                               WaveformRecord("power_up", "VDD", float("nan"), 2e-6, rng.random(10))),
                    board_uid=f"{k:08X}3941550933544A59", board_label=f"SN-{k}",
                    target={"part": "STM32F76x", "flash_kb": 1024}, option_bytes={"optcr": "0xAAFD"},
                    events=(EventRecord("option_bytes_changed", "nWRP changed", i, 5.0, {"a": [1, 2]}),)))
            if k < 2:
                store.end_run(run, "completed" if k == 0 else "stopped")
            ids.append(run)
    return ids  # the last run is left "running": its writer closed, so it reads "interrupted"


def snapshot(db: str) -> list:
    """Everything a reader can get out of a database, without the run ids."""
    with open_store(db, readonly=True) as store:
        out = []
        for r in store.runs():
            out.append(({**r.__dict__, "id": None}, store.run_metadata(r.id), store.cycles(r.id),
                        [store.waveforms(r.id, c.index) for c in store.cycles(r.id)],
                        store.events(r.id)))
        return out


@pytest.mark.slow
def test_store_migrate_copies_runs_sqlite_to_postgresql_and_back(pg_url: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    src = str(tmp_path / "bench.db")
    write_runs(src)
    assert main(["store", "migrate", src, pg_url]) == 0
    assert capsys.readouterr().out.strip() == f"3 runs copied from {src} to {pg_url}"
    assert snapshot(pg_url) == snapshot(src)
    assert main(["store", "migrate", src, pg_url]) == 0  # again: nothing twice
    assert capsys.readouterr().out.strip() == f"0 runs copied from {src} to {pg_url}, 3 already there"
    back = str(tmp_path / "back.db")
    assert main(["store", "migrate", pg_url, back, "-q"]) == 0
    assert capsys.readouterr().out.startswith(f"3 runs copied from {pg_url} to {back}")
    assert snapshot(back) == snapshot(src)
    with open_store(back, readonly=True) as store:
        assert [r.status for r in store.runs()] == ["completed", "stopped", "interrupted"]
        assert store.integrity_check() == "ok"
    for args in (["report", "--run", "1"], ["report", "--run", "2", "--json"]):  # either backend
        assert main([args[0], src, *args[1:]]) == 0
        from_sqlite = capsys.readouterr().out
        assert main([args[0], pg_url, *args[1:]]) == 0
        assert capsys.readouterr().out == from_sqlite.replace(src, pg_url)
    assert main(["export", src, "--run", "1", "--format", "jsonl"]) == 0
    exported = capsys.readouterr().out
    assert main(["export", pg_url, "--run", "1", "--format", "jsonl"]) == 0
    assert capsys.readouterr().out == exported and exported.count("\n") == 3
    assert main(["store", "info", pg_url]) == 0
    info = capsys.readouterr().out
    assert f"postgresql results database, schema version {SCHEMA_VERSION}" in info and "3 runs, 9 cycles" in info
    assert "benches: bench-0, bench-1" in info


def test_store_migrate_leaves_a_live_run_and_refuses_one_database(tmp_path: Path, pg_url: str,
                                                                 capsys: pytest.CaptureFixture) -> None:
    src = str(tmp_path / "live.db")
    writer = open_store(src)
    writer.start_run("live", {}, {}, {})
    try:
        assert main(["store", "migrate", src, pg_url]) == 0
        captured = capsys.readouterr()
        assert "run 1: still being written, not copied" in captured.err
        assert "0 runs copied" in captured.out and "1 still being written" in captured.out
    finally:
        writer.close()
    assert main(["store", "migrate", src, src]) == 2
    assert "source and destination are the same database" in capsys.readouterr().err
