"""Waveform, PSU and step features on synthetic signals whose answers are known by construction."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from benchtui.bench.features import (NRST_VIH_V, VDD_ON_V, compute_capture_features, psu_features,
                                     step_features)
from benchtui.bench.records import StepRecord, WaveformRecord

DT = 1e-6
T0 = -1e-3
N = 12_000  # -1 ms .. 11 ms
T = T0 + DT * np.arange(N)
RAMP = 2e-3  # linear VDD ramp 0 -> 3.3 V in 2 ms from t = 0
VDD_FINAL = 3.3


def wf(net: str, volts: np.ndarray, *, t0: float = T0, dt: float = DT) -> WaveformRecord:
    return WaveformRecord("power_up", net, t0, dt, volts)


def vdd_ramp() -> np.ndarray:
    return np.clip(T / RAMP, 0.0, 1.0) * VDD_FINAL


def features(capture: str, waves: dict, limits: dict | None = None) -> dict[str, tuple]:
    out = compute_capture_features(capture, waves, limits or {})
    names = [f.name for f in out]
    assert len(names) == len(set(names)), "a feature name appears twice"
    return {f.name: (f.value, f.unit, f.kind) for f in out}


def test_min_max_mean_per_net_with_units() -> None:
    v = vdd_ramp()
    got = features("power_up", {"VDD": wf("VDD", v)})
    assert got["power_up.VDD.min"] == (pytest.approx(0.0), "V", "rail")
    assert got["power_up.VDD.max"][0] == pytest.approx(VDD_FINAL)
    assert got["power_up.VDD.mean"][0] == pytest.approx(float(v.mean()))


def test_linear_ramp_rise_time_and_time_to_min_limit() -> None:
    got = features("power_up", {"VDD": wf("VDD", vdd_ramp())}, {"VDD": (3.0, 3.6)})
    # 10 % -> 90 % of a linear ramp is 80 % of its length.
    assert got["power_up.VDD.rise_time"][0] == pytest.approx(0.8 * RAMP, abs=2 * DT)
    assert got["power_up.VDD.rise_time"][1] == "s"
    # From the 10 % point (0.2 ms) to 3.0 V (3.0/3.3 of the ramp).
    expected = (3.0 / VDD_FINAL - 0.1) * RAMP
    assert got["power_up.VDD.time_to_min"][0] == pytest.approx(expected, abs=2 * DT)


def test_rc_ramp_rise_time_is_tau_ln9_even_with_noise() -> None:
    tau = 0.7e-3
    v = np.where(T < 0, 0.0, VDD_FINAL * (1 - np.exp(-np.maximum(T, 0) / tau)))
    v = v + np.random.default_rng(7).normal(0, 0.005, N)
    got = features("power_up", {"VDD": wf("VDD", v)})
    assert got["power_up.VDD.rise_time"][0] == pytest.approx(tau * math.log(9), rel=0.02)


def test_vdd_that_never_reaches_its_min_limit_has_no_time_to_min() -> None:
    v = np.clip(T / RAMP, 0.0, 1.0) * 2.9  # brownout: a supply stuck at 2.9 V
    got = features("power_up", {"VDD": wf("VDD", v)}, {"VDD": (3.0, 3.6)})
    assert got["power_up.VDD.time_to_min"][0] is None
    assert got["power_up.VDD.rise_time"][0] == pytest.approx(0.8 * RAMP, abs=2 * DT)


def test_nrst_low_time_and_glitches_counted_only_while_vdd_is_up() -> None:
    vdd = vdd_ramp()
    vdd[T >= 10e-3] = 0.0  # power removed at 10 ms
    nrst = np.where(T >= 3e-3, vdd, 0.05)  # held low by POR, released at 3 ms
    for start in (5e-3, 6e-3, 7e-3):  # three real low pulses of 20 us
        nrst[(T >= start) & (T < start + 20e-6)] = 0.1
    nrst[(T >= 8e-3) & (T < 8.1e-3)] = 1.5  # a sag that stays above VIL: not a glitch
    got = features("power_up", {"VDD": wf("VDD", vdd), "NRST": wf("NRST", nrst)})
    vdd_up = VDD_ON_V / VDD_FINAL * RAMP
    assert got["power_up.NRST.low_time"] == (pytest.approx(3e-3 - vdd_up, abs=2 * DT), "s", "rail")
    assert got["power_up.NRST.glitches"][0] == 3
    assert "power_up.NRST.dip_depth" not in got


def test_nrst_never_released_has_no_low_time_nor_glitch_count() -> None:
    nrst = np.full(N, 0.05)
    got = features("power_up", {"VDD": wf("VDD", vdd_ramp()), "NRST": wf("NRST", nrst)})
    assert got["power_up.NRST.low_time"][0] is None
    assert got["power_up.NRST.glitches"][0] is None


def test_fault_window_with_vdd_up_all_along_counts_glitches_without_ramp_features() -> None:
    vdd = np.full(N, 3.3)
    nrst = np.full(N, 3.3)
    starts = np.arange(1e-3, 10e-3, 1e-3)
    for start in starts:
        nrst[(T >= start) & (T < start + 5e-6)] = 0.0
    got = features("flash", {"VDD": wf("VDD", vdd), "NRST": wf("NRST", nrst)})
    assert got["flash.NRST.glitches"][0] == len(starts)
    assert "flash.NRST.low_time" not in got
    assert "flash.VDD.rise_time" not in got


def test_channels_on_different_time_bases_are_aligned() -> None:
    coarse_dt = 10 * DT
    t_coarse = T0 + coarse_dt * np.arange(N // 10)
    vdd = np.clip(t_coarse / RAMP, 0.0, 1.0) * VDD_FINAL
    nrst = np.where(T >= 3e-3, np.clip(T / RAMP, 0, 1) * VDD_FINAL, 0.0)
    got = features("power_up", {"VDD": wf("VDD", vdd, dt=coarse_dt), "NRST": wf("NRST", nrst)})
    assert got["power_up.NRST.low_time"][0] == pytest.approx(3e-3 - VDD_ON_V / VDD_FINAL * RAMP,
                                                             abs=2 * coarse_dt)


@pytest.mark.parametrize("depth, width", [(0.15, 500e-6), (0.30, 120e-6)])
def test_vcap_dip_depth_and_time_below_min_limit(depth: float, width: float) -> None:
    vcap = np.where(T < 0.5e-3, 0.0, 1.2)  # regulator up at 0.5 ms
    vcap[(T >= 4e-3) & (T < 4e-3 + width)] = 1.2 - depth
    got = features("power_up", {"VCAP1": wf("VCAP1", vcap)}, {"VCAP1": (1.1, 1.4)})
    assert got["power_up.VCAP1.dip_depth"] == (pytest.approx(depth), "V", "rail")
    assert got["power_up.VCAP1.below_min"][0] == pytest.approx(width, abs=2 * DT)
    assert got["power_up.VCAP1.min"][0] == pytest.approx(0.0)  # whole record, power-up included


def test_the_tail_of_a_power_up_ramp_is_not_a_dip() -> None:
    vcap = np.clip((T - 0.5e-3) / 1e-3, 0.0, 1.0) * 1.2  # a 1 ms ramp up to 1.2 V, then flat
    got = features("power_up", {"VCAP1": wf("VCAP1", vcap)}, {"VCAP1": (1.1, 1.4)})
    assert got["power_up.VCAP1.dip_depth"][0] == pytest.approx(0.0, abs=1e-9)
    assert got["power_up.VCAP1.below_min"][0] == 0.0
    vcap[(T >= 4e-3) & (T < 4.5e-3)] = 1.13  # ...and a real dip after it is seen in full
    got = features("power_up", {"VCAP1": wf("VCAP1", vcap)}, {"VCAP1": (1.1, 1.4)})
    assert got["power_up.VCAP1.dip_depth"][0] == pytest.approx(0.07)


def test_vcap_without_a_limit_has_depth_but_no_below_min() -> None:
    vcap = np.full(N, 1.25)
    vcap[5000:5100] = 1.17
    got = features("flash", {"VCAP2": wf("VCAP2", vcap)})
    assert got["flash.VCAP2.dip_depth"][0] == pytest.approx(0.08)
    assert "flash.VCAP2.below_min" not in got


def test_dead_vcap_has_missing_dip_features() -> None:
    got = features("flash", {"VCAP1": wf("VCAP1", np.zeros(N))}, {"VCAP1": (1.1, 1.4)})
    assert got["flash.VCAP1.dip_depth"][0] is None
    assert got["flash.VCAP1.below_min"][0] is None
    assert got["flash.VCAP1.max"][0] == 0.0


def test_thresholds_follow_a_low_supply() -> None:
    """At VDD = 1.8 V a fixed 2.0 V VIH would never see NRST released."""
    assert NRST_VIH_V > 1.8
    vdd = np.clip(T / RAMP, 0, 1) * 1.8
    nrst = np.where(T >= 4e-3, vdd, 0.0)
    got = features("power_up", {"VDD": wf("VDD", vdd), "NRST": wf("NRST", nrst)})
    assert got["power_up.NRST.low_time"][0] == pytest.approx(4e-3 - VDD_ON_V / 1.8 * RAMP, abs=2 * DT)


def test_psu_features() -> None:
    cc = psu_features("flash", SimpleNamespace(voltage=3.1, current=0.5, mode="CC"))
    assert {f.name: (f.value, f.unit, f.kind) for f in cc} == {
        "psu.flash.voltage": (3.1, "V", "psu"), "psu.flash.current": (0.5, "A", "psu"),
        "psu.flash.cc": (1.0, "", "psu")}
    cv = psu_features("on", SimpleNamespace(voltage=3.3, current=0.1, mode="CV"))
    assert [f.value for f in cv if f.name.endswith(".cc")] == [0.0]
    unknown = psu_features("on", SimpleNamespace(voltage=3.3, current=0.1, mode=None))
    assert [f.value for f in unknown if f.name.endswith(".cc")] == [None]
    assert psu_features("on", None) == []


def test_step_features() -> None:
    steps = [StepRecord("connect", 10.0, 10.25, "pass", 1, None, None, {}),
             StepRecord("erase", 10.25, 12.0, "fail", 3, "WriteProtected", "WRPERR", {}),
             StepRecord("program", 12.0, 12.0, "skipped", 0, None, None, {})]
    got = {f.name: (f.value, f.unit, f.kind) for f in step_features(steps)}
    assert got == {"step.connect.duration": (0.25, "s", "link"), "step.connect.attempts": (1.0, "", "link"),
                   "step.erase.duration": (1.75, "s", "timing"), "step.erase.attempts": (3.0, "", "timing")}


def test_vcap_settle_time_runs_from_first_regulation_to_staying_in_the_5_percent_band() -> None:
    vdd = vdd_ramp()
    t_up = VDD_ON_V / VDD_FINAL * RAMP  # VDD reaches 1.7 V here
    # VCAP reaches 1.2 V at 1.2 ms, rings out of the ±5 % band (1.30 V) until 2.5 ms, then stays.
    vcap = np.where(T < 1.2e-3, 0.0, 1.2)
    vcap = np.where((T >= 1.6e-3) & (T < 2.5e-3), 1.30, vcap)
    got = features("power_up", {"VDD": wf("VDD", vdd), "VCAP1": wf("VCAP1", vcap)})
    assert t_up < 1.2e-3
    assert got["power_up.VCAP1.settle_time"][0] == pytest.approx(2.5e-3 - 1.2e-3, abs=2 * DT)
    assert got["power_up.VCAP1.settle_time"][1:] == ("s", "rail")
    # A regulator that stays in regulation once up settles in 0 s, whatever its rise took.
    clean = np.where(T < 1.2e-3, 0.0, 1.2)
    assert features("power_up", {"VDD": wf("VDD", vdd), "VCAP1": wf("VCAP1", clean)})[
        "power_up.VCAP1.settle_time"][0] == 0.0
    # Already powered when the record starts: no settling to measure.
    flat = features("flash", {"VDD": wf("VDD", np.full(N, 3.3)), "VCAP1": wf("VCAP1", np.full(N, 1.2))})
    assert "flash.VCAP1.settle_time" not in flat
    # Out of regulation when the record ends: measured as missing, not as a number.
    late = np.where(T < 1.2e-3, 0.0, 1.2)
    late[T > 10.9e-3] = 1.0
    missing = features("power_up", {"VDD": wf("VDD", vdd), "VCAP1": wf("VCAP1", late)})
    assert missing["power_up.VCAP1.settle_time"][0] is None
