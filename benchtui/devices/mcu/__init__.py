"""MCU family knowledge: one module per family behind one interface (`base.McuFamily`).

Every module of this package is imported here; a family module registers its family with
`registry.register_family`, so a new family is one new module. `family_for_dev_id(dev_id)`
finds the family of a chip from its DBGMCU IDCODE; `family_for_target_type(name)` the family
(and the part it promises) of a profile's pyOCD target type. `devices/target/` talks to this
interface only.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import (AlgoSource, ComplementCheck, FlashLayout, McuFamily, OptionBytesBase, Sector,
                   change_lines, format_sectors, parse_sectors, verification_errors)
from .registry import (AUTO, GENERIC, check_family_name, families, family_by_name, family_for_dev_id,
                       family_for_target_type, family_names, register_family)

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")

from .stm32f4 import STM32F4  # noqa: E402
from .stm32f7 import STM32F7  # noqa: E402

#: The registered families (kept as a name for the readers that iterate it).
FAMILIES: tuple[McuFamily, ...] = families()

__all__ = ["AUTO", "AlgoSource", "ComplementCheck", "FAMILIES", "FlashLayout", "GENERIC", "McuFamily",
           "OptionBytesBase", "STM32F4", "STM32F7", "Sector", "change_lines", "check_family_name",
           "families", "family_by_name", "family_for_dev_id", "family_for_target_type", "family_names",
           "format_sectors", "parse_sectors", "register_family", "verification_errors"]
