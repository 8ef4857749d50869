"""Every cycle a writer reported as committed survives a SIGKILL of the writer process (on each
backend: the SQLite file, the PostgreSQL server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import numpy as np

from benchtui.bench.store import open_store

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

STEPS, FEATURES, NETS, SAMPLES = 12, 40, 4, 4000
KILL_AFTER = 40

WRITER = textwrap.dedent(f"""
    import sys
    import numpy as np
    from benchtui.bench.records import CycleRecord, FeatureValue, StepRecord, WaveformRecord
    from benchtui.bench.store import open_store

    store = open_store(sys.argv[1])
    run_id = store.start_run("crash", {{}}, {{}}, {{}})
    print("run", run_id, flush=True)
    i = 0
    while True:
        i += 1
        steps = tuple(StepRecord(f"s{{k}}", i, i + 1, "pass", 1, None, None, {{"k": k}})
                      for k in range({STEPS}))
        features = tuple(FeatureValue(f"f{{k:02d}}", i * 1000.0 + k, "V", "rail") for k in range({FEATURES}))
        waves = tuple(WaveformRecord("power_up", f"n{{k}}", 0.0, 1e-6,
                                     np.arange({SAMPLES}, dtype=np.float32) + i + k)
                      for k in range({NETS}))
        store.add_cycle(run_id, CycleRecord(i, i, i + 1, i % 3 != 0, None if i % 3 else "erase",
                                            None, None, steps, features, waves))
        print("committed", i, flush=True)
""")


def test_sigkill_mid_run_loses_no_committed_cycle(store_target) -> None:
    db = store_target("crash.db")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, db], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    committed = 0
    try:
        deadline = time.monotonic() + 20
        while committed < KILL_AFTER and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"writer died early: {proc.stderr.read()}")
            if line.startswith("committed"):
                committed = int(line.split()[1])
        assert committed >= KILL_AFTER, "writer too slow"
        os.kill(proc.pid, signal.SIGKILL)  # while it is writing the next cycles
        proc.wait(timeout=10)
        committed = max([committed] + [int(line.split()[1]) for line in proc.stdout
                                       if line.startswith("committed")])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with open_store(db, readonly=True) as store:
        assert store.integrity_check() == "ok"
        [run] = store.runs()
        assert run.status == "interrupted"
        cycles = store.cycles(run.id)
        stored = [c.index for c in cycles]
        assert stored == list(range(1, len(stored) + 1)) and len(stored) >= committed
        for c in cycles:  # reported or not, whatever is stored is complete
            i = c.index
            assert (c.passed, c.failed_step) == (i % 3 != 0, None if i % 3 else "erase")
            assert [s.details for s in c.steps] == [{"k": k} for k in range(STEPS)]
            assert [f.value for f in c.features] == [i * 1000.0 + k for k in range(FEATURES)]
            waves = store.waveforms(run.id, i)
            assert len(waves) == NETS
            for k, w in enumerate(waves):
                assert np.array_equal(w.volts, np.arange(SAMPLES, dtype=np.float32) + i + k)
    with open_store(db) as writer:  # the next writer records the interruption for good
        assert writer.run(run.id).status == "interrupted"
        assert writer.integrity_check() == "ok"
