"""Siglent SPD3303X / SPD3303X-E (SPD3303X/SPD3303X-E User Manual, remote control; scopehal SiglentPowerSupply, Fixate, PyMeasure
siglent_spdbase).

`CH1:VOLT 5`, `CH1:CURR 1`, `OUTP CH1,ON`, `MEAS:VOLT? CH1`; there is no output or CV/CC query:
both come from `SYST:STAT?`, a hex status word. CH3 is set by a front-panel switch (2.5/3.3/5 V)
and cannot be programmed, so only CH1 and CH2 are offered. `SYST:ERR?` answers `0  No error`
(no comma, no quotes), which the session's error parser reads.

The SPD3303X loses commands sent too close together (Fixate: "a 20 ms delay was found to be
reliable", then len/6000 s per character; pyvisa #362): that is its `PACING`.
"""

from __future__ import annotations

import re

from ..pacing import Pacing
from ..visa import Scpi, parse_float
from .base import ChannelRange, Mode, Psu, PsuReading

#: `SYST:STAT?` bits (scopehal): bit 0 CH1 CC(1)/CV(0), bit 1 CH2 CC/CV, bit 4 CH1 output on,
#: bit 5 CH2 output on. Bits 2-3 (tracking) and 6-9 (timer/display) are not used here.
CC_BIT = {1: 0x01, 2: 0x02}
ON_BIT = {1: 0x10, 2: 0x20}


def parse_hex(text: str) -> int:
    """'0x0010' (or '10') -> 16."""
    return int(text.strip(), 16)


class SiglentSPD3303X(Psu):
    DRIVER = "siglent-spd3303x"
    MAKERS = r"SIGLENT"
    FAMILY_MODELS = ("SPD33", "SPD")
    PACING = Pacing(gap_s=0.02, per_char_s=1 / 6000)
    COMMANDS = {
        "set_voltage": Scpi("CH{ch}:VOLT {v}"),
        "set_current": Scpi("CH{ch}:CURR {a}"),
        "voltage?": Scpi("CH{ch}:VOLT?", parse_float),
        "current?": Scpi("CH{ch}:CURR?", parse_float),
        "output_on": Scpi("OUTP CH{ch},ON"),
        "output_off": Scpi("OUTP CH{ch},OFF"),
        "status?": Scpi("SYST:STAT?", parse_hex),
        "measure_voltage?": Scpi("MEAS:VOLT? CH{ch}", parse_float),
        "measure_current?": Scpi("MEAS:CURR? CH{ch}", parse_float),
    }
    _TWO = {1: ChannelRange(32.0, 3.2), 2: ChannelRange(32.0, 3.2)}
    RANGES = {"SPD3303X": _TWO, "SPD3303X-E": _TWO, "SPD3303C": _TWO}

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^Siglent Technologies,SPD3303(X|X-E|C)\b", identity.strip(), re.I))

    def _status(self) -> int:
        return int(self._do("status?"))  # type: ignore[arg-type]

    def output(self) -> bool:
        return bool(self._status() & ON_BIT[self.channel])

    def mode(self) -> Mode:
        return "CC" if self._status() & CC_BIT[self.channel] else "CV"

    def read(self) -> PsuReading:
        status = self._status()  # one status word for output and mode (every message costs 20 ms)
        on = bool(status & ON_BIT[self.channel])
        volts, amps, invalid = self._measure()
        return PsuReading(volts, amps, ("CC" if status & CC_BIT[self.channel] else "CV") if on else "OFF", on,
                          invalid)
