"""Bench power supply drivers: one `Psu` API (base.py), one module per SCPI dialect.

`open_psu` picks the dialect the profile's `psu.driver` names or, for "auto", the first whose
`matches(*IDN?)` is true. The generic SCPI-99 drivers are never chosen by "auto".
"""

from __future__ import annotations

from ...profile import PsuConfig
from ..identify import open_identified
from .base import ChannelRange, Mode, Psu, PsuReading, model_of, setpoint_text
from ... import registry
from .generic import GenericMultiScpiPsu, GenericScpiPsu
from .keysight_e36300 import KeysightE36300
from .owon_spe import OwonSPE
from .rigol_dp800 import RigolDP800
from .rohde_hmc804x import RohdeHMC804x
from .siglent_spd3303x import SiglentSPD3303X

#: Every registered dialect (pyproject.toml, group benchtui.psu), in registration order.
DIALECTS: tuple[type[Psu], ...] = tuple(registry.load(registry.PSU).values())
DRIVERS = tuple(d.DRIVER for d in DIALECTS)


def open_psu(cfg: PsuConfig) -> Psu:
    """Connect to the profile's PSU, identify it and return its driver (nothing is changed)."""
    return open_identified(cfg, DIALECTS, "PSU")


__all__ = ["ChannelRange", "DIALECTS", "DRIVERS", "GenericMultiScpiPsu", "GenericScpiPsu",
           "KeysightE36300", "Mode", "OwonSPE", "Psu", "PsuReading", "RigolDP800", "RohdeHMC804x",
           "SiglentSPD3303X", "model_of", "open_psu", "setpoint_text"]
