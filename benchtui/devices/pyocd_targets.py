"""pyOCD target types that pyOCD does not ship: the 1 MB STM32F767xG ("stm32f767zg").

pyOCD's built-in `stm32f767zi` assumes the 2 MB single-bank map; the seed's board carries an
STM32F767ZGT6 (1 MB). The `stm32f767zg` type below is the same target class (connect-under-
reset sequence, DBGMCU setup, flash algorithm, whose sector arithmetic is address-based) with
the 1 MB single-bank memory map of stm32f7.md §2.3. Importing this module registers it in
`pyocd.target.TARGET`, so `target_override="stm32f767zg"` works in any pyOCD session.
"""

from __future__ import annotations

from itertools import groupby

from pyocd.core.memory_map import FlashRegion, MemoryMap, RamRegion
from pyocd.target import TARGET
from pyocd.target.builtin.target_STM32F767xx import FLASH_ALGO, STM32F767xx

from .stm32f7 import sector_layout

PAGE_SIZE = 0x400
RAM_START, RAM_SIZE = 0x20000000, 0x80000  # same RAM region as pyOCD's built-in F767 target


def flash_regions_for(flash_kb: int) -> list[FlashRegion]:
    """One pyOCD FlashRegion per run of equal-size sectors of the single-bank layout."""
    regions = []
    for size, group in groupby(sector_layout(flash_kb, dual_bank=False), key=lambda s: s.size):
        sectors = list(group)
        regions.append(FlashRegion(start=sectors[0].start, length=size * len(sectors),
                                   sector_size=size, page_size=PAGE_SIZE,
                                   is_boot_memory=not regions, algo=FLASH_ALGO))
    return regions


class STM32F767xG(STM32F767xx):
    """STM32F767xG: 1 MB flash, single bank (nDBANK=1)."""

    MEMORY_MAP = MemoryMap(*flash_regions_for(1024), RamRegion(start=RAM_START, length=RAM_SIZE))

    def __init__(self, session):
        # STM32F767xx.__init__ passes its own class attribute; give it ours.
        super(STM32F767xx, self).__init__(session, self.MEMORY_MAP)


#: Target type name -> flash size in KB, for the types benchtui knows the layout of.
FLASH_KB = {"stm32f767zg": 1024, "stm32f767zi": 2048}


def register() -> None:
    """Add benchtui's target types to pyOCD (idempotent)."""
    TARGET.setdefault("stm32f767zg", STM32F767xG)


register()
