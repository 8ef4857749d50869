"""The board model's physics, checked on an injected clock over many seeded power cycles."""

import math

import numpy as np
import pytest

from benchtui.sim import board as B
from benchtui.sim.board import BoardModel
from benchtui.sim.scenarios import SCENARIOS


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def powered_board(scenario="healthy", seed=0, limit=0.5):
    clock = Clock()
    board = BoardModel(scenario, seed=seed, clock=clock)
    board.set_psu(voltage=3.3, current_limit=limit)
    return board, clock


def run_cycles(scenario, seed, n=120, erase_s=1.0):
    """Power-cycle n times with one erase-length load; per cycle (verdict, ob_ok, swd_dropout, stats)."""
    board, clock = powered_board(scenario, seed)
    out = []
    for _ in range(n):
        board.set_psu(on=True)
        clock.t += 0.05
        ob_ok = board.option_load_ok()
        t0, t1 = board.add_load(B.I_STARTUP + 0.005, erase_s, "erase")
        verdict = board.disturbance(t0, t1)
        dropout = False
        for _ in range(50):
            clock.t += erase_s / 50
            dropout |= not board.swd_ok()
        out.append((verdict, ob_ok, dropout, board.window_stats(t0, t1)))
        board.set_psu(on=False)
        clock.t += 0.3
    return out


def test_power_up_ramp_and_nrst_release():
    board, clock = powered_board()
    t_on = clock.t
    board.set_psu(on=True)
    w = board.sample(["VDD", "NRST"], t_on, 1e-6, 4000)
    vdd, nrst = w["VDD"], w["NRST"]
    # first-order ramp: 63 % of the setpoint one time constant after the edge
    k_tau = int(B.TAU_RISE / 1e-6)
    assert abs(vdd[k_tau] - 3.3 * (1 - math.exp(-1))) < 0.02
    assert abs(vdd[-1] - 3.3) < 0.02
    t_por = -B.TAU_RISE * math.log(1 - B.V_POR_RISE / (3.3 - B.I_BASE * B.R_WIRING))
    release = np.argmax(nrst > 1.0) * 1e-6
    assert t_por + B.T_RSTTEMPO < release < t_por + B.T_RSTTEMPO + 5 * B.NRST_RISE_TAU
    clock.t = t_on + t_por + B.T_RSTTEMPO / 2
    assert board.powered() and board.nrst_low() and board.power_epoch() == 1
    clock.t = t_on + 0.01
    assert board.powered() and not board.nrst_low()


def test_probe_reset_holds_nrst_low():
    board, clock = powered_board()
    board.set_psu(on=True)
    clock.t += 0.01
    board.set_probe_reset(True)
    clock.t += 0.001
    assert board.nrst_low()
    board.set_probe_reset(False)
    clock.t += 0.001
    assert not board.nrst_low()


def test_power_off_decays_and_next_power_up_counts_an_epoch():
    board, clock = powered_board()
    board.set_psu(on=True)
    clock.t += 0.01
    board.set_psu(on=False)
    clock.t += 10 * B.TAU_FALL
    assert not board.powered() and board.nrst_low() and board.psu_readback() == (0.0, 0.0, "OFF")
    board.set_psu(on=True)
    clock.t += 0.01
    assert board.power_epoch() == 2


def test_low_current_limit_gives_cc_and_sag():
    board, clock = powered_board(limit=0.05)   # below the 60 mA base current
    board.set_psu(on=True)
    clock.t += 0.01
    v, i, mode = board.psu_readback()
    assert mode == "CC" and i == pytest.approx(0.05)
    expected = B.V_LOAD_KNEE * 0.05 / B.I_BASE
    assert v == pytest.approx(expected + 0.05 * B.R_WIRING, abs=0.01)
    assert not board.powered()          # sagged below PDR: the MCU never comes out of reset


def test_cv_readback_follows_setpoint_and_load():
    board, clock = powered_board()
    board.set_psu(on=True)
    clock.t += 0.01
    v, i, mode = board.psu_readback()
    assert (mode, round(v, 3), round(i, 3)) == ("CV", 3.3, B.I_BASE)
    board.add_load(0.03, 0.01)
    assert board.psu_readback()[1] == pytest.approx(B.I_BASE + 0.03)


def test_healthy_never_disturbed_and_dips_are_millivolts():
    cycles = run_cycles("healthy", seed=5, n=60)
    assert all(v is None and ob and not d for v, ob, d, _ in cycles)
    dips = [1.2 - s["VCAP1_min"] for *_, s in cycles]
    assert max(dips) < 0.02 and min(s["VDD_min"] for *_, s in cycles) > 3.2


def test_vcap_marginal_fails_a_fraction_by_dip_depth():
    cycles = run_cycles("vcap-marginal", seed=7)
    verdicts = [v for v, *_ in cycles]
    frac = verdicts.count("vcap-dip") / len(cycles)
    assert 0.2 < frac < 0.6 and set(verdicts) <= {None, "vcap-dip"}
    for v, ob, _, s in cycles:   # the verdict follows the dip depth
        assert (v == "vcap-dip") == (s["VCAP1_min"] < B.VCAP_FLASH_MIN)
        if not ob:
            assert v == "vcap-dip"
    bad_ob = sum(not ob for _, ob, *_ in cycles)
    assert 0 < bad_ob < verdicts.count("vcap-dip")
    healthy_min = min(s["VCAP1_min"] for *_, s in run_cycles("healthy", seed=7, n=20))
    assert min(s["VCAP1_min"] for *_, s in cycles) < healthy_min - 0.1


def test_brownout_goes_cc_below_pdr_in_a_fraction():
    cycles = run_cycles("brownout", seed=3)
    bad = [s for v, _, _, s in cycles if v == "brownout"]
    assert 0.2 < len(bad) / len(cycles) < 0.6
    assert all(s["VDD_min"] < B.V_PDR_FALL for s in bad)
    good = [s for v, _, _, s in cycles if v is None]
    assert all(s["VDD_min"] > 3.2 for s in good)


def test_brownout_readback_shows_cc_during_erase():
    for seed in range(40):
        board, clock = powered_board("brownout", seed)
        board.set_psu(on=True)
        clock.t += 0.05
        t0, t1 = board.add_load(0.03, 0.5)
        clock.t += 0.01
        if board.disturbance(t0, t1) == "brownout":
            v, i, mode = board.psu_readback()
            assert mode == "CC" and i == pytest.approx(0.5) and v < B.V_PDR_FALL
            return
    pytest.fail("no brownout cycle in 40 seeds")


def test_nrst_noise_glitches_reset_a_fraction():
    cycles = run_cycles("nrst-noise", seed=11, n=150)
    verdicts = [v for v, *_ in cycles]
    assert 0.15 < verdicts.count("nrst-reset") / len(cycles) < 0.5
    for v, _, _, s in cycles:
        assert (v == "nrst-reset") == (s["nrst_pulses"] > 0)
        assert s["VDD_min"] > 3.2   # rails clean


def test_swd_intermittent_rails_equal_healthy():
    swd = run_cycles("swd-intermittent", seed=2, n=80)
    healthy = run_cycles("healthy", seed=2, n=80)
    assert [s for *_, s in swd] == [s for *_, s in healthy]
    assert all(v is None for v, *_ in swd)
    frac = sum(d for _, _, d, _ in swd) / len(swd)
    assert 0.2 < frac < 0.7


def test_reproducible_for_a_seed_and_different_across_seeds():
    a = run_cycles("vcap-marginal", seed=9, n=30)
    b = run_cycles("vcap-marginal", seed=9, n=30)
    c = run_cycles("vcap-marginal", seed=10, n=30)
    assert a == b and a != c
    wa, wb = (powered_board("vcap-marginal", 9)[0].sample(["VDD"], 1000.0, 1e-4, 100) for _ in range(2))
    assert np.array_equal(wa["VDD"], wb["VDD"])


def test_load_duration_floor_and_unknown_inputs():
    board, clock = powered_board()
    t0, t1 = board.add_load(0.03, 0.0)
    assert t1 - t0 == pytest.approx(B.LOAD_MIN_DURATION)
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        BoardModel("nope")
    with pytest.raises(ValueError, match="unknown net 'VBAT'"):
        board.sample(["VBAT"], 0.0, 1e-3, 10)
    assert set(SCENARIOS) == {"healthy", "vcap-marginal", "nrst-noise", "brownout", "swd-intermittent"}


def test_old_events_are_pruned():
    board, clock = powered_board()
    for _ in range(400):
        board.set_psu(on=True)
        board.add_load(0.03, 0.01)
        clock.t += 1.0
        board.set_psu(on=False)
        clock.t += 1.0
    assert len(board._supply.events) < 4 * (B.PRUNE_AGE_S / 2 + 10)
    assert board.power_epoch() == 400


def test_glitches_stay_in_their_own_power_cycle():
    """A window spanning a power-on sees the earlier cycle's glitches only up to that power-on:
    every pulse `between` returns is one that `active` sees, and the later part of the window
    holds exactly the later cycle's pulses."""
    from benchtui.sim.scenarios import STREAM_GLITCH
    board, clock = powered_board("nrst-noise", seed=3)
    t_first = clock.t
    board.set_psu(on=True)
    clock.t += 2.0
    board.set_psu(on=False)
    clock.t += 0.1
    board.set_psu(on=True)
    t_second = clock.t
    clock.t += 30.0
    pulses = board._pulses
    both = pulses.between(STREAM_GLITCH, t_first, clock.t)
    later = pulses.between(STREAM_GLITCH, t_second, clock.t)
    assert len(later) > 3
    assert [p for p in both if p[0] >= t_second] == later
    assert all(b <= t_second for a, b in both if a < t_second)
    assert all(pulses.active(STREAM_GLITCH, (a + b) / 2) for a, b in both)
