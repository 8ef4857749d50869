"""Rigol DS1000Z / MSO1000Z (Rigol DS1000Z Programming Guide; libsigrok rigol-ds, PyMeasure PR #1368).

What the programming guide and the owners' drivers require, and this dialect does:
* `:TRIG:STAT?` answers TD, WAIT, RUN, AUTO or STOP (old firmware: `T'D`). TD is transient; the
  single shot is complete at STOP, but only after the scope was seen live since our `:SING`
  (base.py): a STOP still standing from the previous acquisition is not a capture.
* `:STOP` before reading memory (`:WAV:MODE RAW`, step 1 of the guide's example), once per fetch.
* The timebase snaps to 1-2-5 steps: the scale is read back (`:TIM:MAIN:SCAL?`) and the offset
  computed from it (pklaus/ds1054z rounds the same way).
* Settings are synchronised with `*OPC?` before `:SING` (sigrok sends `*OPC?` after each
  setting), and a short gap follows `:SING`/`:STOP` (`PACING`; scopehal sends `*WAI` there).
* The ADC is 8-bit: WORD transfers carry nothing BYTE does not and their byte order is not
  documented, so a profile's WORD is transferred as BYTE; ASCII is read as ASCII.
* Over USB, pyvisa-py lacks python-usbtmc's DS1000Z workaround (USB product ID 0x04ce): a USB
  resource is warned about at connect, LAN recommended.
* RAW reads in chunks of at most 250 000 BYTE / 15 625 ASCII points (`:WAV:STAR`/`:WAV:STOP`);
  each chunk's block may hold only the points of its window (base.py `_read_block`).
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar

import numpy as np

from ..pacing import Pacing
from ..visa import Scpi, parse_float, parse_int, parse_word
from .base import Scope, TriggerState
from .preamble import query_preamble

log = logging.getLogger("benchtui.scope")

#: Points per `:WAV:DATA?` request (PyMeasure `_WAVEFORM_CHUNK_LIMITS`; the programming guide's
#: DS1000Z-E batch read example).
CHUNK_POINTS = {"BYTE": 250_000, "WORD": 125_000, "ASC": 15_625}
#: Profile format -> transfer format (8-bit ADC: WORD is sent as BYTE, see the module docstring).
TRANSFER = {"BYTE": "BYTE", "WORD": "BYTE", "ASCII": "ASC"}
FORMAT_CODE = {"BYTE": 0, "WORD": 1, "ASC": 2}
#: Firmware before this gives only 1200 points in RAW mode (pklaus/ds1054z #5).
RAW_FIRMWARE = (0, 4, 4)


class RigolDS1000Z(Scope):
    DRIVER = "rigol-ds1000z"
    MAKERS = r"RIGOL"
    FAMILY_MODELS = ("DS1", "MSO1", "DS2", "MSO2", "DS")
    DIVISIONS = 12
    #: UNCONFIRMED: 20 ms after run-state changes (scopehal waits with *WAI after :SING).
    PACING = Pacing(after=((":SING", 0.02), (":STOP", 0.02)))
    SLOPES = {"rising": "POS", "falling": "NEG", "either": "RFAL"}
    MEASURE = {"vmax": "VMAX", "vmin": "VMIN", "vavg": "VAVG", "rise": "RTIM"}
    STATES: ClassVar[dict[str, TriggerState]] = {
        "TD": "triggered", "T'D": "triggered", "WAIT": "armed", "RUN": "running", "AUTO": "auto",
        "STOP": "stopped"}
    COMMANDS = {
        "channel": Scpi((":CHAN{n}:PROB {probe}", ":CHAN{n}:SCAL {scale}", ":CHAN{n}:OFFS {offset}",
                         ":CHAN{n}:DISP ON")),
        "timebase": Scpi((":TIM:MAIN:SCAL {scale}", ":TIM:MAIN:SCAL?"), parse_float),
        "trigger": Scpi((":TIM:MAIN:OFFS {centre}", ":TRIG:MODE EDGE", ":TRIG:EDGE:SOUR CHAN{n}",
                         ":TRIG:EDGE:SLOP {slope}", ":TRIG:EDGE:LEV {level}", "*OPC?"), parse_int),
        "single": Scpi(":SING"),
        "force": Scpi(":TFOR"),
        "stop": Scpi(":STOP"),
        "state?": Scpi(":TRIG:STAT?", parse_word),
        "waveform": Scpi((":WAV:SOUR CHAN{n}", ":WAV:MODE {mode}", ":WAV:FORM {fmt}")),
        "measure?": Scpi(":MEAS:ITEM? {item},CHAN{n}", parse_float),
    }
    TRANSFER: ClassVar[dict[str, str]] = TRANSFER
    CHUNK_POINTS: ClassVar[dict[str, int]] = CHUNK_POINTS
    WAVEFORM_MODE = "RAW"
    #: The query whose answer is the record length (DHO: the memory depth, not the preamble).
    RECORD_QUERY = ":WAV:PRE?"
    #: DS1000Z: 24 Mpts (one channel, with the memory option; 12 Mpts standard).
    MEMORY_DEPTH = 24_000_000
    RAW_FIRMWARE: ClassVar[tuple[int, ...] | None] = RAW_FIRMWARE

    def __init__(self, session, cfg, identity):
        super().__init__(session, cfg, identity)
        fw = firmware_of(identity)
        if fw and self.RAW_FIRMWARE and fw < self.RAW_FIRMWARE:
            log.warning("scope %s: firmware %s gives only 1200 points in RAW mode; update to "
                        "00.04.04.SP3 or later", cfg.resource, identity.split(",")[-1].strip())
        if cfg.resource.upper().startswith("USB") and type(self) is RigolDS1000Z:
            log.warning("scope %s: pyvisa-py's USBTMC lacks the DS1000Z workaround python-usbtmc "
                        "carries (USB product 0x04ce), so long reads may fail: use the LAN port "
                        "(TCPIP0::<address>::5555::SOCKET)", cfg.resource)

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^RIGOL TECHNOLOGIES,(DS|MSO)1\d{3}Z", identity.strip(), re.I))

    def _state(self) -> TriggerState:
        word = str(self._do("state?"))
        try:
            return self.STATES[word]
        except KeyError:
            raise self.session.garbage(":TRIG:STAT?", word, "TD, WAIT, RUN, AUTO or STOP") from None

    def _before_fetch(self) -> None:
        self._do("stop")  # memory (RAW) reads need a stopped scope; harmless after a single
        self._armed = False

    def _read_channel(self, n: int, fmt: str) -> tuple[float, float, np.ndarray]:
        wire = self.TRANSFER[fmt]
        self._do("waveform", n=n, mode=self.WAVEFORM_MODE, fmt=wire)
        pre = query_preamble(self.session)
        if pre.format != FORMAT_CODE[wire]:
            raise self.session.garbage(":WAV:PRE?", f"format {pre.format}", f"format code of {wire}")
        total = self._bounded_points(self._record_points(pre.points), self.RECORD_QUERY, ":WAV:DATA?")
        step = self._chunk(pre.points, wire)
        parts = []
        for start in range(1, total + 1, step):
            stop = min(start + step - 1, total)
            self.session.write(f":WAV:STAR {start}")
            self.session.write(f":WAV:STOP {stop}")
            parts.append(self._read_block(":WAV:DATA?", stop - start + 1, wire,
                                          f"the window :WAV:STAR {start}..:WAV:STOP {stop}",
                                          "B" if wire == "BYTE" else "H"))
        raw = np.concatenate(parts) if parts else np.empty(0)
        if len(raw) != total:
            raise self.session.garbage(":WAV:DATA?", f"{len(raw)} points", f"{total} points as the preamble says")
        volts = raw.astype(float) if wire == "ASC" else \
            (raw.astype(float) - pre.yorigin - pre.yreference) * pre.yincrement
        return pre.t0, pre.xincrement, volts

    def _record_points(self, preamble_points: int) -> int:
        return preamble_points

    def _chunk(self, preamble_points: int, wire: str) -> int:
        return self.CHUNK_POINTS[wire]


def firmware_of(identity: str) -> tuple[int, ...] | None:
    """'00.04.04.SP3' -> (0, 4, 4); None when the 4th *IDN? field is not dotted numbers."""
    fields = identity.split(",")
    if len(fields) < 4:
        return None
    nums = re.findall(r"\d+", fields[3])
    return tuple(int(x) for x in nums[:3]) if len(nums) >= 3 else None
