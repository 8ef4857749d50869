"""pyOCD probe plugin that lists the twins registered in this process.

pyOCD imports this module while `import pyocd` is still running, so it imports nothing heavy:
the probe class (and through the twin, Unicorn) is loaded only by `load()`. Only pyOCD imports
this module; register twins through `registry` (importing this first would import pyOCD half-way).
"""

from __future__ import annotations

from pyocd.core.plugin import Plugin

from .registry import UID_PREFIX, register_twin, registered_twins, unregister_twin

__all__ = ["TwinProbePlugin", "UID_PREFIX", "register_twin", "registered_twins", "unregister_twin"]


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
