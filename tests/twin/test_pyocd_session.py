"""Stock pyOCD, in-process through the probe plugin, against the twin."""

from __future__ import annotations

import random

import pytest
from intelhex import IntelHex
from pyocd.core import exceptions
from pyocd.core.helpers import ConnectHelper
from pyocd.flash.file_programmer import FileProgrammer

from benchtui.sim.twin.flash import WRPERR

from .conftest import open_session

FLASH_SR, FLASH_CR, FLASH_KEYR, FLASH_OPTKEYR, FLASH_OPTCR = (
    0x40023C0C, 0x40023C10, 0x40023C04, 0x40023C08, 0x40023C14)


def unlock_options(target):
    target.write32(FLASH_OPTKEYR, 0x08192A3B)
    target.write32(FLASH_OPTKEYR, 0x4C5D6E7F)
    assert target.read32(FLASH_OPTCR) & 1 == 0


def write_options(target, optcr):
    """The OpenOCD/HAL sequence: unlock, write OPTCR, set OPTSTRT, wait BSY, lock."""
    unlock_options(target)
    target.write32(FLASH_OPTCR, optcr & ~3)
    target.write32(FLASH_OPTCR, (optcr & ~3) | 2)
    while target.read32(FLASH_SR) & (1 << 16):
        pass
    target.write32(FLASH_OPTCR, target.read32(FLASH_OPTCR) | 1)


def test_plugin_lists_the_twin_with_its_identity(uid):
    probes = ConnectHelper.get_all_connected_probes(blocking=False, unique_id=uid)
    assert [p.unique_id for p in probes] == [uid]
    assert probes[0].vendor_name == "benchtui"
    assert probes[0].product_name == "STM32F767ZI twin"


def test_connect_under_reset_reads_identity(uid, tmp_path):
    with open_session(uid, tmp_path) as session:
        target = session.target
        assert target.dp.dpidr.idr == 0x5BA02477
        assert target.read32(0xE000ED00) == 0x411FC270
        assert target.read32(0xE0042000) == 0x10016451
        assert target.read32(FLASH_OPTCR) == 0xFFFFAAFD
        assert target.read32(0x40023C18) == 0x00400080
        assert target.read16(0x1FF0F442) == 0x0800
        assert target.is_halted()


@pytest.mark.slow
def test_file_programmer_700k_hex_reads_back(uid, tmp_path):
    data = random.Random(7).randbytes(700 * 1024)
    ih = IntelHex()
    ih.frombytes(data, offset=0x08000000)
    hex_path = tmp_path / "image.hex"
    ih.write_hex_file(str(hex_path))
    with open_session(uid, tmp_path) as session:
        FileProgrammer(session).program(str(hex_path))
        readback = bytes(session.target.read_memory_block8(0x08000000, len(data)))
        after = bytes(session.target.read_memory_block8(0x08000000 + len(data), 256))
    assert readback == data
    assert after == b"\xff" * 256


def test_write_protected_sector_erase_fails_with_wrperr(twin, uid, tmp_path):
    twin.nv.flash[0x8000:0x8010] = b"\x12" * 16
    with open_session(uid, tmp_path) as session:
        target = session.target
        optcr = target.read32(FLASH_OPTCR) & ~(1 << (16 + 1))   # nWRP1 = 0
        write_options(target, optcr)
        assert twin.nv.optcr >> 16 & 0xFFF == 0xFFD
        flash = target.memory_map.get_region_for_address(0x08008000).flash
        with pytest.raises(exceptions.FlashEraseFailure):
            flash.init(flash.Operation.ERASE)
            flash.erase_sector(0x08008000)
        # pyOCD's algorithm clears SR before returning its error: repeat the erase by hand.
        target.write32(FLASH_KEYR, 0x45670123)
        target.write32(FLASH_KEYR, 0xCDEF89AB)
        target.write32(FLASH_CR, (2 << 8) | (1 << 3) | 2)
        target.write32(FLASH_CR, (2 << 8) | (1 << 3) | 2 | (1 << 16))
        assert target.read32(FLASH_SR) & WRPERR
        assert bytes(target.read_memory_block8(0x08008000, 4)) == b"\x12" * 4


def test_rdp1_bus_faults_reads_and_rdp0_mass_erases(twin, uid, tmp_path):
    twin.nv.flash[0:8] = bytes(range(8))
    with open_session(uid, tmp_path) as session:
        target = session.target
        write_options(target, (target.read32(FLASH_OPTCR) & ~0xFF00) | 0x5500)
        target.reset_and_halt()
        with pytest.raises(exceptions.TransferFaultError) as info:
            target.read32(0x08000000)
        assert info.value.fault_address == 0x08000000
        assert target.read32(FLASH_OPTCR) >> 8 & 0xFF == 0x55
        write_options(target, (target.read32(FLASH_OPTCR) & ~0xFF00) | 0xAA00)
        target.reset_and_halt()
        assert target.read32(0x08000000) == 0xFFFFFFFF
    assert twin.nv.flash == b"\xff" * len(twin.nv.flash)


def test_wrong_key_locks_flash_until_reset(uid, tmp_path):
    with open_session(uid, tmp_path) as session:
        target = session.target
        target.write32(FLASH_KEYR, 0x12345678)
        target.write32(FLASH_KEYR, 0x45670123)
        target.write32(FLASH_KEYR, 0xCDEF89AB)
        assert target.read32(FLASH_CR) & (1 << 31)
        target.reset_and_halt()
        target.write32(FLASH_KEYR, 0x45670123)
        target.write32(FLASH_KEYR, 0xCDEF89AB)
        assert target.read32(FLASH_CR) & (1 << 31) == 0
