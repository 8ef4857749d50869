"""The FLASH interface of the STM32F2/F4/F7 lineage: addresses, keys, bits, RDP levels, BOR levels and
the timeouts of its operations (shared by every family module)."""

from __future__ import annotations

K = 1024

# The FLASH interface of the STM32F2/F4/F7 lineage sits at the same address with the same
# register offsets and keys on every family handled here (RM0410 §3.7, RM0090 §3.9).
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
#: src/flash/nor/stm32f2x.c: a mass erase "can be as high as 32 s in x8 mode").
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


__all__ = [name for name in dir() if not name.startswith("_")]
