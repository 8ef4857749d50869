"""Bench power supply drivers: one `Psu` API, one command table per SCPI dialect.

Dialects (reference/scpi.md): Rigol DP800 (A.1, channel-qualified commands, ON/OFF replies),
Keysight E36300 (A.5, channel lists `(@n)`, 1/0 replies) and a generic SCPI-99 supply (A.2,
`INST:NSEL n` then unqualified commands). `open_psu` picks one by the profile's `driver` or, for
"auto", by `*IDN?`.

Safety: every setpoint is checked against the profile's hard maxima (`psu.max_voltage`,
`psu.max_current`) and the model's own channel range BEFORE anything is sent; a refused setpoint
raises `SafetyError` and the instrument sees no traffic at all.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

from ..errors import InstrumentError, SafetyError
from ..profile import PsuConfig
from .visa import Scpi, VisaSession, open_identified, parse_bool, parse_float, parse_int, parse_word

Mode = Literal["CV", "CC", "OFF"]

# --- choices the reference notes leave open (scpi.md UNCONFIRMED) -----------------------------
#: E36300 `STAT:QUES:INST:ISUM<n>:COND?` bits. Taken from the E3631A status model (bit 0 "VOLTage"
#: = voltage not regulated = CC, bit 1 "CURRent" = CV); UNCONFIRMED for the E36300 series.
KEYSIGHT_ISUM_CC_BIT = 0x01
KEYSIGHT_ISUM_CV_BIT = 0x02
#: SCPI-99 / HP 66xxB `STAT:OPER:COND?` bits: CV = 256, CC+ = 1024, CC- = 2048 (scpi.md A.2).
SCPI_OPER_CV_BIT = 256
SCPI_OPER_CC_BITS = 1024 | 2048
#: Rigol `:OUTP:MODE?` answers CV, CC or UR (unregulated); UR is reported as CC (the supply is
#: not holding its voltage setpoint), a choice of ours.
RIGOL_UNREGULATED_AS = "CC"


@dataclass(frozen=True)
class PsuReading:
    """What the output does right now: measured V and I, regulation mode, output state."""

    voltage: float
    current: float
    mode: Mode
    output: bool


@dataclass(frozen=True)
class ChannelRange:
    """A model's own limits for one channel (the PSU cannot go past these anyway)."""

    max_voltage: float
    max_current: float


def _num(x: float) -> str:
    """A setpoint as SCPI text: plain decimal, no trailing zeros, never exponent for bench values."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return text or "0"


class Psu(ABC):
    """A bench PSU channel, as the profile names it (`psu.channel`).

    Dialects set `DRIVER` (the profile's driver name), `COMMANDS` (the operation table) and
    `RANGES` (model -> channel -> range); the methods here are the same for all of them.
    """

    DRIVER: ClassVar[str] = ""
    COMMANDS: ClassVar[dict[str, Scpi]] = {}
    RANGES: ClassVar[dict[str, dict[int, ChannelRange]]] = {}

    def __init__(self, session: VisaSession, cfg: PsuConfig, identity: str):
        self.session = session
        self.cfg = cfg
        self.identity = identity
        self.channel = cfg.channel
        self.model = model_of(identity)
        channels = self.RANGES.get(self.model)
        if channels is not None and self.channel not in channels:
            raise InstrumentError(
                f"PSU {cfg.resource}: {self.model} has channels {min(channels)}-{max(channels)}, "
                f"but psu.channel = {self.channel}", where="PSU")
        #: The model's range for our channel (None: unknown model, only the profile limits apply).
        self.range: ChannelRange | None = channels[self.channel] if channels else None

    @classmethod
    def matches(cls, identity: str) -> bool:
        """True if this dialect drives the instrument that answered `identity` to *IDN?."""
        return False

    # -- safety -----------------------------------------------------------------------------
    def _check(self, value: float, what: str, unit: str, profile_max: float, key: str,
               model_max: float | None) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise SafetyError(f"PSU {what} {value!r} is not a number; nothing was sent")
        if value < 0:
            raise SafetyError(f"PSU {what} {value:g} {unit} is negative; nothing was sent")
        if value > profile_max:
            raise SafetyError(f"PSU {what} {value:g} {unit} exceeds the profile's hard maximum "
                              f"psu.{key} = {profile_max:g} {unit}; nothing was sent")
        if model_max is not None and value > model_max:
            raise SafetyError(f"PSU {what} {value:g} {unit} exceeds the {self.model} CH{self.channel} "
                              f"range of {model_max:g} {unit}; nothing was sent")

    def check_voltage(self, volts: float) -> None:
        """Raise SafetyError if `volts` may not be set (profile maximum, model range)."""
        self._check(volts, "voltage", "V", self.cfg.max_voltage, "max_voltage",
                    self.range.max_voltage if self.range else None)

    def check_current(self, amps: float) -> None:
        """Raise SafetyError if `amps` may not be set as the current limit."""
        self._check(amps, "current limit", "A", self.cfg.max_current, "max_current",
                    self.range.max_current if self.range else None)

    # -- operations -------------------------------------------------------------------------
    def _do(self, op: str, **fields: object) -> object:
        return self.session.do(self.COMMANDS[op], ch=self.channel, **fields)

    def set_voltage(self, volts: float) -> None:
        self.check_voltage(volts)
        self._do("set_voltage", v=_num(volts))
        self.session.check_errors()

    def set_current_limit(self, amps: float) -> None:
        self.check_current(amps)
        self._do("set_current", a=_num(amps))
        self.session.check_errors()

    def apply(self, volts: float, amps: float) -> None:
        """Set voltage and current limit together; both are checked before either is sent."""
        self.check_voltage(volts)
        self.check_current(amps)
        self._do("set_current", a=_num(amps))
        self._do("set_voltage", v=_num(volts))
        self.session.check_errors()

    def set_output(self, on: bool) -> None:
        self._do("output_on" if on else "output_off")
        self.session.check_errors()

    def output(self) -> bool:
        return bool(self._do("output?"))

    def setpoints(self) -> tuple[float, float]:
        """(voltage setpoint, current limit) as the instrument holds them."""
        return float(self._do("voltage?")), float(self._do("current?"))  # type: ignore[arg-type]

    @abstractmethod
    def mode(self) -> Mode:
        """CV or CC as the instrument reports it (regardless of output state)."""

    def read(self) -> PsuReading:
        on = self.output()
        volts = float(self._do("measure_voltage?"))  # type: ignore[arg-type]
        amps = float(self._do("measure_current?"))  # type: ignore[arg-type]
        return PsuReading(volts, amps, self.mode() if on else "OFF", on)

    def safe_state(self) -> None:
        """Output off: the state every exit leaves the bench in."""
        self.set_output(False)

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r}, CH{self.channel})"


class RigolDP800(Psu):
    """Rigol DP800 (DP832/DP832A/DP831A/DP821A), scpi.md A.1; every command names its channel."""

    DRIVER = "rigol-dp800"
    COMMANDS = {
        "set_voltage": Scpi(":SOUR{ch}:VOLT {v}"),
        "set_current": Scpi(":SOUR{ch}:CURR {a}"),
        "voltage?": Scpi(":SOUR{ch}:VOLT?", parse_float),
        "current?": Scpi(":SOUR{ch}:CURR?", parse_float),
        "output_on": Scpi(":OUTP CH{ch},ON"),
        "output_off": Scpi(":OUTP CH{ch},OFF"),
        "output?": Scpi(":OUTP? CH{ch}", parse_bool),
        "mode?": Scpi(":OUTP:MODE? CH{ch}", parse_word),
        "measure_voltage?": Scpi(":MEAS:VOLT? CH{ch}", parse_float),
        "measure_current?": Scpi(":MEAS:CURR? CH{ch}", parse_float),
    }
    RANGES = {
        "DP832": {1: ChannelRange(30.0, 3.0), 2: ChannelRange(30.0, 3.0), 3: ChannelRange(5.0, 3.0)},
        "DP832A": {1: ChannelRange(30.0, 3.0), 2: ChannelRange(30.0, 3.0), 3: ChannelRange(5.0, 3.0)},
        # DP831A CH3 is the -30 V output; its setpoint is a magnitude.
        "DP831A": {1: ChannelRange(8.0, 5.0), 2: ChannelRange(30.0, 2.0), 3: ChannelRange(30.0, 2.0)},
        "DP821A": {1: ChannelRange(60.0, 1.0), 2: ChannelRange(8.0, 10.0)},
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^RIGOL TECHNOLOGIES,DP8\d\d", identity.strip(), re.I))

    def mode(self) -> Mode:
        word = str(self._do("mode?"))
        if word in ("CV", "CC"):
            return word  # type: ignore[return-value]
        if word == "UR":
            return RIGOL_UNREGULATED_AS  # type: ignore[return-value]
        raise self.session.garbage(self.COMMANDS["mode?"].render(ch=self.channel)[0], word, "CV, CC or UR")


class KeysightE36300(Psu):
    """Keysight E36311A/E36312A/E36313A, scpi.md A.5; channel lists `(@n)`, no selection state."""

    DRIVER = "keysight-e36300"
    COMMANDS = {
        "set_voltage": Scpi("VOLT {v},(@{ch})"),
        "set_current": Scpi("CURR {a},(@{ch})"),
        "voltage?": Scpi("VOLT? (@{ch})", parse_float),
        "current?": Scpi("CURR? (@{ch})", parse_float),
        "output_on": Scpi("OUTP ON,(@{ch})"),
        "output_off": Scpi("OUTP OFF,(@{ch})"),
        "output?": Scpi("OUTP? (@{ch})", parse_bool),
        "mode?": Scpi("STAT:QUES:INST:ISUM{ch}:COND?", parse_int),
        "measure_voltage?": Scpi("MEAS:VOLT? (@{ch})", parse_float),
        "measure_current?": Scpi("MEAS:CURR? (@{ch})", parse_float),
    }
    RANGES = {
        "E36312A": {1: ChannelRange(6.18, 5.15), 2: ChannelRange(25.75, 1.03), 3: ChannelRange(25.75, 1.03)},
        "E36313A": {1: ChannelRange(6.18, 10.3), 2: ChannelRange(25.75, 2.06), 3: ChannelRange(25.75, 2.06)},
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^(KEYSIGHT|AGILENT) TECHNOLOGIES,E363\d\dA", identity.strip(), re.I))

    def mode(self) -> Mode:
        bits = int(self._do("mode?"))  # type: ignore[arg-type]
        return "CC" if bits & KEYSIGHT_ISUM_CC_BIT else "CV"


class GenericScpiPsu(Psu):
    """An SCPI-99 supply (scpi.md A.2): select with `INST:NSEL n`, then unqualified commands."""

    DRIVER = "scpi"
    COMMANDS = {
        "set_voltage": Scpi(("INST:NSEL {ch}", "VOLT {v}")),
        "set_current": Scpi(("INST:NSEL {ch}", "CURR {a}")),
        "voltage?": Scpi(("INST:NSEL {ch}", "VOLT?"), parse_float),
        "current?": Scpi(("INST:NSEL {ch}", "CURR?"), parse_float),
        "output_on": Scpi(("INST:NSEL {ch}", "OUTP ON")),
        "output_off": Scpi(("INST:NSEL {ch}", "OUTP OFF")),
        "output?": Scpi(("INST:NSEL {ch}", "OUTP?"), parse_bool),
        "mode?": Scpi(("INST:NSEL {ch}", "STAT:OPER:COND?"), parse_int),
        "measure_voltage?": Scpi(("INST:NSEL {ch}", "MEAS:VOLT?"), parse_float),
        "measure_current?": Scpi(("INST:NSEL {ch}", "MEAS:CURR?"), parse_float),
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return False  # never chosen by "auto": only when the profile says driver = "scpi"

    def mode(self) -> Mode:
        bits = int(self._do("mode?"))  # type: ignore[arg-type]
        return "CC" if bits & SCPI_OPER_CC_BITS else "CV"


DIALECTS: tuple[type[Psu], ...] = (RigolDP800, KeysightE36300, GenericScpiPsu)


def model_of(identity: str) -> str:
    """The model field of an *IDN? reply ('DP832'), or '' when there is none."""
    fields = [f.strip() for f in identity.split(",")]
    return fields[1].upper() if len(fields) > 1 else ""


def open_psu(cfg: PsuConfig) -> Psu:
    """Connect to the profile's PSU, identify it and return its driver (nothing is changed)."""
    return open_identified(cfg, DIALECTS, "PSU")

