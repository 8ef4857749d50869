"""Ctrl-C in a shmoo: the finished cells (and the cycles of the cell in progress) stay stored, the
shmoo reads back "stopped", and the PSU ends off. A real `benchtui shmoo` process and a real
SIGINT; the PSU and scope are the simulated ones, served by this process."""

from __future__ import annotations

import signal
import time

import pytest

from benchtui.bench.store import open_store
from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.profile import load_profile
from tests.hostile.conftest import bench_profile, finish, output_so_far, start_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def sim():
    vb, _ = start_virtual_bench(load_profile(DEMO_PROFILE), scenario="healthy", seed=3)
    try:
        yield vb
    finally:
        vb.stop()


def test_ctrl_c_keeps_the_finished_cells_and_leaves_the_psu_off(tmp_path, sim) -> None:
    profile = bench_profile(tmp_path, sim.psu_resource, sim.scope_resource)
    proc = start_cli("shmoo", "--profile", str(profile), "--vary", "psu.voltage=3.0:3.6:0.1",
                     "--cycles", "12", "--full")
    deadline = time.monotonic() + 90
    while "cell psu.voltage = 3 V: 0 of 12 failed" not in output_so_far(proc):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no finished cell; output: {output_so_far(proc)[-2000:]}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    done = finish(proc, timeout=30)
    assert done.returncode == 130, done.stderr
    assert "stopping after the current step" in done.stderr
    assert not sim.instruments.psu.channels[1].output, "the PSU output was left ON"
    with open_store(tmp_path / "runs.db", readonly=True) as store:
        [shmoo] = store.shmoos()
        runs = store.runs()
        cells = store.cell_counts(shmoo.id)
    assert shmoo.status == "stopped"
    assert runs[0].status == "completed" and runs[0].cycles == 12
    # the Ctrl-C lands in a cell (that run reads "stopped") or between two (the last one ran to the
    # end); no cell starts after it
    assert len(runs) <= 3 and runs[-1].status in ("stopped", "completed"), [(r.status, r.cycles) for r in runs]
    assert all(r.status == "completed" and r.cycles == 12 for r in runs[:-1])
    assert cells[0].conditions == {"psu.voltage": 3.0} and cells[0].cycles == 12
    assert "shmoo 1" in done.stdout and "psu.voltage" in done.stdout   # the grid so far is printed
