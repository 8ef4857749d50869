"""The command line, as a user runs it: real processes, the virtual bench, the results file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchtui.cli import DEMO_PROFILE, main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_copy(tmp_path: Path, small_firmware: Path) -> Path:
    """The demo profile with a small image, fast waits and its database in tmp_path."""
    text = DEMO_PROFILE.read_text()
    text = text.replace('firmware = "firmware/board-test-v1.hex"', f'firmware = "{small_firmware}"')
    text = text.replace('database = "benchtui-demo.db"', f'database = "{tmp_path / "runs.db"}"')
    text = text.replace("off_s = 0.3", "off_s = 0.05")
    path = tmp_path / "demo.toml"
    path.write_text(text)
    return path


def benchtui(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchtui.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.slow
def test_run_report_export_round_trip(demo_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run = benchtui("run", "--profile", str(demo_copy), "--virtual", "--cycles", "12", "-q",
                   "--scenario", "vcap-marginal", "--seed", "2")
    assert run.returncode == 1, run.stderr  # failures occurred
    assert "12 cycles" in run.stdout
    report = benchtui("report", str(db))
    assert report.returncode == 0, report.stderr
    assert "VCAP" in report.stdout
    as_json = json.loads(benchtui("report", str(db), "--json").stdout)
    assert as_json
    out = tmp_path / "cycles.csv"
    export = benchtui("export", str(db), "--format", "csv", "--out", str(out),
                      "--waveforms", str(tmp_path / "wf"))
    assert export.returncode == 0, export.stderr
    assert len(out.read_text().strip().splitlines()) == 13  # header + 12 cycles
    assert any((tmp_path / "wf").iterdir())


@pytest.mark.slow
def test_healthy_run_exits_zero(demo_copy: Path) -> None:
    run = benchtui("run", "--profile", str(demo_copy), "--virtual", "--cycles", "3", "-q",
                   "--scenario", "healthy")
    assert run.returncode == 0, run.stderr
    assert "0 failed" in run.stdout


@pytest.mark.slow
def test_sigkill_mid_run_keeps_every_finished_cycle(demo_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    proc = subprocess.Popen([sys.executable, "-m", "benchtui.cli", "run", "--profile", str(demo_copy),
                             "--virtual", "--until-stopped", "--scenario", "vcap-marginal"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if db.exists() and _count(db) >= 4:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the run did not record 4 cycles in 90 s")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    report = benchtui("report", str(db), "--json")
    assert report.returncode == 0, report.stderr
    from benchtui.bench.store import open_store

    with open_store(db, readonly=True) as store:
        run = store.runs()[-1]
        assert run.status == "interrupted"
        cycles = store.cycles(run.id)
    assert len(cycles) >= 4
    assert [c.index for c in cycles] == list(range(1, len(cycles) + 1))
    for cycle in cycles:  # each cycle is whole: its steps up to the failing one, and its features
        assert cycle.steps and cycle.features
        assert cycle.steps[-1].name == "disconnect"


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM cycles").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_bad_profile_is_one_line_on_stderr(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_PROFILE.read_text().replace("max_voltage = 3.6", "max_voltage = 3.0"))
    assert main(["run", "--profile", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"{bad}:" in err and "psu.voltage" in err


def test_check_reports_each_unreachable_instrument_in_one_line(tmp_path: Path, capsys) -> None:
    text = DEMO_PROFILE.read_text().replace("5555::SOCKET", "1::SOCKET").replace("5557::SOCKET", "2::SOCKET")
    text = text.replace('probe_uid = "remote:127.0.0.1:5556"', 'probe_uid = "remote:127.0.0.1:3"')
    path = tmp_path / "unreachable.toml"
    path.write_text(text)
    assert main(["check", "--profile", str(path)]) == 2
    out = capsys.readouterr().out
    assert out.count("FAIL") == 4  # PSU, scope, probe, and the firmware file the copied profile lacks
    assert "TCPIP0::127.0.0.1::1::SOCKET" in out
    assert "PSU: PSU" not in out and "     PSU TCPIP0" not in out.replace("PSU: TCPIP0", "")
    assert "FAIL firmware" in out and "no such file" in out
    assert "probes connected:" in out  # the list the probe error points to


def test_check_on_the_virtual_bench_names_identities_and_why_the_probe_fails(capsys) -> None:
    # The virtual bench starts with the PSU output off, as a bench often is: no SWD ACK.
    assert main(["check", "--profile", str(DEMO_PROFILE), "--virtual"]) == 2
    out = capsys.readouterr().out
    assert "RIGOL TECHNOLOGIES,DP832" in out and "DS1054Z" in out
    assert "no SWD ACK" in out and "hint: the PSU output is OFF" in out


def test_report_on_a_missing_database_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path / "none.db")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sim_serves_the_bench_to_other_processes_until_ctrl_c(tmp_path: Path) -> None:
    ports = [_free_port() for _ in range(3)]
    text = DEMO_PROFILE.read_text()
    for old, new in zip((5555, 5556, 5557), ports):
        text = text.replace(str(old), str(new))
    profile = tmp_path / "served.toml"
    profile.write_text(text.replace('firmware = "firmware/board-test-v1.hex"', 'firmware = "fw.hex"'))
    sim = subprocess.Popen([sys.executable, "-m", "benchtui.cli", "sim", "--profile", str(profile)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = [sim.stdout.readline() for _ in range(6)]
        assert f"TCPIP0::127.0.0.1::{ports[0]}::SOCKET" in "".join(banner)
        assert f"remote:127.0.0.1:{ports[1]}" in "".join(banner)
        check = benchtui("check", "--profile", str(profile))
        assert check.returncode == 0, check.stdout + check.stderr
        assert "0x451 rev Z" in check.stdout
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(30) == 0
