"""Rohde & Schwarz HMC8041/HMC8042/HMC8043 (HMC804x SCPI Programmers Manual; scopehal RohdeSchwarzHMC804x, QCoDeS
HMC804x, sigrok scpi-pps).

Select the channel with `INST:NSEL n`, then unqualified `VOLT`/`CURR`/`MEAS:VOLT?`. An output is
on when the channel is selected for the master switch (`OUTP:SEL ON`) AND the master switch is on
(`OUTP:MAST ON`). Switching on selects our channel and the master; switching off deselects only
our channel (other channels the user has on are left alone). The HMC8041 has one channel and
neither needs nor accepts `INST` (scopehal comment): its table has no selection.

EasyRamp (HMC804x user manual, `[SOURce:]VOLTage:RAMP[:STATe]`, `...:RAMP:DURation` 10 ms..10 s):
the output rises linearly to its setpoint over the duration at each output-on (`set_ramp`).
"""

from __future__ import annotations

import re

from ..visa import Scpi, parse_bool, parse_float, parse_int
from .base import ChannelRange, Mode, Psu

#: `STAT:QUES:COND?` bit set while the selected channel is in CC (scopehal); UNCONFIRMED beyond it.
QUES_CC_BIT = 0x02

_SINGLE = {
    "set_voltage": Scpi("VOLT {v}"),
    "set_current": Scpi("CURR {a}"),
    "voltage?": Scpi("VOLT?", parse_float),
    "current?": Scpi("CURR?", parse_float),
    "output_on": Scpi(("OUTP:SEL ON", "OUTP:MAST ON")),
    "output_off": Scpi("OUTP:SEL OFF"),
    "selected?": Scpi("OUTP:SEL?", parse_bool),
    "master?": Scpi("OUTP:MAST?", parse_bool),
    "mode?": Scpi("STAT:QUES:COND?", parse_int),
    "measure_voltage?": Scpi("MEAS:VOLT?", parse_float),
    "measure_current?": Scpi("MEAS:CURR?", parse_float),
    "ramp_on": Scpi("VOLT:RAMP ON"),
    "ramp_off": Scpi("VOLT:RAMP OFF"),
    "ramp_duration": Scpi("VOLT:RAMP:DUR {s}"),
    "ramp?": Scpi("VOLT:RAMP?", parse_bool),
    "ramp_duration?": Scpi("VOLT:RAMP:DUR?", parse_float),
}
_SELECTED = {op: Scpi(("INST:NSEL {ch}",) + ((s.template,) if isinstance(s.template, str) else s.template),
                      s.parse) for op, s in _SINGLE.items() if op != "master?"}
_SELECTED["master?"] = _SINGLE["master?"]


class RohdeHMC804x(Psu):
    DRIVER = "rohde-hmc804x"
    MAKERS = r"ROHDE|HAMEG"
    FAMILY_MODELS = ("HMC804", "HMP", "NGE", "NGP", "HMC")
    COMMANDS = _SELECTED
    RAMP_RANGE = (0.01, 10.0)
    RANGES = {
        "HMC8043": {n: ChannelRange(32.05, 3.0) for n in (1, 2, 3)},
        "HMC8042": {n: ChannelRange(32.05, 5.0) for n in (1, 2)},
        "HMC8041": {1: ChannelRange(32.05, 10.0)},
    }

    def __init__(self, session, cfg, identity):
        super().__init__(session, cfg, identity)
        if self.model == "HMC8041":
            self.COMMANDS = _SINGLE  # one channel: no INST (instance override of the table)

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^(ROHDE&SCHWARZ|HAMEG),HMC804[123]", identity.strip(), re.I))

    def output(self) -> bool:
        return bool(self._do("selected?")) and bool(self._do("master?"))

    def mode(self) -> Mode:
        return "CC" if int(self._do("mode?")) & QUES_CC_BIT else "CV"  # type: ignore[arg-type]
