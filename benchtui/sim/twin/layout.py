"""Flash sector layouts of the STM32F767 (stm32f7.md §2): sizes, SNB encoding, nWRP bit."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .constants import BANK2_OFFSET_1MB_DUAL, WRP_1MB_DUAL_HAL_NUMBERING

K = 1024


@dataclass(frozen=True)
class Sector:
    number: int      # HAL sector number (bank 2 starts at 12 in dual-bank mode)
    snb: int         # value of FLASH_CR.SNB that selects it
    offset: int      # from the start of the flash array
    size: int
    wrp_bit: int     # index into OPTCR.nWRP
    bank: int        # 1 or 2


def _bank_sizes(flash_kb: int, dual: bool) -> list[int]:
    if dual:
        big = 3 if flash_kb == 1024 else 7
        return [16 * K] * 4 + [64 * K] + [128 * K] * big
    big = 3 if flash_kb == 1024 else 7
    return [32 * K] * 4 + [128 * K] + [256 * K] * big


@lru_cache(maxsize=None)
def sectors(flash_kb: int, dual_bank: bool) -> tuple[Sector, ...]:
    """All sectors of a `flash_kb` part in the given bank mode, in address order."""
    sizes = _bank_sizes(flash_kb, dual_bank)
    result = []
    offset = 0
    for i, size in enumerate(sizes):
        wrp = i // 2 if dual_bank else i
        result.append(Sector(i, i, offset, size, wrp, 1))
        offset += size
    if dual_bank:
        offset = BANK2_OFFSET_1MB_DUAL if flash_kb == 1024 else flash_kb * K // 2
        for i, size in enumerate(sizes):
            number = 12 + i
            if flash_kb == 1024 and not WRP_1MB_DUAL_HAL_NUMBERING:
                wrp = (len(sizes) + i) // 2
            else:
                wrp = number // 2
            result.append(Sector(number, 0x10 | i, offset, size, wrp, 2))
            offset += size
    return tuple(result)


def sector_for_snb(flash_kb: int, dual_bank: bool, snb: int) -> Sector | None:
    """The sector FLASH_CR.SNB selects, or None for an invalid number."""
    for sector in sectors(flash_kb, dual_bank):
        if sector.snb == snb:
            return sector
    return None


def sector_at(flash_kb: int, dual_bank: bool, offset: int) -> Sector | None:
    """The sector holding array offset `offset`, or None outside every sector."""
    for sector in sectors(flash_kb, dual_bank):
        if sector.offset <= offset < sector.offset + sector.size:
            return sector
    return None
