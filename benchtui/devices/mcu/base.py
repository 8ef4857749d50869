"""The interface every MCU family module implements, and the data it speaks in.

A family module (`stm32f7`, `stm32f4`, ...) knows, for its parts: the identity by DBGMCU IDCODE,
where the unique ID, flash-size word and package word are, the flash layouts that follow from
the flash size and the option bits (single/dual bank), the sector numbers the reference manual
and STM32CubeProgrammer use (bank 2 numbered from 12), the nWRP bit of every sector, the option
bytes (decode/encode/meaning/factory values, stored complements) and the FLASH_SR flags.
Pure data and arithmetic: no pyOCD, no I/O (reads come in as a callable).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Iterator, Sequence

K = 1024

# The FLASH interface of the STM32F2/F4/F7 lineage sits at the same address with the same
# register offsets and keys on every family handled here (stm32f7.md §1, stm32f4.md).
FLASH_R_BASE = 0x40023C00
FLASH_ACR = FLASH_R_BASE + 0x00
FLASH_KEYR = FLASH_R_BASE + 0x04
FLASH_OPTKEYR = FLASH_R_BASE + 0x08
FLASH_SR = FLASH_R_BASE + 0x0C
FLASH_CR = FLASH_R_BASE + 0x10
FLASH_OPTCR = FLASH_R_BASE + 0x14
FLASH_OPTCR1 = FLASH_R_BASE + 0x18
KEY1, KEY2 = 0x45670123, 0xCDEF89AB
OPTKEY1, OPTKEY2 = 0x08192A3B, 0x4C5D6E7F

SR_EOP, SR_OPERR, SR_WRPERR = 1 << 0, 1 << 1, 1 << 4
SR_PGAERR, SR_PGPERR, SR_SEQERR, SR_RDERR, SR_BSY = 1 << 5, 1 << 6, 1 << 7, 1 << 8, 1 << 16
CR_PG, CR_SER, CR_MER, CR_SNB_SHIFT = 1 << 0, 1 << 1, 1 << 2, 3
CR_PSIZE_X32, CR_MER2, CR_STRT, CR_LOCK = 0b10 << 8, 1 << 15, 1 << 16, 1 << 31
OPTCR_OPTLOCK, OPTCR_OPTSTRT = 1 << 0, 1 << 1

DBGMCU_IDCODE = 0xE0042000
CPUID = 0xE000ED00

RDP_LEVEL0, RDP_LEVEL1, RDP_LEVEL2 = 0xAA, 0x55, 0xCC

#: Seconds to wait for FLASH_SR.BSY: sector erase, mass erase, option write (OpenOCD's values,
#: stm32f7.md §1.9: a mass erase "can be as high as 32 s in x8 mode").
SECTOR_ERASE_TIMEOUT_S = 10.0
MASS_ERASE_TIMEOUT_S = 33.0
OPTION_WRITE_TIMEOUT_S = 33.0

BOR_TEXT = {
    0b00: "BOR level 3 (2.70-3.60 V)",
    0b01: "BOR level 2 (2.40-2.70 V)",
    0b10: "BOR level 1 (2.10-2.40 V)",
    0b11: "BOR off (POR/PDR threshold applies)",
}
#: BOR level as people name it (0 = off) -> BOR_LEV bits.
BOR_LEVEL_TO_BITS = {0: 0b11, 1: 0b10, 2: 0b01, 3: 0b00}


# ---------------------------------------------------------------------------------------------
# Sectors and layouts
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sector:
    """One erasable sector, named as the reference manual and STM32CubeProgrammer name it.

    `number` is the sector number (in dual-bank mode bank 2 starts at 12, whatever the size of
    bank 1); `snb` the value FLASH_CR.SNB takes to erase it; `wrp_bit` its bit in the part's
    nWRP bits (bits 12.. are in OPTCR1 on parts that have one); `bank` 1 or 2.
    """

    number: int
    start: int
    size: int
    snb: int
    wrp_bit: int
    bank: int = 1

    @property
    def end(self) -> int:
        """First address after the sector."""
        return self.start + self.size

    @property
    def index(self) -> int:
        """The sector number (the name every benchtui call and message uses)."""
        return self.number

    def describe(self) -> str:
        return f"sector {self.number} (0x{self.start:08X}, {self.size // K} KB, bank {self.bank})"


@dataclass(frozen=True)
class FlashLayout:
    """The sectors of one chip in its current bank mode, in address order."""

    flash_kb: int
    dual_bank: bool
    sectors: tuple[Sector, ...]

    def __iter__(self) -> Iterator[Sector]:
        return iter(self.sectors)

    def __len__(self) -> int:
        return len(self.sectors)

    def __getitem__(self, i: int) -> Sector:
        return self.sectors[i]

    @property
    def numbers(self) -> list[int]:
        return [s.number for s in self.sectors]

    @property
    def mode(self) -> str:
        return "dual bank" if self.dual_bank else "single bank"

    def get(self, number: int) -> Sector | None:
        return next((s for s in self.sectors if s.number == number), None)

    def at(self, address: int) -> Sector | None:
        """The sector holding `address`, or None."""
        return next((s for s in self.sectors if s.start <= address < s.end), None)

    def covering(self, start: int, end: int) -> list[Sector]:
        """Sectors that overlap [start, end)."""
        return [s for s in self.sectors if s.start < end and start < s.end]

    def check(self, numbers: Iterable[int]) -> list[Sector]:
        """The sectors with these numbers, sorted; ValueError naming the first that does not exist."""
        chosen = []
        for n in sorted(set(numbers)):
            sector = self.get(n)
            if sector is None:
                raise ValueError(f"sector {n} does not exist on this chip ({self.describe()})")
            chosen.append(sector)
        return chosen

    def regions(self) -> list[tuple[int, int]]:
        """[(start, end)] of the flash, adjacent sectors merged."""
        out: list[list[int]] = []
        for s in self.sectors:
            if out and out[-1][1] == s.start:
                out[-1][1] = s.end
            else:
                out.append([s.start, s.end])
        return [(a, b) for a, b in out]

    def runs(self) -> list[tuple[int, int, int]]:
        """[(start, sector size, count)] of adjacent equal-size sectors (pyOCD flash regions)."""
        out: list[list[int]] = []
        for s in self.sectors:
            if out and out[-1][1] == s.size and out[-1][0] + out[-1][1] * out[-1][2] == s.start:
                out[-1][2] += 1
            else:
                out.append([s.start, s.size, 1])
        return [(a, b, c) for a, b, c in out]

    def describe(self) -> str:
        """'2048 KB dual bank: sectors 0-11 (bank 1), 12-23 (bank 2)'."""
        banks = sorted({s.bank for s in self.sectors})
        parts = []
        for bank in banks:
            numbers = [s.number for s in self.sectors if s.bank == bank]
            text = format_sectors(numbers)
            parts.append(f"{text} (bank {bank})" if len(banks) > 1 else text)
        return f"{self.flash_kb} KB {self.mode}: sectors {', '.join(parts)}"

    def to_record(self) -> dict[str, Any]:
        return {"flash_kb": self.flash_kb, "mode": self.mode,
                "sectors": [[s.number, f"0x{s.start:08X}", s.size // K, s.bank] for s in self.sectors]}


def make_bank(sizes: Sequence[int], base: int, *, first_number: int, snb_base: int,
              wrp: Callable[[int], int], bank: int) -> tuple[Sector, ...]:
    """Sectors of one bank: sizes in address order from `base`; `wrp(k)` is the nWRP bit of the
    k-th sector of the bank."""
    out, addr = [], base
    for k, size in enumerate(sizes):
        out.append(Sector(first_number + k, addr, size, snb_base + k, wrp(k), bank))
        addr += size
    return tuple(out)


def format_sectors(numbers: Iterable[int]) -> str:
    """[0, 1, 2, 3, 5, 12] -> '0-3, 5, 12'."""
    out: list[list[int]] = []
    for n in sorted(set(numbers)):
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in out)


def parse_sectors(text: str) -> list[int]:
    """'0-3,12' -> [0, 1, 2, 3, 12]; ValueError with the bad piece."""
    out: set[int] = set()
    for piece in text.replace(" ", "").split(","):
        if not piece:
            continue
        lo, sep, hi = piece.partition("-")
        try:
            a = int(lo, 0)
            b = int(hi, 0) if sep else a
        except ValueError:
            raise ValueError(f"sector list {text!r}: {piece!r} is not a number or a range like 0-3") from None
        if a < 0 or b < a:
            raise ValueError(f"sector list {text!r}: {piece!r} is not a range from low to high")
        out.update(range(a, b + 1))
    if not out:
        raise ValueError(f"sector list {text!r} names no sector")
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# FLASH_SR
# ---------------------------------------------------------------------------------------------

def decode_flags(flags: dict[str, tuple[int, str]], sr: int) -> tuple[str, ...]:
    return tuple(name for name, (bit, _) in flags.items() if sr & bit)


def describe_flags(flags: dict[str, tuple[int, str]], sr: int) -> str:
    names = decode_flags(flags, sr)
    if not names:
        return f"FLASH_SR=0x{sr:08X}: no flag set"
    return f"FLASH_SR=0x{sr:08X}: " + "; ".join(f"{n} ({flags[n][1]})" for n in names)


# ---------------------------------------------------------------------------------------------
# Option bytes: the part shared by every family (fields come from a table per family)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplementCheck:
    """One stored option word that carries its complement: does it agree with itself?"""

    address: int
    value: int
    what: str

    @property
    def ok(self) -> bool:
        return (self.value & 0xFFFF) ^ (self.value >> 16) == 0xFFFF

    def describe(self) -> str:
        state = "ok" if self.ok else (f"complement disagrees: 0x{self.value & 0xFFFF:04X} stored with "
                                      f"0x{self.value >> 16:04X}, expected 0x{~self.value & 0xFFFF:04X}")
        return f"0x{self.address:08X} {self.what}: 0x{self.value:08X} {state}"


@dataclass(frozen=True)
class OptionField:
    st_name: str
    register: int      # 0 = OPTCR, 1 = OPTCR1
    shift: int
    width: int


class OptionBytesBase:
    """Shared behaviour of a family's option bytes (a frozen dataclass with one int per field).

    `dev_id` and `flash_kb` are not option bytes: they say which layout the nWRP bits apply to
    and are ignored when comparing. Subclasses give `FIELDS`, `FLAG_TEXT` and `FAMILY`.
    """

    FIELDS: ClassVar[dict[str, OptionField]]
    FLAG_TEXT: ClassVar[dict[str, tuple[str, str]]]
    FAMILY: ClassVar["McuFamily"]
    dev_id: int
    flash_kb: int

    def __post_init__(self) -> None:
        for name, f in self.FIELDS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value < (1 << f.width):
                raise ValueError(f"option byte {f.st_name}: {value!r} does not fit in {f.width} bit(s)")
            object.__setattr__(self, name, int(value))

    # -- registers ------------------------------------------------------------------------
    @classmethod
    def decode(cls, optcr: int, optcr1: int = 0, *, flash_kb: int | None = None,
               dev_id: int | None = None) -> Any:
        """Decode register values (OPTLOCK/OPTSTRT are control bits, not option bytes)."""
        regs = (optcr, optcr1)
        values = {name: (regs[f.register] >> f.shift) & ((1 << f.width) - 1)
                  for name, f in cls.FIELDS.items()}
        extra = {}
        if flash_kb is not None:
            extra["flash_kb"] = flash_kb
        if dev_id is not None:
            extra["dev_id"] = dev_id
        return cls(**values, **extra)  # type: ignore[call-arg]

    def encode(self) -> tuple[int, int]:
        """(OPTCR, OPTCR1) with OPTLOCK set and OPTSTRT clear, as they read when locked."""
        regs = [0, 0]
        for name, f in self.FIELDS.items():
            regs[f.register] |= getattr(self, name) << f.shift
        return regs[0] | OPTCR_OPTLOCK, regs[1]

    @property
    def optcr(self) -> int:
        return self.encode()[0]

    @property
    def optcr1(self) -> int:
        return self.encode()[1]

    def replace(self, **changes: Any) -> Any:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def field_names(self) -> list[str]:
        """The fields this part has (a family may list fields only some of its parts have)."""
        return list(self.FIELDS)

    # -- meaning --------------------------------------------------------------------------
    @property
    def rdp_level(self) -> int:
        """0 (0xAA), 2 (0xCC) or 1 (any other byte)."""
        rdp = getattr(self, "rdp")
        return 0 if rdp == RDP_LEVEL0 else 2 if rdp == RDP_LEVEL2 else 1

    @property
    def bor_level(self) -> int:
        """BOR level as people name it: 0 = off, 1..3 = BOR L1..L3."""
        return {bits: level for level, bits in BOR_LEVEL_TO_BITS.items()}[getattr(self, "bor_lev")]

    @property
    def dual_bank(self) -> bool:
        return self.layout().dual_bank

    def layout(self) -> FlashLayout:
        return self.FAMILY.layout(self.dev_id, self.flash_kb, self)

    def wrp_mask(self) -> int:
        """All nWRP bits as one number (bit i = nWRP bit i; 1 = not protected)."""
        return getattr(self, "nwrp")

    def with_wrp_mask(self, mask: int) -> Any:
        return self.replace(nwrp=mask & ((1 << self.FIELDS["nwrp"].width) - 1))

    def sector_protection(self) -> dict[int, bool]:
        """Sector number -> True if write-protected, for the layout these bytes select."""
        mask = self.wrp_mask()
        return {s.number: not (mask >> s.wrp_bit) & 1 for s in self.layout()}

    def protected_sectors(self) -> list[int]:
        return [n for n, p in self.sector_protection().items() if p]

    def with_protection(self, sectors: Iterable[int], protect: bool = True) -> Any:
        """A copy with the nWRP bits of `sectors` cleared (protect) or set (unprotect)."""
        layout = self.layout()
        mask = self.wrp_mask()
        for number in sectors:
            sector = layout.get(number)
            if sector is None:
                raise ValueError(f"sector {number} does not exist on this {layout.describe()}")
            bit = 1 << sector.wrp_bit
            mask = mask & ~bit if protect else mask | bit
        return self.with_wrp_mask(mask)

    def fields(self) -> list[tuple[str, int]]:
        """[(ST name, raw value)] in register order."""
        return [(self.FIELDS[n].st_name, getattr(self, n)) for n in self.field_names()]

    def describe(self) -> list[tuple[str, str, str]]:
        """[(ST name, raw value as hex, meaning)] for display."""
        out = []
        for name in self.field_names():
            f = self.FIELDS[name]
            value = getattr(self, name)
            digits = max(1, (f.width + 3) // 4)
            out.append((f.st_name, f"0x{value:0{digits}X}", self._meaning(name, value)))
        return out

    def _meaning(self, name: str, value: int) -> str:
        if name == "rdp":
            return {0: "level 0, no protection", 1: "level 1, flash read-protected from debug",
                    2: "level 2, debug disabled for good"}[self.rdp_level]
        if name == "bor_lev":
            return BOR_TEXT[value]
        if name in ("nwrp", "nwrp2"):
            prot = self.protected_sectors()
            return "no sector write-protected" if not prot else \
                f"write-protected sectors: {format_sectors(prot)}"
        return self.FLAG_TEXT[name][value]

    def differences(self, other: "OptionBytesBase") -> list[tuple[str, int, int]]:
        """[(ST name, value here, value there)] for every field that differs."""
        theirs = dict(other.fields())
        return [(st, a, theirs[st]) for st, a in self.fields() if st in theirs and theirs[st] != a]

    def differences_from_factory(self) -> list[tuple[str, int, int]]:
        """[(ST name, value, factory value)] for every field not at its factory default."""
        return self.differences(self.FAMILY.factory(self.dev_id, self.flash_kb))

    def to_record(self) -> dict[str, Any]:
        """Plain data for a cycle record / JSON output."""
        return {"optcr": f"0x{self.optcr:08X}", "optcr1": f"0x{self.optcr1:08X}",
                "fields": {st: value for st, value in self.fields()},
                "rdp_level": self.rdp_level, "protected_sectors": self.protected_sectors(),
                "layout": self.layout().mode,
                "factory_differences": [[st, v, f] for st, v, f in self.differences_from_factory()]}


def verification_errors(expected: OptionBytesBase, found: OptionBytesBase) -> list[str]:
    """CubeProgrammer-style lines: 'Expected value for Option Byte "IWDG_STOP": 0x0, found: 0x1'."""
    return [f'Expected value for Option Byte "{st}": 0x{want:X}, found: 0x{got:X}'
            for st, want, got in expected.differences(found)]


def change_lines(old: OptionBytesBase, new: OptionBytesBase) -> list[str]:
    """['nWRP 0xFFF -> 0x000', 'RDP 0xAA -> 0xFF'] for every field that differs."""
    return [f"{st} 0x{a:X} -> 0x{b:X}" for st, a, b in old.differences(new)]


# ---------------------------------------------------------------------------------------------
# The family interface
# ---------------------------------------------------------------------------------------------

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

    # -- option bytes --------------------------------------------------------------------------
    def decode_options(self, dev_id: int, flash_kb: int, optcr: int, optcr1: int) -> Any:
        part = self.parts.get(dev_id)
        if part is not None and not part.has_optcr1:
            optcr1 = 0
        return self.option_bytes_class.decode(optcr, optcr1, flash_kb=flash_kb, dev_id=dev_id)

    @abstractmethod
    def factory(self, dev_id: int, flash_kb: int) -> Any:
        """The factory option bytes of a part."""

    @abstractmethod
    def complement_words(self) -> list[tuple[int, str]]:
        """[(address, what)] of stored option words that carry their complement ([] if none)."""

    def check_complements(self, read32: Callable[[int], int]) -> list[ComplementCheck]:
        return [ComplementCheck(addr, read32(addr), what) for addr, what in self.complement_words()]

    @abstractmethod
    def bank_mode_change(self, ob: OptionBytesBase, dual: bool) -> Any:
        """Option bytes with the bank mode changed (ValueError where the part cannot)."""

    def option_registers(self, dev_id: int) -> tuple[int, int | None]:
        part = self.parts.get(dev_id)
        return FLASH_OPTCR, (FLASH_OPTCR1 if part is None or part.has_optcr1 else None)

    def settable(self) -> dict[str, str]:
        """Option names a user may `--set` -> field name (ST names, case-insensitive)."""
        return {f.st_name.lower(): name for name, f in self.option_bytes_class.FIELDS.items()}


def field_default(value: int) -> Any:
    return field(default=value)


__all__ = [name for name in dir() if not name.startswith("_")]
