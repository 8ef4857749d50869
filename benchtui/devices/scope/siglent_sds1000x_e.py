"""Siglent SDS1000X-E / SDS2000X-E: the legacy (LeCroy-style) command set
(Siglent programming guide PG01-E02D; scopehal SiglentSCPIOscilloscope PROTOCOL_ESERIES).

* `CHDR OFF` first, so replies are bare values (`C1:VDIV?` -> `5.00E-01`, not `C1:VDIV 5.00E-01V`);
  parsers still strip a header and unit if one comes.
* Channels `C1:TRA ON`, `C1:VDIV`, `C1:OFST` (added to the signal, the profile's sign), `C1:ATTN`.
* Timebase `TDIV` (snaps; read back), trigger delay `TRDL` = time of screen centre after the
  trigger; 14 horizontal divisions (UNCONFIRMED: SDS1000X-E screen grid, scopehal uses 14).
* Edge trigger `TRSE EDGE,SR,C<n>,HT,OFF`, `C<n>:TRLV`, `C<n>:TRSL POS|NEG`; arm as scopehal does:
  `STOP` then `TRMD SINGLE`; force `FRTR`; status `SAST?` -> Arm/Ready/Trig'd/Stop/Auto.
* Waveform `C<n>:WF? DAT2` -> `[C1:WF DAT2,]#9<len><int8 codes>` + two newlines;
  V = code x VDIV/25 - OFST; t0 = TRDL - 7 x TDIV; dt = 1/SARA. The block may hold only the
  record's SARA x 14 x TDIV points (+1 %), at most the 14 Mpts of memory (base.py `_read_block`). Memory set to 14K at setup
  (`MSIZ` only changes in AUTO trigger mode, so `TRMD AUTO` goes first, as scopehal does).
* Measurements `C<n>:PAVA? MAX` -> `MAX,2.00E+00V`; `****` = cannot measure.
* Errors: `CMR?` (command error register, 0 = none; UNCONFIRMED that SYST:ERR? is absent).
* Pacing: 50 ms after a message that sets something, none after a query (`SETTING_PACE`). The
  programming guides ask for no pacing; of the maintained drivers, PyMeasure's SDS1000XHD and
  libsigrok's siglent-sds send without any, and scopehal's Siglent driver (SiglentSCPIOscilloscope
  .cpp, 2021: `c_setting_delay(50) // Delay required when setting parameters via SCPI`) waited
  50 ms after each setting command only, before it moved to rate-limiting every command (2022)
  when it queued them. A query's reply shows the scope has taken it; lxi-tools #20's freezes were
  under heavy polling.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from ...errors import InstrumentReportedError
from ..pacing import Pacing
from ..visa import Scpi, parse_word
from .base import Scope, TriggerState

#: 50 ms after a setting command, none after a query (see the module docstring).
SETTING_PACE = Pacing(gap_s=0.05, queries=False)
H_DIVS = 14
CODES_PER_DIV = 25
MEMORY = "14K"
INVALID = 9.9e37


def parse_value(text: str) -> float:
    """'5.00E-01', 'C1:VDIV 5.00E-01V', 'MAX,2.00E+00V', '****' (-> 9.9E37) -> a number."""
    value = text.strip().rsplit(",", 1)[-1].strip().split(" ")[-1]
    if value.startswith("*"):
        return INVALID
    m = re.match(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value)
    if not m:
        raise ValueError(text)
    return float(m.group(0))


def parse_state(text: str) -> str:
    return parse_word(text.strip().split(" ")[-1])


class SiglentSDS1000XE(Scope):
    DRIVER = "siglent-sds1000x-e"
    MAKERS = r"SIGLENT"
    FAMILY_MODELS = ("SDS1", "SDS2000X-E")
    #: SDS1000X-E: 14 Mpts (one channel of a pair; data sheet).
    MEMORY_DEPTH = 14_000_000
    DIVISIONS = H_DIVS
    PACING = SETTING_PACE
    SLOPES = {"rising": "POS", "falling": "NEG"}
    MEASURE = {"vmax": "MAX", "vmin": "MIN", "vavg": "MEAN", "rise": "RISE"}
    STATES: ClassVar[dict[str, TriggerState]] = {
        "ARM": "running", "READY": "armed", "TRIG'D": "triggered", "STOP": "stopped", "AUTO": "auto",
        "ROLL": "running"}
    COMMANDS = {
        "headers_off": Scpi(("CHDR OFF", "TRMD AUTO", f"MSIZ {MEMORY}")),
        "channel": Scpi(("C{n}:ATTN {probe}", "C{n}:VDIV {scale}", "C{n}:OFST {offset}", "C{n}:TRA ON")),
        "timebase": Scpi(("TDIV {scale}", "TDIV?"), parse_value),
        "trigger": Scpi(("TRDL {centre}", "TRSE EDGE,SR,C{n},HT,OFF", "C{n}:TRSL {slope}",
                         "C{n}:TRLV {level}")),
        "single": Scpi(("STOP", "TRMD SINGLE")),
        "force": Scpi("FRTR"),
        "stop": Scpi("STOP"),
        "state?": Scpi("SAST?", parse_state),
        "vdiv?": Scpi("C{n}:VDIV?", parse_value),
        "offset?": Scpi("C{n}:OFST?", parse_value),
        "tdiv?": Scpi("TDIV?", parse_value),
        "delay?": Scpi("TRDL?", parse_value),
        "rate?": Scpi("SARA?", parse_value),
        "errors?": Scpi("CMR?", parse_value),
        "measure?": Scpi("C{n}:PAVA? {item}", parse_value),
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^Siglent Technologies,SDS[12]\d{3}X-E\b", identity.strip(), re.I))

    def _before_setup(self) -> None:
        self._do("headers_off")

    def clear_status(self) -> None:
        """At connect: `*CLS` only. The legacy set reads errors with CMR? (which *CLS clears),
        and before `CHDR OFF` its replies carry headers (safety, issue #13)."""
        self.session.write("*CLS")

    def _check_errors(self) -> None:
        code = int(self._do("errors?"))  # type: ignore[arg-type]
        if code:
            raise InstrumentReportedError(
                f"scope {self.cfg.resource}: command error register CMR = {code} after "
                f"{self.session.last_command!r}", code=code, where="scope")

    def _state(self) -> TriggerState:
        word = str(self._do("state?"))
        try:
            return self.STATES[word]
        except KeyError:
            raise self.session.garbage("SAST?", word, "Arm, Ready, Trig'd, Stop or Auto") from None

    def _before_fetch(self) -> None:
        tdiv, delay, rate = (float(self._do("tdiv?")), float(self._do("delay?")),  # type: ignore[arg-type]
                             float(self._do("rate?")))  # type: ignore[arg-type]
        for command, value in (("TDIV?", tdiv), ("SARA?", rate)):
            if not 0 < value < INVALID:
                raise self.session.garbage(command, f"{value:g}", "a positive finite number")
        # The record spans the 14-division screen: points = SARA x 14 x TDIV (the WAVEDESC of
        # `C1:WF? DESC` says the same). SARA has 3 significant digits: allow 1 % for rounding.
        points = self._bounded_points(round(min(rate * tdiv * H_DIVS, 1e15)), "SARA? x TDIV? x 14", "C<n>:WF? DAT2")
        self._timing = (tdiv, delay, rate, int(points * 1.01) + 1)

    def _read_channel(self, n: int, fmt: str) -> tuple[float, float, np.ndarray]:
        tdiv, delay, rate, points = self._timing
        vdiv = float(self._do("vdiv?", n=n))  # type: ignore[arg-type]
        offset = float(self._do("offset?", n=n))  # type: ignore[arg-type]
        codes = self._read_block(f"C{n}:WF? DAT2", points, "BYTE", "'SARA? x TDIV? x 14'", "b",
                                 prefix_max=20, trailer=b"\n")
        volts = codes.astype(float) * (vdiv / CODES_PER_DIV) - offset
        return delay - tdiv * H_DIVS / 2, 1.0 / rate, volts
