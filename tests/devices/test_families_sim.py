"""The drivers of the families added with issue #8 against their simulators, through pyvisa-py
over TCP: a power-up capture, the scope's own measurements, CV/CC from the PSU; negative PSU
channels; the DSO-X 2000 that answers seconds after connecting."""

from __future__ import annotations

import time

import numpy as np
import pytest

from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.errors import InstrumentSilent
from benchtui.profile import PsuConfig, TriggerConfig
from benchtui.sim.board import TAU_FALL, BoardModel
from benchtui.sim.instruments import start_instruments

from .conftest import scope_cfg

POWER_UP = TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.002, pretrigger=0.1)
PAIRS = [("siglent-spd3303x", "rigol-dho924", "WORD"), ("rohde-hmc8043", "siglent-sds1104x-e", "BYTE"),
         ("keysight-edu36311a", "siglent-sds2104x-plus", "WORD"), ("rigol-dp831a", "tektronix-mso54", "WORD")]


def _psu(servers, **kw):
    values = dict(resource=servers.psu_resource, voltage=3.3, current_limit=0.5, max_voltage=3.6,
                  max_current=1.0, timeout_ms=2000)
    values.update(kw)
    return open_psu(PsuConfig(**values))


@pytest.mark.slow
@pytest.mark.parametrize("psu_model,scope_model,fmt", PAIRS, ids=lambda x: x)
def test_power_up_capture_measurements_and_cc(psu_model, scope_model, fmt):
    with start_instruments(BoardModel("healthy", seed=3), psu_model=psu_model, scope_model=scope_model) as servers:
        psu, scope = _psu(servers), open_scope(scope_cfg(servers.scope_resource, format=fmt))
        try:
            live = scope.fetch_all()          # running from power-on: data before any single
            assert all(len(w) > 100 for w in live.values())
            psu.set_output(False)
            psu.apply(3.3, 0.5)
            scope.setup_channels()
            time.sleep(10 * TAU_FALL)
            scope.arm(POWER_UP)
            assert scope.trigger_state() == "armed"
            psu.set_output(True)
            assert scope.wait_for_trigger(5.0) is True
            waves = scope.fetch_all()
            vdd, nrst, vcap = waves["VDD"], waves["NRST"], waves["VCAP1"]
            t = vdd.times
            assert abs(-t[0] / (t[-1] - t[0]) - 0.1) < 0.02       # 10 % pre-trigger
            crossing = t[np.argmax(vdd.volts > 1.5)]
            assert abs(crossing) < 10 * vdd.dt + 1e-4            # trigger at VDD 1.5 V rising
            assert vdd.volts[t < -1e-4].max() < 1.5 and vdd.volts[-len(t) // 10:].mean() == pytest.approx(3.3, abs=0.15)
            assert nrst.volts[0] < 0.5 and nrst.volts[-1] > 2.5
            assert np.median(vcap.volts[-len(t) // 4:]) == pytest.approx(1.2, abs=0.1)
            assert scope.measure("VDD", "vmax").value == pytest.approx(3.3, abs=0.2)
            assert psu.read().mode == "CV"
            psu.set_output(False)
            psu.apply(3.3, 0.005)
            psu.set_output(True)
            reading = psu.read()
            assert reading.mode == "CC" and reading.voltage < 3.0
            psu.safe_state()
            assert psu.read().mode == "OFF"
        finally:
            psu.close()
            scope.close()


@pytest.mark.parametrize("psu_model", ["rigol-dp831a", "keysight-edu36311a"])
def test_negative_channel_reaches_the_instrument_negative(psu_model):
    with start_instruments(BoardModel("healthy", seed=3), psu_model=psu_model) as servers:
        psu = _psu(servers, channel=3, voltage=5.0, max_voltage=12.0)
        try:
            psu.apply(5.0, 0.1)
            psu.set_output(True)
            assert servers.psu.channels[3].voltage == -5.0
            assert psu.setpoints() == (5.0, pytest.approx(0.1))
            reading = psu.read()
            assert reading.output and reading.voltage == pytest.approx(5.0)
        finally:
            psu.close()


@pytest.mark.slow
def test_a_scope_that_answers_seconds_after_connecting():
    with start_instruments(BoardModel("healthy", seed=3), scope_model="keysight-dsox2024a") as servers:
        servers.scope.CONNECT_DELAY_S = 1.5   # the real one: ~10 s
        with pytest.raises(InstrumentSilent, match="keysight-infiniivision"):
            open_scope(scope_cfg(servers.scope_resource, timeout_ms=500))       # auto: a hint
        scope = open_scope(scope_cfg(servers.scope_resource, driver="keysight-infiniivision",
                                     timeout_ms=500))
        try:
            assert scope.identity.startswith("AGILENT TECHNOLOGIES,DSO-X 2024A")
            assert len(scope.fetch("VDD")) > 0
        finally:
            scope.close()


#: scope_model -> (trigger-mode query, its power-on answer, run, stop, single, autoscale), from
#: the programming guides.
POWER_ON = {
    "rigol-ds1054z": (":TRIG:SWE?", "AUTO", ":RUN", ":STOP", ":SING", ":AUT"),
    "rigol-dho924": (":TRIG:SWE?", "AUTO", ":RUN", ":STOP", ":SING", ":AUT"),
    "keysight-dsox3034t": (":TRIG:SWE?", "AUTO", ":RUN", ":STOP", ":SING", ":AUT"),
    "keysight-dsox2024a": (":TRIG:SWE?", "AUTO", ":RUN", ":STOP", ":SING", ":AUT"),
    "siglent-sds1104x-e": ("TRMD?", "AUTO", "TRMD AUTO", "STOP", "TRMD SINGLE", "ASET"),
    "siglent-sds2104x-plus": (":TRIG:MODE?", "AUTO", ":TRIG:RUN", ":TRIG:STOP", ":TRIG:MODE SING", ":AUT"),
    "tektronix-mso54": ("TRIG:A:MOD?", "AUTO", "ACQ:STATE RUN", "ACQ:STATE STOP", "ACQ:STOPA SEQ", "AUTOS EXEC"),
    "rohde-rtb2004": ("TRIG:A:MODE?", "AUTO", "RUN", "STOP", "SING", "AUT"),
    "rohde-rtm3004": ("TRIG:A:MODE?", "AUTO", "RUN", "STOP", "SING", "AUT"),
}


def test_every_simulated_model_has_power_on_expectations():
    assert set(POWER_ON) == set(__import__("benchtui.sim.instruments", fromlist=["x"]).SCOPE_MODELS)


def _auto(scope, query: str, word: str) -> None:
    assert scope.session.query(query).strip().split(" ")[-1].upper().startswith(word), query


@pytest.mark.slow
@pytest.mark.parametrize("scope_model", sorted(POWER_ON))
def test_every_simulated_scope_starts_running_with_data_and_reset_returns_there(scope_model):
    """Issue #8: running, auto trigger, live acquisition at power-on, so waveform and measurement
    queries return data before any single; run/stop/single/autoscale accepted; *RST goes back."""
    mode_q, auto, run, stop, single, autoscale = POWER_ON[scope_model]
    with start_instruments(BoardModel("healthy", seed=3), scope_model=scope_model) as servers:
        servers.scope.CONNECT_DELAY_S = 0.0
        scope = open_scope(scope_cfg(servers.scope_resource))
        try:
            assert scope.trigger_state() in ("auto", "running", "triggered")
            _auto(scope, mode_q, auto)
            assert scope.measure("VCAP1", "vmax").ok            # a record before any single shot
            assert all(len(w) > 100 for w in scope.fetch_all(["VDD", "NRST"]).values())
            for command in (stop, run, single, stop, autoscale):
                scope.session.write(command)
            scope._check_errors()                               # every one of them accepted
            scope.session.write("*RST")
            _auto(scope, mode_q, auto)
            assert scope.trigger_state() in ("auto", "running", "triggered")
            assert scope.measure("VDD", "vmin").ok
            assert len(scope.fetch("VDD")) > 100
        finally:
            scope.close()
