"""STM32F76x/F77x (DEV_ID 0x451): flash layouts, sector numbering, nWRP, option bytes, FLASH_SR.

Values come from RM0410 §3 (FLASH), ST's stm32f7xx HAL and CMSIS headers, OpenOCD's
src/flash/nor/stm32f2x.c and Blackmagic's src/target/stm32f4.c. The choices these could not confirm are in the UNCONFIRMED block below and nowhere else on the device side (the
twin's own copy is in sim/twin/constants.py; a test keeps the two in agreement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .base import (BOR_LEVEL_TO_BITS, BOR_TEXT, CR_LOCK, CR_MER, CR_MER2, CR_PG, CR_PSIZE_X32,
                   CR_SER, CR_SNB_SHIFT, CR_STRT, DBGMCU_IDCODE, FLASH_ACR, FLASH_CR, FLASH_KEYR,
                   FLASH_OPTCR, FLASH_OPTCR1, FLASH_OPTKEYR, FLASH_R_BASE, FLASH_SR, K, KEY1, KEY2,
                   OPTCR_OPTLOCK, OPTCR_OPTSTRT, OPTION_WRITE_TIMEOUT_S, OPTKEY1, OPTKEY2,
                   RDP_LEVEL0, RDP_LEVEL1, RDP_LEVEL2, SECTOR_ERASE_TIMEOUT_S, SR_BSY, SR_EOP,
                   SR_OPERR, SR_PGAERR, SR_PGPERR, SR_SEQERR, SR_WRPERR, FlashLayout, McuFamily,
                   OptionBytesBase, OptionField, Part, Sector, make_bank, verification_errors)

# ---------------------------------------------------------------------------------------------
# UNCONFIRMED choices (RM0410 §3.3.1, §45): change them here only (and in the twin's
# sim/twin/constants.py, which models the silicon; tests/target/test_layouts.py compares both).
# ---------------------------------------------------------------------------------------------
#: Bank 2 of a 1 MB part in dual-bank mode. We follow RM0410 as quoted by OpenOCD (bank 2 right
#: after bank 1, 0x08080000) rather than Blackmagic's 0x08100000 (see sim/twin/constants.py).
BANK2_BASE_1MB = 0x08080000
#: nWRP bit of a 1 MB dual-bank bank-2 sector pair. We follow the HAL numbering (bank-2 sectors
#: are 12..19, sector n -> bit n // 2, i.e. bits 6..9), not OpenOCD's sequential bits 4..7.
BANK2_WRP_HAL_NUMBERING_1MB = True
#: Package word 0x1FF0F7E0, PKG = bits 10:8 (values UNCONFIRMED, from memory of RM0410 §45).
PACKAGES = {0b111: "LQFP208 or TFBGA216", 0b110: "LQFP176 or UFBGA176", 0b101: "WLCSP180",
            0b100: "LQFP144", 0b011: "LQFP100"}

# ---------------------------------------------------------------------------------------------
# Addresses and identity (RM0410 §2.2.2, "Device electronic signature", "Debug support")
# ---------------------------------------------------------------------------------------------
DEV_ID_F76X = 0x451
REV_NAMES = {0x1000: "A", 0x1001: "Z"}
UID_ADDR = 0x1FF0F420
FLASH_SIZE_REG = 0x1FF0F442  # u16, KB
PACKAGE_REG = 0x1FF0F7E0
OPTION_AREA = 0x1FFF0000
FLASH_AXIM_BASE = 0x08000000
FLASH_ITCM_BASE = 0x00200000
FACTORY_OPTCR = 0xFFFFAAFD
FACTORY_OPTCR1 = 0x00400080
SR_ERSERR = SR_SEQERR
SR_ERRORS = 0xF2  # the mask OpenOCD and Blackmagic use (bits 1, 4, 5, 6, 7)

SR_FLAGS: dict[str, tuple[int, str]] = {
    "EOP": (SR_EOP, "end of operation"),
    "OPERR": (SR_OPERR, "operation error: the flash controller aborted the operation"),
    "WRPERR": (SR_WRPERR, "write-protection error: a sector the operation touched is write-protected (nWRP=0)"),
    "PGAERR": (SR_PGAERR, "programming alignment error"),
    "PGPERR": (SR_PGPERR, "programming parallelism error: access width differs from PSIZE"),
    "ERSERR": (SR_ERSERR, "erase sequence error"),
    "BSY": (SR_BSY, "busy: an operation is still in progress"),
}

BOOT_ADDRESS_TEXT = {
    0x0000: "ITCM-RAM 0x00000000",
    0x0040: "system memory (bootloader) 0x00100000",
    0x0080: "flash via ITCM 0x00200000",
    0x2000: "flash via AXIM 0x08000000",
    0x8000: "DTCM RAM 0x20000000",
    0x8008: "SRAM1 0x20020000",
    0x801F: "SRAM2 0x2007C000",
}

_SECTOR_SIZES = {
    # (flash_kb, dual_bank): sizes of one bank's sectors (RM0410 §3.3.1, OpenOCD)
    (1024, False): [32 * K] * 4 + [128 * K] + [256 * K] * 3,
    (1024, True): [16 * K] * 4 + [64 * K] + [128 * K] * 3,
    (2048, False): [32 * K] * 4 + [128 * K] + [256 * K] * 7,
    (2048, True): [16 * K] * 4 + [64 * K] + [128 * K] * 7,
}
#: Typical x32 erase times (UNCONFIRMED: DS8626's F4 values, see sim/twin/constants.py) by sector size.
_ERASE_TIME_S = {16 * K: 0.25, 32 * K: 0.25, 64 * K: 0.55, 128 * K: 0.55, 256 * K: 1.0}


def sector_layout(flash_kb: int, dual_bank: bool) -> FlashLayout:
    """The sectors of a 1 MB or 2 MB STM32F76x/F77x, numbered as RM0410 numbers them."""
    key = (flash_kb, bool(dual_bank))
    if key not in _SECTOR_SIZES:
        raise ValueError(f"no STM32F76x sector layout for {flash_kb} KB (expected 1024 or 2048)")
    sizes = _SECTOR_SIZES[key]
    if not dual_bank:
        return FlashLayout(flash_kb, False, make_bank(sizes, FLASH_AXIM_BASE, first_number=0,
                                                      snb_base=0, wrp=lambda k: k, bank=1))
    n = len(sizes)
    bank2_base = BANK2_BASE_1MB if flash_kb == 1024 else FLASH_AXIM_BASE + flash_kb * K // 2
    if flash_kb == 1024 and not BANK2_WRP_HAL_NUMBERING_1MB:
        wrp2 = lambda k: (n + k) // 2  # noqa: E731  (OpenOCD's sequential pairs)
    else:
        wrp2 = lambda k: (12 + k) // 2  # noqa: E731  (HAL: sector 12+k -> bit (12+k)//2)
    bank1 = make_bank(sizes, FLASH_AXIM_BASE, first_number=0, snb_base=0, wrp=lambda k: k // 2, bank=1)
    bank2 = make_bank(sizes, bank2_base, first_number=12, snb_base=0x10, wrp=wrp2, bank=2)
    return FlashLayout(flash_kb, True, bank1 + bank2)


def sectors_covering(layout, start: int, end: int) -> list[int]:
    """Numbers of the sectors that overlap [start, end)."""
    return [s.number for s in layout if s.start < end and start < s.end]


# ---------------------------------------------------------------------------------------------
# Option bytes (RM0410 §3.4, §3.7.6-3.7.7; BOR encodings: stm32f7xx_hal_flash_ex.h)
# ---------------------------------------------------------------------------------------------
_FIELDS = {
    "bor_lev": OptionField("BOR_LEV", 0, 2, 2),
    "wwdg_sw": OptionField("WWDG_SW", 0, 4, 1),
    "iwdg_sw": OptionField("IWDG_SW", 0, 5, 1),
    "nrst_stop": OptionField("nRST_STOP", 0, 6, 1),
    "nrst_stdby": OptionField("nRST_STDBY", 0, 7, 1),
    "rdp": OptionField("RDP", 0, 8, 8),
    "nwrp": OptionField("nWRP", 0, 16, 12),
    "ndboot": OptionField("nDBOOT", 0, 28, 1),
    "ndbank": OptionField("nDBANK", 0, 29, 1),
    "iwdg_stdby": OptionField("IWDG_STDBY", 0, 30, 1),
    "iwdg_stop": OptionField("IWDG_STOP", 0, 31, 1),
    "boot_add0": OptionField("BOOT_ADD0", 1, 0, 16),
    "boot_add1": OptionField("BOOT_ADD1", 1, 16, 16),
}
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


@dataclass(frozen=True)
class OptionBytes(OptionBytesBase):
    """The user option bytes of an STM32F76x/F77x as read from FLASH_OPTCR / FLASH_OPTCR1."""

    FIELDS: ClassVar = _FIELDS
    FLAG_TEXT: ClassVar = _FLAG_TEXT

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
    flash_kb: int = field(default=1024, compare=False)
    dev_id: int = field(default=DEV_ID_F76X, compare=False)

    def boot_address(self, which: int) -> int:
        """The address BOOT_ADD0/1 selects (16 KB granularity)."""
        return (self.boot_add1 if which else self.boot_add0) << 14

    def _meaning(self, name: str, value: int) -> str:
        if name in ("boot_add0", "boot_add1"):
            return BOOT_ADDRESS_TEXT.get(value, f"0x{value << 14:08X}")
        return super()._meaning(name, value)


class Stm32F7(McuFamily):
    name = "STM32F7"
    parts = {DEV_ID_F76X: Part(DEV_ID_F76X, "STM32F76x/F77x", (1024, 2048))}
    rev_names = REV_NAMES
    uid_address = UID_ADDR
    flash_size_address = FLASH_SIZE_REG
    package_address = PACKAGE_REG
    pyocd_target_type = "benchtui_stm32f7"
    target_types = {"stm32f767zg": (DEV_ID_F76X, 1024), "stm32f767zi": (DEV_ID_F76X, 2048),
                    "stm32f767ig": (DEV_ID_F76X, 1024), "stm32f767ii": (DEV_ID_F76X, 2048),
                    "stm32f765zg": (DEV_ID_F76X, 1024), "stm32f765zi": (DEV_ID_F76X, 2048),
                    "stm32f769ni": (DEV_ID_F76X, 2048), "stm32f777zi": (DEV_ID_F76X, 2048)}
    sr_flags = SR_FLAGS
    sr_errors = SR_ERRORS
    option_bytes_class = OptionBytes
    page_size = 0x400
    ram = (0x20000000, 0x80000)   # same RAM region as pyOCD's built-in F767 target

    def package_name(self, word: int | None) -> str | None:
        if word is None:
            return None
        return PACKAGES.get((word >> 8) & 0x7)

    def layout(self, dev_id: int, flash_kb: int, ob: OptionBytesBase | None) -> FlashLayout:
        dual = ob is not None and getattr(ob, "ndbank", 1) == 0
        return sector_layout(flash_kb, dual)

    def erase_time_s(self, size: int) -> float:
        return _ERASE_TIME_S.get(size, 1.0)

    def factory(self, dev_id: int = DEV_ID_F76X, flash_kb: int = 1024) -> OptionBytes:
        return OptionBytes.decode(FACTORY_OPTCR, FACTORY_OPTCR1, flash_kb=flash_kb, dev_id=dev_id)

    def complement_words(self) -> list[tuple[int, str]]:
        # RM0410 §3.4.1: each word holds a 16-bit value and its complement in [31:16].
        return [(OPTION_AREA + 0x00, "RDP/user (OPTCR[15:0])"),
                (OPTION_AREA + 0x08, "nWRP/user (OPTCR[31:16])"),
                (OPTION_AREA + 0x10, "BOOT_ADD0"), (OPTION_AREA + 0x18, "BOOT_ADD1")]

    def bank_mode_change(self, ob: OptionBytesBase, dual: bool) -> OptionBytes:
        return ob.replace(ndbank=0 if dual else 1)


STM32F7 = Stm32F7()
OptionBytes.FAMILY = STM32F7


def factory(flash_kb: int = 1024) -> OptionBytes:
    """Factory option bytes (OPTCR 0xFFFFAAFD, OPTCR1 0x00400080) for a part of `flash_kb`."""
    return STM32F7.factory(DEV_ID_F76X, flash_kb)


FACTORY = factory(1024)


def decode_sr(sr: int) -> tuple[str, ...]:
    """Names of the FLASH_SR flags set in `sr`, in bit order."""
    return STM32F7.decode_sr(sr)


def describe_sr(sr: int) -> str:
    """One line: 'FLASH_SR=0x00000010: WRPERR (write-protection error: ...)'."""
    return STM32F7.describe_sr(sr)


__all__ = ["BANK2_BASE_1MB", "BOOT_ADDRESS_TEXT", "BOR_LEVEL_TO_BITS", "BOR_TEXT", "CR_LOCK", "CR_MER",
           "CR_MER2", "CR_PG", "CR_PSIZE_X32", "CR_SER", "CR_SNB_SHIFT", "CR_STRT", "DBGMCU_IDCODE",
           "DEV_ID_F76X", "FACTORY", "FACTORY_OPTCR", "FACTORY_OPTCR1", "FLASH_ACR", "FLASH_AXIM_BASE",
           "FLASH_CR", "FLASH_ITCM_BASE", "FLASH_KEYR", "FLASH_OPTCR", "FLASH_OPTCR1", "FLASH_OPTKEYR",
           "FLASH_R_BASE", "FLASH_SIZE_REG", "FLASH_SR", "KEY1", "KEY2", "OPTCR_OPTLOCK", "OPTCR_OPTSTRT",
           "OPTION_WRITE_TIMEOUT_S", "OPTKEY1", "OPTKEY2", "OptionBytes", "RDP_LEVEL0", "RDP_LEVEL1",
           "RDP_LEVEL2", "REV_NAMES", "SECTOR_ERASE_TIMEOUT_S", "SR_BSY", "SR_EOP", "SR_ERRORS",
           "SR_ERSERR", "SR_FLAGS", "SR_OPERR", "SR_PGAERR", "SR_PGPERR", "SR_WRPERR", "STM32F7",
           "Sector", "decode_sr", "describe_sr", "factory", "sector_layout", "sectors_covering",
           "verification_errors"]
