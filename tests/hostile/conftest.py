"""Fixtures for the hostile-instrument tests: the servers, a bench profile for them, the CLI run
as a real subprocess with its wall time and peak RSS measured."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.profile import load_profile

from .hostile import HostileInstrument, Rule

ROOT = Path(__file__).resolve().parent.parent.parent
#: The steps of a cycle that need only the PSU and the scope (no probe).
INSTRUMENT_STEPS = ["power_off", "arm_power_up", "power_on", "capture_power_up"]


@pytest.fixture
def hostile():
    """Factory: HostileInstrument(rules, upstream); every one is closed after the test."""
    made: list[HostileInstrument] = []

    def make(*rules: Rule, upstream: str | None = None) -> HostileInstrument:
        inst = HostileInstrument(list(rules), upstream)
        made.append(inst)
        return inst

    yield make
    for inst in made:
        inst.close()


@pytest.fixture
def sim():
    """The demo profile's simulated PSU and scope (healthy board), in this process."""
    vb, live = start_virtual_bench(load_profile(DEMO_PROFILE), scenario="healthy", seed=3)
    try:
        yield vb
    finally:
        vb.stop()


def upstream(resource: str) -> str:
    """'TCPIP0::127.0.0.1::PORT::SOCKET' -> '127.0.0.1:PORT'."""
    parts = resource.split("::")
    return f"{parts[1]}:{parts[2]}"


def bench_profile(tmp_path: Path, psu: str, scope: str, *, psu_timeout_ms: int = 5000,
                  scope_timeout_ms: int = 5000, steps: list[str] = INSTRUMENT_STEPS,
                  extra: str = "") -> Path:
    """A real-bench style profile (no [sim]) whose instruments are `psu` and `scope`. The
    timeouts are long (a healthy instrument answers in ms; under load the simulated ones in
    this process may take a second): tests of a timeout pass theirs."""
    text = f'''name = "hostile bench"
[target]
probe_uid = "no-such-probe-0000"
[psu]
resource = "{psu}"
driver = "rigol-dp800"
voltage = 3.3
current_limit = 0.5
max_voltage = 3.6
max_current = 1.0
timeout_ms = {psu_timeout_ms}
[scope]
resource = "{scope}"
driver = "rigol-ds1000z"
timeout_ms = {scope_timeout_ms}
[scope.channels.VDD]
channel = 1
min = 3.0
[scope.channels.VCAP1]
channel = 2
scale = 0.2
offset = -1.2
[scope.power_up]
source = "VDD"
level = 1.5
timebase = 0.002
pretrigger = 0.1
[cycle]
steps = {steps!r}
count = 2
off_s = 0.05
on_settle_s = 0.01
trigger_timeout_s = 2.0
[store]
database = "{tmp_path / 'runs.db'}"
{extra}'''.replace("'", '"')
    path = tmp_path / "bench.toml"
    path.write_text(text)
    return path


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_cli(*args: str, timeout: float = 120, env: dict | None = None) -> Finished:
    """`python -m benchtui.cli ARGS` as a subprocess: exit code, output, wall time, peak RSS
    (VmHWM, sampled every 20 ms while it runs)."""
    proc = start_cli(*args, env=env)
    return finish(proc, args, timeout)


def start_cli(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "benchtui.cli", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    proc.started = time.monotonic()  # type: ignore[attr-defined]
    proc.out_parts, proc.err_parts = [], []  # type: ignore[attr-defined]
    proc.readers = []  # type: ignore[attr-defined]
    for stream, parts in ((proc.stdout, proc.out_parts), (proc.stderr, proc.err_parts)):  # type: ignore[attr-defined]
        reader = threading.Thread(target=lambda s=stream, p=parts: p.extend(iter(s.readline, "")),
                                  daemon=True)
        reader.start()
        proc.readers.append(reader)  # type: ignore[attr-defined]
    return proc


def output_so_far(proc: subprocess.Popen) -> str:
    return "".join(proc.err_parts) + "".join(proc.out_parts)  # type: ignore[attr-defined]


def finish(proc: subprocess.Popen, args: tuple = (), timeout: float = 120,
           fail: bool = True) -> Finished:
    """Wait for a start_cli() process; past `timeout` kill it and fail the test (or, with
    fail=False, return what was measured with returncode -9)."""
    deadline = time.monotonic() + timeout
    peak_kb = 0
    while True:
        peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            for reader in proc.readers:  # type: ignore[attr-defined]
                reader.join(5)
            if fail:
                pytest.fail(f"benchtui {' '.join(args)} still running after {timeout} s; "
                            f"stderr: {''.join(proc.err_parts)[-2000:]}")  # type: ignore[attr-defined]
            return Finished(-9, "".join(proc.out_parts), "".join(proc.err_parts),  # type: ignore[attr-defined]
                            time.monotonic() - proc.started, peak_kb / 1024)  # type: ignore[attr-defined]
        time.sleep(0.02)
    seconds = time.monotonic() - proc.started  # type: ignore[attr-defined]
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in proc.readers:  # type: ignore[attr-defined]
        reader.join(10)  # EOF follows the exit (unless a grandchild holds the pipes)
    return Finished(proc.returncode, "".join(proc.out_parts), "".join(proc.err_parts),  # type: ignore[attr-defined]
                    seconds, peak_kb / 1024)


def _vm_hwm_kb(pid: int) -> int:
    """The process's peak RSS so far (VmHWM). Not wait4's ru_maxrss: exec records the RSS of the
    forking parent (pytest, 250 MB late in a run) into it, which would hide a small child."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
