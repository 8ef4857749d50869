"""The drivers against the simulated instruments (benchtui.sim), both dialects of each.

The drivers do not know about the simulator: they get VISA resource strings, as on a real bench.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.profile import PsuConfig, TriggerConfig

from benchtui.sim.board import TAU_FALL, BoardModel
from benchtui.sim.instruments import start_instruments

from .conftest import scope_cfg

BENCHES = [("rigol-dp832", "rigol-ds1054z"), ("keysight-e36312a", "keysight-dsox3034t")]
POWER_UP = TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.002, pretrigger=0.1)


@pytest.fixture(params=BENCHES, ids=lambda b: f"{b[0]}+{b[1]}")
def bench(request):
    psu_model, scope_model = request.param
    servers = start_instruments(BoardModel(scenario="healthy", seed=0), psu_model=psu_model,
                                scope_model=scope_model, host="127.0.0.1", psu_port=0, scope_port=0)
    opened = []

    def psu(**kw):
        values = dict(resource=servers.psu_resource, voltage=3.3, current_limit=0.5,
                      max_voltage=3.6, max_current=1.0, timeout_ms=2000)
        values.update(kw)
        p = open_psu(PsuConfig(**values))
        opened.append(p)
        return p

    def scope(**kw):
        s = open_scope(scope_cfg(servers.scope_resource, **kw))
        opened.append(s)
        return s

    yield psu, scope
    for inst in opened:
        inst.close()
    servers.stop()


def _power_up_capture(psu, scope, limit: float = 0.5) -> dict:
    psu.set_output(False)
    psu.apply(3.3, limit)
    scope.setup_channels()
    scope.arm(POWER_UP)
    assert scope.trigger_state() == "armed"
    psu.set_output(True)
    assert scope.wait_for_trigger(5.0) is True
    return scope.fetch_all()


def test_power_cycle_captures_the_vdd_ramp_and_nrst_release(bench):
    make_psu, make_scope = bench
    psu, scope = make_psu(), make_scope()
    waves = _power_up_capture(psu, scope)
    assert set(waves) == {"VDD", "VCAP1", "VCAP2", "NRST"}
    vdd, nrst = waves["VDD"], waves["NRST"]
    t = vdd.times
    # 10 % of the record precedes the trigger; VDD is off there and 3.3 V at the end.
    assert t[0] < 0 < t[-1]
    assert abs(-t[0] / (t[-1] - t[0]) - 0.1) < 0.02
    assert vdd.volts[t < -1e-4].max() < 1.5
    assert vdd.volts[-len(t) // 10:].mean() == pytest.approx(3.3, abs=0.15)
    # The trigger point is where VDD crosses 1.5 V, rising.
    crossing = t[np.argmax(vdd.volts > 1.5)]
    assert abs(crossing) < 10 * vdd.dt + 1e-4
    # NRST is held low at power-up and released after VDD has risen.
    assert nrst.volts[0] < 0.5 and nrst.volts[-1] > 2.5
    release = nrst.times[np.argmax(nrst.volts > 1.5)]
    assert release > crossing
    reading = psu.read()
    assert reading.output and reading.mode == "CV" and reading.voltage == pytest.approx(3.3, abs=0.1)


def test_a_low_current_limit_shows_cc_and_vdd_sag(bench):
    make_psu, _ = bench
    psu = make_psu()
    psu.set_output(False)
    psu.apply(3.3, 0.005)
    psu.set_output(True)
    reading = psu.read()
    assert reading.output and reading.mode == "CC"
    assert reading.voltage < 3.0
    assert reading.current == pytest.approx(0.005, abs=0.002)
    psu.safe_state()
    assert psu.read().mode == "OFF"


def test_measurements_and_the_not_measurable_sentinel(bench):
    make_psu, make_scope = bench
    psu, scope = make_psu(), make_scope()
    _power_up_capture(psu, scope)
    vmax = scope.measure("VDD", "vmax")
    assert vmax.value == pytest.approx(3.3, abs=0.2) and vmax.reason is None
    # VCAP1 sits flat at its regulated level after the trigger: no edge has a rise time
    # on a flat line, but the scope's rise time over the power-up record must be a number.
    assert scope.measure("VDD", "rise").value is not None
    psu.safe_state()
    time.sleep(10 * TAU_FALL)  # let the rail discharge: a flat line, not the tail of the decay
    scope.arm(POWER_UP)
    scope.force_trigger()
    assert scope.wait_for_trigger(5.0)
    rise = scope.measure("VDD", "rise")  # unpowered: a flat 0 V line has no edge to time
    assert rise.value is None and rise.reason.endswith(": no reading")


def test_every_format_decodes_to_the_same_volts(bench):
    make_psu, make_scope = bench
    psu = make_psu()
    byte_scope = make_scope(format="BYTE")
    by_format = {"BYTE": _power_up_capture(psu, byte_scope)}
    for fmt in ("WORD", "ASCII"):
        other = make_scope(format=fmt)  # same acquisition, another transfer format
        by_format[fmt] = other.fetch_all()
    for net, ref in by_format["BYTE"].items():
        ch = byte_scope.cfg.channels[net]
        step = 8 * ch.scale / 256 * 1.01  # one BYTE code: 8 divisions / 256 codes
        # Compare on screen only: outside it BYTE/WORD clip at the screen edge (as a real scope
        # does) while ASCII may not. Screen centre is -offset (Rigol sign, see devices/scope.py).
        on_screen = np.abs(ref.volts + ch.offset) < 4 * ch.scale - step
        assert on_screen.mean() > 0.5, net
        for fmt in ("WORD", "ASCII"):
            wf = by_format[fmt][net]
            # ASCII may be the screen record (Keysight: 1000 points, never a 50 MB block): the
            # same instants, every k-th sample.
            k = round(wf.dt / ref.dt)
            assert len(wf) == len(ref) // k and wf.t0 == pytest.approx(ref.t0), (net, fmt)
            assert np.max(np.abs(wf.volts - ref.volts[::k])[on_screen[::k]]) <= step, (net, fmt)
