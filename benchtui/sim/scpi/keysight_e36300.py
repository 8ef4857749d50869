"""Keysight E36300 (E36312A) dialect: channel lists '(@1)', 'VOLT 3.3,(@1)', 'OUTP 1,(@1)'.

Sources: libsigrok src/hardware/scpi-pps/profiles.c (keysight_e36300a), PyMeasure
keysightE36312A.py. NR3 reply format as PVSIM's
Keysight devices ('+3.30000000E+00'). ISUM condition bits follow the E3631A family
(bit 0 = CC, bit 1 = CV): UNCONFIRMED for E36300. Firmware string UNCONFIRMED.
"""

from __future__ import annotations

from .core import Call, Choice, Flag, Number, ScpiError, Setting, channel_list
from .psu import SimPsu


def _nr3(x: float) -> str:
    return f"{x:+.8E}"


def _listed(pattern: str, attr: str, arg, after: str | None = None) -> Setting:
    """A setting addressed by a trailing channel list: `VOLT 3.3,(@1,2)`, `VOLT? (@1,2)`."""
    return Setting(pattern, f"chans.{attr}", arg, after, value_at=0)


_NAMES = {"CH1": 1, "CH2": 2, "CH3": 3, "P6V": 1, "P25V": 2, "N25V": 3}


class KeysightE36312A(SimPsu):
    IDN = "Keysight Technologies,E36312A,MY59001234,2.1.0-1.0.4-1.12"
    QUERY_INTERRUPT = True
    ERROR_PLUS = True
    RANGES = ((6.18, 0.002, 5.15, 6.6), (25.75, 0.001, 1.03, 27.5), (25.75, 0.001, 1.03, 27.5))
    SETTINGS = (
        Setting(":INSTrument:NSELect", "selected", Number(1, lambda i: len(i.channels), "+d", integer=True)),
        Setting(":INSTrument[:SELect]", "selected", Choice(_NAMES, reply={1: "CH1", 2: "CH2", 3: "CH3"})),
        _listed("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "voltage",
                Number(lambda c: c.v_min, lambda c: c.v_max, _nr3), "pushed"),
        _listed("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "current",
                Number(lambda c: c.i_min, lambda c: c.i_max, _nr3), "pushed"),
        _listed(":OUTPut[:STATe]", "output", Flag(), "output_set"),
        _listed("[:SOURce]:VOLTage:PROTection[:LEVel]", "ovp_level", Number(0.5, lambda c: c.ovp_max, _nr3)),
        _listed("[:SOURce]:CURRent:PROTection:STATe", "ocp_on", Flag(), "ocp_follows_limit"),
    )
    COMMANDS = (
        (":MEASure[:SCALar]:VOLTage[:DC]?", "q_meas_v"),
        (":MEASure[:SCALar]:CURRent[:DC]?", "q_meas_i"),
        (":STATus:QUEStionable:INSTrument:ISUMmary#[:CONDition]?", "q_isum"),
        ("[:SOURce]:VOLTage:PROTection:TRIPped?", "q_ovp_trip"),
        ("[:SOURce]:CURRent:PROTection:TRIPped?", "q_ocp_trip"),
        (":OUTPut:PROTection:CLEar", "c_prot_clear"),
        (":APPLy", "c_apply"), (":APPLy?", "q_apply"),
    )

    def chans(self, call: Call | None) -> list:
        """The channels of a trailing `(@..)` argument, else the selected one (Setting owner)."""
        if call is not None and call.args and call.args[-1].startswith("("):
            return [self.channel(n) for n in channel_list(call.args[-1])]
        return [self.sel(call)]

    def ocp_follows_limit(self, ch) -> None:
        ch.ocp_level = ch.current  # E36300: the OCP threshold is the current limit

    def q_meas_v(self, call: Call) -> str:
        return ",".join(_nr3(self.measure(ch.number)[0]) for ch in self.chans(call))

    def q_meas_i(self, call: Call) -> str:
        return ",".join(_nr3(self.measure(ch.number)[1]) for ch in self.chans(call))

    def q_isum(self, call: Call) -> str:
        _, _, mode = self.measure(self.channel(call.suffix(0)).number)
        return str({"CC": 1, "CV": 2}.get(mode, 0))

    def q_ovp_trip(self, call: Call) -> str:
        return ",".join("1" if ch.ovp_tripped else "0" for ch in self.chans(call))

    def q_ocp_trip(self, call: Call) -> str:
        chans = self.chans(call)
        for ch in chans:
            self.measure(ch.number)
        return ",".join("1" if ch.ocp_tripped else "0" for ch in chans)

    def c_prot_clear(self, call: Call) -> None:
        for ch in self.chans(call):
            ch.ocp_tripped = ch.ovp_tripped = False

    def _named(self, text: str) -> int:
        if text.upper() not in _NAMES:
            raise ScpiError(-224, text)
        return _NAMES[text.upper()]

    def c_apply(self, call: Call) -> None:
        """'APPL CH1,3.3,0.5' (voltage then current; validated before applying)."""
        n = self._named(call.arg(0))
        ch = self.channel(n)
        v = call.number(1, ch.v_min, ch.v_max)
        i = call.number(2, ch.i_min, ch.i_max) if len(call.args) > 2 else None
        self.set_voltage(n, v)
        if i is not None:
            self.set_current(n, i)

    def q_apply(self, call: Call) -> str:
        ch = self.channel(self._named(call.arg(0, f"CH{self.selected}")))
        return f"{_nr3(ch.voltage)},{_nr3(ch.current)}"


class KeysightEDU36311A(KeysightE36312A):
    """EDU36311A: the E36300 command set; 6 V/5 A, +30 V/1 A and a negative -30 V/1 A output."""

    IDN = "Keysight Technologies,EDU36311A,CN61230123,1.0.4-1.0.2-1.05"
    RANGES = ((6.0, 0.002, 5.0, 6.6), (30.0, 0.001, 1.0, 33.0), (0.0, 0.001, 1.0, 33.0, -30.0))
