"""Generic SCPI-99 supplies (SCPI-99 Volume 2 SOURce/MEASure; libsigrok scpi-pps), for models without a dialect of their own.

Two drivers, because the one thing SCPI-99 supplies disagree on is channel selection:

* `scpi` — a single-output supply: `VOLT`, `CURR`, `OUTP 1|0`, `MEAS:VOLT?`, and never
  `INST:NSEL` (single-output supplies reject it, -113, scopehal HMC804x notes). Fits e.g.
  Keysight/Agilent E3632A/E3633A/E3634A, E3640A-E3645A, B&K Precision 9115/9200 series, Owon SPE
  (see owon_spe.py for its pacing), Rigol DP711/DP712 (`:SOUR:VOLT` = `VOLT`), most 1-output
  LXI supplies.
* `scpi-multi` — a multi-output supply addressed by `INST:NSEL n` before every command (sent
  every time: the front panel may have selected another output meanwhile). Fits e.g. B&K
  Precision 9130/9131, HP/Agilent 66xxB multi-output mainframes, EEZ BB3, R&S NGE100.
  On a Keysight/Agilent E3631A (and E3630A) `OUTP` switches all outputs at once (scpi-pps): before
  `OUTP 1` the other outputs' setpoints are read (`INST:NSEL k`, `VOLT?`), and if any is not 0 V the
  output is refused (SafetyError, nothing switched) rather than powering whatever hangs on them.
  Their -25 V output (E3631A output 3, N25V) is a negative channel (RANGES).

CV/CC: `STAT:OPER:COND?` with the HP 66xxB bit layout (CV = 256, CC+ = 1024, CC- = 2048). That
layout is not universal, so when the reply has neither bit set, the mode is inferred from the
readback instead: CC when the measured current is within 2 % of the current limit.
"""

from __future__ import annotations

from ...errors import InstrumentError, SafetyError
from ..visa import Scpi, parse_bool, parse_float, parse_int
from .base import ChannelRange, Mode, Psu

#: SCPI-99 / HP 66xxB `STAT:OPER:COND?` bits (libsigrok scpi-pps profiles.c, HP 66xxB).
OPER_CV_BIT = 256
OPER_CC_BITS = 1024 | 2048
#: Readback fallback: measured current at or above this fraction of the limit = CC.
CC_FRACTION = 0.98


class GenericScpiPsu(Psu):
    """A single-output SCPI-99 supply (`psu.driver = "scpi"`; never chosen by "auto")."""

    DRIVER = "scpi"
    COMMANDS = {
        "set_voltage": Scpi("VOLT {v}"),
        "set_current": Scpi("CURR {a}"),
        "voltage?": Scpi("VOLT?", parse_float),
        "current?": Scpi("CURR?", parse_float),
        "output_on": Scpi("OUTP 1"),
        "output_off": Scpi("OUTP 0"),
        "output?": Scpi("OUTP?", parse_bool),
        "mode?": Scpi("STAT:OPER:COND?", parse_int),
        "measure_voltage?": Scpi("MEAS:VOLT?", parse_float),
        "measure_current?": Scpi("MEAS:CURR?", parse_float),
    }
    SINGLE_OUTPUT = True

    def __init__(self, session, cfg, identity):
        super().__init__(session, cfg, identity)
        if self.SINGLE_OUTPUT and self.channel != 1:
            raise InstrumentError(
                f"PSU {cfg.resource}: psu.driver = \"{self.DRIVER}\" drives single-output supplies "
                f"(no INST:NSEL), but psu.channel = {self.channel}: use \"scpi-multi\"", where="PSU")

    def mode(self) -> Mode:
        bits = int(self._do("mode?"))  # type: ignore[arg-type]
        if bits & OPER_CC_BITS:
            return "CC"
        if bits & OPER_CV_BIT:
            return "CV"
        _, amps = self.measure()
        limit = float(self._do("current?"))  # type: ignore[arg-type]
        return "CC" if amps is not None and limit > 0 and amps >= CC_FRACTION * limit else "CV"


def _selected(table: dict[str, Scpi]) -> dict[str, Scpi]:
    """The same table with `INST:NSEL {ch}` in front of every operation."""
    out = {}
    for op, scpi in table.items():
        templates = (scpi.template,) if isinstance(scpi.template, str) else scpi.template
        out[op] = Scpi(("INST:NSEL {ch}", *templates), scpi.parse)
    return out


#: Models whose `OUTP` switches every output at once -> their output numbers.
GLOBAL_OUTPUT = {"E3631A": (1, 2, 3), "E3630A": (1, 2, 3)}


class GenericMultiScpiPsu(GenericScpiPsu):
    """A multi-output SCPI-99 supply (`psu.driver = "scpi-multi"`): `INST:NSEL n` first."""

    DRIVER = "scpi-multi"
    COMMANDS = {**_selected(GenericScpiPsu.COMMANDS), "voltage_of?": Scpi(("INST:NSEL {k}", "VOLT?"), parse_float)}
    SINGLE_OUTPUT = False
    #: E3631A: P6V 0..6 V 5 A, P25V 0..25 V 1 A, N25V 0..-25 V 1 A; E3630A: 6 V 2.5 A, +/-20 V 0.5 A.
    RANGES = {"E3631A": {1: ChannelRange(6.0, 5.0), 2: ChannelRange(25.0, 1.0), 3: ChannelRange(25.0, 1.0, True)},
              "E3630A": {1: ChannelRange(6.0, 2.5), 2: ChannelRange(20.0, 0.5), 3: ChannelRange(20.0, 0.5, True)}}

    def set_output(self, on: bool) -> None:
        if on:
            for k in GLOBAL_OUTPUT.get(self.model, ()):
                if k == self.channel:
                    continue
                volts = float(self._do("voltage_of?", k=k))  # type: ignore[arg-type]
                if abs(volts) > 1e-3:
                    raise SafetyError(
                        f"PSU {self.cfg.resource}: on an {self.model} 'OUTP 1' switches every output on "
                        f"at once, and output {k} is set to {volts:g} V: set it to 0 V first; the output "
                        "was not switched on")
        super().set_output(on)
