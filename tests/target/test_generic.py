"""A target benchtui has no family module for: `[target] family = "generic"` on the STM32F767ZI
twin, so pyOCD's own `stm32f767zi` target type and flash algorithm do the work: connect, erase
by the sectors of pyOCD's map, program, verify, the loop with its rails, correlation and report;
option bytes say "not available for this family"."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from pathlib import Path

import pytest

from benchtui.devices.firmware import FirmwareImage
from benchtui.devices.target import TargetLink
from benchtui.errors import NotForThisFamily, ProfileError
from benchtui.profile import TargetConfig, load_profile

from .conftest import register

ROOT = Path(__file__).resolve().parents[2]
K = 1024


def test_generic_family_uses_pyocds_own_target():
    from benchtui.sim.twin.mcu import Stm32Twin

    twin = Stm32Twin("zi", time_scale=0.0, seed=4)
    link = TargetLink(TargetConfig(probe_uid=register(twin), target_type="stm32f767zi", family="generic"))
    ident = link.connect()
    try:
        assert link.chip is None and ident.family == "generic"
        assert "stm32f767zi" in ident.part and ident.flash_kb == 2048
        layout = link.layout()   # pyOCD's map: 4 x 32 KB, 128 KB, 7 x 256 KB, numbered from 0
        assert len(layout) == 12 and layout[0].size == 32 * K and layout[5].size == 256 * K
        image = FirmwareImage(((0x08000000, random.Random(1).randbytes(40 * K)),), "g.bin")
        assert link.sectors_for(image) == [0, 1]
        link.erase([0, 1])
        assert dict(twin.flash.erase_counts) == {0: 1, 1: 1}   # pyOCD's algorithm, right sectors
        link.program(image)
        assert link.verify(image).ok
        forensics = link.option_forensics()
        assert forensics.options is None and "not available for this family" in forensics.notes[0]
        assert forensics.to_record() == {"available": False, "notes": list(forensics.notes)}
        with pytest.raises(NotForThisFamily, match="not available for this family"):
            link.read_option_bytes()
        with pytest.raises(NotForThisFamily):
            link.remove_write_protection(confirm=True)
    finally:
        link.disconnect()


def test_an_unknown_family_name_is_one_line_with_a_did_you_mean():
    with pytest.raises(ProfileError, match=r"\[target\] family 'stm32h8' is not known \(did you mean 'STM32H7'\?\)"):
        TargetLink(TargetConfig(probe_uid="x", target_type="stm32h743zi", family="stm32h8"))


def test_an_unknown_twin_variant_is_one_line_with_a_did_you_mean():
    from benchtui.sim.twin.variants import variant

    with pytest.raises(ValueError, match=r"twin variant 'h743z' unknown \(did you mean 'h743zi'\?\)"):
        variant("h743z")


@pytest.mark.slow
def test_the_loop_runs_on_the_generic_family(tmp_path, small_firmware):
    from benchtui.bench.engine import CycleEngine
    from benchtui.bench.report import load_report
    from benchtui.bench.session import BenchSession
    from benchtui.bench.store import open_store
    from benchtui.cli import DEMO_PROFILE, start_virtual_bench

    profile = load_profile(DEMO_PROFILE)
    profile = profile.replace(
        target=dataclasses.replace(profile.target, target_type="stm32f767zi", family="generic",
                                   firmware=str(small_firmware)),
        store=dataclasses.replace(profile.store, database=str(tmp_path / "g.db")),
        cycle=dataclasses.replace(profile.cycle, off_s=0.05, on_settle_s=0.01),
        sim=dataclasses.replace(profile.sim, variant="zi"))
    vb, live = start_virtual_bench(profile, scenario="vcap-marginal", seed=2)

    async def run():
        session = BenchSession(live)
        await session.open()
        try:
            return await CycleEngine(session).run(10)
        finally:
            await session.close()

    try:
        summary = asyncio.run(run())
    finally:
        vb.stop()
    assert summary.status == "completed" and summary.cycles == 10
    with open_store(live.store.database, readonly=True) as store:
        cycles = store.cycles(summary.id)
    connected = [c for c in cycles if c.target]
    assert connected and all(c.target["family"] == "generic" for c in connected)
    assert all(c.option_bytes in (None, {}) or c.option_bytes.get("available") is False for c in connected)
    assert not any(f.kind == "ob" for c in cycles for f in c.features)
    rails = {f.name for c in cycles for f in c.features if f.kind == "rail"}
    assert any(name.startswith("power_up.VCAP1") for name in rails)
    from benchtui.bench.report.text import format_report
    with open_store(live.store.database, readonly=True) as store:
        report = load_report(store, summary.id)
    assert len(report.cycles) == 10 and report.analysis is not None
    assert format_report(report.analysis, report.run, report.diagnosis)
