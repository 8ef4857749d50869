"""Maintained third-party drivers, written by people who own these instruments, drive our
simulators unmodified (issue #8): PyMeasure's KeysightE36312A, KeysightDSOX1102G (InfiniiVision),
SDS1000XHD (Siglent E11 set) and its SPD channel class (Siglent SPDxxxxX). They are a
test-only dependency (pyproject `test` extra). Each check compares what the foreign driver
reads with what the simulated instrument holds or with what benchtui's own driver reads.

Known limits that are theirs, not the simulators': PyMeasure's SDS1000XHD reads a waveform with
`read_bytes(-1, break_on_termchar=True)` (until END on USBTMC/VXI-11; on a raw socket that is the
first newline), so over a SOCKET resource it needs a record without a 0x0A byte and leaves the
second of the instrument's two trailing newlines unread; its preamble read waits for a timeout.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from benchtui.devices.scope import open_scope
from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments

from tests.devices.conftest import scope_cfg

try:
    import pymeasure  # noqa: F401
except ImportError:  # pragma: no cover - installed by the test extra
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("PyMeasure is not installed (pip install -e '.[test]')", allow_module_level=True)

from pymeasure.instruments import Instrument  # noqa: E402
from pymeasure.instruments.keysight import KeysightDSOX1102G, KeysightE36312A  # noqa: E402
from pymeasure.instruments.siglenttechnologies.siglent_sds1000xhd import SDS1000XHD  # noqa: E402
from pymeasure.instruments.siglenttechnologies.siglent_spdbase import SPDBase, SPDChannel  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
SOCKET = dict(visa_library="@py", read_termination="\n", write_termination="\n")


class SPD3303X(SPDBase):
    """Two programmable channels of PyMeasure's own SPD channel class (its SPD1000X classes
    have one); nothing of the driver is changed."""

    ch_1 = Instrument.ChannelCreator(SPDChannel, 1, voltage_range=[0, 32], current_range=[0, 3.2])
    ch_2 = Instrument.ChannelCreator(SPDChannel, 2, voltage_range=[0, 32], current_range=[0, 3.2])


def eventually(read, check, what: str, timeout: float = 10.0):
    """Poll `read()` until `check(value)` holds; return the value (fail naming `what`)."""
    deadline = time.monotonic() + timeout
    while not check(value := read()):
        assert time.monotonic() < deadline, f"{what}: still {value!r} after {timeout} s"
        time.sleep(0.01)
    return value


@pytest.fixture
def bench(request):
    psu_model, scope_model = request.param
    with start_instruments(BoardModel("healthy", seed=4), psu_model=psu_model,
                           scope_model=scope_model) as servers:
        yield servers


@pytest.mark.parametrize("bench", [("keysight-e36312a", "keysight-dsox3034t")], indirect=True)
def test_pymeasure_keysight_e36312a_and_dsox1102g(bench):
    psu = KeysightE36312A(bench.psu_resource, **SOCKET)
    scope = KeysightDSOX1102G(bench.scope_resource, **SOCKET)
    try:
        psu.ch_1.voltage_setpoint = 3.3
        psu.ch_1.current_limit = 0.5
        psu.ch_1.output_enabled = True
        assert psu.ch_1.voltage_setpoint == 3.3 and psu.ch_1.output_enabled is True
        assert bench.psu.channels[1].voltage == 3.3 and bench.psu.channels[1].output  # after a query
        eventually(lambda: psu.ch_1.voltage, lambda v: v == pytest.approx(3.3, abs=0.1), "the readback")
        assert 0 < psu.ch_1.current < 0.5
        assert psu.check_errors() == []

        assert scope.id.startswith("KEYSIGHT TECHNOLOGIES,DSO-X 3034T")
        config = scope.ch1.current_configuration
        assert config["CHAN"] == 1 and config["DISP"] is True and config["PROB"] == 10.0
        assert scope.timebase["REF"] == "CENT"
        scope.timebase_scale = 0.002
        scope.digitize("channel1")                 # a single acquisition, parser blocks
        scope.waveform_source = "channel1"
        scope.waveform_points_mode = "normal"
        pre = scope.waveform_preamble
        data = np.array(scope.waveform_data)       # PyMeasure reads ASCII
        assert pre["points"] == len(data) == 1000 and pre["yreference"] == 128
        assert np.median(data[-100:]) == pytest.approx(3.3, abs=0.1)
        assert scope.ask(":SYST:ERR?").startswith("+0")
    finally:
        psu.adapter.close()
        scope.adapter.close()


@pytest.mark.slow
@pytest.mark.parametrize("bench", [("siglent-spd3303x", "siglent-sds2104x-plus")], indirect=True)
def test_pymeasure_siglent_spd_and_sds1000xhd(bench):
    psu = SPD3303X(bench.psu_resource, **SOCKET)
    scope = SDS1000XHD(bench.scope_resource, timeout=300, **SOCKET)
    ours = open_scope(scope_cfg(bench.scope_resource, format="BYTE"))
    try:
        psu.ch_1.voltage_setpoint = 3.3
        psu.ch_1.current_limit = 0.5
        psu.ch_1.enable_output(True)
        assert (psu.ch_1.voltage_setpoint, psu.ch_1.current_limit) == (3.3, 0.5)
        assert psu.system_status_code & 16               # SystemStatusCode.OUTPUT_ENABLED
        eventually(lambda: psu.ch_1.voltage, lambda v: v == pytest.approx(3.3, abs=0.1), "the readback")
        assert psu.error.startswith("0")

        assert scope.trigger.status in ("Auto", "Trig'd", "Arm", "Ready")   # running at power-on
        assert scope.timebase.scale == pytest.approx(1e-3)
        scope.channel_1.scale = 1.0
        # The running scope takes records of the steady 3.3 V rail: wait for one whose window
        # begins after the scale change (after a pause the scope's lazy engine may still hand
        # out records from up to ~0.1 s before). Their status query, as any client's poll, is
        # what moves the acquisition on.
        engine = bench.scope.engine
        changed = engine.board.now()
        eventually(lambda: scope.trigger.status and engine.last.t0, lambda t0: t0 >= changed,
                   "a record begun after the scale change")
        scope.trigger.stop()
        assert scope.acquisition.points == 10_000 and scope.wf_C1.max_point >= 10_000
        scope.wf_C1.source = "C1"
        pre = scope.wf_C1.preamble
        assert pre["vdiv"] == pytest.approx(1.0) and pre["vcode_per"] == 30 and pre["adc_bit"] == 8
        t, v = scope.wf_C1.get_data()
        scope.read()                               # their raw-socket limit: the second newline
        mine = ours.fetch("VDD")
        assert len(v) == len(mine) == 10_000
        np.testing.assert_allclose(v, mine.volts, atol=1e-6)
        assert t[0] == pytest.approx(mine.t0) and t[1] - t[0] == pytest.approx(mine.dt)
        scope.measure.simple_source = "CHANnel1"
        assert scope.measure.get_simple_value("MAX") == pytest.approx(3.3, abs=0.1)
    finally:
        ours.close()
        psu.adapter.close()
        scope.adapter.close()
