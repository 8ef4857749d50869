"""Flash sector layouts the twin's silicon implements (RM0410 §3.3.1, RM0090 §3.3): sizes, SNB
encoding, nWRP bit, bank. Bank 2 is numbered from 12 in dual-bank mode on both families."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .constants import BANK2_OFFSET_1MB_DUAL, WRP_1MB_DUAL_HAL_NUMBERING

K = 1024
#: UNCONFIRMED (see variants.py): bank 2 of a 1 MB F42x/F43x with DB1M = 1 follows bank 1.
F4_BANK2_OFFSET_DB1M = 0x80000


@dataclass(frozen=True)
class Sector:
    number: int      # RM sector number (bank 2 starts at 12 in dual-bank mode)
    snb: int         # value of FLASH_CR.SNB that selects it
    offset: int      # from the start of the flash array
    size: int
    wrp_bit: int     # bit in nWRP (F4: bits 12.. are OPTCR1's nWRP)
    bank: int        # 1 or 2


def _f7_bank_sizes(flash_kb: int, dual: bool) -> list[int]:
    big = 3 if flash_kb == 1024 else 7
    if dual:
        return [16 * K] * 4 + [64 * K] + [128 * K] * big
    return [32 * K] * 4 + [128 * K] + [256 * K] * big


@lru_cache(maxsize=None)
def f7_sectors(flash_kb: int, dual_bank: bool) -> tuple[Sector, ...]:
    """All sectors of a `flash_kb` STM32F76x in the given bank mode, in address order."""
    sizes = _f7_bank_sizes(flash_kb, dual_bank)
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


def _f4_bank(kb: int) -> list[int]:
    return [16 * K] * 4 + [64 * K] + [128 * K] * ((kb * K - 128 * K) // (128 * K))


@lru_cache(maxsize=None)
def f4_sectors(flash_kb: int, dual_bank: bool) -> tuple[Sector, ...]:
    """Sectors of an STM32F4: one bank of 16/64/128 KB sectors, or two (2 MB F42x/F43x, or
    1 MB with DB1M) with bank 2 numbered from 12, SNB 0x10 + k, nWRP bit = sector number."""
    if not dual_bank:
        banks = [(0, 0, _f4_bank(flash_kb))]
    else:
        half = flash_kb // 2
        offset2 = F4_BANK2_OFFSET_DB1M if flash_kb == 1024 else half * K
        banks = [(0, 0, _f4_bank(half)), (12, offset2, _f4_bank(half))]
    result = []
    for first, offset, sizes in banks:
        for k, size in enumerate(sizes):
            number = first + k
            result.append(Sector(number, (0x10 | k) if first else k, offset, size, number,
                                 2 if first else 1))
            offset += size
    return tuple(result)


def sector_for_snb(layout: tuple[Sector, ...], snb: int) -> Sector | None:
    """The sector FLASH_CR.SNB selects, or None for an invalid number."""
    for sector in layout:
        if sector.snb == snb:
            return sector
    return None


def sector_at(layout: tuple[Sector, ...], offset: int) -> Sector | None:
    """The sector holding array offset `offset`, or None outside every sector."""
    for sector in layout:
        if sector.offset <= offset < sector.offset + sector.size:
            return sector
    return None
