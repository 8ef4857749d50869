"""The loop on the STM32F4 twin: the F4 demo profile's virtual bench, through the whole engine."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from benchtui.cli import start_virtual_bench
from benchtui.profile import bundled, load_profile

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

F4_DEMO = bundled.path("demo-stm32f407")


def test_loop_runs_on_the_f407_twin(tmp_path, small_firmware):
    from benchtui.bench.engine import CycleEngine
    from benchtui.bench.session import BenchSession
    from benchtui.bench.store import open_store

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
    with open_store(live.store.database, readonly=True) as store:
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


async def test_the_console_on_the_f407_twin(tmp_path, small_firmware):
    """The demo console on the F4 profile: identity with UID, F4 option bytes, a flash that verifies."""
    from benchtui.tui.app import BenchApp
    from benchtui.tui.dialogs import ConfirmDialog
    from tests.tui.conftest import log_has, on_screen, power_on, wait_for

    profile = load_profile(F4_DEMO)
    vb, live = start_virtual_bench(profile.replace(sim=dataclasses.replace(profile.sim, scenario="healthy")))
    live = live.replace(store=dataclasses.replace(live.store, database=str(tmp_path / "f4.db")),
                        target=dataclasses.replace(live.target, firmware=str(small_firmware)))
    try:
        app = BenchApp(live)
        async with app.run_test(size=(100, 32)) as pilot:
            await power_on(pilot, app)
            await pilot.press("2")
            await pilot.press("c")
            await wait_for(pilot, lambda: app.state.target.option_bytes is not None, "option bytes after connect")
            # Panels repaint at most 4/s: wait for what the user would see.
            # The identity and the option bytes are painted separately: wait for both.
            rows = await on_screen(pilot, lambda rows: any(f"UID {vb.board.uid}" in r for r in rows)
                                   and any("sector write-protected" in r for r in rows),
                                   "the target panel with the UID and the option bytes")
            text = "\n".join(rows)
            assert "STM32F405/407" in text and f"UID {vb.board.uid}" in text
            assert "WDG_SW" in text and "nDBANK" not in text and "no sector write-protected" in text
            await pilot.press("f")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("y")
            await wait_for(pilot, lambda: log_has(app, "verify OK"), "program + verify")
            # 48 KB on 16 KB sectors: the F4's sectors 0-2 were erased, each once.
            assert dict(vb.twin.flash.erase_counts) == {0: 1, 1: 1, 2: 1}
    finally:
        vb.stop()
