"""The shmoo's grid, limits, plan and result, without a bench: `--vary` parsing, the hard limits
refused before anything runs, each cell's profile, and the adaptive order on known surfaces."""

from __future__ import annotations

import numpy as np
import pytest

from benchtui.bench.report.shmoo import shmoo_json, shmoo_text
from benchtui.bench.shmoo import Grid, Plan, cell_profile, check_limits, parse_vary
from benchtui.bench.shmoo.plan import CellTally, coarse_stride, level_of
from benchtui.bench.shmoo.result import change_point, result_from_tallies
from benchtui.cli import DEMO_PROFILE, main
from benchtui.errors import BenchError, SafetyError
from benchtui.profile import load_profile


def test_vary_ranges_lists_and_choices() -> None:
    a = parse_vary("psu.voltage=3.0:3.6:0.1")
    assert a.values == (3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6) and a.unit == "V"
    assert parse_vary("cycle.off_s=0.005,0.01,0.05").values == (0.005, 0.01, 0.05)
    assert parse_vary("target.frequency_hz=1e6:4e6:1e6").values == (1_000_000, 2_000_000, 3_000_000, 4_000_000)
    m = parse_vary("target.connect_mode=under-reset,halt")
    assert m.categorical and m.values == ("under-reset", "halt")
    assert parse_vary("cycle.off_s=0.008:0.01:0.001").show(0.008) == "8 ms"


@pytest.mark.parametrize("text, says", [
    ("psu.voltage", "expected FIELD=SPEC"),
    ("psu.volts=3:4:0.1", "did you mean 'psu.voltage'"),
    ("psu.max_voltage=3:4:0.1", "not a field a shmoo can vary"),
    ("psu.voltage=3.6:3.0:0.1", "ends (3) below where it starts"),
    ("psu.voltage=3:3.6:0", "step 0 must be positive"),
    ("psu.voltage=3:nan:0.1", "not a finite number"),
    ("psu.voltage=3,x", "'x' is not a number"),
    ("cycle.off_s=-0.1,0.1", "outside cycle.off_s's range"),
    ("target.frequency_hz=1500.5", "whole numbers"),
    ("target.connect_mode=sideways", "is not one of"),
    ("psu.voltage=0:1000:0.001", "at most 101 per axis"),
    ("psu.voltage=3.3,3.3", "listed twice"),
])
def test_vary_bad_input_is_one_line_naming_the_argument(text: str, says: str) -> None:
    with pytest.raises(BenchError) as err:
        parse_vary(text)
    line = err.value.one_line()
    assert says in line and "\n" not in line and "--vary" in line, line


def test_a_grid_outside_the_hard_limits_is_refused_naming_the_cell() -> None:
    profile = load_profile(DEMO_PROFILE)   # psu.max_voltage 3.6 V, psu.max_current 1.0 A
    grid = Grid((parse_vary("psu.voltage=3.2:3.8:0.2"), parse_vary("cycle.off_s=0.01,0.05")))
    with pytest.raises(SafetyError) as err:
        check_limits(profile, grid)
    text = err.value.one_line()
    assert "cell (psu.voltage = 3.8 V, cycle.off_s = 10 ms)" in text
    assert "exceeds the profile's hard maximum psu.max_voltage = 3.6 V" in text
    assert "2 of the grid's 8 cells are outside" in text and "before anything ran" in text
    with pytest.raises(SafetyError, match=r"psu.current_limit 1.2 A exceeds .*psu.max_current = 1 A"):
        check_limits(profile, Grid((parse_vary("psu.current_limit=0.5,1.2"),)))
    check_limits(profile, Grid((parse_vary("psu.voltage=3.0:3.6:0.1"),)))   # inside: no error


def test_the_cli_refuses_before_connecting_to_anything(tmp_path, capsys) -> None:
    db = tmp_path / "never.db"
    code = main(["shmoo", "--profile", str(DEMO_PROFILE), "--vary", "psu.voltage=3.4:4.0:0.2",
                 "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "psu.voltage = 3.8 V" in err and "hard maximum psu.max_voltage" in err
    assert not db.exists()     # nothing was recorded: nothing ran


def test_a_cells_profile_has_its_values_and_arms_the_scope_before_power_off() -> None:
    profile = load_profile(DEMO_PROFILE)
    grid = Grid((parse_vary("psu.voltage=3.0,3.3"), parse_vary("cycle.off_s=0.008,0.05")))
    p = cell_profile(profile, grid, (0, 1))
    assert p.psu.voltage == 3.0 and p.cycle.off_s == 0.05
    assert p.cycle.steps[:3] == ("arm_power_up", "power_off", "power_on")
    q = cell_profile(profile, Grid((parse_vary("psu.voltage=3.0,3.3"),)), (1,))
    assert q.psu.voltage == 3.3 and q.cycle.steps == profile.cycle.steps   # no off-time axis


def _shmoo(grid: Grid, rate, cycles: int, adaptive: bool, seed: int = 1) -> Plan:
    rng = np.random.default_rng(seed)
    plan = Plan(grid, cycles, adaptive=adaptive)
    while (task := plan.next()) is not None:
        cell, _ = task
        while True:
            plan.record(cell, bool(rng.random() < rate(cell)), "erase (flash error)")
            if plan.settled(cell):
                break
    return plan


def test_adaptive_finds_a_sharp_edge_with_a_fraction_of_the_cycles() -> None:
    grid = Grid((parse_vary("psu.voltage=2.6:3.6:0.05"), parse_vary("cycle.off_s=0.005:0.03:0.0025")))
    edge = lambda cell: 1.0 if cell[0] + 0.3 * cell[1] < 12 else 0.0  # noqa: E731
    full = _shmoo(grid, edge, 20, adaptive=False)
    adaptive = _shmoo(grid, edge, 20, adaptive=True)
    assert full.cycles_run == 20 * len(grid)
    assert adaptive.cycles_run <= full.cycles_run / 3, (adaptive.cycles_run, full.cycles_run)
    result = result_from_tallies(grid, adaptive.tallies, level=adaptive.level)
    for (j,), (pos, a, b) in result.boundary_along(0).items():
        true = 12 - 0.3 * j - 0.5           # between the last failing and the first passing cell
        assert abs(pos - true) <= 1 and b - a == 1, (j, pos, true)
    assert len(result.boundary_along(0)) == grid.shape[1]


def test_no_edge_no_refinement_and_the_result_says_so() -> None:
    grid = Grid((parse_vary("psu.voltage=3.0:3.6:0.1"), parse_vary("cycle.off_s=0.01,0.02,0.05")))
    plan = _shmoo(grid, lambda cell: 0.0, 20, adaptive=True)
    assert plan.level is None and plan.phase == "done"
    assert coarse_stride(7) == 2 and set(plan.tallies) == {(i, j) for i in (0, 2, 4, 6) for j in (0, 1, 2)}
    result = result_from_tallies(grid, plan.tallies)
    assert result.level is None and not result.edges and "no edge inside the grid" in result.summary()


def test_level_between_two_plateaus_and_the_change_point() -> None:
    low = {(i,): CellTally(20, 9) for i in range(12)}             # 45 %
    high = {(i,): CellTally(20, 19) for i in range(12, 15)}       # 95 %, a small region
    level = level_of({**low, **high})
    assert 0.65 < level < 0.75
    assert level_of({(i,): CellTally(20, 1) for i in range(5)}) is None        # flat: no edge
    assert change_point([(0, 10), (1, 10), (9, 10), (10, 10)], 0.5) == 2
    assert change_point([(10, 10), (9, 10), (1, 10)], 0.5) == 2            # falling
    assert change_point([(4, 10), (5, 10)], 0.9) is None                   # both below


def test_text_and_json_show_the_grid_rates_intervals_and_modes() -> None:
    grid = Grid((parse_vary("psu.voltage=3.0:3.4:0.1"), parse_vary("cycle.off_s=0.01,0.05")))
    tallies = {}
    for i in range(5):
        for j in range(2):
            fails = 10 if i < 2 else 0
            tallies[(i, j)] = CellTally(10, fails, modes={"erase (core reset)": fails} if fails else {})
    result = result_from_tallies(grid, tallies, shmoo_id=3, name="brownout", status="completed")
    text = shmoo_text(result)
    assert "shmoo 3: brownout (completed)" in text and "boundary at 50% failures" in text
    row = next(line for line in text.splitlines() if line.strip().startswith("50ms"))
    assert row.split() == ["50ms", "100", "100│", "0", "0", "0"], row
    assert "3.1V          10ms      10      10    100%     72% – 100%   erase (core reset) (10 of 10)" in text
    assert "at cycle.off_s = 10 ms: between 3.1 V and 3.2 V" in text
    data = shmoo_json(result)
    assert data["level"] == 0.5 and len(data["cells"]) == 10 and data["edges"] == [[[1, 0], [2, 0]], [[1, 1], [2, 1]]]
    assert data["boundary"][0] == {"line": {"cycle.off_s": 0.01}, "axis": "psu.voltage",
                                   "between": [3.1, 3.2], "position": 1.5}
