"""MCU family knowledge: one module per family behind one interface (`base.McuFamily`).

`family_for_dev_id(dev_id)` finds the family of a chip from its DBGMCU IDCODE;
`family_for_target_type(name)` the family (and the part it promises) of a profile's pyOCD
target type. `devices/target/` talks to this interface only.
"""

from __future__ import annotations

from .base import (ComplementCheck, FlashLayout, McuFamily, OptionBytesBase, Sector, change_lines,
                   format_sectors, parse_sectors, verification_errors)
from .stm32f4 import STM32F4
from .stm32f7 import STM32F7

FAMILIES: tuple[McuFamily, ...] = (STM32F7, STM32F4)


def family_for_dev_id(dev_id: int) -> McuFamily | None:
    return next((f for f in FAMILIES if dev_id in f.parts), None)


def family_for_target_type(target_type: str) -> tuple[McuFamily, int, int] | None:
    """(family, dev_id, flash KB) a profile's target type promises, or None if unknown here."""
    name = (target_type or "").lower()
    for family in FAMILIES:
        if name in family.target_types:
            dev_id, kb = family.target_types[name]
            return family, dev_id, kb
    return None


def family_by_name(name: str) -> McuFamily | None:
    return next((f for f in FAMILIES if f.name.lower() == name.lower()), None)


__all__ = ["FAMILIES", "ComplementCheck", "FlashLayout", "McuFamily", "OptionBytesBase", "STM32F4",
           "STM32F7", "Sector", "change_lines", "family_by_name", "family_for_dev_id",
           "family_for_target_type", "format_sectors", "parse_sectors", "verification_errors"]
