"""pyOCD target types whose memory map comes from the chip, not from a guess.

`benchtui_stm32f7` and `benchtui_stm32f4` connect like pyOCD's STM32F767 target (under reset:
DBGMCU set up through a minimal MEM-AP, vector catch, release). Before pyOCD creates its flash
objects (`post_connect_hook` runs before `create_flash`) they read DBGMCU IDCODE, the flash-size
word and FLASH_OPTCR/OPTCR1, ask the family module (`devices/mcu/`) for the layout, and build the
memory map from it: one flash region per run of equal sectors, 1 MB or 2 MB, single or dual
bank, bank 2 numbered from 12 as RM0410 / RM0090 number it.

Erase goes through the FLASH registers with the chip's own SNB encoding (`SectorEraseFlash`):
pyOCD's STM32F767 algorithm computes sector numbers for the single-bank map, so on a dual-bank
chip it erases the wrong sectors (measured on the twin: 0x08004000 -> SNB 0). Programming uses
pyOCD's algorithm, whose ProgramPage is address-based.

`stm32f767zg` (the 1 MB STM32F767xG pyOCD lacks) is registered as the F7 chip-mapped type too,
so stock pyOCD sessions given that name get the chip's map.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from pyocd.core import exceptions
from pyocd.core.memory_map import FlashRegion, MemoryMap, RamRegion
from pyocd.coresight.coresight_target import CoreSightTarget
from pyocd.flash.flash import Flash
from pyocd.target import TARGET
from pyocd.target.builtin.target_STM32F429xx import FLASH_ALGO as F4_ALGO
from pyocd.target.builtin.target_STM32F767xx import FLASH_ALGO as F7_ALGO, STM32F767xx

from .mcu import STM32F4, STM32F7, family_for_dev_id
from .mcu import base as mb
from .mcu.base import FlashLayout, McuFamily

#: pyOCD's F429 algorithm, without its on-target CRC analyzer (loaded over the second page
#: buffer in pyOCD's own table); smart flash compares by reading back instead.
F4_ALGO_NO_ANALYZER = dict(F4_ALGO, analyzer_supported=False)
#: Poll period while waiting for FLASH_SR.BSY (a sector erase takes 0.25-4 s on silicon).
BSY_POLL_S = 0.001


class SectorEraseError(exceptions.FlashEraseFailure):
    """A register-level erase ended with error flags in FLASH_SR (kept in `sr`)."""

    def __init__(self, message: str, *, sr: int, address: int | None = None, sector: int | None = None):
        super().__init__(message, address=address, result_code=sr)
        self.sr = sr
        self.sector = sector


class ResetDuringOperation(exceptions.FlashFailure):
    """FLASH_CR came back locked after an operation this code had unlocked: the chip was reset
    (NRST pulse, brown-out, watchdog) while the operation ran, leaving it incomplete."""


@dataclass
class ConnectHint:
    """What the profile's target type promises, used where the chip cannot say (a flash-size
    word that reads 0xFFFF, an IDCODE of 0)."""

    family: McuFamily
    dev_id: int
    flash_kb: int


@dataclass
class ChipInfo:
    """What the target read at connect and built its memory map from."""

    family: McuFamily
    dev_id: int
    rev_id: int
    idcode: int
    flash_kb: int
    optcr: int
    optcr1: int
    layout: FlashLayout
    #: "chip" when the flash-size word was plausible, else "profile" (the hint was used).
    flash_kb_source: str = "chip"
    notes: list[str] = field(default_factory=list)

    @property
    def options(self) -> Any:
        return self.family.decode_options(self.dev_id, self.flash_kb, self.optcr, self.optcr1)


_hints: "weakref.WeakKeyDictionary[Any, ConnectHint]" = weakref.WeakKeyDictionary()


def set_connect_hint(session: Any, hint: ConnectHint | None) -> None:
    """Tell the target of `session` what to assume where the chip gives no answer."""
    if hint is None:
        _hints.pop(session, None)
    else:
        _hints[session] = hint


def read_chip(target: Any, family: McuFamily, hint: ConnectHint | None) -> ChipInfo:
    """Identity, flash size and option registers, read through the target's AP."""
    notes: list[str] = []
    idcode = target.read32(mb.DBGMCU_IDCODE)
    dev_id, rev_id = idcode & 0xFFF, idcode >> 16
    found = family_for_dev_id(dev_id)
    if found is not None:
        family = found
    elif hint is not None:
        notes.append(f"DBGMCU IDCODE reads 0x{idcode:08X} (unknown part): assuming the profile's "
                     f"{hint.family.part_name(hint.dev_id)}")
        family, dev_id = hint.family, hint.dev_id
    else:
        notes.append(f"DBGMCU IDCODE reads 0x{idcode:08X} (unknown part): assuming {family.name}")
        dev_id = next(iter(family.parts))
    try:
        kb = target.read16(family.flash_size_address)
    except exceptions.TransferError:
        kb = None
    source = "chip"
    if kb is None or not family.plausible_flash_kb(dev_id, kb):
        fallback = hint.flash_kb if hint is not None and hint.family is family \
            else family.parts[dev_id].flash_sizes_kb[-1] if dev_id in family.parts else 1024
        shown = "unreadable" if kb is None else f"0x{kb:04X}"
        notes.append(f"flash-size word at 0x{family.flash_size_address:08X} reads {shown}: "
                     f"assuming {fallback} KB")
        kb, source = fallback, "profile"
    optcr_addr, optcr1_addr = family.option_registers(dev_id)
    optcr = target.read32(optcr_addr)
    optcr1 = target.read32(optcr1_addr) if optcr1_addr is not None else 0
    ob = family.decode_options(dev_id, kb, optcr, optcr1)
    return ChipInfo(family, dev_id, rev_id, idcode, kb, optcr, optcr1, ob.layout(), source, notes)


def memory_map_for(family: McuFamily, layout: FlashLayout) -> MemoryMap:
    """pyOCD memory map: one flash region per run of equal-size sectors, then the RAM."""
    algo = F4_ALGO_NO_ANALYZER if family is STM32F4 else F7_ALGO
    regions = []
    for start, size, count in layout.runs():
        regions.append(FlashRegion(start=start, length=size * count, sector_size=size,
                                   page_size=family.page_size, is_boot_memory=not regions,
                                   algo=algo, flash_class=SectorEraseFlash,
                                   erase_all_weight=family.erase_time_s(size) * count))
    ram_start, ram_size = family.ram
    return MemoryMap(*regions, RamRegion(start=ram_start, length=ram_size))


def _unlock(target: Any) -> None:
    if target.read32(mb.FLASH_CR) & mb.CR_LOCK:
        target.write32(mb.FLASH_KEYR, mb.KEY1)
        target.write32(mb.FLASH_KEYR, mb.KEY2)
        if target.read32(mb.FLASH_CR) & mb.CR_LOCK:
            raise exceptions.FlashEraseFailure("FLASH_CR stays locked after the key sequence "
                                               "(a wrong key locks it until reset)")


def register_erase(target: Any, chip: ChipInfo, sector: Any | None) -> None:
    """Erase one sector (or the whole chip: `sector` None) through the FLASH registers, as
    RM0410 / RM0090 describe: unlock, clear SR, CR = PSIZE | SER | SNB (or MER[|MER2]), STRT,
    wait for BSY. Raises SectorEraseError with FLASH_SR when a flag is set, and
    ResetDuringOperation when FLASH_CR comes back locked (the chip was reset meanwhile)."""
    family = chip.family
    if sector is None:
        cr = mb.CR_PSIZE_X32 | mb.CR_MER | (mb.CR_MER2 if chip.layout.dual_bank else 0)
        what, timeout_s, address, number = "mass erase", mb.MASS_ERASE_TIMEOUT_S, None, None
    else:
        cr = mb.CR_PSIZE_X32 | mb.CR_SER | sector.snb << mb.CR_SNB_SHIFT
        what, timeout_s = f"sector {sector.number} erase", mb.SECTOR_ERASE_TIMEOUT_S
        address, number = sector.start, sector.number
    _unlock(target)
    target.write32(mb.FLASH_SR, family.sr_errors)      # clear stale flags (write 1)
    target.write32(mb.FLASH_CR, cr)
    target.write32(mb.FLASH_CR, cr | mb.CR_STRT)
    deadline = time.monotonic() + timeout_s
    while True:
        sr = target.read32(mb.FLASH_SR)
        if not sr & mb.SR_BSY:
            break
        if time.monotonic() > deadline:
            raise SectorEraseError(f"{what}: FLASH_SR.BSY still set after {timeout_s:.0f} s",
                                   sr=sr, address=address, sector=number)
        time.sleep(BSY_POLL_S)
    if target.read32(mb.FLASH_CR) & mb.CR_LOCK:
        raise ResetDuringOperation(f"{what}: the chip was reset during the operation "
                                   f"(FLASH_CR locked again, FLASH_SR=0x{sr:08X})", address=address)
    target.write32(mb.FLASH_CR, 0)
    if sr & family.sr_errors:
        raise SectorEraseError(f"{what}: {family.describe_sr(sr)}", sr=sr, address=address, sector=number)


class SectorEraseFlash(Flash):
    """pyOCD's flash algorithm for programming; erase by FLASH registers with the chip's SNB
    (so pyOCD's own loader, FileProgrammer and `erase` erase the right sectors). The erase needs
    no algorithm loaded, so it does not check pyOCD's private Flash._active_operation."""

    def erase_sector(self, address: int) -> None:
        chip = self.target.chip
        sector = chip.layout.at(address)
        if sector is None or sector.start != address:
            raise exceptions.FlashEraseFailure(f"0x{address:08X} is not the start of a sector of "
                                               f"this chip ({chip.layout.describe()})", address=address)
        register_erase(self.target, chip, sector)

    def erase_all(self) -> None:
        register_erase(self.target, self.target.chip, None)


class _ChipMapped(STM32F767xx):
    """Connects like pyOCD's STM32F767 target; the memory map is built from the chip."""

    FAMILY: McuFamily = STM32F7

    def __init__(self, session: Any) -> None:
        ram_start, ram_size = self.FAMILY.ram
        CoreSightTarget.__init__(self, session, MemoryMap(RamRegion(start=ram_start, length=ram_size)))
        self.chip: ChipInfo | None = None

    def post_connect_hook(self) -> None:
        self.write32(0xE0042004, 0x7)   # DBGMCU_CR: debug in Sleep/Stop/Standby (as pyOCD's F767)
        self.chip = read_chip(self, self.FAMILY, _hints.get(self.session))
        self.memory_map = memory_map_for(self.chip.family, self.chip.layout)


class Stm32F7ChipMapped(_ChipMapped):
    FAMILY = STM32F7


class Stm32F4ChipMapped(_ChipMapped):
    FAMILY = STM32F4


def register() -> None:
    """Add benchtui's target types to pyOCD (idempotent)."""
    TARGET.setdefault(STM32F7.pyocd_target_type, Stm32F7ChipMapped)
    TARGET.setdefault(STM32F4.pyocd_target_type, Stm32F4ChipMapped)
    TARGET.setdefault("stm32f767zg", Stm32F7ChipMapped)


register()
