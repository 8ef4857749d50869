"""`export` and `report` at the edges: where the output cannot go, odd net names, --run 0."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from benchtui.bench.records import CycleRecord, FeatureValue, StepRecord, WaveformRecord
from benchtui.bench.store import open_store

ROOT = Path(__file__).resolve().parent.parent.parent


def benchtui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchtui.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A finished run of 2 cycles whose captures include a net named like numpy's `file`."""
    path = tmp_path / "runs.db"
    with open_store(path) as store:
        run = store.start_run("edges", {}, {}, {})
        for i in (1, 2):
            t = time.time()
            store.add_cycle(run, CycleRecord(
                index=i, started=t, ended=t, passed=True, failed_step=None, error_class=None,
                error_text=None, steps=(StepRecord("power_on", t, t, "pass"),),
                features=(FeatureValue("power_up.file.min", 1.0, "V", "rail"),),
                waveforms=tuple(WaveformRecord("power_up", net, 0.0, 1e-6, np.full(50, 1.5))
                                for net in ("file", "allow_pickle", "VDD"))))
        store.end_run(run, "completed")
    return path


def _one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout[-300:], done.stderr)
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip()


def test_nets_named_like_numpy_arguments_export_as_themselves(db: Path, tmp_path: Path) -> None:
    done = benchtui("export", str(db), "--out", str(tmp_path / "c.csv"), "--waveforms", str(tmp_path / "wf"))
    assert done.returncode == 0, done.stderr
    files = sorted((tmp_path / "wf").iterdir())
    assert [f.name for f in files] == ["run1_cycle00001_power_up.npz", "run1_cycle00002_power_up.npz"]
    with np.load(files[0], allow_pickle=False) as npz:
        assert list(npz["nets"]) == ["file", "allow_pickle", "VDD"]
        assert npz["file"].shape == (50,) and float(npz["allow_pickle_dt"]) == 1e-6


@pytest.mark.slow
def test_export_into_a_missing_folder_or_onto_a_folder_is_one_line(db: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "c.csv"
    assert str(missing) in _one_line_error(benchtui("export", str(db), "--out", str(missing)))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert str(folder) in _one_line_error(benchtui("export", str(db), "--out", str(folder)))
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    err = _one_line_error(benchtui("export", str(db), "--out", str(tmp_path / "c.csv"),
                                   "--waveforms", str(a_file)))
    assert str(a_file) in err


@pytest.mark.parametrize("command", ["report", "export"])
def test_run_0_is_an_error_not_the_latest_run(command: str, db: Path) -> None:
    done = benchtui(command, str(db), "--run", "0")
    assert done.returncode == 2
    assert "--run" in done.stderr and "run ids start at 1" in done.stderr
    assert "no run 7" in benchtui(command, str(db), "--run", "7").stderr
