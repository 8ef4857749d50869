"""Siglent SDS2000X Plus, SDS800X/1000X/2000X HD, SDS5000X, SDS6000: the newer SCPI set
(programming guide EN11; PyMeasure siglent_sds1000xhd, scopehal
PROTOCOL_E11).

* `:CHAN<n>:SWIT ON`, `:CHAN<n>:SCAL`, `:CHAN<n>:OFFS` (added to the signal), `:CHAN<n>:PROB VAL,x`.
* `:TIM:SCAL` (snaps; read back), `:TIM:DEL` = time of screen centre after the trigger,
  10 horizontal divisions.
* `:TRIG:TYPE EDGE`, `:TRIG:EDGE:SOUR C<n>`, `:TRIG:EDGE:SLOP RIS|FALL|ALT`, `:TRIG:EDGE:LEV`;
  arm as scopehal does: `:TRIG:STOP` then `:TRIG:MODE SING`; status `:TRIG:STAT?` ->
  Arm/Ready/Auto/Trig'd/Stop/Roll; force `:TRIG:MODE FTRIG`.
* Waveform: `:WAV:SOUR C<n>`, `:WAV:WIDT BYTE|WORD`, `:WAV:PRE?` -> a `#9` block holding the
  346-byte little-endian WAVEDESC (vertical gain, offset, codes/div, interval, delay, probe at the
  offsets below), `:ACQ:POIN?` points, `:WAV:MAXP?` points per read: longer records are read in
  pieces (`:WAV:POIN <max>`, `:WAV:STAR <k x max>`). Blocks end with two newlines. The record
  must fit the model's memory and each block only its piece's points (base.py `_read_block`).
  V = code / codes_per_div x gain x probe - offset x probe; t0 = delay - 5 x tdiv.
* Firmware <= 1.3.9R6 puts the sample count instead of the byte count in WORD block headers
  (scopehal): on those, a profile's WORD is transferred as BYTE.
* Measurements: `:MEAS:SIMP:SOUR C<n>`, `:MEAS:SIMP:ITEM MAX,ON`, `:MEAS:SIMP:VAL? MAX`; `****`.
* Pacing: 50 ms after a setting command, none after a query (siglent_sds1000x_e.SETTING_PACE).
"""

from __future__ import annotations

import re
import struct
from typing import ClassVar

import numpy as np

from .. import guard
from .siglent_sds1000x_e import SETTING_PACE
from ..visa import Scpi, parse_word
from .base import Scope, TriggerState
from .siglent_sds1000x_e import parse_value

H_DIVS = 10
#: WAVEDESC offsets (little-endian): (offset, struct format).
DESC = {"width": (0x20, "<h"), "order": (0x22, "<h"), "points": (0x74, "<i"),
        "gain": (0x9C, "<f"), "offset": (0xA0, "<f"), "codes_per_div": (0xA4, "<f"),
        "adc_bits": (0xAC, "<h"), "interval": (0xB0, "<f"), "delay": (0xB4, "<d"),
        "timebase_index": (0x144, "<h"), "probe": (0x148, "<f")}
DESC_LENGTH = 346
#: Most bytes a `:WAV:PRE?` block may hold (our choice: the 346-byte WAVEDESC and room for a
#: firmware that appends to it; anything longer is not a descriptor).
DESC_MAX_BYTES = 1024
#: Last firmware with the WORD block-header quirk (scopehal).
WORD_QUIRK_FIRMWARE = (1, 3, 9)


def parse_count(text: str) -> int:
    """'1.00E+04' -> 10000; NaN, inf, 1e999, 2.5, '****' are garbage (guard.py)."""
    return guard.count(parse_value(text), "points", hi=guard.MAX_INTEGER)


def parse_wavedesc(payload: bytes) -> dict[str, float]:
    if len(payload) < DESC_LENGTH:
        raise ValueError(f"{len(payload)} bytes")
    return {name: struct.unpack_from(fmt, payload, off)[0] for name, (off, fmt) in DESC.items()}


def _firmware(identity: str) -> tuple[int, int, int, int] | None:
    m = re.search(r"(\d+)\.(\d+)\.(\d+)(?:\.\d+)?R(\d+)", identity.split(",")[-1])
    return tuple(int(x) for x in m.groups()) if m else None  # type: ignore[return-value]


class SiglentSDS2000XPlus(Scope):
    DRIVER = "siglent-sds2000x-plus"
    MAKERS = r"SIGLENT"
    FAMILY_MODELS = ("SDS2", "SDS5", "SDS6", "SDS3", "SDS")
    #: UNCONFIRMED (Siglent data sheets, one channel): SDS2000X Plus / SDS2000X HD 200 Mpts,
    #: SDS1000X HD 100 Mpts, SDS800X HD 50 Mpts, SDS5000X 250 Mpts, SDS6000 up to 500 Mpts.
    MEMORY_DEPTH = 500_000_000
    MODEL_DEPTHS = ((r"SDS2\d{3}X (Plus|HD)", 200_000_000), (r"SDS1\d{3}X HD", 100_000_000),
                    (r"SDS8\d{2}X HD", 50_000_000), (r"SDS5\d{3}", 250_000_000))
    DIVISIONS = H_DIVS
    PACING = SETTING_PACE
    SLOPES = {"rising": "RIS", "falling": "FALL", "either": "ALT"}
    MEASURE = {"vmax": "MAX", "vmin": "MIN", "vavg": "MEAN", "rise": "RISE"}
    STATES: ClassVar[dict[str, TriggerState]] = {
        "ARM": "running", "READY": "armed", "TRIG'D": "triggered", "STOP": "stopped", "AUTO": "auto",
        "ROLL": "running"}
    COMMANDS = {
        "channel": Scpi((":CHAN{n}:PROB VAL,{probe}", ":CHAN{n}:SCAL {scale}", ":CHAN{n}:OFFS {offset}",
                         ":CHAN{n}:SWIT ON")),
        "timebase": Scpi((":TIM:SCAL {scale}", ":TIM:SCAL?"), parse_value),
        "trigger": Scpi((":TIM:DEL {centre}", ":TRIG:TYPE EDGE", ":TRIG:EDGE:SOUR C{n}",
                         ":TRIG:EDGE:SLOP {slope}", ":TRIG:EDGE:LEV {level}")),
        "single": Scpi((":TRIG:STOP", ":TRIG:MODE SING")),
        "force": Scpi(":TRIG:MODE FTRIG"),
        "stop": Scpi(":TRIG:STOP"),
        "state?": Scpi(":TRIG:STAT?", parse_word),
        "points?": Scpi(":ACQ:POIN?", parse_count),
        "max_points?": Scpi(":WAV:MAXP?", parse_count),
        "width": Scpi(":WAV:WIDT {width}"),
        "source": Scpi(":WAV:SOUR C{n}"),
        "window": Scpi((":WAV:STAR {start}", ":WAV:POIN {points}")),
        "measure?": Scpi((":MEAS ON", ":MEAS:MODE SIMP", ":MEAS:SIMP:SOUR C{n}", ":MEAS:SIMP:ITEM {item},ON",
                          ":MEAS:SIMP:VAL? {item}"), parse_value),
        "timebase?": Scpi(":TIM:SCAL?", parse_value),
    }

    def __init__(self, session, cfg, identity):
        super().__init__(session, cfg, identity)
        fw = _firmware(identity)
        self.word_ok = fw is None or fw[:3] > WORD_QUIRK_FIRMWARE

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^Siglent Technologies,SDS(\d{4}X (Plus|HD)|\d{3,4}X HD|[56]\d{3}[A-Z]*)\b",
                             identity.strip(), re.I))

    def _state(self) -> TriggerState:
        word = str(self._do("state?"))
        try:
            return self.STATES[word]
        except KeyError:
            raise self.session.garbage(":TRIG:STAT?", word, "Arm, Ready, Auto, Trig'd, Stop or Roll") from None

    def _before_fetch(self) -> None:
        self._do("stop")
        self._armed = False
        self._points = self._bounded_points(self._do("points?"), ":ACQ:POIN?", ":WAV:DATA?")  # type: ignore[arg-type]
        self._max = max(1, int(self._do("max_points?")))  # type: ignore[arg-type]
        self._tdiv = float(self._do("timebase?"))  # type: ignore[arg-type]
        self._word = self.cfg.format == "WORD" and self.word_ok
        # Width and window are global settings: once per fetch (every setting costs 50 ms).
        self._do("width", width="WORD" if self._word else "BYTE")
        if self._points <= self._max:
            self._do("window", start=0, points=0)  # 0 points = the whole record in one piece

    def _read_channel(self, n: int, fmt: str) -> tuple[float, float, np.ndarray]:
        word = self._word
        self._do("source", n=n)
        payload = self.session.query_block(":WAV:PRE?", DESC_MAX_BYTES, trailer=b"\n",
                                           bound=f"a WAVEDESC is {DESC_LENGTH} bytes")
        try:
            desc = parse_wavedesc(payload)
        except (ValueError, struct.error):
            raise self.session.garbage(":WAV:PRE?", payload, f"a {DESC_LENGTH}-byte WAVEDESC block") from None
        self._bounded_points(desc["points"], ":WAV:PRE? (WAVEDESC wave_array_count)", ":WAV:DATA?")
        dtype = ("<h" if desc["order"] == 0 else ">h") if word else "b"
        parts, start, step = [], 0, self._max
        while start < self._points:
            count = min(step, self._points - start)
            if self._points > self._max:
                self._do("window", start=start, points=count)
            parts.append(self._read_block(":WAV:DATA?", count, "WORD" if word else "BYTE",
                                          f"the piece :WAV:STAR {start}/:WAV:POIN {count}"
                                          if self._points > self._max else "':ACQ:POIN?'",
                                          dtype[-1], dtype[0] == ">", trailer=b"\n"))
            start += count
        codes = np.concatenate(parts) if parts else np.empty(0)
        if len(codes) != self._points:
            raise self.session.garbage(":WAV:DATA?", f"{len(codes)} points", f"{self._points} points (:ACQ:POIN?)")
        vdiv, voff = desc["gain"] * desc["probe"], desc["offset"] * desc["probe"]
        volts = codes.astype(float) / desc["codes_per_div"] * vdiv - voff
        return desc["delay"] - self._tdiv * H_DIVS / 2, desc["interval"], volts
