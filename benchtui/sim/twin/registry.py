"""The twins registered in this process, by probe uid.

Kept apart from `plugin.py` (which pyOCD imports while `import pyocd` runs) so that registering
a twin never imports pyOCD half-way through its own plugin loading.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING

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
