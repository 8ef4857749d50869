"""Keysight E36300 (E36311A/E36312A/E36313A) and EDU36311A (E36300 Series Programming Guide;
libsigrok scpi-pps, PyMeasure keysightE36312A).

Channel lists `(@n)`, no selection state. E36311A and EDU36311A CH3 are negative outputs
(-25..0 V and -30..0 V): the setpoint on the wire is negative (`VOLT -5,(@3)`).
"""

from __future__ import annotations

import re

from ..visa import Scpi, parse_bool, parse_float, parse_int
from .base import UNREGULATED_AS, ChannelRange, Mode, Psu

#: `STAT:QUES:INST:ISUM<n>:COND?` bits. Taken from the E3631A status model (bit 0 "VOLTage" =
#: voltage not regulated = CC, bit 1 "CURRent" = CV; sigrok scpi-pps reads 1 = CC, 2 = CV);
#: UNCONFIRMED for the E36300 series. Neither bit = unregulated (see base.UNREGULATED_AS).
ISUM_CC_BIT = 0x01
ISUM_CV_BIT = 0x02


class KeysightE36300(Psu):
    DRIVER = "keysight-e36300"
    MAKERS = r"KEYSIGHT|AGILENT"
    FAMILY_MODELS = ("E363", "EDU363", "E36", "EDU36", "E3")
    COMMANDS = {
        "set_voltage": Scpi("VOLT {v},(@{ch})"),
        "set_current": Scpi("CURR {a},(@{ch})"),
        "voltage?": Scpi("VOLT? (@{ch})", parse_float),
        "current?": Scpi("CURR? (@{ch})", parse_float),
        "output_on": Scpi("OUTP ON,(@{ch})"),
        "output_off": Scpi("OUTP OFF,(@{ch})"),
        "output?": Scpi("OUTP? (@{ch})", parse_bool),
        "mode?": Scpi("STAT:QUES:INST:ISUM{ch}:COND?", parse_int),
        "measure_voltage?": Scpi("MEAS:VOLT? (@{ch})", parse_float),
        "measure_current?": Scpi("MEAS:CURR? (@{ch})", parse_float),
    }
    RANGES = {
        "E36311A": {1: ChannelRange(6.18, 5.15), 2: ChannelRange(25.75, 1.03),
                    3: ChannelRange(25.75, 1.03, negative=True)},
        "E36312A": {1: ChannelRange(6.18, 5.15), 2: ChannelRange(25.75, 1.03), 3: ChannelRange(25.75, 1.03)},
        "E36313A": {1: ChannelRange(6.18, 10.3), 2: ChannelRange(25.75, 2.06), 3: ChannelRange(25.75, 2.06)},
        # EDU36311A: 6 V/5 A, +30 V/1 A, -30 V/1 A (datasheet ratings; margins UNCONFIRMED).
        "EDU36311A": {1: ChannelRange(6.0, 5.0), 2: ChannelRange(30.0, 1.0),
                      3: ChannelRange(30.0, 1.0, negative=True)},
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^(KEYSIGHT|AGILENT) TECHNOLOGIES,(E|EDU)363\d\dA", identity.strip(), re.I))

    def mode(self) -> Mode:
        bits = int(self._do("mode?"))  # type: ignore[arg-type]
        if bits & ISUM_CC_BIT:
            return "CC"
        if bits & ISUM_CV_BIT:
            return "CV"
        return UNREGULATED_AS
