"""Oscilloscope drivers: one `Scope` API, one command table per dialect.

Dialects (reference/scpi.md): Rigol DS1000Z (B.1) and Keysight InfiniiVision 2000X/3000X (B.3).
The profile maps nets to channels (`scope.channels`); everything here speaks nets ("VDD") and
returns `Waveform`s in volts and seconds from the trigger, so the rest of benchtui does not care
which scope is on the bench.

Conventions this module fixes (one place):
* `scope.channels.<net>.offset` follows the Rigol sign (volts ADDED to the signal on screen, so a
  1.2 V rail is centred with offset = -1.2). Keysight's `:CHAN:OFFS` is the voltage at screen
  centre, so the Keysight dialect sends the negated value.
* `TriggerConfig.timebase` is seconds per division; `pretrigger` is the fraction of the record
  before the trigger point.
"""

from __future__ import annotations

import re
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Iterable, Literal

import numpy as np

from ..errors import Cancelled, InstrumentError
from ..profile import ScopeConfig, TriggerConfig
from . import guard
from .visa import Scpi, VisaSession, open_identified, parse_float, parse_int, parse_word
from .waveform import Measurement, Waveform

TriggerState = Literal["armed", "triggered", "stopped", "auto", "running"]

# --- choices the reference notes leave open (scpi.md UNCONFIRMED) -----------------------------
#: Seconds between trigger-status polls while waiting for a trigger.
POLL_S = 0.01
#: After `:SING`, how long to poll for the scope to report "armed" before carrying on.
ARM_CONFIRM_S = 0.5
#: Rigol `:WAV:MODE`: RAW reads acquisition memory (needs the scope stopped, as it is after a
#: single acquisition); NORM would give only the ~1200 screen points.
RIGOL_WAVEFORM_MODE = "RAW"
#: Rigol DS1000Z points per `:WAV:DATA?` request (scpi.md B.1 step 4, pitfall 5).
RIGOL_CHUNK_POINTS = {"BYTE": 250_000, "WORD": 125_000, "ASCII": 15_625}
#: Rigol WORD data byte order: little-endian as PyMeasure reads it (UNCONFIRMED).
RIGOL_WORD_BIG_ENDIAN = False
#: Horizontal divisions on screen: DS1000Z 12, InfiniiVision 10.
RIGOL_DIVISIONS = 12
KEYSIGHT_DIVISIONS = 10
#: `:OPER:COND?` "Run" bit on InfiniiVision: set while acquiring or armed.
KEYSIGHT_RUN_BIT = 8

FORMAT_WORDS = {"BYTE": "BYTE", "WORD": "WORD", "ASCII": "ASC"}
MEASURE_ITEMS = ("vmax", "vmin", "vavg", "rise")


@dataclass(frozen=True)
class Preamble:
    """`:WAV:PRE?` (same 10 fields on Rigol and Keysight)."""

    format: int
    type: int
    points: int
    count: int
    xincrement: float
    xorigin: float
    xreference: float
    yincrement: float
    yorigin: float
    yreference: float

    @classmethod
    def parse(cls, text: str) -> "Preamble":
        # Counts must be true counts (guard: NaN, inf, 1e12 points are errors); a non-finite
        # time base or scale is kept: the capture is then stored marked invalid, not lost.
        f = guard.finite_fields(text, 10)
        return cls(guard.count(f[0], "format", hi=16), guard.count(f[1], "type", hi=16),
                   guard.points(f[2]), guard.count(f[3], "count", hi=1 << 20),
                   f[4], f[5], f[6], f[7], f[8], f[9])


def _n(x: float) -> str:
    """A number as SCPI text: up to 6 significant digits, exponent only when needed."""
    return f"{x:.6g}"


class Scope(ABC):
    """A 4-channel scope whose channels carry the profile's nets."""

    DRIVER: ClassVar[str] = ""
    COMMANDS: ClassVar[dict[str, Scpi]] = {}
    SLOPES: ClassVar[dict[str, str]] = {}
    MEASURE: ClassVar[dict[str, str]] = {}
    DIVISIONS: ClassVar[int] = 10
    #: Preamble format codes accepted for each transfer format.
    FORMAT_CODES: ClassVar[dict[str, tuple[int, ...]]] = {"BYTE": (0,), "WORD": (1,), "ASCII": (2,)}

    def __init__(self, session: VisaSession, cfg: ScopeConfig, identity: str):
        self.session = session
        self.cfg = cfg
        self.identity = identity
        self._armed = False

    @classmethod
    def matches(cls, identity: str) -> bool:
        return False

    # -- helpers ----------------------------------------------------------------------------
    def _do(self, op: str, **fields: object) -> object:
        return self.session.do(self.COMMANDS[op], **fields)

    def channel_of(self, net: str) -> int:
        """The scope channel wired to `net` (InstrumentError naming the known nets otherwise)."""
        try:
            return self.cfg.channels[net].channel
        except KeyError:
            known = ", ".join(self.cfg.channels) or "none"
            raise InstrumentError(f"scope {self.cfg.resource}: no channel for net {net!r} in "
                                  f"scope.channels (known: {known})", where="scope") from None

    # -- setup and trigger ------------------------------------------------------------------
    def setup_channels(self) -> None:
        """Probe ratio, V/div, offset and display on for every net of the profile."""
        for ch in self.cfg.channels.values():
            self._do("probe", n=ch.channel, x=_n(ch.probe))
            self._do("scale", n=ch.channel, x=_n(ch.scale))
            self._do("offset", n=ch.channel, x=_n(self._offset(ch.offset)))
            self._do("display_on", n=ch.channel)
        self.session.check_errors()

    def _offset(self, profile_offset: float) -> float:
        return profile_offset

    def arm(self, trigger: TriggerConfig) -> None:
        """Timebase, edge trigger on the net's channel, then a single acquisition, armed."""
        n = self.channel_of(trigger.source)
        span = self.DIVISIONS * trigger.timebase
        # Time of screen centre after the trigger, so that `pretrigger` of the record precedes it.
        centre = (0.5 - trigger.pretrigger) * span
        self._configure_trigger(n, trigger, centre)
        self.session.check_errors()
        pre_s = trigger.pretrigger * span
        started = time.monotonic()
        self._do("single")
        self._armed = True
        self._confirm_armed(pre_s)
        # No scope can catch a trigger before it has recorded the pre-trigger part, whatever
        # its status says: never return earlier than that after :SING.
        time.sleep(max(0.0, started + pre_s - time.monotonic()))

    @abstractmethod
    def _configure_trigger(self, n: int, trigger: TriggerConfig, centre: float) -> None:
        ...

    @abstractmethod
    def _confirm_armed(self, pre_s: float) -> None:
        """Return once the scope can catch the trigger (pre-trigger part filled), or after
        ARM_CONFIRM_S + `pre_s` seconds, whichever comes first."""

    def force_trigger(self) -> None:
        self._do("force")

    def stop(self) -> None:
        self._do("stop")
        self._armed = False

    @abstractmethod
    def trigger_state(self) -> TriggerState:
        ...

    @abstractmethod
    def _acquisition_done(self) -> bool:
        """True when the single acquisition we armed has completed and can be fetched."""

    def wait_for_trigger(self, timeout_s: float, cancel: threading.Event | None = None) -> bool:
        """Poll until the armed single acquisition completes (True) or `timeout_s` passes (False).

        `timeout_s = 0` polls once. A set `cancel` event raises Cancelled.
        """
        deadline = time.monotonic() + max(0.0, timeout_s)
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("waiting for the scope trigger was cancelled", where="scope")
            if self._acquisition_done():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if cancel is not None:
                cancel.wait(min(POLL_S, remaining))
            else:
                time.sleep(min(POLL_S, remaining))

    # -- waveforms --------------------------------------------------------------------------
    def fetch(self, net: str) -> Waveform:
        """The net's record of the last acquisition, in volts, t = 0 at the trigger."""
        n = self.channel_of(net)
        fmt = self.cfg.format
        self._select_waveform(n, fmt)
        pre = self.session.query_parsed(":WAV:PRE?", Preamble.parse, "10 comma-separated numbers")
        if pre.format not in self.FORMAT_CODES[fmt]:
            raise self.session.garbage(":WAV:PRE?", f"format {pre.format}", f"format code of {fmt}")
        if pre.points <= 0:
            raise InstrumentError(f"scope {self.cfg.resource}: empty record for {net} (CH{n}): "
                                  "nothing acquired yet?", where="scope")
        volts = self._read_volts(pre, fmt)
        if len(volts) != pre.points:
            raise self.session.garbage(":WAV:DATA?", f"{len(volts)} points",
                                       f"{pre.points} points as the preamble says")
        t0 = pre.xorigin - pre.xreference * pre.xincrement
        return Waveform(net, n, t0, pre.xincrement, volts)

    @abstractmethod
    def _select_waveform(self, n: int, fmt: str) -> None:
        ...

    @abstractmethod
    def _read_volts(self, pre: Preamble, fmt: str) -> np.ndarray:
        ...

    def fetch_all(self, nets: Iterable[str] | None = None) -> dict[str, Waveform]:
        """Every net of the profile (or `nets`), in profile order."""
        nets = list(self.cfg.channels) if nets is None else list(nets)
        out = {net: self.fetch(net) for net in nets}
        self.session.check_errors()
        return out

    # -- measurements -----------------------------------------------------------------------
    def measure(self, net: str, item: str) -> Measurement:
        """The scope's own measurement `item` ("vmax", "vmin", "vavg", "rise") on `net`."""
        if item not in self.MEASURE:
            raise InstrumentError(f"scope: unknown measurement {item!r} (known: "
                                  f"{', '.join(MEASURE_ITEMS)})", where="scope")
        n = self.channel_of(net)
        value = self._do("measure?", item=self.MEASURE[item], n=n)
        return Measurement.from_number(float(value))  # type: ignore[arg-type]

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r})"


class RigolDS1000Z(Scope):
    """Rigol DS1000Z / MSO1000Z (scpi.md B.1)."""

    DRIVER = "rigol-ds1000z"
    DIVISIONS = RIGOL_DIVISIONS
    SLOPES = {"rising": "POS", "falling": "NEG", "either": "RFAL"}
    MEASURE = {"vmax": "VMAX", "vmin": "VMIN", "vavg": "VAVG", "rise": "RTIM"}
    STATES: ClassVar[dict[str, TriggerState]] = {
        "TD": "triggered", "WAIT": "armed", "RUN": "running", "AUTO": "auto", "STOP": "stopped"}
    COMMANDS = {
        "probe": Scpi(":CHAN{n}:PROB {x}"),
        "scale": Scpi(":CHAN{n}:SCAL {x}"),
        "offset": Scpi(":CHAN{n}:OFFS {x}"),
        "display_on": Scpi(":CHAN{n}:DISP ON"),
        "trigger": Scpi((":TIM:MAIN:SCAL {scale}", ":TIM:MAIN:OFFS {centre}", ":TRIG:MODE EDGE",
                         ":TRIG:EDGE:SOUR CHAN{n}", ":TRIG:EDGE:SLOP {slope}", ":TRIG:EDGE:LEV {level}")),
        "single": Scpi(":SING"),
        "force": Scpi(":TFOR"),
        "stop": Scpi(":STOP"),
        "state?": Scpi(":TRIG:STAT?", parse_word),
        "waveform": Scpi((":WAV:SOUR CHAN{n}", ":WAV:MODE {mode}", ":WAV:FORM {fmt}")),
        "measure?": Scpi(":MEAS:ITEM? {item},CHAN{n}", parse_float),
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^RIGOL TECHNOLOGIES,(DS|MSO)1\d{3}Z", identity.strip(), re.I))

    def _configure_trigger(self, n: int, trigger: TriggerConfig, centre: float) -> None:
        self._do("trigger", scale=_n(trigger.timebase), centre=_n(centre), n=n,
                 slope=self.SLOPES[trigger.slope], level=_n(trigger.level))

    def _confirm_armed(self, pre_s: float) -> None:
        # RUN after :SING = still filling the pre-trigger part; an edge then is not caught.
        # Wait for WAIT (or a trigger that already came), so the caller may fire the stimulus.
        deadline = time.monotonic() + ARM_CONFIRM_S + pre_s
        seen_running = False
        while time.monotonic() < deadline:
            state = self.trigger_state()
            if state in ("armed", "triggered", "auto") or (state == "stopped" and seen_running):
                return
            seen_running = seen_running or state == "running"
            time.sleep(POLL_S)

    def trigger_state(self) -> TriggerState:
        word = str(self._do("state?"))
        try:
            return self.STATES[word]
        except KeyError:
            raise self.session.garbage(":TRIG:STAT?", word, "TD, WAIT, RUN, AUTO or STOP") from None

    def _acquisition_done(self) -> bool:
        # TD is transient on Rigol (run -> TD -> STOP in a blink): after our :SING, STOP means
        # the single acquisition triggered and completed, whether or not we ever saw TD.
        return self._armed and self.trigger_state() == "stopped"

    def _select_waveform(self, n: int, fmt: str) -> None:
        self._do("waveform", n=n, mode=RIGOL_WAVEFORM_MODE, fmt=FORMAT_WORDS[fmt])

    def _read_volts(self, pre: Preamble, fmt: str) -> np.ndarray:
        step = RIGOL_CHUNK_POINTS[fmt]
        parts = []
        for start in range(1, pre.points + 1, step):
            self.session.write(f":WAV:STAR {start}")
            self.session.write(f":WAV:STOP {min(start + step - 1, pre.points)}")
            limit = guard.block_limit(min(step, pre.points - start + 1), fmt)
            if fmt == "ASCII":
                parts.append(self.session.query_ascii_block(":WAV:DATA?", limit))
            else:
                parts.append(self.session.query_binary_block(
                    ":WAV:DATA?", "B" if fmt == "BYTE" else "H", RIGOL_WORD_BIG_ENDIAN, limit))
        raw = np.concatenate(parts)
        if fmt == "ASCII":
            return raw.astype(float)
        return (raw.astype(float) - pre.yorigin - pre.yreference) * pre.yincrement


class KeysightInfiniiVision(Scope):
    """Keysight/Agilent InfiniiVision DSO-X/MSO-X 2000X/3000X/4000X (scpi.md B.3)."""

    DRIVER = "keysight-infiniivision"
    DIVISIONS = KEYSIGHT_DIVISIONS
    SLOPES = {"rising": "POS", "falling": "NEG", "either": "EITH"}
    MEASURE = {"vmax": "VMAX", "vmin": "VMIN", "vavg": "VAV", "rise": "RIS"}
    FORMAT_CODES = {"BYTE": (0,), "WORD": (1,), "ASCII": (4, 2)}
    COMMANDS = {
        "probe": Scpi(":CHAN{n}:PROB {x}"),
        "scale": Scpi(":CHAN{n}:SCAL {x}"),
        "offset": Scpi(":CHAN{n}:OFFS {x}"),
        "display_on": Scpi(":CHAN{n}:DISP 1"),
        "trigger": Scpi((":TIM:REF CENT", ":TIM:SCAL {scale}", ":TIM:POS {centre}", ":TRIG:MODE EDGE",
                         ":TRIG:SWE NORM", ":TRIG:EDGE:SOUR CHAN{n}", ":TRIG:EDGE:SLOP {slope}",
                         ":TRIG:EDGE:LEV {level}")),
        "single": Scpi(":SING"),
        "force": Scpi(":TRIG:FORC"),
        "stop": Scpi(":STOP"),
        "run_bits?": Scpi(":OPER:COND?", parse_int),
        "armed?": Scpi(":AER?", parse_int),
        "triggered?": Scpi(":TER?", parse_int),
        "waveform": Scpi((":WAV:SOUR CHAN{n}", ":WAV:FORM {fmt}", ":WAV:BYT MSBF", ":WAV:UNS 1",
                          ":WAV:POIN:MODE RAW", ":WAV:POIN MAX")),
        "measure?": Scpi(":MEAS:{item}? CHAN{n}", parse_float),
    }

    def __init__(self, session: VisaSession, cfg: ScopeConfig, identity: str):
        super().__init__(session, cfg, identity)
        self._trigger_seen = False

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^(KEYSIGHT|AGILENT) TECHNOLOGIES,(DSO|MSO)-?X ?\d{4}", identity.strip(), re.I))

    def _offset(self, profile_offset: float) -> float:
        return -profile_offset  # voltage at screen centre (see module docstring)

    def _configure_trigger(self, n: int, trigger: TriggerConfig, centre: float) -> None:
        self._do("trigger", scale=_n(trigger.timebase), centre=_n(centre), n=n,
                 slope=self.SLOPES[trigger.slope], level=_n(trigger.level))

    def _confirm_armed(self, pre_s: float) -> None:
        # Poll :AER? before the stimulus, or the trigger may be missed (scpi.md pitfall 15).
        self._trigger_seen = False
        deadline = time.monotonic() + ARM_CONFIRM_S + pre_s
        while not int(self._do("armed?")) and time.monotonic() < deadline:  # type: ignore[arg-type]
            time.sleep(POLL_S)

    def _running(self) -> bool:
        return bool(int(self._do("run_bits?")) & KEYSIGHT_RUN_BIT)  # type: ignore[arg-type]

    def trigger_state(self) -> TriggerState:
        if not self._running():
            return "stopped"
        if not self._armed:
            return "running"
        if not self._trigger_seen and int(self._do("triggered?")):  # type: ignore[arg-type]
            self._trigger_seen = True  # :TER? clears on read: remember it
        return "triggered" if self._trigger_seen else "armed"

    def _acquisition_done(self) -> bool:
        return self._armed and not self._running()

    def _select_waveform(self, n: int, fmt: str) -> None:
        self._do("waveform", n=n, fmt=FORMAT_WORDS[fmt])

    def _read_volts(self, pre: Preamble, fmt: str) -> np.ndarray:
        limit = guard.block_limit(pre.points, fmt)
        if fmt == "ASCII":
            return self.session.query_ascii_block(":WAV:DATA?", limit).astype(float)
        raw = self.session.query_binary_block(":WAV:DATA?", "B" if fmt == "BYTE" else "H", True, limit)
        return (raw.astype(float) - pre.yreference) * pre.yincrement + pre.yorigin


DIALECTS: tuple[type[Scope], ...] = (RigolDS1000Z, KeysightInfiniiVision)


def open_scope(cfg: ScopeConfig) -> Scope:
    """Connect to the profile's scope, identify it and return its driver (nothing is changed)."""
    return open_identified(cfg, DIALECTS, "scope")

