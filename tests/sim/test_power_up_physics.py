"""The physics a power cycle's margin depends on (sim/board/power_up.py, supply.py), on an
injected clock: the rail left partly charged by a short off-time, the shorter reset that
follows, the regulator's dropout, the supply's ramp, and the shapes they give each scenario."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchtui.sim import board as B
from benchtui.sim.board import BoardModel
from benchtui.sim.board.power_up import regulator_impedance, reset_tempo


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def board(scenario="healthy", seed=0, volts=3.3, ramp=0.0):
    clock = Clock()
    b = BoardModel(scenario, seed=seed, clock=clock)
    b.set_psu(voltage=volts, current_limit=0.5, ramp_s=ramp)
    return b, clock


def vdd(b, t: float) -> float:
    return float(b.sample(["VDD"], t, 1e-6, 1)["VDD"][0])


def test_a_short_off_time_leaves_the_rail_charged_and_its_decay_slows_below_pdr() -> None:
    b, clock = board()
    b.set_psu(on=True)
    clock.t += 0.05
    off = clock.t
    b.set_psu(on=False)
    clock.t += 0.1
    t_pdr = B.TAU_FALL * math.log(3.3 / B.V_PDR_FALL)            # ~3.4 ms: the MCU still draws
    w = b._eval(("VDD",), off + np.array([t_pdr - 1e-4, t_pdr + 0.008, 0.1]))["VDD"]
    assert w[0] == pytest.approx(B.V_PDR_FALL, abs=0.05)
    assert w[1] == pytest.approx(B.V_PDR_FALL * math.exp(-0.008 / B.TAU_FALL_RESET), rel=0.02)
    assert w[1] > 2 * B.V_PDR_FALL * math.exp(-0.008 / B.TAU_FALL)    # the tail, not the first slope
    assert w[2] < 0.002                                               # 100 ms: discharged


def test_the_reset_temporization_shortens_after_a_short_off_time() -> None:
    assert reset_tempo(0.0) == B.T_RSTTEMPO and reset_tempo(B.V_REARM_HI) == 0.0
    assert 0 < reset_tempo((B.V_REARM_LO + B.V_REARM_HI) / 2) < B.T_RSTTEMPO / 2
    releases = {}
    for off in (0.006, 0.1):
        b, clock = board()
        b.set_psu(on=True)
        clock.t += 0.05
        b.set_psu(on=False)
        clock.t += off
        b.set_psu(on=True)
        clock.t += 0.01
        rise, release = b._supply.last_power_up(clock.t)
        releases[off] = release - rise
    assert releases[0.1] == pytest.approx(B.T_RSTTEMPO)
    assert releases[0.006] < B.T_RSTTEMPO / 10


def test_the_regulator_in_dropout_adds_its_impedance() -> None:
    assert regulator_impedance(3.3) == 0.0 and regulator_impedance(B.V_REG_FULL) == 0.0
    assert regulator_impedance(1.7) == B.R_DROPOUT
    assert 0 < regulator_impedance(2.0) < B.R_DROPOUT


def rates(scenario: str, *, off: float, volts: float = 3.3, ramp: float = 0.0, n: int = 60,
          seed: int = 1) -> tuple[float, float]:
    """(option-byte load failure rate, any failure rate) over n power cycles with one erase."""
    b, clock = board(scenario, seed, volts, ramp)
    ob = anyfail = 0
    for _ in range(n):
        b.set_psu(on=True)
        clock.t += 0.02 + ramp
        ob_bad = b.powered() and not b.option_load_ok()
        t0, t1 = b.add_load(0.030, 0.002, "erase")
        bad = ob_bad or not b.powered() or b.disturbance(t0, t1) is not None
        ob, anyfail = ob + ob_bad, anyfail + bad
        clock.t += 0.02
        b.set_psu(on=False)
        clock.t += off
    return ob / n, anyfail / n


def test_vcap_marginal_fails_more_as_the_off_time_shortens_and_with_a_slow_ramp() -> None:
    short, long = rates("vcap-marginal", off=0.006), rates("vcap-marginal", off=0.1)
    assert short[1] >= 0.85 and long[1] <= 0.6, (short, long)
    assert short[0] > 3 * max(long[0], 0.05)       # it is the option-byte load that goes
    slow = rates("vcap-marginal", off=0.1, ramp=0.2)
    assert slow[1] > long[1] + 0.15, (slow, long)   # a slow ramp: the window widens to long off-times


def test_brownout_fails_more_towards_low_vdd_and_not_with_the_off_time() -> None:
    by_volts = [rates("brownout", off=0.05, volts=v)[1] for v in (3.0, 3.2, 3.3, 3.4, 3.6)]
    assert by_volts[0] >= 0.9 and by_volts[-1] == 0.0, by_volts
    assert all(a >= b - 0.1 for a, b in zip(by_volts, by_volts[1:])), by_volts   # falls with VDD
    assert abs(rates("brownout", off=0.006)[1] - rates("brownout", off=0.1)[1]) < 0.2


def test_brownout_draws_the_same_at_3v3_and_more_below() -> None:
    b, clock = board("brownout", seed=4)
    b.set_psu(on=True)
    clock.t += 0.02
    at_33 = b.psu_readback()[1]
    extra = b._params_for(b._seg_at(clock.t).cycle).extra_current
    assert at_33 == pytest.approx(B.I_BASE + extra, rel=0.01)
    b.set_psu(voltage=3.1)
    clock.t += 0.02
    assert b.psu_readback()[1] > at_33 + 0.01


@pytest.mark.parametrize("volts", [2.4, 3.0, 3.3, 3.6])
@pytest.mark.parametrize("off", [0.006, 0.012, 0.05])
def test_healthy_never_fails_inside_its_rated_supply(volts: float, off: float) -> None:
    assert rates("healthy", off=off, volts=volts, n=20) == (0.0, 0.0)
    assert rates("healthy", off=off, volts=volts, ramp=0.2, n=5) == (0.0, 0.0)


def test_the_output_ramps_and_waits_for_a_rail_still_charged() -> None:
    b, clock = board(ramp=0.05)
    t_on = clock.t
    b.set_psu(on=True)
    clock.t += 0.1
    assert vdd(b, t_on + 0.025) == pytest.approx(3.3 / 2, abs=0.1)      # linear, from 0 V
    assert vdd(b, t_on + 0.08) == pytest.approx(3.3, abs=0.05)
    b.set_psu(on=False)
    clock.t += 0.006
    t_on = clock.t
    left = vdd(b, t_on)
    b.set_psu(on=True)
    clock.t += 0.1
    w = b.sample(["VDD"], t_on, 1e-4, 600)["VDD"]
    assert left > 0.8
    dip = w[: int(0.02 / 1e-4)].min()           # the supply does not pull the rail down to its ramp
    assert dip > left * math.exp(-0.02 / B.TAU_FALL_RESET) - 0.02, (left, dip)
