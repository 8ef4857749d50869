"""STM32F76x/F77x flash controller facts: registers, option bytes, sector layouts, FLASH_SR.

Pure data and arithmetic (no pyOCD): what the bench needs to read, explain and write option
bytes and to name sectors. Values come from reference/stm32f7.md; the few that are
UNCONFIRMED there are chosen in the constants block below and nowhere else.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Registers and constants (stm32f7.md §1, §2.6, §4.1)
# ---------------------------------------------------------------------------------------------
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

# FLASH_SR bits
SR_EOP = 1 << 0
SR_OPERR = 1 << 1
SR_WRPERR = 1 << 4
SR_PGAERR = 1 << 5
SR_PGPERR = 1 << 6
SR_ERSERR = 1 << 7
SR_BSY = 1 << 16
SR_ERRORS = 0xF2  # the mask OpenOCD and Blackmagic use (bits 1, 4, 5, 6, 7)

# FLASH_CR bits
CR_PG = 1 << 0
CR_SER = 1 << 1
CR_MER = 1 << 2
CR_SNB_SHIFT = 3
CR_PSIZE_X32 = 0b10 << 8
CR_STRT = 1 << 16
CR_LOCK = 1 << 31

# FLASH_OPTCR bits
OPTCR_OPTLOCK = 1 << 0
OPTCR_OPTSTRT = 1 << 1

DBGMCU_IDCODE = 0xE0042000
FLASH_SIZE_REG = 0x1FF0F442  # u16, KB
DEV_ID_F76X = 0x451
REV_NAMES = {0x1000: "A", 0x1001: "Z"}

FLASH_AXIM_BASE = 0x08000000
FLASH_ITCM_BASE = 0x00200000

FACTORY_OPTCR = 0xFFFFAAFD
FACTORY_OPTCR1 = 0x00400080

RDP_LEVEL0 = 0xAA
RDP_LEVEL1 = 0x55  # what HAL writes for level 1; any byte but AA/CC reads as level 1
RDP_LEVEL2 = 0xCC

#: UNCONFIRMED (stm32f7.md §2.4): bank 2 of a 1 MB part in dual-bank mode. We follow RM0410 as
#: quoted by OpenOCD (bank 2 right after bank 1, 0x08080000) rather than Blackmagic's 0x08100000.
BANK2_BASE_1MB = 0x08080000
#: UNCONFIRMED (stm32f7.md §2.5): nWRP bit of a 1 MB dual-bank bank-2 sector pair. We follow HAL
#: numbering (bank-2 sectors are 12..19, pair i -> bit i // 2, i.e. bits 6..9).
BANK2_FIRST_HAL_SECTOR_1MB = 12

#: Seconds to wait for FLASH_SR.BSY after a sector erase (OpenOCD's timeout).
SECTOR_ERASE_TIMEOUT_S = 10.0
#: Seconds to wait for FLASH_SR.BSY after OPTSTRT (OpenOCD allows 33 s for an option write
#: that may trigger the RDP 1 -> 0 mass erase).
OPTION_WRITE_TIMEOUT_S = 33.0

K = 1024
_SECTOR_SIZES = {
    # (flash_kb, dual_bank): sizes of one bank's sectors
    (1024, False): [32 * K] * 4 + [128 * K] + [256 * K] * 3,
    (1024, True): [16 * K] * 4 + [64 * K] + [128 * K] * 3,
    (2048, False): [32 * K] * 4 + [128 * K] + [256 * K] * 7,
    (2048, True): [16 * K] * 4 + [64 * K] + [128 * K] * 7,
}

# ---------------------------------------------------------------------------------------------
# Sector layout (§2)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sector:
    """One erasable sector. `index` counts sectors from 0 in address order (the number used
    by `TargetLink.erase`); `snb` is the FLASH_CR.SNB encoding; `wrp_bit` the nWRP bit."""

    index: int
    start: int
    size: int
    snb: int
    wrp_bit: int

    @property
    def end(self) -> int:
        """First address after the sector."""
        return self.start + self.size


def sector_layout(flash_kb: int, dual_bank: bool) -> list[Sector]:
    """The sectors of a 1 MB or 2 MB STM32F76x/F77x in single- or dual-bank mode."""
    key = (flash_kb, bool(dual_bank))
    if key not in _SECTOR_SIZES:
        raise ValueError(f"no STM32F76x sector layout for {flash_kb} KB (expected 1024 or 2048)")
    sizes = _SECTOR_SIZES[key]
    if not dual_bank:
        return _bank(sizes, FLASH_AXIM_BASE, first_index=0, snb_base=0,
                     wrp=lambda k: k)
    bank2_base = BANK2_BASE_1MB if flash_kb == 1024 else FLASH_AXIM_BASE + flash_kb * K // 2
    n = len(sizes)
    bank2_hal = BANK2_FIRST_HAL_SECTOR_1MB if flash_kb == 1024 else n
    return (_bank(sizes, FLASH_AXIM_BASE, first_index=0, snb_base=0, wrp=lambda k: k // 2)
            + _bank(sizes, bank2_base, first_index=n, snb_base=0x10,
                    wrp=lambda k: (bank2_hal + k) // 2))


def _bank(sizes: list[int], base: int, *, first_index: int, snb_base: int, wrp) -> list[Sector]:
    out, addr = [], base
    for k, size in enumerate(sizes):
        out.append(Sector(first_index + k, addr, size, snb_base + k, wrp(k)))
        addr += size
    return out


def sectors_covering(layout: list[Sector], start: int, end: int) -> list[int]:
    """Indices of the sectors that overlap [start, end)."""
    return [s.index for s in layout if s.start < end and start < s.end]


# ---------------------------------------------------------------------------------------------
# FLASH_SR (§1.2)
# ---------------------------------------------------------------------------------------------
SR_FLAGS: dict[str, tuple[int, str]] = {
    "EOP": (SR_EOP, "end of operation"),
    "OPERR": (SR_OPERR, "operation error: the flash controller aborted the operation"),
    "WRPERR": (SR_WRPERR, "write-protection error: a sector the operation touched is write-protected (nWRP=0)"),
    "PGAERR": (SR_PGAERR, "programming alignment error"),
    "PGPERR": (SR_PGPERR, "programming parallelism error: access width differs from PSIZE"),
    "ERSERR": (SR_ERSERR, "erase sequence error"),
    "BSY": (SR_BSY, "busy: an operation is still in progress"),
}


def decode_sr(sr: int) -> tuple[str, ...]:
    """Names of the FLASH_SR flags set in `sr`, in bit order."""
    return tuple(name for name, (bit, _) in SR_FLAGS.items() if sr & bit)


def describe_sr(sr: int) -> str:
    """One line: 'FLASH_SR=0x00000010: WRPERR (write-protection error: ...)'."""
    flags = decode_sr(sr)
    if not flags:
        return f"FLASH_SR=0x{sr:08X}: no flag set"
    return f"FLASH_SR=0x{sr:08X}: " + "; ".join(f"{f} ({SR_FLAGS[f][1]})" for f in flags)


# ---------------------------------------------------------------------------------------------
# Option bytes (§1.4, §1.5, §1.7, §1.8)
# ---------------------------------------------------------------------------------------------
BOR_TEXT = {
    0b00: "BOR level 3 (2.70-3.60 V)",
    0b01: "BOR level 2 (2.40-2.70 V)",
    0b10: "BOR level 1 (2.10-2.40 V)",
    0b11: "BOR off (POR/PDR threshold applies)",
}
#: BOR level as people name it (0 = off) -> BOR_LEV bits.
BOR_LEVEL_TO_BITS = {0: 0b11, 1: 0b10, 2: 0b01, 3: 0b00}

BOOT_ADDRESS_TEXT = {
    0x0000: "ITCM-RAM 0x00000000",
    0x0040: "system memory (bootloader) 0x00100000",
    0x0080: "flash via ITCM 0x00200000",
    0x2000: "flash via AXIM 0x08000000",
    0x8000: "DTCM RAM 0x20000000",
    0x8008: "SRAM1 0x20020000",
    0x801F: "SRAM2 0x2007C000",
}

#: Field -> (ST name, register, shift, width). The ST names are those of CubeProgrammer.
_FIELDS = {
    "bor_lev": ("BOR_LEV", 0, 2, 2),
    "wwdg_sw": ("WWDG_SW", 0, 4, 1),
    "iwdg_sw": ("IWDG_SW", 0, 5, 1),
    "nrst_stop": ("nRST_STOP", 0, 6, 1),
    "nrst_stdby": ("nRST_STDBY", 0, 7, 1),
    "rdp": ("RDP", 0, 8, 8),
    "nwrp": ("nWRP", 0, 16, 12),
    "ndboot": ("nDBOOT", 0, 28, 1),
    "ndbank": ("nDBANK", 0, 29, 1),
    "iwdg_stdby": ("IWDG_STDBY", 0, 30, 1),
    "iwdg_stop": ("IWDG_STOP", 0, 31, 1),
    "boot_add0": ("BOOT_ADD0", 1, 0, 16),
    "boot_add1": ("BOOT_ADD1", 1, 16, 16),
}
_FLAG_FIELDS = ("wwdg_sw", "iwdg_sw", "nrst_stop", "nrst_stdby", "ndboot", "ndbank",
                "iwdg_stdby", "iwdg_stop")


@dataclass(frozen=True)
class OptionBytes:
    """The user option bytes as read from FLASH_OPTCR / FLASH_OPTCR1.

    Fields hold the raw register fields (bits are ints 0/1, as ST tools show them); properties
    give their meaning. `flash_kb` is not an option byte: it says which sector layout the nWRP
    bits apply to, and is ignored when comparing.
    """

    rdp: int = RDP_LEVEL0
    bor_lev: int = 0b11
    wwdg_sw: int = 1
    iwdg_sw: int = 1
    nrst_stop: int = 1
    nrst_stdby: int = 1
    nwrp: int = 0xFFF
    ndboot: int = 1
    ndbank: int = 1
    iwdg_stdby: int = 1
    iwdg_stop: int = 1
    boot_add0: int = 0x0080
    boot_add1: int = 0x0040
    flash_kb: int = dataclasses.field(default=1024, compare=False)

    def __post_init__(self) -> None:
        for name, (st, _, _, width) in _FIELDS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value < (1 << width):
                raise ValueError(f"option byte {st}: {value!r} does not fit in {width} bit(s)")
            object.__setattr__(self, name, int(value))

    # -- registers ------------------------------------------------------------------------
    @classmethod
    def decode(cls, optcr: int, optcr1: int, *, flash_kb: int = 1024) -> "OptionBytes":
        """Decode register values (OPTLOCK/OPTSTRT control bits are not option bytes)."""
        regs = (optcr, optcr1)
        values = {name: (regs[reg] >> shift) & ((1 << width) - 1)
                  for name, (_, reg, shift, width) in _FIELDS.items()}
        return cls(**values, flash_kb=flash_kb)

    def encode(self) -> tuple[int, int]:
        """(OPTCR, OPTCR1) with OPTLOCK set and OPTSTRT clear, as they read when locked."""
        regs = [0, 0]
        for name, (_, reg, shift, _) in _FIELDS.items():
            regs[reg] |= getattr(self, name) << shift
        return regs[0] | OPTCR_OPTLOCK, regs[1]

    @property
    def optcr(self) -> int:
        return self.encode()[0]

    @property
    def optcr1(self) -> int:
        return self.encode()[1]

    def replace(self, **changes) -> "OptionBytes":
        return dataclasses.replace(self, **changes)

    # -- meaning --------------------------------------------------------------------------
    @property
    def rdp_level(self) -> int:
        """0 (0xAA), 2 (0xCC) or 1 (any other byte)."""
        return 0 if self.rdp == RDP_LEVEL0 else 2 if self.rdp == RDP_LEVEL2 else 1

    @property
    def bor_level(self) -> int:
        """BOR level as people name it: 0 = off, 1..3 = BOR L1..L3."""
        return {bits: level for level, bits in BOR_LEVEL_TO_BITS.items()}[self.bor_lev]

    @property
    def dual_bank(self) -> bool:
        return self.ndbank == 0

    def boot_address(self, which: int) -> int:
        """The address BOOT_ADD0/1 selects (16 KB granularity)."""
        return (self.boot_add1 if which else self.boot_add0) << 14

    def layout(self) -> list[Sector]:
        return sector_layout(self.flash_kb, self.dual_bank)

    def sector_protection(self) -> dict[int, bool]:
        """Sector index -> True if write-protected, for the layout these bytes select."""
        return {s.index: not (self.nwrp >> s.wrp_bit) & 1 for s in self.layout()}

    def protected_sectors(self) -> list[int]:
        return [i for i, p in self.sector_protection().items() if p]

    def with_protection(self, sectors, protect: bool = True) -> "OptionBytes":
        """A copy with the nWRP bits of `sectors` cleared (protect) or set (unprotect)."""
        by_index = {s.index: s for s in self.layout()}
        nwrp = self.nwrp
        for index in sectors:
            if index not in by_index:
                raise ValueError(f"sector {index} does not exist on this {self.flash_kb} KB layout "
                                 f"(0..{len(by_index) - 1})")
            bit = 1 << by_index[index].wrp_bit
            nwrp = nwrp & ~bit if protect else nwrp | bit
        return self.replace(nwrp=nwrp)

    def fields(self) -> list[tuple[str, int]]:
        """[(ST name, raw value)] in register order."""
        return [(st, getattr(self, name)) for name, (st, *_rest) in _FIELDS.items()]

    def describe(self) -> list[tuple[str, str, str]]:
        """[(ST name, raw value as hex, meaning)] for display."""
        out = []
        for name, (st, _, _, width) in _FIELDS.items():
            value = getattr(self, name)
            digits = max(1, (width + 3) // 4)
            out.append((st, f"0x{value:0{digits}X}", self._meaning(name, value)))
        return out

    def _meaning(self, name: str, value: int) -> str:
        if name == "rdp":
            return {0: "level 0, no protection", 1: "level 1, flash read-protected from debug",
                    2: "level 2, debug disabled for good"}[self.rdp_level]
        if name == "bor_lev":
            return BOR_TEXT[value]
        if name == "nwrp":
            prot = self.protected_sectors()
            return "no sector write-protected" if not prot else \
                f"write-protected sectors: {', '.join(map(str, prot))}"
        if name in ("boot_add0", "boot_add1"):
            addr = value << 14
            return BOOT_ADDRESS_TEXT.get(value, f"0x{addr:08X}")
        return _FLAG_TEXT[name][value]

    def differences(self, other: "OptionBytes") -> list[tuple[str, int, int]]:
        """[(ST name, value here, value there)] for every field that differs."""
        return [(st, a, b) for (st, a), (_, b) in zip(self.fields(), other.fields()) if a != b]

    def differences_from_factory(self) -> list[tuple[str, int, int]]:
        """[(ST name, value, factory value)] for every field not at its factory default."""
        return self.differences(factory(self.flash_kb))


_FLAG_TEXT = {
    "wwdg_sw": ("hardware window watchdog", "software window watchdog"),
    "iwdg_sw": ("hardware independent watchdog (starts at reset)", "software independent watchdog"),
    "nrst_stop": ("reset on Stop entry", "no reset on Stop entry"),
    "nrst_stdby": ("reset on Standby entry", "no reset on Standby entry"),
    "ndboot": ("dual boot enabled", "dual boot disabled"),
    "ndbank": ("dual bank", "single bank"),
    "iwdg_stdby": ("IWDG frozen in Standby", "IWDG runs in Standby"),
    "iwdg_stop": ("IWDG frozen in Stop", "IWDG runs in Stop"),
}


def factory(flash_kb: int = 1024) -> OptionBytes:
    """Factory option bytes (OPTCR 0xFFFFAAFD, OPTCR1 0x00400080) for a part of `flash_kb`."""
    return OptionBytes.decode(FACTORY_OPTCR, FACTORY_OPTCR1, flash_kb=flash_kb)


FACTORY = factory(1024)


def verification_errors(expected: OptionBytes, found: OptionBytes) -> list[str]:
    """CubeProgrammer-style lines: 'Expected value for Option Byte "IWDG_STOP": 0x0, found: 0x1'."""
    return [f'Expected value for Option Byte "{st}": 0x{want:X}, found: 0x{got:X}'
            for st, want, got in expected.differences(found)]
