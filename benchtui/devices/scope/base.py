"""The oscilloscope as benchtui sees it: one `Scope` API and the dialect contract.

The profile maps nets to channels (`scope.channels`); everything here speaks nets ("VDD") and
returns `Waveform`s in volts and seconds from the trigger, so the rest of benchtui does not care
which scope is on the bench. A dialect (one module per family in this package) declares its
`COMMANDS` table, `SLOPES`, `MEASURE` items, screen `DIVISIONS`, `PACING`, and implements the
few things scopes really disagree on: reading the timebase back, the trigger status, completion
of a single acquisition, and how a channel's record is transferred and scaled.

Conventions fixed here (one place):
* `scope.channels.<net>.offset` follows the Rigol sign (volts ADDED to the signal on screen, so a
  1.2 V rail is centred with offset = -1.2). Dialects whose offset is the voltage at screen
  centre (Keysight) send the negated value.
* `TriggerConfig.timebase` is seconds per division as requested; scopes snap it to their own
  steps, so the dialect reads it back and the trigger position is computed from what the scope
  actually uses. `pretrigger` is the fraction of the record before the trigger point.
* Waveform reads are bounded twice before a byte of data is read: the record length the scope
  announces (preamble, descriptor, record-length query) must fit the model's acquisition memory
  (`memory_depth()`), and each block may carry only the points asked for x bytes per point +
  BLOCK_SLACK (`_read_block`); a block header claiming more is refused from the header.
* Single-shot completion: after our `single`, a status that says "stopped" only counts once the
  scope has been seen live (armed, waiting, running or triggered) since that `single`. A scope
  that still reports the STOP of the previous acquisition has not taken the new one yet.
"""

from __future__ import annotations

import re
import threading
import time
from abc import ABC, abstractmethod
from typing import ClassVar, Iterable, Literal

import numpy as np

from ...errors import Cancelled, InstrumentError, InstrumentGarbage
from .. import guard
from ...profile import ScopeConfig, TriggerConfig
from ..pacing import NO_PACING, Pacing
from ..visa import Scpi, VisaSession
from ..waveform import Measurement, Waveform

TriggerState = Literal["armed", "triggered", "stopped", "auto", "running"]
LIVE_STATES = ("armed", "triggered", "auto", "running")

# --- choices the programming guides leave open (UNCONFIRMED) -----------------------------------
#: Seconds between trigger-status polls while waiting for a trigger.
POLL_S = 0.01
#: After `single`, how long to poll for the scope to report "armed" before carrying on, and
#: how many polls at least (a paced scope spends 50 ms per poll; a loaded host more).
ARM_CONFIRM_S = 0.5
ARM_CONFIRM_POLLS = 8

MEASURE_ITEMS = ("vmax", "vmin", "vavg", "rise")
#: Bytes a waveform block may carry beyond points x bytes per point (our choice: a trailing
#: separator or padding; the `#N<len>` header is read before the bound applies).
BLOCK_SLACK = 64
#: Bytes per point on the wire: BYTE 1, WORD 2, ASCII up to one "-1.234567E+00," field.
BYTES_PER_POINT = {"BYTE": 1, "WORD": 2, "ASCII": 16, "ASC": 16}


def number_text(x: float) -> str:
    """A number as SCPI text: up to 6 significant digits, exponent only when needed."""
    return f"{x:.6g}"


class Scope(ABC):
    """A 4-channel scope whose channels carry the profile's nets."""

    DRIVER: ClassVar[str] = ""
    #: For "not supported" instruments: the makers (a regex on the *IDN? maker field) and
    #: the model prefixes of this family (devices/identify.py names the closest family).
    MAKERS: ClassVar[str] = ""
    FAMILY_MODELS: ClassVar[tuple[str, ...]] = ()
    COMMANDS: ClassVar[dict[str, Scpi]] = {}
    SLOPES: ClassVar[dict[str, str]] = {}
    MEASURE: ClassVar[dict[str, str]] = {}
    DIVISIONS: ClassVar[int] = 10
    PACING: ClassVar[Pacing] = NO_PACING
    #: Timeout of the first reply after connecting, when the profile names this dialect.
    CONNECT_TIMEOUT_MS: ClassVar[int] = 0
    #: Deepest acquisition memory of the family, in points, and of particular models:
    #: (regex on the *IDN? model field, points), first match wins (`memory_depth()`).
    MEMORY_DEPTH: ClassVar[int] = guard.MAX_POINTS
    MODEL_DEPTHS: ClassVar[tuple[tuple[str, int], ...]] = ()

    def __init__(self, session: VisaSession, cfg: ScopeConfig, identity: str):
        self.session = session
        self.cfg = cfg
        self.identity = identity
        self._armed = False
        self._seen_live = False
        #: The part of the armed record after the trigger point (s): how long a trigger needs
        #: to complete its record.
        self.post_trigger_s = 0.0
        if self.PACING:
            session.pace = self.PACING

    @classmethod
    def matches(cls, identity: str) -> bool:
        return False

    # -- helpers ----------------------------------------------------------------------------
    @property
    def model(self) -> str:
        fields = self.identity.split(",")
        return fields[1].strip() if len(fields) > 1 and fields[1].strip() else self.DRIVER

    def memory_depth(self) -> int:
        """The most points one channel's record can have on this model."""
        for pattern, depth in self.MODEL_DEPTHS:
            if re.match(pattern, self.model, re.I):
                return depth
        return self.MEMORY_DEPTH

    def _bounded_points(self, points: float, said_by: str, data_command: str) -> int:
        """`points` (announced by `said_by`) as a record length this model can hold, else one
        InstrumentGarbage line naming the scope and both commands, before any data is read."""
        depth = self.memory_depth()
        where = f"scope {self.cfg.resource}: {said_by!r} says"
        try:
            n = guard.count(points, "points", hi=guard.MAX_INTEGER)
        except ValueError:
            raise InstrumentGarbage(f"{where} {points!s} points, which is not a count of points; "
                                    f"refused before reading {data_command!r}", where="scope") from None
        if n > depth:
            raise InstrumentGarbage(f"{where} {n:,} points, more than a {self.model} can hold "
                                    f"({depth:,}); refused before reading {data_command!r}", where="scope")
        return n

    def _read_block(self, command: str, points: int, fmt: str, said_by: str,
                    datatype: str = "B", big_endian: bool = False, **block: object) -> np.ndarray:
        """The block reply to `command`, which may carry `points` points in `fmt` (+ slack) and
        not a byte more: a header claiming more is refused before its payload is read."""
        limit = max(1, points) * BYTES_PER_POINT[fmt] + BLOCK_SLACK
        bound = f"{said_by} allows {points:,} {fmt} points"
        if fmt in ("ASCII", "ASC"):
            return self.session.query_ascii_block(command, limit, bound=bound, **block)
        return self.session.query_binary_block(command, datatype, big_endian, limit, bound=bound, **block)
    def _do(self, op: str, **fields: object) -> object:
        return self.session.do(self.COMMANDS[op], **fields)

    def _check_errors(self) -> None:
        self.session.check_errors()

    def channel_of(self, net: str) -> int:
        """The scope channel wired to `net` (InstrumentError naming the known nets otherwise)."""
        try:
            return self.cfg.channels[net].channel
        except KeyError:
            known = ", ".join(self.cfg.channels) or "none"
            raise InstrumentError(f"scope {self.cfg.resource}: no channel for net {net!r} in "
                                  f"scope.channels (known: {known})", where="scope") from None

    def _slope(self, slope: str) -> str:
        try:
            return self.SLOPES[slope]
        except KeyError:
            raise InstrumentError(f"scope {self.cfg.resource}: {self.DRIVER} has no {slope!r} edge "
                                  f"trigger (use one of {', '.join(self.SLOPES)})", where="scope") from None

    # -- setup and trigger ------------------------------------------------------------------
    def setup_channels(self) -> None:
        """Probe ratio, V/div, offset and display on for every net of the profile."""
        self._before_setup()
        for ch in self.cfg.channels.values():
            self._do("channel", n=ch.channel, probe=number_text(ch.probe), scale=number_text(ch.scale),
                     offset=number_text(self._offset(ch.offset)))
        self._check_errors()

    def _before_setup(self) -> None:
        """Dialect hook: settings sent once before the channels (headers off, acquisition type)."""

    def _offset(self, profile_offset: float) -> float:
        return profile_offset

    def arm(self, trigger: TriggerConfig) -> None:
        """Timebase, edge trigger on the net's channel, then a single acquisition, armed."""
        n = self.channel_of(trigger.source)
        slope = self._slope(trigger.slope)
        scale = self._set_timebase(trigger.timebase)
        span = self.DIVISIONS * scale
        # Time of screen centre after the trigger, so that `pretrigger` of the record precedes it.
        centre = (0.5 - trigger.pretrigger) * span
        self._do("trigger", centre=number_text(centre), n=n, slope=slope,
                 level=number_text(trigger.level), position=number_text(trigger.pretrigger * 100))
        self._check_errors()
        pre_s = trigger.pretrigger * span
        self.post_trigger_s = span - pre_s
        self._before_single()
        started = time.monotonic()
        self._do("single")
        self._armed, self._seen_live = True, False
        self._confirm_armed(pre_s)
        # No scope can catch a trigger before it has recorded the pre-trigger part, whatever
        # its status says: never return earlier than that after the single.
        time.sleep(max(0.0, started + pre_s - time.monotonic()))

    def _set_timebase(self, scale: float) -> float:
        """Set s/div; return the value the scope actually uses (read back: scopes snap it)."""
        return float(self._do("timebase", scale=number_text(scale)))  # type: ignore[arg-type]

    def _before_single(self) -> None:
        """Dialect hook: just before the single (e.g. read-clear stale event registers)."""

    def _confirm_armed(self, pre_s: float) -> None:
        """Return once the scope can catch the trigger, or after ARM_CONFIRM_S + `pre_s`."""
        deadline = time.monotonic() + ARM_CONFIRM_S + pre_s
        polls = 0
        while time.monotonic() < deadline or polls < ARM_CONFIRM_POLLS:
            state = self.trigger_state()
            polls += 1
            if state in ("armed", "triggered", "auto") or (state == "stopped" and self._seen_live):
                return
            time.sleep(POLL_S)

    def force_trigger(self) -> None:
        self._do("force")

    def stop(self) -> None:
        self._do("stop")
        self._armed = False

    def trigger_state(self) -> TriggerState:
        state = self._state()
        if self._armed and state in LIVE_STATES:
            self._seen_live = True
        return state

    @abstractmethod
    def _state(self) -> TriggerState:
        """The status the scope reports now, in benchtui's words."""

    def _acquisition_done(self) -> bool:
        """True when the single acquisition we armed has completed and can be fetched."""
        return self._armed and self.trigger_state() == "stopped" and self._seen_live

    def wait_for_trigger(self, timeout_s: float, cancel: threading.Event | None = None) -> bool:
        """Poll until the armed single acquisition completes (True) or `timeout_s` passes (False).

        `timeout_s = 0` polls once. A set `cancel` event raises Cancelled. The answer to a poll
        sent at or after the deadline decides: on a loaded host one poll can outlast the whole
        wait, and a poll sent before the deadline cannot see what the scope completes after it.
        """
        deadline = time.monotonic() + max(0.0, timeout_s)
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("waiting for the scope trigger was cancelled", where="scope")
            asked = time.monotonic()
            if self._acquisition_done():
                return True
            if asked >= deadline:
                return False
            remaining = max(0.0, deadline - time.monotonic())
            if cancel is not None:
                cancel.wait(min(POLL_S, remaining))
            else:
                time.sleep(min(POLL_S, remaining))

    def wait_for_record(self, cancel: threading.Event | None = None) -> bool:
        """True if the armed acquisition has completed, waiting at most for the record's
        post-trigger part (and one poll): a trigger just before this call (a fault that ended
        the step we waited for) completes its record only that much later."""
        return self.wait_for_trigger(self.post_trigger_s + POLL_S, cancel)

    # -- waveforms --------------------------------------------------------------------------
    def fetch(self, net: str) -> Waveform:
        """The net's record of the last acquisition, in volts, t = 0 at the trigger."""
        self._before_fetch()
        return self._fetch(net)

    def _fetch(self, net: str) -> Waveform:
        n = self.channel_of(net)
        t0, dt, volts = self._read_channel(n, self.cfg.format)
        if len(volts) == 0:
            raise InstrumentError(f"scope {self.cfg.resource}: empty record for {net} (CH{n}): "
                                  "nothing acquired yet?", where="scope")
        return Waveform(net, n, t0, dt, np.asarray(volts, dtype=float))

    def _before_fetch(self) -> None:
        """Dialect hook: once before the channels of a fetch (e.g. :STOP before a RAW read)."""

    @abstractmethod
    def _read_channel(self, n: int, fmt: str) -> tuple[float, float, np.ndarray]:
        """(t0 relative to the trigger, dt, volts) of channel n's record."""

    def fetch_all(self, nets: Iterable[str] | None = None) -> dict[str, Waveform]:
        """Every net of the profile (or `nets`), in profile order."""
        nets = list(self.cfg.channels) if nets is None else list(nets)
        self._before_fetch()
        out = {net: self._fetch(net) for net in nets}
        self._check_errors()
        return out

    # -- measurements -----------------------------------------------------------------------
    def measure(self, net: str, item: str) -> Measurement:
        """The scope's own measurement `item` ("vmax", "vmin", "vavg", "rise") on `net`."""
        if item not in self.MEASURE:
            raise InstrumentError(f"scope: unknown measurement {item!r} (known: "
                                  f"{', '.join(MEASURE_ITEMS)})", where="scope")
        n = self.channel_of(net)
        return Measurement.from_number(float(self._do("measure?", item=self.MEASURE[item], n=n)))  # type: ignore[arg-type]

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r})"
