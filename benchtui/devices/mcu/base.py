"""The interface every MCU family module implements, and the data it speaks in.

A family module (`stm32f7`, `stm32f4`, `stm32h7`, `stm32l4`, ...) knows, for its parts: the
identity by DBGMCU IDCODE, where the unique ID, flash-size word and package word are, the flash
layouts that follow from the flash size and the option bits (single/dual bank), the sector
numbers the reference manual and STM32CubeProgrammer use, the write-protection of every sector,
the option bytes (decode/encode/meaning/factory values, stored complements), the FLASH_SR flags,
and the register sequences of its flash controller (erase, option-byte programming) spoken to a
`controller.Bus`. No pyOCD here; the only I/O is the `Bus` a caller hands in.
A family registers itself with `registry.register_family`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable

# What a family module builds on, importable from here as before the split:
from .layout import FlashLayout, Sector, format_sectors, make_bank, parse_sectors  # noqa: F401
from .option_bytes import (ComplementCheck, OptionBytesBase, OptionField, change_lines,  # noqa: F401
                           decode_flags, describe_flags, verification_errors)
from .controller import Bus, ControllerError  # noqa: F401
from .registers import *  # noqa: F401,F403 - the FLASH registers, keys and bits
from .registers import CPUID, DBGMCU_IDCODE, FLASH_OPTCR, FLASH_OPTCR1


# ---------------------------------------------------------------------------------------------
# The family interface
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlgoSource:
    """A pyOCD flash algorithm by module and attribute (resolved by devices/pyocd_targets.py, so
    that this package never imports pyOCD), with keys to override in its dict."""

    module: str
    attribute: str = "FLASH_ALGO"
    overrides: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Part:
    """One line of a family's part table (by DBGMCU DEV_ID)."""

    dev_id: int
    name: str
    flash_sizes_kb: tuple[int, ...]
    #: Option fields this part does not have (e.g. DB1M on an F407).
    missing_fields: tuple[str, ...] = ()
    has_optcr1: bool = True


class McuFamily(ABC):
    """What benchtui knows about one MCU family. One instance per family module."""

    name: str
    parts: dict[int, Part]
    rev_names: dict[int, str]
    uid_address: int
    flash_size_address: int
    #: Package word address, or None where the part has none (then the package is unknown).
    package_address: int | None
    #: pyOCD target type benchtui connects with (its memory map is built from the chip).
    pyocd_target_type: str
    #: Profile target types of this family -> (dev_id, flash KB) they promise.
    target_types: dict[str, tuple[int, int]]
    sr_flags: dict[str, tuple[int, str]]
    sr_errors: int
    option_bytes_class: type
    flash_base: int = 0x08000000
    #: pyOCD flash algorithm (dict) and its page size, for programming.
    page_size: int = 0x400
    ram: tuple[int, int] = (0x20000000, 0x20000)
    #: Where DBGMCU IDCODE reads on this family's system bus (AP0).
    idcode_address: int = DBGMCU_IDCODE
    cpuid_address: int = CPUID
    #: (DBGMCU_CR address, value) written at connect: debug in Sleep/Stop/Standby.
    dbgmcu_cr: tuple[int, int] = (0xE0042004, 0x7)
    #: The FLASH_SR bit of a write-protection error.
    sr_wrperr: int = 1 << 4
    #: Written option bytes act only after a reset (option-byte load): the link reconnects.
    options_load_at_reset: bool = False
    #: Profile target types pyOCD has no type for, served by this family's chip-mapped type.
    extra_pyocd_types: tuple[str, ...] = ()

    # -- identity ---------------------------------------------------------------------------
    def part(self, dev_id: int) -> Part | None:
        return self.parts.get(dev_id)

    def part_name(self, dev_id: int) -> str:
        part = self.parts.get(dev_id)
        return part.name if part else f"unknown {self.name} part 0x{dev_id:03X}"

    def revision(self, rev_id: int) -> str:
        return self.rev_names.get(rev_id, f"0x{rev_id:04X}")

    def plausible_flash_kb(self, dev_id: int, kb: int) -> bool:
        part = self.parts.get(dev_id)
        return part is not None and kb in part.flash_sizes_kb

    @abstractmethod
    def package_name(self, word: int | None) -> str | None:
        """The package named by the package word (None = unknown)."""

    # -- flash --------------------------------------------------------------------------------
    @abstractmethod
    def layout(self, dev_id: int, flash_kb: int, ob: OptionBytesBase | None) -> FlashLayout:
        """The sectors of a part of `flash_kb` in the bank mode the option bytes select."""

    def decode_sr(self, sr: int) -> tuple[str, ...]:
        return decode_flags(self.sr_flags, sr)

    def describe_sr(self, sr: int) -> str:
        return describe_flags(self.sr_flags, sr)

    def erase_time_s(self, size: int) -> float:
        """Typical time of one sector erase of `size` bytes (for progress, not for timeouts)."""
        return 1.0

    @abstractmethod
    def sr_address(self, sector: Sector | None = None) -> int:
        """The FLASH_SR that reports on `sector` (its bank's; None: bank 1)."""

    @abstractmethod
    def erase(self, bus: Bus, layout: FlashLayout, sector: Sector | None) -> None:
        """Erase one sector (or the whole chip: None) by register sequence; ControllerError."""

    @abstractmethod
    def algo_source(self, dev_id: int) -> "AlgoSource":
        """Where the pyOCD flash algorithm that programs this part lives."""

    # -- option bytes --------------------------------------------------------------------------
    def decode_options(self, dev_id: int, flash_kb: int, *words: int) -> Any:
        """The option bytes from the register words of `option_registers` (in that order)."""
        part = self.parts.get(dev_id)
        if part is not None and not part.has_optcr1 and len(words) > 1:
            words = (words[0], 0, *words[2:])
        return self.option_bytes_class.decode(*words, flash_kb=flash_kb, dev_id=dev_id)

    def read_options(self, read32: Callable[[int], int], dev_id: int, flash_kb: int) -> Any:
        """Read the option registers through `read32` and decode them."""
        words = [read32(a) if a is not None else 0 for a in self.option_registers(dev_id)]
        return self.decode_options(dev_id, flash_kb, *words)

    @abstractmethod
    def program_options(self, bus: Bus, new: Any, regression: bool) -> None:
        """Program `new` (unlock, write, start, wait, relock); ControllerError on a failure.
        `regression`: RDP 1 -> 0, which mass-erases first (a longer wait)."""

    @abstractmethod
    def factory(self, dev_id: int, flash_kb: int) -> Any:
        """The factory option bytes of a part."""

    @abstractmethod
    def complement_words(self) -> list[tuple[int, str]]:
        """[(address, what)] of stored option words that carry their complement ([] if none)."""

    def check_complements(self, read32: Callable[[int], int | None],
                          unreadable: Callable[[int], str | None] = lambda addr: None) -> list[ComplementCheck]:
        """Each stored option word, read with `read32` (None: unreadable, `unreadable(addr)`
        says why)."""
        checks = []
        for addr, what in self.complement_words():
            value = read32(addr)
            checks.append(ComplementCheck(addr, value, what, None if value is not None else
                                          unreadable(addr) or "unreadable"))
        return checks

    #: (FLASH_CR address, LOCK bit): locked again after a reset (the flash algorithm unlocks it).
    cr_lock: tuple[int, int] = (0x40023C10, 1 << 31)

    def controller_locked(self, read32: Callable[[int], int]) -> bool:
        """FLASH_CR reads locked: after a flash algorithm unlocked it, only a reset locks it."""
        address, bit = self.cr_lock
        return bool(read32(address) & bit)

    def load_notes(self, read32: Callable[[int], int]) -> list[str]:
        """What the chip itself says about its last option-byte load (L4: FLASH_SR.OPTVERR)."""
        return []

    @abstractmethod
    def bank_mode_change(self, ob: OptionBytesBase, dual: bool) -> Any:
        """Option bytes with the bank mode changed (ValueError where the part cannot)."""

    def option_registers(self, dev_id: int) -> tuple[int | None, ...]:
        """Addresses of the option register words (option_bytes_class.REGISTERS order); None
        where this part has no such word."""
        part = self.parts.get(dev_id)
        return FLASH_OPTCR, (FLASH_OPTCR1 if part is None or part.has_optcr1 else None)

    def settable(self) -> dict[str, str]:
        """Option names a user may `--set` -> field name (ST names, case-insensitive)."""
        return {f.st_name.lower(): name for name, f in self.option_bytes_class.FIELDS.items()}


__all__ = [name for name in dir() if not name.startswith("_")]
