"""The virtual batch: boards with their own UIDs and tolerances, the faulty ones, swapping."""

import re

import numpy as np
import pytest

from benchtui.sim import board as B
from benchtui.sim.batch import Batch, lone_board
from benchtui.sim.board import BoardModel


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def por_dip(spec, cycles=12):
    """VCAP1 dip (V below the board's own regulated level) in each power-up's option-byte load
    window, noise-free, over `cycles` power cycles of board `spec`."""
    clock = Clock()
    board = BoardModel(clock=clock, spec=spec)
    board.set_psu(voltage=3.3, current_limit=0.5)
    dips = []
    for _ in range(cycles):
        t_on = clock.t
        board.set_psu(on=True)
        clock.t += 0.05
        settled = board.window_stats(t_on + 0.02, t_on + 0.04)["VCAP1_max"]
        dips.append(settled - board.window_stats(t_on + 0.001, t_on + 0.005)["VCAP1_min"])
        board.set_psu(on=False)
        clock.t += 0.3
    return np.array(dips)


def test_a_batch_follows_from_its_seed() -> None:
    a, b = Batch.make("vcap-marginal", 7, 25), Batch.make("vcap-marginal", 7, 25)
    assert a == b and a.specs() == b.specs()
    uids = [s.uid for s in a.specs()]
    assert all(re.fullmatch(r"[0-9A-F]{24}", u) for u in uids) and len(set(uids)) == 25
    assert len({u[8:] for u in uids}) <= 2  # one lot, at most two wafers: the die coordinates differ
    assert Batch.make("vcap-marginal", 8, 25).specs()[0].uid != uids[0]
    assert [s.number for s in a.specs()] == list(range(1, 26))
    assert len({s.seed for s in a.specs()}) == 25


def test_one_board_is_faulty_by_default_and_the_others_are_healthy_within_tolerance() -> None:
    batch = Batch.make("vcap-marginal", 7, 25)
    assert len(batch.faulty) == 1
    specs = batch.specs()
    assert [s.number for s in specs if s.scenario == "vcap-marginal"] == list(batch.faulty)
    assert {s.scenario for s in specs if s.number not in batch.faulty} == {"healthy"}
    v12 = np.array([s.v12 for s in specs])
    assert 0.002 < v12.std() < 0.02 and np.all(np.abs(v12 - 1) < 0.05)  # trimmed to about 1 %
    assert Batch.make("vcap-marginal", 7, 25, faulty=[3, 9]).faulty == (3, 9)
    assert Batch.make("vcap-marginal", 7, 25, faulty=[]).faulty == ()
    assert Batch.make("healthy", 7, 25).faulty == ()


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 0}, "batch size 0 is out of range"),
    ({"size": 25, "faulty": [26]}, r"faulty board 26 is not in the batch \(boards 1..25\)"),
])
def test_bad_batches_are_one_line_errors(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Batch.make("vcap-marginal", 7, **kwargs)
    with pytest.raises(ValueError, match="board 30 is not in the batch"):
        Batch.make("healthy", 7, 25).spec(30)


def test_the_faulty_board_dips_and_its_siblings_do_not() -> None:
    batch = Batch.make("vcap-marginal", 7, 8, faulty=[5])
    dips = {s.number: np.median(por_dip(s)) for s in batch.specs()}
    assert dips[5] > 0.04  # the cold joint: tens of mV at every power-up
    assert max(d for k, d in dips.items() if k != 5) < 0.005


def test_a_lone_board_is_nominal_with_a_uid_from_its_seed() -> None:
    spec = lone_board("healthy", 7)
    assert (spec.number, spec.vcap_z, spec.v12, spec.i_base) == (0, 1.0, 1.0, 1.0)
    assert BoardModel("healthy", seed=7).uid == spec.uid != lone_board("healthy", 8).uid
    assert BoardModel("healthy", seed=7).uid_words == spec.uid_words


def test_inserting_another_board_is_a_swap() -> None:
    clock = Clock()
    batch = Batch.make("vcap-marginal", 7, 4, faulty=[2])
    board = BoardModel(clock=clock, spec=batch.spec(1))
    board.set_psu(voltage=3.3, current_limit=0.5, on=True)
    clock.t += 0.05
    assert board.powered() and board.power_epoch() == 1
    board.insert(batch.spec(2))  # hot swap: the PSU stays on
    assert board.uid == batch.spec(2).uid and board.scenario.name == "vcap-marginal"
    assert not board.powered() and board.nrst_low()  # the new board's rails start from 0 V
    clock.t += 0.05
    assert board.powered() and board.power_epoch() == 2  # the twin sees a new power-up
    assert board.psu_readback()[2] == "CV"
    board.set_psu(on=False)
    clock.t += 0.1
    board.insert(batch.spec(3))  # a swap with the output off: stays off
    clock.t += 0.05
    assert not board.powered() and board.power_epoch() == 2
    board.set_psu(on=True)
    clock.t += 0.05
    assert board.powered() and board.power_epoch() == 3 and board.scenario.name == "healthy"
    w = board.sample(["VDD"], clock.t - 0.01, 1e-4, 10)["VDD"]
    assert np.all(np.abs(w - 3.3) < 0.02)
    assert B.V12_NOM  # the constants stay importable from the package
