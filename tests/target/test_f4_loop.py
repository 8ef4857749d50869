"""The loop on the STM32F4 twin: the F4 demo profile's virtual bench, through the whole engine."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from benchtui.cli import start_virtual_bench
from benchtui.profile import load_profile

F4_DEMO = Path(__file__).resolve().parents[2] / "profiles" / "demo-stm32f407.toml"


def test_loop_runs_on_the_f407_twin(tmp_path, small_firmware):
    from benchtui.bench.engine import CycleEngine
    from benchtui.bench.session import BenchSession
    from benchtui.bench.store import ResultsStore

    profile = load_profile(F4_DEMO)
    profile = profile.replace(
        target=dataclasses.replace(profile.target, firmware=str(small_firmware)),
        store=dataclasses.replace(profile.store, database=str(tmp_path / "f4.db")),
        cycle=dataclasses.replace(profile.cycle, off_s=0.05, on_settle_s=0.01),
        sim=dataclasses.replace(profile.sim, scenario="healthy"))
    vb, live = start_virtual_bench(profile)
    assert vb.twin.variant.part == "STM32F407VG"

    async def run():
        session = BenchSession(live)
        await session.open()
        try:
            return await CycleEngine(session).run(3)
        finally:
            await session.close()

    try:
        summary = asyncio.run(run())
    finally:
        vb.stop()
    assert summary.status == "completed" and summary.cycles == 3 and summary.failures == 0
    with ResultsStore(live.store.database, readonly=True) as store:
        cycles = store.cycles(summary.id)
    first = cycles[0]
    assert first.target["family"] == "STM32F4" and first.target["dev_id"] == "0x413"
    assert first.target["layout"] == "single bank" and first.board_uid == vb.board.uid
    assert first.option_bytes["optcr"] == "0x0FFFAAED" and first.option_bytes["stores_complements"] is False
    features = {f.name: f.value for f in first.features if f.kind == "ob"}
    assert features == {"ob.protected_sectors": 0.0, "ob.changed": 0.0, "ob.rdp_level": 0.0,
                        "ob.complement_errors": None}
    erase = next(s for s in first.steps if s.name == "erase")
    assert erase.outcome == "pass"
