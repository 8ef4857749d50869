"""The bench PSU as benchtui sees it: one `Psu` API, the safety checks, and the dialect contract.

A dialect (one module per family in this package) declares:
* `DRIVER` (the profile's `psu.driver` name) and `matches(identity)` for `*IDN?` auto-detection,
* `COMMANDS`: the operation table (`Scpi` templates + reply parsers), PyMeasure-style,
* `RANGES`: model -> channel -> `ChannelRange` (the model's own limits),
* `PACING` if the instrument needs time between messages,
and a `mode()` that turns its status reply into CV/CC. Everything else is here, once.

Safety: every setpoint is checked against the profile's hard maxima
(`psu.max_voltage`, `psu.max_current`) and the model's channel range BEFORE anything is sent;
a refused setpoint raises `SafetyError` and the instrument sees no traffic. Then, as a last line
of defence, the exact text about to be sent is parsed back and checked again (finite, within the
same limits, right sign), on every dialect, generic ones included, because a formatting slip
must not turn 3.3 into 33.

Negative channels (DP831A CH3 -30..0 V, E36311A/EDU36311A CH3 -25..0 V): benchtui's setpoints
are magnitudes, as in the profile (`psu.voltage = 5` on such a channel is -5 V at the output);
the dialect sends the signed value the instrument expects (`:SOUR3:VOLT -5`), the check verifies
the signed value against the model's range (-30..0) and its magnitude against `psu.max_voltage`.
Readbacks are returned as magnitudes the same way (the instrument's -4.99 V reads 4.99 V).
"""

from __future__ import annotations

import decimal
import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

from ...errors import InstrumentError, InstrumentGarbage, SafetyError
from ..guard import no_reading
from ..pacing import NO_PACING, Pacing
from ...profile import PsuConfig
from ..visa import Scpi, VisaSession

Mode = Literal["CV", "CC", "OFF"]

#: A supply that reports "unregulated" (Rigol UR, E36300 ISUM neither CV nor CC) is not holding
#: its voltage setpoint: benchtui reports it as CC, a choice of ours, kept here for every dialect.
UNREGULATED_AS: Mode = "CC"


@dataclass(frozen=True)
class PsuReading:
    """What the output does right now: measured V and I, regulation mode, output state.

    A measurement the PSU had no number for (SCPI's 9.9E37 / 9.91E37) is None, and `invalid`
    says which and why ("voltage: 9.91E37, SCPI's NAN: no reading").
    """

    voltage: float | None
    current: float | None
    mode: Mode
    output: bool
    invalid: str | None = None


#: A measurement beyond this many times the model's range (or, for a model benchtui has no
#: range for, beyond UNKNOWN_MODEL_READING) is not a reading but a broken reply (our choice: a
#: 30 V channel never reads 60 V, while its overshoot and noise stay far below that).
FAR_OUTSIDE = 2.0
UNKNOWN_MODEL_READING = {"voltage": 1000.0, "current": 100.0}


@dataclass(frozen=True)
class ChannelRange:
    """A model's own limits for one channel (the PSU cannot go past these anyway).

    `max_voltage` is a magnitude; `negative` marks an output that goes from 0 down to
    -max_voltage (the setpoint on the wire is negative).
    """

    max_voltage: float
    max_current: float
    negative: bool = False

    @property
    def polarity(self) -> int:
        return -1 if self.negative else 1


def setpoint_text(x: float) -> str:
    """A setpoint as SCPI text: plain decimal, no trailing zeros, never an exponent."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class Psu(ABC):
    """A bench PSU channel, as the profile names it (`psu.channel`)."""

    DRIVER: ClassVar[str] = ""
    #: For "not supported" instruments: the makers (a regex on the *IDN? maker field) and
    #: the model prefixes of this family (devices/identify.py names the closest family).
    MAKERS: ClassVar[str] = ""
    FAMILY_MODELS: ClassVar[tuple[str, ...]] = ()
    COMMANDS: ClassVar[dict[str, Scpi]] = {}
    RANGES: ClassVar[dict[str, dict[int, ChannelRange]]] = {}
    PACING: ClassVar[Pacing] = NO_PACING
    #: Fixed decimals of setpoints on the wire ({"voltage": 2, "current": 3}), else the shortest.
    DECIMALS: ClassVar[dict[str, int] | None] = None
    #: (shortest, longest) output ramp in seconds the dialect can set (`set_ramp`); None: the
    #: supply has no programmable ramp. A dialect with one adds "ramp_on", "ramp_off",
    #: "ramp_duration" ({s}) and "ramp?" / "ramp_duration?" to its COMMANDS.
    RAMP_RANGE: ClassVar[tuple[float, float] | None] = None

    def __init__(self, session: VisaSession, cfg: PsuConfig, identity: str):
        self.session = session
        self.cfg = cfg
        self.identity = identity
        self.channel = cfg.channel
        self.model = self.model_from(identity)
        if self.PACING:
            session.pace = self.PACING
        channels = self.ranges_for(self.model)
        if channels is not None and self.channel not in channels:
            raise InstrumentError(
                f"PSU {cfg.resource}: {self.model} has channels {min(channels)}-{max(channels)}, "
                f"but psu.channel = {self.channel}", where="PSU")
        #: The model's range for our channel (None: unknown model, only the profile limits apply).
        self.range: ChannelRange | None = channels[self.channel] if channels else None
        self.polarity = self.range.polarity if self.range else 1

    @classmethod
    def matches(cls, identity: str) -> bool:
        """True if this dialect drives the instrument that answered `identity` to *IDN?."""
        return False

    @classmethod
    def model_from(cls, identity: str) -> str:
        """The model an *IDN? reply names (its second field; dialects whose units answer
        otherwise override this)."""
        return model_of(identity)

    @classmethod
    def ranges_for(cls, model: str) -> dict[int, ChannelRange] | None:
        return cls.RANGES.get(model)

    # -- safety -----------------------------------------------------------------------------
    def _limits(self, what: str) -> tuple[float, str, str, float | None]:
        if what == "voltage":
            return (self.cfg.max_voltage, "V", "max_voltage",
                    self.range.max_voltage if self.range else None)
        return (self.cfg.max_current, "A", "max_current",
                self.range.max_current if self.range else None)

    def _check(self, value: float, what: str) -> float:
        """`value` as a float if it may be set, else SafetyError (nothing is sent). Anything that
        is not a real number, or none a float can hold (10**400, a NaN), is refused here."""
        profile_max, unit, key, model_max = self._limits(what)
        label = "voltage" if what == "voltage" else "current limit"
        try:
            if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal)):
                raise TypeError
            value = float(value)
        except (TypeError, ValueError, OverflowError):
            raise SafetyError(f"PSU {label} {_shown(value)} is not a number a PSU can be set to; "
                              "nothing was sent") from None
        if not math.isfinite(value):
            raise SafetyError(f"PSU {label} {value!r} is not a number; nothing was sent")
        if value < 0:
            raise SafetyError(f"PSU {label} {value:g} {unit} is negative; nothing was sent"
                              + (" (on a negative channel give the magnitude)" if self.polarity < 0 else ""))
        if value > profile_max:
            raise SafetyError(f"PSU {label} {value:g} {unit} exceeds the profile's hard maximum "
                              f"psu.{key} = {profile_max:g} {unit}; nothing was sent")
        if model_max is not None and value > model_max:
            raise SafetyError(f"PSU {label} {value:g} {unit} exceeds the {self.model} CH{self.channel} "
                              f"range of {model_max:g} {unit}; nothing was sent")
        return value

    def check_voltage(self, volts: float) -> float:
        """`volts` (a magnitude) as a float, or SafetyError if it may not be set."""
        return self._check(volts, "voltage")

    def check_current(self, amps: float) -> float:
        """`amps` as a float, or SafetyError if it may not be set as the current limit."""
        return self._check(amps, "current")

    def _wire(self, value: float, what: str) -> str:
        """The text to send for a checked magnitude, re-checked as the instrument will read it.

        The last line of defence: whatever the dialect's formatting, the number on the wire is
        finite, has the channel's sign, and its magnitude is within the profile's maximum and the
        model's range.
        """
        signed = self.polarity * value if what == "voltage" else value
        text = f"{signed:.{self.DECIMALS[what]}f}" if self.DECIMALS else setpoint_text(signed)
        try:
            sent = float(text)
        except ValueError:
            sent = math.nan
        profile_max, unit, key, model_max = self._limits(what)
        limit = min(profile_max, model_max) if model_max is not None else profile_max
        sign = self.polarity if what == "voltage" else 1
        if not math.isfinite(sent) or sent * sign < 0 or abs(sent) > limit + 1e-9:
            raise SafetyError(f"PSU {what} text {text!r} is outside 0..{sign * limit:g} {unit}; "
                              "nothing was sent")
        return text

    # -- operations -------------------------------------------------------------------------
    def _do(self, op: str, **fields: object) -> object:
        return self.session.do(self.COMMANDS[op], ch=self.channel, **fields)

    def _check_errors(self) -> None:
        self.session.check_errors()

    def apply(self, volts: float, amps: float) -> None:
        """Set voltage and current limit together, the one setpoint path: both are checked
        before either is sent."""
        volts, amps = self.check_voltage(volts), self.check_current(amps)
        v, a = self._wire(volts, "voltage"), self._wire(amps, "current")
        self._do("set_current", a=a)
        self._do("set_voltage", v=v)
        self._check_errors()

    def set_output(self, on: bool) -> None:
        self._do("output_on" if on else "output_off")
        self._check_errors()

    def output(self) -> bool:
        return bool(self._do("output?"))

    def setpoints(self) -> tuple[float, float]:
        """(voltage setpoint, current limit) as the instrument holds them (magnitudes)."""
        volts, amps = float(self._do("voltage?")), float(self._do("current?"))  # type: ignore[arg-type]
        for op, value in (("voltage?", volts), ("current?", amps)):
            if no_reading(value):   # a setpoint is always a number
                raise self.session.garbage(self.COMMANDS[op].render(ch=self.channel)[-1], repr(value),
                                           f"a setpoint, not {no_reading(value)}")
        return self.polarity * volts, amps

    @abstractmethod
    def mode(self) -> Mode:
        """CV or CC as the instrument reports it (regardless of output state)."""

    def measure(self) -> tuple[float | None, float | None]:
        """(measured volts as a magnitude, measured amperes); None where the PSU had no reading."""
        volts, amps, _ = self._measure()
        return volts, amps

    def _measure(self) -> tuple[float | None, float | None, str | None]:
        """(volts, amps, why one is missing): SCPI's "no reading" values are None with the
        reason (guard.no_reading); a value far outside the model's range is InstrumentGarbage
        naming the PSU and the command."""
        volts, why_v = self._reading("measure_voltage?", "voltage")
        amps, why_a = self._reading("measure_current?", "current")
        reasons = [f"{what}: {why}" for what, why in (("voltage", why_v), ("current", why_a)) if why]
        return (None if volts is None else self.polarity * volts), amps, "; ".join(reasons) or None

    def _reading(self, op: str, what: str) -> tuple[float | None, str | None]:
        value = float(self._do(op))  # type: ignore[arg-type]
        why = no_reading(value)
        if why:
            return None, why
        limit = (self._limits(what)[3] * FAR_OUTSIDE if self.range else UNKNOWN_MODEL_READING[what])
        if abs(value) > limit:
            command = self.COMMANDS[op].render(ch=self.channel)[-1]
            unit = "V" if what == "voltage" else "A"
            raise InstrumentGarbage(
                f"PSU {self.cfg.resource}: {command!r} read {value:g} {unit}, far outside what the "
                f"{self.model or 'PSU'} CH{self.channel} can measure (more than {limit:g} {unit}): "
                "not a reading", where="PSU")
        return value, None

    def read(self) -> PsuReading:
        on = self.output()
        volts, amps, invalid = self._measure()
        return PsuReading(volts, amps, self.mode() if on else "OFF", on, invalid)

    def check_ramp(self, seconds: float) -> None:
        """Raise SafetyError unless `seconds` (0: no ramp) is a ramp this supply can make."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
                or not math.isfinite(seconds) or seconds < 0:
            raise SafetyError(f"PSU ramp {seconds!r} s is not a duration; nothing was sent")
        if self.RAMP_RANGE is None:
            raise SafetyError(f"PSU {self.model or self.DRIVER} has no programmable output ramp "
                              f"({self.DRIVER} dialect); psu.ramp_s cannot be set on it")
        lo, hi = self.RAMP_RANGE
        if seconds and not lo <= seconds <= hi:
            raise SafetyError(f"PSU ramp {seconds:g} s is outside the {self.model or self.DRIVER}'s "
                              f"{lo:g}..{hi:g} s (0 switches the ramp off); nothing was sent")

    def set_ramp(self, seconds: float) -> None:
        """Ramp the output up over `seconds` each time it is switched on; 0 switches it off."""
        self.check_ramp(seconds)
        if seconds:
            self._do("ramp_duration", s=setpoint_text(seconds))
            self._do("ramp_on")
        else:
            self._do("ramp_off")
        self._check_errors()

    def ramp(self) -> float:
        """The output ramp as the instrument holds it: its duration, 0 when off."""
        if self.RAMP_RANGE is None:
            return 0.0
        return float(self._do("ramp_duration?")) if self._do("ramp?") else 0.0  # type: ignore[arg-type]

    def safe_state(self) -> None:
        """Output off: the state every exit leaves the bench in."""
        self.set_output(False)

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r}, CH{self.channel})"


def _shown(value: object) -> str:
    """A refused setpoint as a message shows it: repr, at most 40 characters (10**400 has 401)."""
    try:
        text = repr(value)
    except Exception:   # noqa: BLE001 - repr(10**5000) raises ValueError; refused all the same
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def model_of(identity: str) -> str:
    """The model field of an *IDN? reply ('DP832'), or '' when there is none."""
    fields = [f.strip() for f in identity.split(",")]
    return fields[1].upper() if len(fields) > 1 else ""
