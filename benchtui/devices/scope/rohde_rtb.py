"""Rohde & Schwarz RTB2000 / RTM3000 (the R&S user manuals' remote-control chapters).

* Channels `PROB<n>:SET:ATT:MAN`, `CHAN<n>:SCAL`, `CHAN<n>:POS 0`, `CHAN<n>:OFFS` (the voltage at
  the vertical centre: the negated profile offset, base.py), `CHAN<n>:STAT ON`.
* Timebase `TIM:SCAL` (snaps: read back), `TIM:REF 50` and `TIM:POS` = the time of the screen
  centre after the trigger; 12 horizontal divisions (UNCONFIRMED for the RTM3000).
* Edge trigger `TRIG:A:TYPE EDGE`, `TRIG:A:SOUR CH<n>`, `TRIG:A:EDGE:SLOP POS|NEG|EITH`,
  `TRIG:A:LEV<n> <V>`, `TRIG:A:MODE NORM`; single shot `SING`; completion `ACQ:STAT?` = COMP
  (`*OPC?` would block until then, with no way to cancel); force `*TRG`.
* Waveform `FORM REAL,32`, `FORM:BORD LSBF`, `CHAN<n>:DATA:POIN DEF`, `CHAN<n>:DATA:HEAD?` ->
  `xstart,xstop,points,1`, `CHAN<n>:DATA?` a block of float32 volts (no scaling to apply).
* Measurements `MEAS1:SOUR CH<n>`, `MEAS1:MAIN UPE|LPE|MEAN|RTIM`, `MEAS1:ENAB ON`, `MEAS1:RES?`.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from ..visa import Scpi, parse_float, parse_word
from .base import BLOCK_SLACK, Scope, TriggerState


def parse_header(text: str) -> list[float]:
    return [float(x) for x in text.strip().split(",")]


class RohdeRTB(Scope):
    DRIVER = "rohde-rtb"
    MAKERS = r"ROHDE|HAMEG"
    FAMILY_MODELS = ("RTB", "RTM", "RTA", "RTC", "RTH", "HMO")
    #: RTB2000: 20 Mpts per channel (interleaved); RTM3000: 40 Mpts (data sheets; UNCONFIRMED).
    MEMORY_DEPTH = 40_000_000
    DIVISIONS = 12
    SLOPES = {"rising": "POS", "falling": "NEG", "either": "EITH"}
    MEASURE = {"vmax": "UPE", "vmin": "LPE", "vavg": "MEAN", "rise": "RTIM"}
    STATES: ClassVar[dict[str, TriggerState]] = {"RUN": "armed", "COMP": "stopped", "STOP": "stopped",
                                                  "BRE": "stopped"}
    COMMANDS = {
        "channel": Scpi(("PROB{n}:SET:ATT:MAN {probe}", "CHAN{n}:SCAL {scale}", "CHAN{n}:POS 0",
                         "CHAN{n}:OFFS {offset}", "CHAN{n}:STAT ON")),
        "timebase": Scpi(("TIM:SCAL {scale}", "TIM:SCAL?"), parse_float),
        "trigger": Scpi(("TIM:REF 50", "TIM:POS {centre}", "TRIG:A:TYPE EDGE", "TRIG:A:SOUR CH{n}",
                         "TRIG:A:EDGE:SLOP {slope}", "TRIG:A:LEV{n} {level}", "TRIG:A:MODE NORM")),
        "single": Scpi("SING"),
        "force": Scpi("*TRG"),
        "stop": Scpi("STOP"),
        "state?": Scpi("ACQ:STAT?", parse_word),
        "format": Scpi(("FORM REAL,32", "FORM:BORD LSBF")),
        "header?": Scpi(("CHAN{n}:DATA:POIN DEF", "CHAN{n}:DATA:HEAD?"), parse_header),
        "measure?": Scpi(("MEAS1:SOUR CH{n}", "MEAS1:MAIN {item}", "MEAS1:ENAB ON", "MEAS1:RES?"), parse_float),
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^Rohde&Schwarz,(RTB2|RTM3)\d{3}\b", identity.strip(), re.I))

    def _offset(self, profile_offset: float) -> float:
        return -profile_offset  # voltage at the vertical centre

    def _state(self) -> TriggerState:
        word = str(self._do("state?")).upper()
        if word == "RUN" and not self._armed:
            return "running"         # free-running: RUN has no word for armed versus acquiring
        try:
            return self.STATES[word[:4] if word.startswith(("COMP", "BRE")) else word]
        except KeyError:
            raise self.session.garbage("ACQ:STAT?", word, "RUN, STOP, COMPlete or BREak") from None

    def _acquisition_done(self) -> bool:
        return self._armed and str(self._do("state?")).upper().startswith("COMP")

    def _before_fetch(self) -> None:
        self._do("format")

    def _read_channel(self, n: int, fmt: str) -> tuple[float, float, np.ndarray]:
        head = self._do("header?", n=n)
        if not isinstance(head, list) or len(head) != 4:
            raise self.session.garbage(f"CHAN{n}:DATA:HEAD?", str(head), "xstart,xstop,points,1")
        x0, x1, points, _ = head
        n_points = self._bounded_points(points, f"CHAN{n}:DATA:HEAD?", f"CHAN{n}:DATA?")
        volts = self.session.query_binary_block(f"CHAN{n}:DATA?", "f", False, n_points * 4 + BLOCK_SLACK,
                                                bound=f"CHAN{n}:DATA:HEAD? allows {n_points:,} points")
        if len(volts) != n_points:
            raise self.session.garbage(f"CHAN{n}:DATA?", f"{len(volts)} points", f"{n_points} (DATA:HEAD?)")
        return x0, (x1 - x0) / max(1, n_points), volts.astype(float)
