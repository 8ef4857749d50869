"""Every flash layout on the twin, through the stock pyOCD stack: the chip's own memory map
(1/2 MB, single/dual bank, F4 DB1M), RM0410/RM0090 sector numbers in erase and messages, nWRP
per sector, an image that spans both banks programmed and verified, and the twin's silicon
agreeing with the device side's family module."""

from __future__ import annotations

import random

import pytest

from benchtui.devices.firmware import FirmwareImage
from benchtui.devices.mcu import STM32F4, STM32F7
from benchtui.devices.target import TargetLink
from benchtui.errors import WriteProtected
from benchtui.profile import TargetConfig

from .conftest import register

K = 1024

# (twin variant, dual bank, profile target type, family, dev_id, KB, sector numbers,
#  bank-2 base or None, nWRP bit of the first bank-2 sector and of sector 1)
LAYOUTS = [
    ("zg", False, "stm32f767zg", STM32F7, 0x451, 1024, list(range(8)), None, None, 1),
    ("zg", True, "stm32f767zg", STM32F7, 0x451, 1024, [*range(8), *range(12, 20)], 0x08080000, 6, 0),
    ("zi", False, "stm32f767zi", STM32F7, 0x451, 2048, list(range(12)), None, None, 1),
    ("zi", True, "stm32f767zi", STM32F7, 0x451, 2048, list(range(24)), 0x08100000, 6, 0),
    ("f407vg", False, "stm32f407vg", STM32F4, 0x413, 1024, list(range(12)), None, None, 1),
    ("f429zi", False, "stm32f429zi", STM32F4, 0x419, 2048, list(range(24)), 0x08100000, 12, 1),
    ("f429zg", True, "stm32f429zg", STM32F4, 0x419, 1024, [*range(8), *range(12, 20)], 0x08080000, 12, 1),
]
IDS = [f"{v}-{'dual' if d else 'single'}" for v, d, *_ in LAYOUTS]


def _twin(variant: str, dual: bool):
    from benchtui.sim.twin.mcu import Stm32Twin
    return Stm32Twin(variant, dual_bank=dual, time_scale=0.0, seed=11)


@pytest.mark.parametrize("variant, dual, target_type, family, dev_id, kb, numbers, bank2, wrp2, wrp1",
                         LAYOUTS, ids=IDS)
def test_layout_on_the_twin(variant, dual, target_type, family, dev_id, kb, numbers, bank2, wrp2, wrp1):
    twin = _twin(variant, dual)
    link = TargetLink(TargetConfig(probe_uid=register(twin), target_type=target_type))
    ident = link.connect()
    try:
        layout = link.layout()
        assert (ident.dev_id, ident.flash_kb, ident.family) == (dev_id, kb, family.name)
        assert ident.profile_mismatch is None
        assert layout.numbers == numbers and layout.dual_bank == (bank2 is not None)
        assert sum(s.size for s in layout) == kb * K
        # The memory map pyOCD programs with is the chip's: a region per run of equal sectors.
        regions = [r for r in link._target().memory_map.regions if r.is_flash]
        assert sum(r.length for r in regions) == kb * K
        assert {r.blocksize for r in regions} == {s.size for s in layout}
        # The twin's silicon and the family module agree sector for sector.
        silicon = [(s.number, 0x08000000 + s.offset, s.size, s.snb, s.wrp_bit, s.bank)
                   for s in twin.flash.sectors()]
        assert silicon == [(s.number, s.start, s.size, s.snb, s.wrp_bit, s.bank) for s in layout]
        assert layout.get(1).wrp_bit == wrp1

        if bank2 is None:   # an image over the sector 0/1 boundary
            start, size = layout.get(1).start - 8 * K, 24 * K
        else:               # an image that spans both banks
            start, size = bank2 - 16 * K, 40 * K
        data = random.Random(kb).randbytes(size)
        image = FirmwareImage(((start, data),), f"{variant}.bin")
        covered = link.sectors_for(image)
        assert covered == [s.number for s in layout.covering(start, start + size)]
        if bank2 is not None:
            assert covered[0] < 12 <= covered[1] and layout.get(12).start == bank2
        link.erase(covered)
        # The twin erased exactly the sectors named (by their RM number), once each.
        assert dict(twin.flash.erase_counts) == {n: 1 for n in covered}
        link.program(image)
        assert link.verify(image).ok
        assert dict(twin.flash.erase_counts) == {n: 1 for n in covered}   # program did not erase again

        # nWRP per sector: protect the last covered sector; erasing it names it.
        last = covered[-1]
        ob = link.write_option_bytes(link.read_option_bytes().with_protection([last]), confirm=True)
        assert last in ob.protected_sectors()
        assert ob.wrp_mask() >> layout.get(last).wrp_bit & 1 == 0
        if bank2 is not None:
            assert layout.get(last).wrp_bit >= wrp2
        with pytest.raises(WriteProtected, match=f"sector {last} is write-protected"):
            link.erase([last])
        assert twin.flash.erase_counts[last] == 1
        link.remove_write_protection()
        link.erase([last])
    finally:
        link.disconnect()


def test_the_console_sector_map_names_sectors_as_rm0410_does() -> None:
    from benchtui.devices.mcu.stm32f7 import factory
    from benchtui.tui.panels.target import sector_map
    from benchtui.tui.state import loop_option_bytes

    ob = factory(1024).replace(ndbank=0).with_protection([13])
    text = str(sector_map(ob))
    assert text.split()[:10] == ["WRP", "B1", "0", "1", "2", "3", "4", "5", "6", "7"]
    assert "B2 12 13 14 15 16 17 18 19" in text and "2 of 16 sectors write-protected" in text

    class Ident:   # what the loop's identity step knows about an F4 chip
        family, dev_id, flash_kb = "STM32F4", 0x419, 2048
    f4 = loop_option_bytes({"optcr": "0x0FFFAAED", "optcr1": "0x0FFE0000"}, Ident())
    assert f4.protected_sectors() == [12] and f4.layout().dual_bank
