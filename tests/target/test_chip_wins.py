"""A profile whose target type disagrees with the chip: one line, the chip's layout wins, or a
one-line refusal when the image does not fit the real chip. And the bank mode as an option-byte
write with confirmation (the twin re-sectors its array)."""

from __future__ import annotations

import random

import pytest

from benchtui.devices.firmware import FirmwareImage
from benchtui.devices.target import TargetLink
from benchtui.errors import ConfirmationRequired, FirmwareError, TargetError
from benchtui.profile import TargetConfig

from .conftest import register

K = 1024


def _link(variant: str, target_type: str, **twin_kw):
    from benchtui.sim.twin.mcu import Stm32Twin
    twin = Stm32Twin(variant, time_scale=0.0, **twin_kw)
    return TargetLink(TargetConfig(probe_uid=register(twin), target_type=target_type)), twin


def test_1mb_profile_on_a_2mb_chip_uses_the_chip() -> None:
    link, twin = _link("zi", "stm32f767zg")
    ident = link.connect()
    try:
        assert ident.flash_kb == 2048 and len(link.layout()) == 12
        line = ident.profile_mismatch
        assert line is not None and "\n" not in line
        assert "stm32f767zg" in line and "1024 KB" in line and "2048 KB" in line
        # What used to die with AttributeError (erase) and ValueError (program at 0x08100000):
        link.erase([11])
        image = FirmwareImage(((0x08100000, random.Random(1).randbytes(4 * K)),), "top.bin")
        assert link.sectors_for(image) == [8]
        link.erase([8])
        link.program(image)
        assert link.verify(image).ok
    finally:
        link.disconnect()


def test_image_that_does_not_fit_the_real_chip_is_refused_in_one_line() -> None:
    link, _ = _link("zg", "stm32f767zi")
    ident = link.connect()
    try:
        assert ident.flash_kb == 1024 and ident.profile_mismatch
        image = FirmwareImage(((0x080FF000, bytes(8 * K)),), "too-big.bin")
        with pytest.raises(FirmwareError) as info:
            link.program(image)
        text = info.value.one_line()
        assert "\n" not in text and "0x08100000" in text and "does not fit" in text
        with pytest.raises(TargetError, match="sector 8 does not exist"):
            link.erase([8])
    finally:
        link.disconnect()


def test_session_reports_the_mismatch_once(tmp_path) -> None:
    import asyncio

    from benchtui.bench.session import BenchSession
    from benchtui.cli import DEMO_PROFILE
    from benchtui.profile import load_profile
    import dataclasses

    _, twin = _link("zi", "stm32f767zg")
    from benchtui.sim.twin.registry import register_twin
    profile = load_profile(DEMO_PROFILE)
    profile = profile.replace(target=dataclasses.replace(profile.target, probe_uid=register_twin(twin)))
    lines: list[str] = []

    async def main() -> None:
        session = BenchSession(profile, on_event=lambda e: lines.append(getattr(e, "text", "")))
        try:
            for _ in range(3):
                await session.connect()
                await session.disconnect()
        finally:
            await session.close()

    asyncio.run(main())
    assert sum("expects" in line for line in lines) == 1


def test_bank_mode_change_needs_confirmation_and_resectors_the_chip() -> None:
    link, twin = _link("zi", "stm32f767zi")
    link.connect()
    try:
        data = random.Random(2).randbytes(48 * K)
        image = FirmwareImage(((0x08000000, data),), "low.bin")
        link.erase(link.sectors_for(image))
        link.program(image)
        with pytest.raises(ConfirmationRequired, match="nDBANK 0x1 -> 0x0"):
            link.set_bank_mode(True)
        assert not link.layout().dual_bank
        ob = link.set_bank_mode(True, confirm=True)   # reconnects: the option bytes load
        assert ob.ndbank == 0 and link.layout().dual_bank and len(link.layout()) == 24
        assert link.identity.layout.dual_bank
        # UNCONFIRMED choice (sim/twin/constants.py BANK_CHANGE_ERASES): content kept in place.
        assert link.read_memory(0x08000000, len(data)) == data
        assert link.sectors_for(image) == [0, 1, 2]    # 16 KB sectors now
        link.set_bank_mode(False, confirm=True)
        assert len(link.layout()) == 12
    finally:
        link.disconnect()


def test_bank_mode_of_a_single_bank_part_is_a_one_line_error() -> None:
    link, _ = _link("f407vg", "stm32f407vg")
    link.connect()
    try:
        with pytest.raises(TargetError, match="single bank"):
            link.set_bank_mode(True, confirm=True)
    finally:
        link.disconnect()
