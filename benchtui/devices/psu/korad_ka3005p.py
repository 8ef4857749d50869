"""Korad / Tenma KA3005P, KA3305P and their rebadged twins (Tenma 72-2540, RND 320-KA3005P,
Velleman LABPS3005D): a serial protocol without terminators.

Sources: libsigrok src/hardware/korad-kaxxxxp. 9600 baud 8N1; `VSET1:03.30`, `ISET1:0.500`,
`OUT1`/`OUT0` sent with no terminator; `VSET1?`, `ISET1?`, `VOUT1?`, `IOUT1?` answer five
characters (`03.30`), `STATUS?` one byte (bit 0 CH1 CV, bit 6 output on), `*IDN?` a line with no
end (read until the line is quiet). Nothing reports an error, and the unit drops a command that
comes too soon after the previous one: sigrok keeps 80 ms after every command, so does `PACING`
here, and every setting is read back after it is sent (a lost command is an error, not a
surprise at the next cycle).
"""

from __future__ import annotations

import re
import time
from typing import Any

from ...errors import InstrumentError, InstrumentSilent
from ..pacing import Pacing
from ..scpi import Scpi, parse_float
from ..serial_line import open_line
from .base import ChannelRange, Mode, Psu, PsuReading

#: Quiet time that ends a reply of unknown length (*IDN?): 10 characters at 9600 baud, plus slack.
QUIET_S = 0.05
ON_BIT, CV_BIT = 0x40, 0x01


def parse_byte(text: str) -> int:
    if len(text) != 1:
        raise ValueError(text)
    return ord(text)


class KoradLink:
    """The serial line to one unit: paced writes with no terminator, fixed-length replies."""

    def __init__(self, resource: str, timeout_ms: int, name: str = "PSU"):
        self.resource, self.timeout_ms, self.name = resource, timeout_ms, name
        self.port = open_line(resource, baudrate=9600, timeout_s=timeout_ms / 1000, name=name)
        self.pace: Any = None
        self._last: tuple[str, float] | None = None

    def write(self, command: str) -> None:
        if self.pace is not None and self._last is not None:
            wait = self._last[1] + self.pace(self._last[0]) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self.port.reset_input_buffer()          # a late byte of an earlier reply (ISET1?'s 6th)
        self.port.write(command.encode("ascii"))
        self.port.flush()
        self._last = (command, time.monotonic())

    def query(self, command: str, size: int | None) -> str:
        """Send; read `size` bytes, or (None) until the line is quiet, within the timeout."""
        self.write(command)
        deadline = time.monotonic() + self.timeout_ms / 1000
        data = b""
        while time.monotonic() < deadline and (size is None or len(data) < size):
            self.port.timeout = QUIET_S if size is None else max(0.0, min(deadline - time.monotonic(), 1.0))
            chunk = self.port.read((size - len(data)) if size else 64)
            if not chunk and data and size is None:
                break                            # the line went quiet: the reply has ended
            data += chunk
        self._last = (command, time.monotonic())  # the unit's processing time runs from the reply
        if not data or (size is not None and len(data) < size):
            raise InstrumentSilent(f"{self.name} {self.resource}: no reply to {command!r} within "
                                   f"{self.timeout_ms} ms ({len(data)} bytes arrived)", where=self.name)
        return data.decode("latin-1")

    def do(self, op: Scpi, **fields: Any) -> Any:
        messages = op.render(**fields)
        for message in messages[:-1] if op.parse else messages:
            self.write(message)
        if op.parse is None:
            return None
        command = messages[-1]
        reply = self.query(command, 1 if command == "STATUS?" else 5)
        try:
            return op.parse(reply)
        except ValueError:
            raise InstrumentError(f"{self.name} {self.resource}: unexpected reply {reply!r} to "
                                  f"{command!r}", where=self.name) from None

    def check_errors(self) -> None:
        """The unit has no error queue (settings are read back instead)."""

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:  # already gone with the USB cable: nothing left to release
            pass


class KoradKA3005P(Psu):
    DRIVER = "korad-ka3005p"
    #: What `probe` asks, in words (discovery says so when nothing answered).
    QUESTION = "'*IDN?' without a terminator"
    MAKERS = r"KORAD|TENMA|VELLEMAN|RND"
    FAMILY_MODELS = ("KA30", "KA33", "KD30", "72-25", "KA", "KD", "72-")
    PACING = Pacing(gap_s=0.08)
    DECIMALS = {"voltage": 2, "current": 3}
    COMMANDS = {
        "set_voltage": Scpi("VSET{ch}:{v}"),
        "set_current": Scpi("ISET{ch}:{a}"),
        "voltage?": Scpi("VSET{ch}?", parse_float),
        "current?": Scpi("ISET{ch}?", parse_float),
        "output_on": Scpi("OUT1"),
        "output_off": Scpi("OUT0"),
        "status?": Scpi("STATUS?", parse_byte),
        "measure_voltage?": Scpi("VOUT{ch}?", parse_float),
        "measure_current?": Scpi("IOUT{ch}?", parse_float),
    }
    _ONE = {1: ChannelRange(31.0, 5.1)}
    RANGES = {"KA3005P": _ONE, "KD3005P": _ONE, "PS3005D": _ONE, "72-2540": _ONE,
              "72-2550": {1: ChannelRange(61.0, 3.1)},
              "KA3305P": {1: ChannelRange(31.0, 5.1), 2: ChannelRange(31.0, 5.1)}}
    _MODEL = re.compile(r"(KA3005P|KD3005P|KA3305P|72-?25[45]0|PS3005D)", re.I)
    #: What a setting is read back with, and how close it must come.
    _READBACK = {"set_voltage": ("voltage?", "v", 0.006), "set_current": ("current?", "a", 0.0006)}

    @classmethod
    def open(cls, cfg: Any) -> "KoradKA3005P":
        """Open the serial line named by `psu.resource`, identify the unit, build the driver."""
        link = KoradLink(cfg.resource, cfg.timeout_ms)
        try:
            identity = link.query("*IDN?", None).strip("\x00\x01\xbc \r\n")
            if not cls._MODEL.search(identity):
                raise InstrumentError(f"PSU {cfg.resource}: '*IDN?' was answered {identity!r}, not a "
                                      "Korad/Tenma KAxx05P", where="PSU")
            return cls(link, cfg, identity)
        except BaseException:
            link.close()
            raise

    @classmethod
    def probe(cls, resource: str, timeout_ms: int) -> str | None:
        """The *IDN? answer of a unit of this family on the serial line `resource`, asked in
        its own protocol (no terminator, read until the line is quiet), or None when nothing
        answers like one within `timeout_ms`. A line that cannot be opened raises."""
        link = KoradLink(resource, timeout_ms)
        try:
            identity = link.query("*IDN?", None).strip("\x00\x01\xbc \r\n")
        except InstrumentSilent:
            return None
        finally:
            link.close()
        return identity if cls._MODEL.search(identity) else None

    @classmethod
    def model_from(cls, identity: str) -> str:
        """`KORAD KA3005P V5.5 SN:...` -> `KA3005P`; `TENMA72-2540V2.0` -> `72-2540`."""
        m = cls._MODEL.search(identity)
        if not m:
            return ""
        model = m.group(1).upper()
        return model if "-" in model or not model.startswith("72") else f"72-{model[2:]}"

    def __init__(self, session: Any, cfg: Any, identity: str):
        super().__init__(session, cfg, identity)
        self._sent: list[tuple[str, dict]] = []

    def _do(self, op: str, **fields: object) -> object:
        if op in self._READBACK:
            self._sent.append((op, fields))
        return super()._do(op, **fields)

    def _check_errors(self) -> None:
        """Read back what was just set: the unit says nothing when it drops a command."""
        sent, self._sent = self._sent, []
        for op, fields in sent:
            query, key, tolerance = self._READBACK[op]
            wanted, got = float(fields[key]), float(self._do(query))  # type: ignore[arg-type]
            if abs(got - wanted) > tolerance:
                raise InstrumentError(f"PSU {self.cfg.resource}: sent {self.COMMANDS[op].render(ch=self.channel, **fields)[0]!r} "
                                      f"but it reads {got:g} back (a command lost?)", where="PSU")

    def set_output(self, on: bool) -> None:
        self._do("output_on" if on else "output_off")
        if self.output() != on:
            raise InstrumentError(f"PSU {self.cfg.resource}: output {'on' if on else 'off'} was "
                                  "sent but STATUS? says otherwise (a command lost?)", where="PSU")

    def _status(self) -> int:
        return int(self._do("status?"))  # type: ignore[arg-type]

    def output(self) -> bool:
        return bool(self._status() & ON_BIT)

    def mode(self) -> Mode:
        return "CV" if self._status() & (CV_BIT << (self.channel - 1)) else "CC"

    def read(self) -> PsuReading:
        status = self._status()       # one status byte for output and mode (80 ms per message)
        on = bool(status & ON_BIT)
        volts, amps, invalid = self._measure()
        mode: Mode = ("CV" if status & (CV_BIT << (self.channel - 1)) else "CC") if on else "OFF"
        return PsuReading(volts, amps, mode, on, invalid)
