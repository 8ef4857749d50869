"""pyOCD target types whose memory map comes from the chip, not from a guess.

Every MCU family (devices/mcu/) gets a chip-mapped pyOCD target type, `benchtui_<family>`
(`benchtui_stm32f7`, `benchtui_stm32h7`, ...). It connects the way pyOCD's STM32F767 and
STM32H743 targets do (under reset: vector catch and DBGMCU set up through a minimal MEM-AP, then
release). Before pyOCD creates its flash objects (`post_connect_hook` runs before
`create_flash`) it reads DBGMCU IDCODE, the flash-size word and the option registers, asks the
family module for the layout, and builds the memory map from it: one flash region per run of
equal sectors, in the bank mode the option bytes select, numbered as the reference manual
numbers them.

Erase goes through the flash controller's registers with the chip's own sector encoding
(`SectorEraseFlash`, the family's `erase`): pyOCD's algorithms compute sector numbers for the
map they were written for, so on a dual-bank F7 they erase the wrong sectors (measured on the
twin: 0x08004000 -> SNB 0). Programming uses pyOCD's algorithm of the family, whose
ProgramPage is address-based.

Each family's extra profile target types (e.g. `stm32f767zg`, the 1 MB STM32F767xG pyOCD lacks,
or `stm32l476rg`) are registered as chip-mapped types too, where pyOCD has no type of that
name, so stock pyOCD sessions given that name get the chip's map.
"""

from __future__ import annotations

import importlib
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from pyocd.core import exceptions
from pyocd.core.memory_map import FlashRegion, MemoryMap, RamRegion
from pyocd.coresight.coresight_target import CoreSightTarget
from pyocd.coresight.cortex_m import CortexM
from pyocd.coresight.minimal_mem_ap import MinimalMemAP
from pyocd.flash.flash import Flash
from pyocd.target import TARGET

from .mcu import families, family_for_dev_id
from .mcu.base import AlgoSource, FlashLayout, McuFamily
from .mcu.controller import ControllerError


class SectorEraseError(exceptions.FlashEraseFailure):
    """A register-level erase ended with error flags in FLASH_SR (kept in `sr`)."""

    def __init__(self, message: str, *, sr: int, address: int | None = None, sector: int | None = None):
        super().__init__(message, address=address, result_code=sr)
        self.sr = sr
        self.sector = sector


class ResetDuringOperation(exceptions.FlashFailure):
    """The chip was reset (NRST pulse, brown-out, watchdog) while a flash operation ran, leaving
    it incomplete: FLASH_CR came back locked, or the core's S_RESET_ST said so."""


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
    #: The option register words (the family's option_registers order).
    words: tuple[int, ...]
    layout: FlashLayout
    #: "chip" when the flash-size word was plausible, else "profile" (the hint was used).
    flash_kb_source: str = "chip"
    notes: list[str] = field(default_factory=list)
    #: Words that bus-faulted ("flash_size" -> "unreadable (bus fault at 0x1FF0F442)").
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def options(self) -> Any:
        return self.family.decode_options(self.dev_id, self.flash_kb, *self.words)


_hints: "weakref.WeakKeyDictionary[Any, ConnectHint]" = weakref.WeakKeyDictionary()


def set_connect_hint(session: Any, hint: ConnectHint | None) -> None:
    """Tell the target of `session` what to assume where the chip gives no answer."""
    if hint is None:
        _hints.pop(session, None)
    else:
        _hints[session] = hint


def _read_idcode(target: Any, family: McuFamily) -> tuple[McuFamily | None, int]:
    """(family the IDCODE names, IDCODE): the expected family's address first, then each other
    family's (the chip wins over the profile)."""
    first = None
    tried = set()
    for candidate in (family, *families()):
        if candidate.idcode_address in tried:
            continue
        tried.add(candidate.idcode_address)
        try:
            idcode = target.read32(candidate.idcode_address)
        except exceptions.TransferError:
            continue
        first = idcode if first is None else first
        found = family_for_dev_id(idcode & 0xFFF)
        if found is not None and found.idcode_address == candidate.idcode_address:
            return found, idcode
    return None, first or 0


def read_chip(target: Any, family: McuFamily, hint: ConnectHint | None) -> ChipInfo:
    """Identity, flash size and option registers, read through the target's AP."""
    notes: list[str] = []
    found, idcode = _read_idcode(target, family)
    dev_id, rev_id = idcode & 0xFFF, idcode >> 16
    if found is not None:
        family = found
    elif hint is not None:
        notes.append(f"DBGMCU IDCODE reads 0x{idcode:08X} (unknown part): assuming the profile's "
                     f"{hint.family.part_name(hint.dev_id)}")
        family, dev_id = hint.family, hint.dev_id
    else:
        notes.append(f"DBGMCU IDCODE reads 0x{idcode:08X} (unknown part): assuming {family.name}")
        dev_id = next(iter(family.parts))
    unreadable: dict[str, str] = {}
    try:
        kb = target.read16(family.flash_size_address)
    except exceptions.TransferFaultError as exc:   # no ACK, a lost probe: the connect fails
        kb = None
        at = exc.fault_address if exc.fault_address is not None else family.flash_size_address
        unreadable["flash_size"] = f"unreadable (bus fault at 0x{at:08X})"
    source = "chip"
    if kb is None or not family.plausible_flash_kb(dev_id, kb):
        fallback = hint.flash_kb if hint is not None and hint.family is family \
            else family.parts[dev_id].flash_sizes_kb[-1] if dev_id in family.parts else 1024
        shown = unreadable["flash_size"] if kb is None else f"reads 0x{kb:04X}"
        notes.append(f"flash-size word at 0x{family.flash_size_address:08X} {shown}: "
                     f"assuming {fallback} KB")
        kb, source = fallback, "profile"
    words = tuple(target.read32(a) if a is not None else 0 for a in family.option_registers(dev_id))
    ob = family.decode_options(dev_id, kb, *words)
    return ChipInfo(family, dev_id, rev_id, idcode, kb, words, ob.layout(), source, notes, unreadable)


def flash_algo(source: AlgoSource) -> dict:
    """The pyOCD FLASH_ALGO dict a family names, with its overrides applied."""
    algo = getattr(importlib.import_module(source.module), source.attribute)
    return dict(algo, **dict(source.overrides)) if source.overrides else algo


def memory_map_for(family: McuFamily, layout: FlashLayout, dev_id: int | None = None) -> MemoryMap:
    """pyOCD memory map: one flash region per run of equal-size sectors, then the RAM."""
    algo = flash_algo(family.algo_source(dev_id if dev_id is not None else next(iter(family.parts))))
    regions = []
    for start, size, count in layout.runs():
        regions.append(FlashRegion(start=start, length=size * count, sector_size=size,
                                   page_size=min(family.page_size, size), is_boot_memory=not regions,
                                   algo=algo, flash_class=SectorEraseFlash,
                                   erase_all_weight=family.erase_time_s(size) * count))
    ram_start, ram_size = family.ram
    return MemoryMap(*regions, RamRegion(start=ram_start, length=ram_size))


def register_erase(target: Any, chip: ChipInfo, sector: Any | None) -> None:
    """Erase one sector (or the whole chip: `sector` None) through the flash controller's
    registers, as the family's reference manual describes. Raises SectorEraseError with FLASH_SR
    when a flag is set, and ResetDuringOperation when the chip was reset meanwhile."""
    try:
        chip.family.erase(target, chip.layout, sector)
    except ControllerError as exc:
        if exc.reset:
            raise ResetDuringOperation(str(exc), address=exc.address) from None
        raise SectorEraseError(str(exc), sr=exc.sr if exc.sr is not None else 0, address=exc.address,
                               sector=exc.sector) from None


#: DHCSR and its status bits (ARMv7-M ARM C1.6.2): S_RESET_ST is sticky, "the core has been
#: reset since DHCSR was last read", and cleared by the read.
DHCSR, S_HALT, S_RESET_ST = 0xE000EDF0, 1 << 17, 1 << 25
#: Pause between two DHCSR polls while a flash-algorithm call runs (pyOCD polls with none). 0:
#: as pyOCD; benchmarks/flash.py measures the choice against the physics floor.
ALGO_POLL_S = 0.0


class SectorEraseFlash(Flash):
    """pyOCD's flash algorithm for programming; erase by the flash controller's registers with
    the chip's sector encoding (so pyOCD's own loader, FileProgrammer and `erase` erase the
    right sectors). A core reset while an algorithm call runs (NRST, brown-out, watchdog) is
    seen at the next DHCSR poll (S_RESET_ST) instead of after pyOCD's algorithm timeout. The
    erase needs no algorithm loaded, so it does not check pyOCD's private Flash._active_operation."""

    def wait_for_completion(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        read = self.target.read32
        while True:
            try:
                dhcsr = read(DHCSR)
            except (exceptions.TransferTimeoutError, exceptions.TransferFaultError):
                dhcsr = 0
            if dhcsr & S_RESET_ST:
                raise ResetDuringOperation("the core was reset while pyOCD's flash algorithm ran "
                                           "(DHCSR.S_RESET_ST): the operation is incomplete")
            if dhcsr & S_HALT:
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            if ALGO_POLL_S:
                time.sleep(ALGO_POLL_S)
        # Halted (or out of time): pyOCD's own checks (state, stack canary, result register).
        return super().wait_for_completion(timeout=0.001 if deadline is not None else timeout)

    def erase_sector(self, address: int) -> None:
        chip = self.target.chip
        sector = chip.layout.at(address)
        if sector is None or sector.start != address:
            raise exceptions.FlashEraseFailure(f"0x{address:08X} is not the start of a sector of "
                                               f"this chip ({chip.layout.describe()})", address=address)
        register_erase(self.target, chip, sector)

    def erase_all(self) -> None:
        register_erase(self.target, self.target.chip, None)


class ChipMappedTarget(CoreSightTarget):
    """A Cortex-M STM32 of `FAMILY`: connects under reset like pyOCD's STM32F767 / STM32H743
    targets; the memory map is built from the chip at connect."""

    VENDOR = "STMicroelectronics"
    FAMILY: McuFamily

    def __init__(self, session: Any) -> None:
        ram_start, ram_size = self.FAMILY.ram
        super().__init__(session, MemoryMap(RamRegion(start=ram_start, length=ram_size)))
        self.chip: ChipInfo | None = None

    def create_init_sequence(self) -> Any:
        seq = super().create_init_sequence()
        if self.session.options.get("connect_mode") in ("halt", "under-reset"):
            seq.insert_before("dp_init", ("assert_reset_for_connect", self._assert_reset_for_connect))
            seq.insert_after("dp_init", ("safe_reset_and_halt", self._safe_reset_and_halt))
        return seq

    def _assert_reset_for_connect(self) -> None:
        self.dp.assert_reset(1)

    def _safe_reset_and_halt(self) -> None:
        """Under reset, through a minimal MEM-AP: vector catch on reset, debug enabled, DBGMCU set
        so that low-power modes keep the debug clocks; then release reset (the core halts at
        its reset vector)."""
        ap = MinimalMemAP(self.dp)
        ap.init()
        demcr = ap.read32(CortexM.DEMCR)
        ap.write32(CortexM.DEMCR, CortexM.DEMCR_VC_CORERESET)
        ap.write32(CortexM.DHCSR, CortexM.DBGKEY | CortexM.C_DEBUGEN)
        address, value = self.FAMILY.dbgmcu_cr
        try:
            ap.write32(address, value)
        except exceptions.TransferError:
            pass   # another family's chip behind this type: read_chip says which
        self.dp.assert_reset(0)
        time.sleep(0.01)
        ap.write32(CortexM.DEMCR, demcr)

    def post_connect_hook(self) -> None:
        address, value = self.FAMILY.dbgmcu_cr
        self.chip = read_chip(self, self.FAMILY, _hints.get(self.session))
        if self.chip.family is not self.FAMILY:
            address, value = self.chip.family.dbgmcu_cr
        self.write32(address, value)
        self.memory_map = memory_map_for(self.chip.family, self.chip.layout, self.chip.dev_id)


def target_class(family: McuFamily) -> type:
    """The chip-mapped pyOCD target class of `family` (made once)."""
    cls = _classes.get(family.name)
    if cls is None:
        cls = type(f"{family.name.title().replace('32', '32')}ChipMapped", (ChipMappedTarget,),
                   {"FAMILY": family, "__doc__": f"{family.name}: memory map from the chip."})
        _classes[family.name] = cls
    return cls


_classes: dict[str, type] = {}


def register() -> None:
    """Add benchtui's target types to pyOCD (idempotent): `benchtui_<family>` for every family,
    and each family's own extra type names that pyOCD lacks."""
    for family in families():
        cls = target_class(family)
        TARGET.setdefault(family.pyocd_target_type, cls)
        for name in getattr(family, "extra_pyocd_types", ()):
            TARGET.setdefault(name, cls)


register()
