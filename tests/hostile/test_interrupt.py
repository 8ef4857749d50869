"""Ctrl-C always works, and the PSU ends off (or the user is told it may not be).

Real `benchtui run` processes, real SIGINTs; the PSU and scope are the simulated ones, the scope
(or the PSU) behind a hostile proxy that makes it hang mid-run.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from benchtui.bench.store import open_store

from .conftest import bench_profile, finish, output_so_far, start_cli, upstream
from .hostile import Rule, silent, trickle

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

#: The abort promise, and what we allow on top for a loaded 2-core machine (the process is cut
#: off by a watchdog at 2.0 s; measured exits after the second Ctrl-C: 0.3-0.6 s).
ABORT_S, LOAD_MARGIN_S = 2.0, 1.0


def _wait_for(proc, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in output_so_far(proc):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"never saw {text!r}; output: {output_so_far(proc)[-2000:]}")
        time.sleep(0.05)


def _psu_output(sim) -> bool:
    return sim.instruments.psu.channels[1].output


def _run(db: Path):
    with open_store(db, readonly=True) as store:
        run = store.runs()[-1]
        return run, store.events(run.id)


def test_first_ctrl_c_stops_after_the_step_and_leaves_the_psu_off(tmp_path, sim):
    profile = bench_profile(tmp_path, sim.psu_resource, sim.scope_resource)
    proc = start_cli("run", "--profile", str(profile), "--until-stopped")
    _wait_for(proc, "cycle 2: pass", 60)
    proc.send_signal(signal.SIGINT)
    done = finish(proc, timeout=30)
    assert done.returncode == 130, done.stderr
    assert "stopping after the current step" in done.stderr
    assert "status stopped" in done.stdout
    assert not _psu_output(sim), "the PSU output was left ON"
    run, _ = _run(tmp_path / "runs.db")
    assert run.status == "stopped" and run.cycles >= 2


def test_second_ctrl_c_aborts_within_2_s_while_the_scope_hangs_in_a_read(tmp_path, sim, hostile):
    # The third :WAV:PRE? (cycle 2) gets a reply that trickles for ever; the scope timeout is long,
    # so the scope's driver thread is stuck in that read when the user presses Ctrl-C twice.
    scope = hostile(Rule(r":WAV:PRE\?", trickle(0.05), after=2), upstream=upstream(sim.scope_resource))
    profile = bench_profile(tmp_path, sim.psu_resource, scope.resource, scope_timeout_ms=60_000)
    proc = start_cli("run", "--profile", str(profile), "--until-stopped")
    _wait_for(proc, "cycle 1: pass", 60)
    deadline = time.monotonic() + 30
    while not scope.misbehaved and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scope.misbehaved, "the scope never got stuck"   # its driver is in that read now
    assert _psu_output(sim), "the PSU should be on while the capture is fetched"
    proc.send_signal(signal.SIGINT)
    _wait_for(proc, "stopping after the current step", 30)
    # Still running: the first Ctrl-C waits for the stuck step (had it ended the run, the
    # second Ctrl-C below would find no "aborting" to say).
    assert proc.poll() is None, "the first Ctrl-C must wait for the step (it is stuck)"
    pressed = time.monotonic()
    proc.send_signal(signal.SIGINT)
    done = finish(proc, timeout=30)
    took = time.monotonic() - pressed
    print(f"abort took {took:.2f} s, peak RSS {done.peak_rss_mb:.0f} MB")
    assert took < ABORT_S + LOAD_MARGIN_S, f"the abort took {took:.2f} s"
    assert done.returncode == 130, done.stderr
    assert "aborting" in done.stderr
    assert not _psu_output(sim), "the PSU output was left ON"
    assert "may still be ON" not in done.stderr
    run, events = _run(tmp_path / "runs.db")
    assert run.status == "stopped" and run.cycles >= 1  # cycle 1 kept, cycle 2 cut short
    assert not [e for e in events if e.kind == "psu_safe_state_failed"]


def test_a_lost_psu_is_reported_as_possibly_still_on_naming_it(tmp_path, sim, hostile):
    # The PSU dies right after switching the output on in cycle 2 (every later message unanswered,
    # new connections too): the run stops with an error and cannot switch it off.
    psu = hostile(Rule(r":MEAS:VOLT\? CH1", silent(), after=1, sticky=True),
                  upstream=upstream(sim.psu_resource))
    profile = bench_profile(tmp_path, psu.resource, sim.scope_resource, psu_timeout_ms=400)
    done = finish(start_cli("run", "--profile", str(profile), "--cycles", "5", "-q"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert _psu_output(sim), "the simulated PSU output really is still on"
    warning = [line for line in done.error_lines if "WARNING" in line]
    assert warning, done.stderr
    assert psu.resource in warning[0] and "RIGOL TECHNOLOGIES,DP832" in warning[0]
    assert "may still be ON" in warning[0]
    run, events = _run(tmp_path / "runs.db")
    assert run.status == "error" and run.cycles >= 1
    failed = [e for e in events if e.kind == "psu_safe_state_failed"]
    assert len(failed) == 1 and psu.resource in failed[0].text
    assert failed[0].details["resource"] == psu.resource
