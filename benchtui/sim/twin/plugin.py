"""pyOCD probe plugin that lists the twins registered in this process.

pyOCD imports this module while `import pyocd` is still running, so it imports nothing heavy:
the probe class (and through the twin, Unicorn) is loaded only by `load()`.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING

from pyocd.core.plugin import Plugin

if TYPE_CHECKING:
    from .mcu import Stm32Twin

UID_PREFIX = "benchtui-twin-"
_lock = threading.Lock()
_twins: dict[str, "Stm32Twin"] = {}
_numbers = itertools.count(1)


def register_twin(twin: "Stm32Twin") -> str:
    """Make `twin` visible to pyOCD in this process; returns its probe uid."""
    with _lock:
        uid = f"{UID_PREFIX}{next(_numbers)}"
        _twins[uid] = twin
        return uid


def unregister_twin(uid: str) -> None:
    """Hide the twin again (unknown uids are ignored)."""
    with _lock:
        _twins.pop(uid, None)


def registered_twins() -> dict[str, "Stm32Twin"]:
    with _lock:
        return dict(_twins)


class TwinProbePlugin(Plugin):
    """Entry point `pyocd.probe: benchtui-twin`."""

    def load(self):
        from .probe import TwinProbe
        return TwinProbe

    @property
    def name(self) -> str:
        return "benchtui-twin"

    @property
    def description(self) -> str:
        return "benchtui STM32F767 digital twin"
