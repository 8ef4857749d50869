"""Oscilloscope drivers: one `Scope` API (base.py), one module per dialect.

`open_scope` picks the dialect the profile's `scope.driver` names or, for "auto", the first whose
`matches(*IDN?)` is true. When the profile names a dialect with a slow first reply (Keysight
DSO-X 2000: ~10 s after connecting), the identification waits that long.
"""

from __future__ import annotations

from ... import registry
from ...errors import InstrumentSilent
from ...profile import ScopeConfig
from ..identify import open_identified
from .base import MEASURE_ITEMS, Scope, TriggerState
from .keysight_infiniivision import KeysightInfiniiVision
from .preamble import Preamble
from .rigol_dho import RigolDHO
from .rigol_ds1000z import RigolDS1000Z
from .siglent_sds1000x_e import SiglentSDS1000XE
from .siglent_sds2000x_plus import SiglentSDS2000XPlus
from .tektronix_mso import TektronixMSO

#: Every registered dialect (pyproject.toml, group benchtui.scope), in registration order.
DIALECTS: tuple[type[Scope], ...] = tuple(registry.load(registry.SCOPE).values())
DRIVERS = tuple(d.DRIVER for d in DIALECTS)


def open_scope(cfg: ScopeConfig) -> Scope:
    """Connect to the profile's scope, identify it and return its driver (nothing is changed)."""
    named = next((d for d in DIALECTS if d.DRIVER == cfg.driver), None)
    try:
        return open_identified(cfg, DIALECTS, "scope",
                               identify_timeout_ms=named.CONNECT_TIMEOUT_MS if named else None)
    except InstrumentSilent as exc:
        if named is not None or "*IDN?" not in str(exc):
            raise
        slow = max(DIALECTS, key=lambda d: d.CONNECT_TIMEOUT_MS)
        raise InstrumentSilent(
            f"{exc} (a Keysight DSO-X 2000 answers ~10 s after connecting: set scope.driver = "
            f"\"{slow.DRIVER}\" to wait {slow.CONNECT_TIMEOUT_MS // 1000} s for it)", where="scope") from None


__all__ = ["DIALECTS", "DRIVERS", "KeysightInfiniiVision", "MEASURE_ITEMS", "Preamble", "RigolDHO",
           "RigolDS1000Z", "Scope", "SiglentSDS1000XE", "SiglentSDS2000XPlus", "TektronixMSO", "TriggerState",
           "open_scope"]
