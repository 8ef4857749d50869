"""End to end on the virtual bench: a batch of boards swept one after another (one run each,
the engine reading each board's UID from the twin), then `report --by-board`.

The acceptance runs of the fleet issue: 25 boards x 6 cycles of vcap-marginal with one faulty
board -> that board first, by UID, with the rail feature that sets it apart; a batch without a
faulty board -> no board stands out. Small image, time scale 0: about half a minute in all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from benchtui.bench.session import BenchSession
from benchtui.bench.store import open_store
from benchtui.bench.sweep import Sweep
from benchtui.cli import DEMO_PROFILE, main, start_virtual_bench
from benchtui.profile import load_profile

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

#: A 2 KB image: one sector erased and programmed per cycle, so a cycle takes ~0.2 s.
TINY_IMAGE_BYTES = 2 * 1024


@pytest.fixture(scope="module")
def tiny_firmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchtui.sim.firmware import write_test_hex

    return write_test_hex(tmp_path_factory.mktemp("fw") / "tiny.hex", size=TINY_IMAGE_BYTES)


def sweep(tmp_path: Path, firmware: Path, *, boards: int, cycles: int, faulty: tuple[int, ...]):
    profile = load_profile(DEMO_PROFILE)
    profile = profile.replace(
        target=dataclasses.replace(profile.target, firmware=str(firmware)),
        store=dataclasses.replace(profile.store, database=str(tmp_path / "batch.db")),
        cycle=dataclasses.replace(profile.cycle, off_s=0.02, on_settle_s=0.01),
        sim=dataclasses.replace(profile.sim, scenario="vcap-marginal", batch=boards, faulty=faulty),
        bench=dataclasses.replace(profile.bench, name="bench-A"))
    vb, live = start_virtual_bench(profile)

    async def run() -> list:
        session = BenchSession(live, on_event=lambda e: None)
        await session.open()
        try:
            return await asyncio.wait_for(
                Sweep(session, range(1, boards + 1), cycles, vb.insert_board).run(), 300)
        finally:
            await session.close()

    try:
        summaries = asyncio.run(run())
    finally:
        vb.stop()
    return vb.batch, live, summaries


def test_25_boards_the_faulty_one_is_named_first_by_uid_with_its_rail_feature(
        tmp_path: Path, tiny_firmware: Path, capsys: pytest.CaptureFixture) -> None:
    batch, profile, runs = sweep(tmp_path, tiny_firmware, boards=25, cycles=6, faulty=(7,))
    db = profile.store.database
    assert [r.cycles for r in runs] == [6] * 25 and all(r.bench == "bench-A" for r in runs)
    with open_store(db, readonly=True) as store:
        for k, run in enumerate(runs, 1):  # every cycle carries the UID the twin reported
            assert {c.board_uid for c in store.cycles(run.id)} == {batch.spec(k).uid}
        [swap] = [e for e in store.events(runs[7].id) if e.kind == "board_changed"]
        assert swap.cycle == 1 and swap.details["from"] == batch.spec(7).uid
        assert swap.text.startswith(f"board changed since run {runs[6].id}: ")
    assert main(["report", db, "--by-board"]) == 0
    text = capsys.readouterr().out
    assert main(["report", db, "--by-board", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    faulty = batch.spec(7).uid
    assert [s["key"] for s in report["standouts"]] == [faulty]
    first = report["standouts"][0]["differences"][0]
    assert first["what"] == "feature" and first["kind"] == "rail" and "VCAP" in first["name"]
    assert first["value"] > 3 * first["siblings_range"][1]
    assert report["rows"][0]["key"] == faulty and report["rows"][0]["label"] == "batch #7"
    assert text.splitlines()[2] == "  1 of 25 boards stands out:", text
    assert text.splitlines()[3].startswith(f"    board {faulty} (batch #7): VCAP"), text


def test_a_batch_without_a_faulty_board_has_no_board_that_stands_out(
        tmp_path: Path, tiny_firmware: Path, capsys: pytest.CaptureFixture) -> None:
    _, profile, runs = sweep(tmp_path, tiny_firmware, boards=8, cycles=3, faulty=())
    assert sum(r.failures for r in runs) == 0
    assert main(["report", profile.store.database, "--by-board"]) == 0
    out = capsys.readouterr().out
    assert "no board stands out among 8 boards" in out, out
