"""A firmware file that is not whole is an error, never half an image flashed and "verified"."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from benchtui.devices.firmware import load_firmware
from benchtui.errors import FirmwareError
from benchtui.profile import AddressAlias
from benchtui.sim.firmware import write_test_hex

FLASH = [(0x08000000, 0x08100000)]
ITCM = [AddressAlias(start=0x00200000, target=0x08000000, size=0x00100000)]  # the test image's link


def test_a_hex_file_without_its_end_of_file_record_is_an_error(tmp_path: Path) -> None:
    whole = write_test_hex(tmp_path / "whole.hex", size=4096)
    lines = whole.read_text().splitlines()
    assert lines[-1] == ":00000001FF"
    assert load_firmware(whole, aliases=ITCM, flash=FLASH).size == 4096
    cut = tmp_path / "cut.hex"
    cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # cut at a line boundary
    with pytest.raises(FirmwareError) as info:
        load_firmware(cut, aliases=ITCM, flash=FLASH)
    assert str(info.value).startswith(f"{cut}: the hex file has no end-of-file record")
    assert "\n" not in info.value.one_line()


def test_a_hex_file_cut_inside_a_record_is_an_error(tmp_path: Path) -> None:
    text = write_test_hex(tmp_path / "whole.hex", size=4096).read_text()
    cut = tmp_path / "cut.hex"
    cut.write_text(text[: len(text) // 2 + 7])
    with pytest.raises(FirmwareError, match=r"cut\.hex: not a valid hex file"):
        load_firmware(cut, flash=FLASH)


def _elf(path: Path, data: bytes, claimed: int) -> Path:
    """A 32-bit ARM ELF with one PT_LOAD segment that claims `claimed` bytes of file data."""
    ehsize, phsize = 52, 32
    offset = ehsize + phsize
    phdr = struct.pack("<IIIIIIII", 1, offset, 0x08000000, 0x08000000, claimed, claimed, 5, 4)
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, 0x08000001, ehsize, 0, 0x05000000,
                                 ehsize, phsize, 1, 40, 0, 0)
    path.write_bytes(header + phdr + data)
    return path


def test_an_elf_whose_segment_runs_past_the_file_is_an_error(tmp_path: Path) -> None:
    good = _elf(tmp_path / "good.elf", b"\xAB" * 256, 256)
    assert load_firmware(good, flash=FLASH).size == 256
    short = _elf(tmp_path / "short.elf", b"\xAB" * 100, 256)  # the file was cut after 100 bytes
    with pytest.raises(FirmwareError) as info:
        load_firmware(short, flash=FLASH)
    assert "short.elf: ELF segment 0 (0x08000000, 256 bytes at file offset 84) runs past the end" \
        in str(info.value)


def test_an_unreadable_firmware_file_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "fw.hex"
    folder.mkdir()
    with pytest.raises(FirmwareError, match="no such firmware file"):
        load_firmware(folder, flash=FLASH)
    binary = tmp_path / "noise.hex"
    binary.write_bytes(b"\x00\xff" * 100)
    with pytest.raises(FirmwareError, match="noise.hex: "):
        load_firmware(binary, flash=FLASH)
