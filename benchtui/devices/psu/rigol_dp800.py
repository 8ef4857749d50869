"""Rigol DP800 (DP832/DP832A/DP831A/DP821A), Rigol DP800 Programming Guide; every command names its channel.

DP831A CH3 is the -30..0 V output: the setpoint on the wire is negative (`:SOUR3:VOLT -5`),
see base.py for how benchtui's magnitudes map to it.
"""

from __future__ import annotations

import re

from ..visa import Scpi, parse_bool, parse_float, parse_word
from .base import UNREGULATED_AS, ChannelRange, Mode, Psu

_DP832 = {1: ChannelRange(30.0, 3.0), 2: ChannelRange(30.0, 3.0), 3: ChannelRange(5.0, 3.0)}


class RigolDP800(Psu):
    DRIVER = "rigol-dp800"
    MAKERS = r"RIGOL"
    FAMILY_MODELS = ("DP8", "DP7", "DP9", "DP")
    COMMANDS = {
        "set_voltage": Scpi(":SOUR{ch}:VOLT {v}"),
        "set_current": Scpi(":SOUR{ch}:CURR {a}"),
        "voltage?": Scpi(":SOUR{ch}:VOLT?", parse_float),
        "current?": Scpi(":SOUR{ch}:CURR?", parse_float),
        "output_on": Scpi(":OUTP CH{ch},ON"),
        "output_off": Scpi(":OUTP CH{ch},OFF"),
        "output?": Scpi(":OUTP? CH{ch}", parse_bool),
        "mode?": Scpi(":OUTP:MODE? CH{ch}", parse_word),
        "measure_voltage?": Scpi(":MEAS:VOLT? CH{ch}", parse_float),
        "measure_current?": Scpi(":MEAS:CURR? CH{ch}", parse_float),
    }
    RANGES = {
        "DP832": _DP832,
        "DP832A": _DP832,
        "DP831A": {1: ChannelRange(8.0, 5.0), 2: ChannelRange(30.0, 2.0),
                   3: ChannelRange(30.0, 2.0, negative=True)},
        "DP831": {1: ChannelRange(8.0, 5.0), 2: ChannelRange(30.0, 2.0),
                  3: ChannelRange(30.0, 2.0, negative=True)},
        "DP821A": {1: ChannelRange(60.0, 1.0), 2: ChannelRange(8.0, 10.0)},
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^RIGOL TECHNOLOGIES,DP8\d\d", identity.strip(), re.I))

    def mode(self) -> Mode:
        word = str(self._do("mode?"))
        if word in ("CV", "CC"):
            return word  # type: ignore[return-value]
        if word == "UR":
            return UNREGULATED_AS
        raise self.session.garbage(self.COMMANDS["mode?"].render(ch=self.channel)[0], word, "CV, CC or UR")
