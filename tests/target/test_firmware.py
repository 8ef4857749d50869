"""Firmware files: hex / elf / bin, address aliases, and the flash-range check."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from intelhex import IntelHex

from benchtui.devices.firmware import load_firmware
from benchtui.errors import FirmwareError
from benchtui.profile import AddressAlias

ITCM = AddressAlias(start=0x00200000, target=0x08000000, size=0x00100000)
FLASH_1MB = [(0x08000000, 0x08100000)]


def _hex(path: Path, chunks: dict[int, bytes]) -> Path:
    ih = IntelHex()
    for addr, data in chunks.items():
        ih.frombytes(data, offset=addr)
    ih.write_hex_file(str(path))
    return path


def test_hex_at_itcm_alias_lands_in_axim_flash(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    img = load_firmware(_hex(tmp_path / "fw.hex", {0x00200000: data}), aliases=[ITCM], flash=FLASH_1MB)
    assert img.segments == ((0x08000000, data),)
    assert img.size == len(data) and img.start == 0x08000000 and img.end == 0x08000000 + len(data)
    assert img.path.endswith("fw.hex")


def test_gaps_stay_separate_segments(tmp_path: Path) -> None:
    img = load_firmware(_hex(tmp_path / "g.hex", {0x08000000: b"\x01" * 16, 0x08010000: b"\x02" * 8}),
                        flash=FLASH_1MB)
    assert img.ranges() == [(0x08000000, 0x08000010), (0x08010000, 0x08010008)]
    assert img.size == 24


def test_hex_outside_flash_names_file_and_first_address(tmp_path: Path) -> None:
    path = _hex(tmp_path / "big.hex", {0x080FFFF0: b"\xAA" * 32})
    with pytest.raises(FirmwareError) as info:
        load_firmware(path, flash=FLASH_1MB)
    assert "big.hex" in str(info.value) and "0x08100000" in str(info.value)


def test_itcm_hex_without_alias_gets_a_hint(tmp_path: Path) -> None:
    path = _hex(tmp_path / "itcm.hex", {0x00200000: b"\x00" * 4})
    with pytest.raises(FirmwareError) as info:
        load_firmware(path, flash=FLASH_1MB)
    assert "0x00200000" in str(info.value) and "aliases" in info.value.one_line()


def test_bin_goes_to_base_address(tmp_path: Path) -> None:
    path = tmp_path / "fw.bin"
    path.write_bytes(b"\x11\x22\x33")
    assert load_firmware(path, flash=FLASH_1MB).segments == ((0x08000000, b"\x11\x22\x33"),)
    assert load_firmware(path, flash=FLASH_1MB, base_address=0x08020000).start == 0x08020000


def _elf(path: Path, segments: list[tuple[int, int, bytes]]) -> Path:
    """A minimal 32-bit little-endian ARM ELF with PT_LOAD segments (vaddr, paddr, data)."""
    ehsize, phsize = 52, 32
    offset = ehsize + phsize * len(segments)
    phdrs, blobs = b"", b""
    for vaddr, paddr, data in segments:
        phdrs += struct.pack("<IIIIIIII", 1, offset + len(blobs), vaddr, paddr, len(data), len(data), 5, 4)
        blobs += data
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, 0x08000001, ehsize, 0, 0x05000000,
                                 ehsize, phsize, len(segments), 40, 0, 0)
    path.write_bytes(header + phdrs + blobs)
    return path


def test_elf_uses_load_addresses(tmp_path: Path) -> None:
    # .data: runs from RAM (vaddr) but is stored in flash (paddr)
    path = _elf(tmp_path / "fw.elf", [(0x08000000, 0x08000000, b"\xAB" * 64),
                                      (0x20000000, 0x08000040, b"\xCD" * 16)])
    img = load_firmware(path, flash=FLASH_1MB)
    assert img.segments == ((0x08000000, b"\xAB" * 64 + b"\xCD" * 16),)


def test_missing_file_and_unknown_format_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(FirmwareError, match="no such firmware file"):
        load_firmware(tmp_path / "nope.hex")
    (tmp_path / "fw.s19").write_text("S0")
    with pytest.raises(FirmwareError, match="unknown firmware format"):
        load_firmware(tmp_path / "fw.s19")


def test_corrupt_hex_is_a_firmware_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.hex"
    path.write_text(":10000000ZZ\n")
    with pytest.raises(FirmwareError, match="bad.hex: not a valid hex file"):
        load_firmware(path)


def test_alias_boundary_splits_a_segment(tmp_path: Path) -> None:
    small = AddressAlias(start=0x00200000, target=0x08000000, size=0x10)
    path = _hex(tmp_path / "s.hex", {0x001FFFF8: b"\x01" * 8 + b"\x02" * 16 + b"\x03" * 8})
    img = load_firmware(path, aliases=[small])
    assert img.ranges() == [(0x001FFFF8, 0x00200000), (0x00200010, 0x00200018), (0x08000000, 0x08000010)]


def test_a_rebuilt_file_is_read_again_even_at_the_same_size_and_instant(tmp_path: Path) -> None:
    """Parsed files are kept (intelhex is slow), but by content: a rebuild is never missed."""
    path = tmp_path / "fw.hex"
    first = load_firmware(_hex(path, {0x08000000: b"\x11" * 64}), flash=FLASH_1MB)
    again = load_firmware(path, flash=FLASH_1MB)
    assert again.segments == first.segments
    _hex(path, {0x08000000: b"\x22" * 64})  # same size, written within the same clock tick
    rebuilt = load_firmware(path, flash=FLASH_1MB)
    assert rebuilt.segments == ((0x08000000, b"\x22" * 64),)
    # the flash check applies to every load, cached parse or not
    with pytest.raises(FirmwareError, match="0x08000000"):
        load_firmware(path, flash=[(0x08100000, 0x08200000)])
