"""Done-when of the shmoo, on the virtual bench through the real pipeline (`benchtui shmoo
--virtual`: SCPI instruments over pyvisa-py, the twin through pyOCD, the engine, the store):
brownout draws its documented edge in VDD x off-time in text and in the HTML heat map (checked
in Chromium), vcap-marginal its edge along the off-time, healthy none inside its limits; a ramp
axis reaches a supply that has one and is refused by one that has not; a grid that repeats a
mass erase is refused without --yes.

Documented shapes (docs/shmoo.md): brownout fails 50 % at VDD ≈ 3.24 V (the converter's constant
power: 100 % at 3.0 V, 0 % from 3.5 V) whatever the off-time; vcap-marginal fails ≥ 90 % at
off-times short enough that the POR does not re-arm (up to ~11 ms as the board sees them) and
~45 % from ~13 ms; healthy never fails with VDD 2.4-3.6 V and off-times over ~5 ms.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from benchtui.bench.shmoo.result import load_shmoo
from benchtui.bench.store import open_store
from benchtui.cli import DEMO_PROFILE, main

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def profile(folder: Path, firmware: Path, *, extra: dict | None = None) -> Path:
    """The demo profile, a small image, a short trigger timeout (a cell with no power-up
    fails in 0.5 s, not 2), results in `folder`."""
    text = DEMO_PROFILE.read_text()
    changes = {'firmware = "firmware/board-test-v1.hex"': f'firmware = "{firmware}"',
               'database = "benchtui-demo.db"': f'database = "{folder / "results.db"}"',
               "trigger_timeout_s = 2.0": "trigger_timeout_s = 0.5",
               "on_settle_s = 0.05": "on_settle_s = 0.01", **(extra or {})}
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "bench.toml"
    path.write_text(text)
    return path


def shmoo(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["shmoo", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def firmware(tmp_path_factory) -> Path:
    from benchtui.sim.firmware import write_test_hex
    return write_test_hex(tmp_path_factory.mktemp("fw") / "tiny.hex", size=8192)


@pytest.fixture(scope="module")
def brownout(tmp_path_factory, firmware):
    folder = tmp_path_factory.mktemp("brownout")
    p = profile(folder, firmware)
    code, out, err = shmoo("--profile", str(p), "--virtual", "--scenario", "brownout", "--seed", "5",
                           "--vary", "psu.voltage=3.0:3.6:0.1", "--vary", "cycle.off_s=0.01,0.05",
                           "--cycles", "12", "--html", str(folder / "shmoo.html"))
    assert code == 1, err       # failures found: the run itself went well
    with open_store(folder / "results.db", readonly=True) as store:
        result = load_shmoo(store)
    return result, out, folder


def test_brownout_draws_its_edge_in_vdd_at_every_off_time(brownout) -> None:
    result, out, _ = brownout
    volts = result.grid.axes[0].values
    assert result.status == "completed" and result.level is not None
    crossings = result.boundary_along(0)
    assert set(crossings) == {(0,), (1,)}               # one edge on each off-time row
    for (row,), (_, a, b) in crossings.items():
        # documented: 50 % at 3.24 V; tolerance: between the 3.0 V and the 3.5 V cells
        assert 3.0 <= volts[a] and volts[b] <= 3.5 and b - a == 1, (row, volts[a], volts[b])
        assert result.cells[(0, row)].rate >= 0.8 and result.cells[(6, row)].rate == 0.0
    for row in (r for r in out.splitlines() if re.match(r"\s+(10|50)ms ", r)):
        assert "│" in row, row                          # the boundary is drawn in the text grid
    assert "boundary along psu.voltage" in out and "dominant mode" in out
    # Each cell's run reads like any run.
    run_id = result.cells[(0, 0)].runs[0]
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert main(["report", str(brownout[2] / "results.db"), "--run", str(run_id)]) == 0
    assert "supply" in text.getvalue().lower() or "PSU" in text.getvalue()


def test_brownout_heat_map_in_chromium(brownout, chromium) -> None:
    result, _, folder = brownout
    page = chromium.open_file(folder / "shmoo.html")
    assert chromium.errors(page) == []
    assert page.locator("rect.cell").count() == 14
    lines = page.locator("line.boundary")
    assert lines.count() == len(result.edges) >= 2
    xs = {round(float(lines.nth(k).get_attribute("x1"))) for k in range(lines.count())
          if lines.nth(k).get_attribute("x1") == lines.nth(k).get_attribute("x2")}
    column = {int(page.locator(f'rect[data-cell="{i},0"]').get_attribute("x")): i for i in range(7)}
    assert xs and all(1 <= column[x] <= 5 for x in xs), (xs, column)   # between 3.0 V and 3.5 V
    assert page.locator('rect[data-cell="6,1"]').get_attribute("data-rate") == "0.0000"
    assert page.locator("line.crossing").count() == 2 == page.locator("#crossings li").count()
    assert page.locator("#summary").inner_text() == result.summary()
    assert page.locator("#cells tbody tr").count() == len(result.cells)


def test_vcap_marginal_edge_along_the_off_time(tmp_path, firmware) -> None:
    p = profile(tmp_path, firmware)
    code, out, err = shmoo("--profile", str(p), "--virtual", "--scenario", "vcap-marginal", "--seed", "7",
                           "--vary", "cycle.off_s=0.006:0.020:0.002", "--cycles", "20", "--json")
    assert code == 1, err
    data = json.loads(out)
    [crossing] = data["boundary"]
    lo, hi = crossing["between"]
    # documented: >= 90 % while the POR does not re-arm (off-times up to ~11 ms as the board sees
    # them), ~45 % from ~13 ms; tolerance: the edge between 8 and 16 ms
    assert 0.008 <= lo and hi <= 0.016, crossing
    rates = {c["conditions"]["cycle.off_s"]: c["rate"] for c in data["cells"]}
    assert rates[0.006] >= 0.75 and rates[0.020] <= 0.7, rates
    # ... and well below it the seed's symptom: erase refused, every sector write-protected (the
    # cells next to the edge mix it with the VCAP dips' flash errors, and the host's timing moves
    # the off-time the board sees by a few ms under load)
    assert all(c["mode"] == "erase (write-protected)" for c in data["cells"]
               if c["conditions"]["cycle.off_s"] <= 0.008), data["cells"]


def test_healthy_shows_no_edge_inside_its_limits(tmp_path, firmware) -> None:
    p = profile(tmp_path, firmware)
    code, out, err = shmoo("--profile", str(p), "--virtual", "--scenario", "healthy",
                           "--vary", "psu.voltage=3.0:3.6:0.2", "--vary", "cycle.off_s=0.006,0.02,0.05",
                           "--cycles", "12")
    assert code == 0, err + out
    assert "no edge inside the grid (no cell failed)" in out
    with open_store(tmp_path / "results.db", readonly=True) as store:
        result = load_shmoo(store)
    assert result.level is None and not result.edges and result.cycles <= 12 * 12 / 2   # half the full grid


def test_a_ramp_axis_reaches_easyramp_and_is_refused_without_one(tmp_path, firmware) -> None:
    p = profile(tmp_path, firmware)     # the demo's DP832: no programmable ramp
    code, out, err = shmoo("--profile", str(p), "--virtual", "--vary", "psu.ramp_s=0.01,0.05", "--cycles", "2")
    assert code == 2 and "psu.ramp_s = 10 ms" in err and "no programmable output ramp" in err, err
    assert not (tmp_path / "results.db").exists() or not open_store(tmp_path / "results.db", readonly=True).runs()
    hmc = profile(tmp_path, firmware, extra={'psu_model = "rigol-dp832"': 'psu_model = "rohde-hmc8043"'})
    code, out, err = shmoo("--profile", str(hmc), "--virtual", "--scenario", "healthy",
                           "--vary", "psu.ramp_s=0.01,0.05", "--cycles", "2", "--full")
    assert code == 0, err
    with open_store(tmp_path / "results.db", readonly=True) as store:
        ramps = [store.run_metadata(r.id)["profile"]["psu"]["ramp_s"] for r in store.runs()]
    assert ramps == [0.01, 0.05]


def test_a_grid_that_repeats_a_mass_erase_is_refused_without_yes(tmp_path, firmware) -> None:
    p = profile(tmp_path, firmware, extra={'erase = "sectors"': 'erase = "chip"'})
    code, out, err = shmoo("--profile", str(p), "--virtual", "--scenario", "healthy",
                           "--vary", "psu.voltage=3.2,3.3", "--cycles", "1", "--full")
    assert code == 2 and "mass erase" in err and "--yes" in err and "once for the whole grid" in err, err
    code, out, err = shmoo("--profile", str(p), "--virtual", "--scenario", "healthy",
                           "--vary", "psu.voltage=3.2,3.3", "--cycles", "1", "--full", "--yes")
    assert code == 0, err
    with open_store(tmp_path / "results.db", readonly=True) as store:
        runs = store.runs()
        confirmed = [[e for e in store.events(r.id) if e.kind == "destructive_confirmed"] for r in runs]
    assert len(runs) == 2 and all(len(c) == 1 and c[0].details["by"] == "--yes" for c in confirmed)
