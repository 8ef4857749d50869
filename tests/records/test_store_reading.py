"""`report` and `export` read what a killed run left behind, and say in one line what is wrong
with a damaged database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchtui.bench.store import open_store

ROOT = Path(__file__).resolve().parent.parent.parent

#: A writer that stores a run of 5 cycles (a feature, a step with details, a waveform each) and
#: is then killed, as a power loss or `kill -9` would: its data is left in the -wal file.
KILLED_WRITER = textwrap.dedent('''
    import os, signal, sys, time
    import numpy as np
    from benchtui.bench.records import CycleRecord, FeatureValue, StepRecord, WaveformRecord
    from benchtui.bench.store import open_store
    store = open_store(sys.argv[1])
    run = store.start_run("killed", {}, {}, {})
    for i in range(1, 6):
        t = time.time()
        store.add_cycle(run, CycleRecord(
            index=i, started=t, ended=t, passed=i % 2 == 1, failed_step=None if i % 2 else "erase",
            error_class=None, error_text=None,
            steps=(StepRecord("erase", t, t, "pass", details={"sectors": [0, 1]}),),
            features=(FeatureValue("power_up.VDD.min", 3.0 + i / 100, "V", "rail"),),
            waveforms=(WaveformRecord("power_up", "VDD", 0.0, 1e-6, np.linspace(0, 3.3, 100)),)))
    os.kill(os.getpid(), signal.SIGKILL)
''')


def benchtui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchtui.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def _killed_run(db: Path) -> None:
    writer = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(db)], cwd=ROOT, timeout=120)
    assert writer.returncode == -9
    assert Path(f"{db}-wal").stat().st_size > 4 * db.stat().st_size, "the data is in the -wal file"


@pytest.mark.slow
def test_report_and_export_read_a_killed_run_and_leave_the_database_file_whole(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    _killed_run(db)
    report = benchtui("report", str(db))
    assert report.returncode == 0, report.stderr
    assert "interrupted, 5 cycles, 2 failed" in report.stdout
    export = benchtui("export", str(db), "--format", "csv")
    assert export.returncode == 0, export.stderr
    assert len(export.stdout.strip().splitlines()) == 6
    # The reader checkpointed: the database file alone now holds the run (a copy of it, without
    # its -wal file, as someone might mail it, reads the same).
    copy = tmp_path / "copy" / "runs.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)
    with open_store(copy, readonly=True) as store:
        assert [(r.cycles, r.status) for r in store.runs()] == [(5, "interrupted")]


def test_a_copy_without_its_wal_file_says_so(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    _killed_run(db)
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)  # the .db alone: the run is in runs.db-wal
    report = benchtui("report", str(copy))
    assert report.returncode == 2
    assert report.stderr.strip().count("\n") == 0, report.stderr
    assert f"{copy}: is empty" in report.stderr and "copy its -wal file (copy.db-wal)" in report.stderr


@pytest.mark.slow
def test_a_corrupt_row_is_one_line_naming_the_database(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    _killed_run(db)
    assert benchtui("report", str(db)).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE steps SET details = '{\"sectors\": [0, 1' WHERE id = 3")
    for args in (("export", str(db), "--format", "jsonl"), ("export", str(db), "--format", "csv")):
        done = benchtui(*args)
        assert done.returncode == 2, (args, done.stdout[-500:])
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert str(db) in done.stderr and "corrupt" in done.stderr and "Traceback" not in done.stderr
