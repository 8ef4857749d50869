"""Keysight/Agilent InfiniiVision DSO-X/MSO-X 1000X-4000X and EDUX (InfiniiVision
2000X/3000X/4000X programmer's guides; PyMeasure keysightDSOX1102G, scopehal AgilentOscilloscope).

What the programmer's guides require, and this dialect does:
* `:AER?` (armed) and `:TER?` (triggered) are event registers cleared by reading: both are read
  once before `:SING`, so a bit left from an earlier acquisition cannot confirm the new one.
* Completion: the "Run" bit (8) of `:OPER:COND?` clears when the single acquisition is done.
* `:CHAN:OFFS` is the voltage at screen centre (negated profile offset, base.py).
* BYTE value 0 is a hole ("no data"), not a voltage: it becomes NaN.
* PEAK acquisition sends min/max pairs: setup selects `:ACQ:TYPE NORM`, and a PEAK preamble is
  refused with a clear error rather than decoded as samples.
* The data block may hold only the preamble's points (base.py `_read_block`).
* ASCII is read from the screen record (`:WAV:POIN:MODE NORM`, ASCII_POINTS points): at MAX
  points an ASCII block is ~50 MB.
* A DSO-X 2000 answers ~10 s after the TCP connection is accepted (scopehal PR #1056, which
  allows 30 s): when the profile names this driver, the first reply may take CONNECT_TIMEOUT_MS.
"""

from __future__ import annotations

import re
import time

import numpy as np

from ...errors import InstrumentError
from ..visa import Scpi, parse_float, parse_int
from .base import ARM_CONFIRM_POLLS, ARM_CONFIRM_S, POLL_S, Scope, TriggerState
from .preamble import query_preamble

#: `:OPER:COND?` "Run" bit: set while acquiring or armed.
RUN_BIT = 8
#: Points of an ASCII transfer (screen record), our choice.
ASCII_POINTS = 1000
FORMAT_WORDS = {"BYTE": "BYTE", "WORD": "WORD", "ASCII": "ASC"}
FORMAT_CODES = {"BYTE": (0,), "WORD": (1,), "ASCII": (4, 2)}
PEAK_TYPE = 1


class KeysightInfiniiVision(Scope):
    DRIVER = "keysight-infiniivision"
    MAKERS = r"KEYSIGHT|AGILENT"
    FAMILY_MODELS = ("DSO-X", "MSO-X", "DSOX", "MSOX", "EDUX", "DSO", "MSO")
    DIVISIONS = 10
    CONNECT_TIMEOUT_MS = 15_000
    #: UNCONFIRMED (data sheets): 3000T/4000X/6000X 4 Mpts, 1000X/EDUX 1 Mpts, 2000X 100 kpts; the
    #: family bound leaves room for segmented/option memory.
    MEMORY_DEPTH = 8_000_000
    SLOPES = {"rising": "POS", "falling": "NEG", "either": "EITH"}
    MEASURE = {"vmax": "VMAX", "vmin": "VMIN", "vavg": "VAV", "rise": "RIS"}
    COMMANDS = {
        "normal_acquisition": Scpi(":ACQ:TYPE NORM"),
        "channel": Scpi((":CHAN{n}:PROB {probe}", ":CHAN{n}:SCAL {scale}", ":CHAN{n}:OFFS {offset}",
                         ":CHAN{n}:DISP 1")),
        "timebase": Scpi((":TIM:REF CENT", ":TIM:SCAL {scale}", ":TIM:SCAL?"), parse_float),
        "trigger": Scpi((":TIM:POS {centre}", ":TRIG:MODE EDGE", ":TRIG:SWE NORM",
                         ":TRIG:EDGE:SOUR CHAN{n}", ":TRIG:EDGE:SLOP {slope}", ":TRIG:EDGE:LEV {level}")),
        "single": Scpi(":SING"),
        "force": Scpi(":TRIG:FORC"),
        "stop": Scpi(":STOP"),
        "run_bits?": Scpi(":OPER:COND?", parse_int),
        "armed?": Scpi(":AER?", parse_int),
        "triggered?": Scpi(":TER?", parse_int),
        "waveform": Scpi((":WAV:SOUR CHAN{n}", ":WAV:FORM {fmt}", ":WAV:BYT MSBF", ":WAV:UNS 1",
                          ":WAV:POIN:MODE {pmode}", ":WAV:POIN {points}")),
        "measure?": Scpi(":MEAS:{item}? CHAN{n}", parse_float),
    }

    def __init__(self, session, cfg, identity):
        super().__init__(session, cfg, identity)
        self._trigger_seen = False

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^(KEYSIGHT|AGILENT) TECHNOLOGIES,((DSO|MSO)-?X ?\d{4}[A-Z]?|EDUX\d{4}[A-Z]?)\b",
                             identity.strip(), re.I))

    def _offset(self, profile_offset: float) -> float:
        return -profile_offset  # voltage at screen centre (base.py)

    def _before_setup(self) -> None:
        self._do("normal_acquisition")

    def _before_single(self) -> None:
        # Read-clear both event registers: a stale 1 must not confirm this acquisition.
        self._do("armed?")
        self._do("triggered?")
        self._trigger_seen = False

    def _confirm_armed(self, pre_s: float) -> None:
        deadline = time.monotonic() + ARM_CONFIRM_S + pre_s
        polls = 0
        while time.monotonic() < deadline or polls < ARM_CONFIRM_POLLS:
            polls += 1
            if int(self._do("armed?")):  # type: ignore[arg-type]
                self._seen_live = True  # armed since our :SING (the register was cleared before)
                return
            time.sleep(POLL_S)

    def _running(self) -> bool:
        return bool(int(self._do("run_bits?")) & RUN_BIT)  # type: ignore[arg-type]

    def _state(self) -> TriggerState:
        if not self._running():
            return "stopped"
        if not self._armed:
            return "running"
        if not self._trigger_seen and int(self._do("triggered?")):  # type: ignore[arg-type]
            self._trigger_seen = True  # :TER? clears on read: remember it
        return "triggered" if self._trigger_seen else "armed"

    def _read_channel(self, n: int, fmt: str) -> tuple[float, float, np.ndarray]:
        ascii_ = fmt == "ASCII"
        self._do("waveform", n=n, fmt=FORMAT_WORDS[fmt], pmode="NORM" if ascii_ else "RAW",
                 points=ASCII_POINTS if ascii_ else "MAX")
        pre = query_preamble(self.session)
        if pre.format not in FORMAT_CODES[fmt]:
            raise self.session.garbage(":WAV:PRE?", f"format {pre.format}", f"format code of {fmt}")
        if pre.type == PEAK_TYPE:
            raise InstrumentError(f"scope {self.cfg.resource}: CH{n} is in PEAK acquisition (min/max "
                                  "pairs, not samples): set the acquisition to normal", where="scope")
        points = self._bounded_points(pre.points, ":WAV:PRE?", ":WAV:DATA?")
        if ascii_:
            volts = self._read_block(":WAV:DATA?", points, "ASCII", "':WAV:PRE?'").astype(float)
        else:
            raw = self._read_block(":WAV:DATA?", points, fmt, "':WAV:PRE?'", "B" if fmt == "BYTE" else "H", True)
            volts = (raw.astype(float) - pre.yreference) * pre.yincrement + pre.yorigin
            if fmt == "BYTE":
                volts[raw == 0] = np.nan  # a hole: no data for that point
        if len(volts) != pre.points:
            raise self.session.garbage(":WAV:DATA?", f"{len(volts)} points",
                                       f"{pre.points} points as the preamble says")
        return pre.t0, pre.xincrement, volts
