"""Option-byte decoding, sector layouts and FLASH_SR decoding (pure, no probe)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from benchtui.devices.mcu import stm32f7 as f7
from benchtui.devices.mcu.stm32f7 import OptionBytes, decode_sr, sector_layout


def test_factory_values_decode_to_documented_defaults() -> None:
    ob = OptionBytes.decode(0xFFFFAAFD, 0x00400080)
    assert ob.rdp == 0xAA and ob.rdp_level == 0
    assert ob.bor_lev == 0b11 and ob.bor_level == 0
    assert (ob.wwdg_sw, ob.iwdg_sw, ob.nrst_stop, ob.nrst_stdby) == (1, 1, 1, 1)
    assert (ob.ndboot, ob.ndbank, ob.iwdg_stdby, ob.iwdg_stop) == (1, 1, 1, 1)
    assert ob.nwrp == 0xFFF and ob.protected_sectors() == []
    assert ob.boot_address(0) == 0x00200000 and ob.boot_address(1) == 0x00100000
    assert ob.differences_from_factory() == []
    assert ob == f7.FACTORY


def test_encode_of_factory_gives_factory_registers() -> None:
    assert f7.FACTORY.encode() == (0xFFFFAAFD, 0x00400080)


@given(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF))
def test_decode_encode_round_trip_keeps_every_option_bit(optcr: int, optcr1: int) -> None:
    ob = OptionBytes.decode(optcr, optcr1)
    out_cr, out_cr1 = ob.encode()
    assert out_cr & ~0x3 == optcr & ~0x3  # OPTLOCK/OPTSTRT are control bits, not option bytes
    assert out_cr1 == optcr1
    assert OptionBytes.decode(out_cr, out_cr1) == ob


@pytest.mark.parametrize("byte, level", [(0xAA, 0), (0xCC, 2), (0x55, 1), (0xFF, 1), (0x00, 1)])
def test_rdp_level_from_raw_byte(byte: int, level: int) -> None:
    ob = OptionBytes.decode((0xFFFF00FD) | byte << 8, 0x00400080)
    assert ob.rdp == byte and ob.rdp_level == level


@pytest.mark.parametrize("bits, level", [(0b00, 3), (0b01, 2), (0b10, 1), (0b11, 0)])
def test_bor_level_meaning(bits: int, level: int) -> None:
    ob = f7.FACTORY.replace(bor_lev=bits)
    assert ob.bor_level == level
    assert f7.BOR_LEVEL_TO_BITS[level] == bits


def test_seed_failure_image_all_sectors_protected() -> None:
    ob = OptionBytes.decode(0xF000AAFD, 0x00400080)
    assert ob.protected_sectors() == list(range(8))
    assert ob.differences_from_factory() == [("nWRP", 0x000, 0xFFF)]


def test_protection_follows_dual_bank_pairs_on_2mb() -> None:
    ob = f7.factory(2048).replace(ndbank=0).with_protection([5])
    # dual bank: one nWRP bit protects sectors 2i and 2i+1
    assert ob.protected_sectors() == [4, 5]
    assert ob.nwrp == 0xFFF & ~(1 << 2)


def test_protecting_a_missing_sector_names_it() -> None:
    with pytest.raises(ValueError, match="sector 8 does not exist"):
        f7.FACTORY.with_protection([8])


def test_verification_errors_read_like_cubeprogrammer() -> None:
    expected = f7.FACTORY.replace(iwdg_stop=0)
    assert f7.verification_errors(expected, f7.FACTORY) == [
        'Expected value for Option Byte "IWDG_STOP": 0x0, found: 0x1']


def test_out_of_range_field_is_refused() -> None:
    with pytest.raises(ValueError, match="BOOT_ADD0"):
        f7.FACTORY.replace(boot_add0=0x10000)


def test_describe_names_every_field_with_meaning() -> None:
    rows = dict((name, (value, meaning)) for name, value, meaning in
                f7.FACTORY.with_protection([1, 3]).describe())
    assert rows["RDP"] == ("0xAA", "level 0, no protection")
    assert rows["nWRP"][1] == "write-protected sectors: 1, 3"
    assert rows["BOOT_ADD0"][1] == "flash via ITCM 0x00200000"
    assert len(rows) == 13


@pytest.mark.parametrize("kb, dual, count, last_start, last_size, numbers", [
    (1024, False, 8, 0x080C0000, 256 * 1024, list(range(8))),
    (2048, False, 12, 0x081C0000, 256 * 1024, list(range(12))),
    (2048, True, 24, 0x081E0000, 128 * 1024, list(range(24))),
    # RM0410 numbers bank 2 from 12 whatever the size of bank 1: 0-7 and 12-19 on 1 MB
    (1024, True, 16, 0x080E0000, 128 * 1024, list(range(8)) + list(range(12, 20))),
])
def test_sector_layouts_cover_flash_without_gaps(kb, dual, count, last_start, last_size, numbers) -> None:
    layout = sector_layout(kb, dual)
    assert len(layout) == count
    assert sum(s.size for s in layout) == kb * 1024
    assert layout[-1].start == last_start and layout[-1].size == last_size
    for a, b in zip(layout, layout[1:]):
        assert a.end == b.start
    assert [s.number for s in layout] == numbers


def test_bank2_snb_encoding() -> None:
    layout = sector_layout(2048, True)
    assert [s.snb for s in layout[12:14]] == [0x10, 0x11]
    assert layout[12].start == 0x08100000
    assert sector_layout(1024, True)[8].start == f7.BANK2_BASE_1MB


def test_unknown_flash_size_is_refused() -> None:
    with pytest.raises(ValueError, match="512 KB"):
        sector_layout(512, False)


def test_sectors_covering_an_image_range() -> None:
    layout = sector_layout(1024, False)
    # 688.88 KB from 0x08000000 ends inside sector 6 (0x08080000..0x080BFFFF)
    assert f7.sectors_covering(layout, 0x08000000, 0x08000000 + 705_413) == [0, 1, 2, 3, 4, 5, 6]
    assert f7.sectors_covering(layout, 0x08008000, 0x08008001) == [1]


def test_decode_sr_names_flags_in_bit_order() -> None:
    assert decode_sr(0) == ()
    assert decode_sr(0x000100F2) == ("OPERR", "WRPERR", "PGAERR", "PGPERR", "ERSERR", "BSY")
    assert decode_sr(f7.SR_WRPERR | f7.SR_EOP) == ("EOP", "WRPERR")


def test_describe_sr_explains_wrperr() -> None:
    text = f7.describe_sr(0x10)
    assert text.startswith("FLASH_SR=0x00000010: WRPERR") and "write-protect" in text
