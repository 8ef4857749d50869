"""Keysight E36300 (E36312A) dialect: channel lists '(@1)', 'VOLT 3.3,(@1)', 'OUTP 1,(@1)'.

Sources: libsigrok src/hardware/scpi-pps/profiles.c (keysight_e36300a), PyMeasure
keysightE36312A.py. NR3 reply format as PVSIM's
Keysight devices ('+3.30000000E+00'). ISUM condition bits follow the E3631A family
(bit 0 = CC, bit 1 = CV): UNCONFIRMED for E36300. Firmware string UNCONFIRMED.
"""

from __future__ import annotations

from .core import Call, ScpiError, channel_list
from .psu import SimPsu


def _nr3(x: float) -> str:
    return f"{x:+.8E}"


class KeysightE36312A(SimPsu):
    IDN = "Keysight Technologies,E36312A,MY59001234,2.1.0-1.0.4-1.12"
    QUERY_INTERRUPT = True
    ERROR_PLUS = True
    RANGES = ((6.18, 0.002, 5.15, 6.6), (25.75, 0.001, 1.03, 27.5), (25.75, 0.001, 1.03, 27.5))
    COMMANDS = (
        (":INSTrument:NSELect", "c_nsel"), (":INSTrument:NSELect?", "q_nsel"),
        (":INSTrument[:SELect]", "c_inst"), (":INSTrument[:SELect]?", "q_inst"),
        ("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "c_volt"),
        ("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?", "q_volt"),
        ("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "c_curr"),
        ("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]?", "q_curr"),
        (":OUTPut[:STATe]", "c_outp"), (":OUTPut[:STATe]?", "q_outp"),
        (":MEASure[:SCALar]:VOLTage[:DC]?", "q_meas_v"),
        (":MEASure[:SCALar]:CURRent[:DC]?", "q_meas_i"),
        (":STATus:QUEStionable:INSTrument:ISUMmary#[:CONDition]?", "q_isum"),
        ("[:SOURce]:VOLTage:PROTection[:LEVel]", "c_ovp_val"),
        ("[:SOURce]:VOLTage:PROTection[:LEVel]?", "q_ovp_val"),
        ("[:SOURce]:VOLTage:PROTection:TRIPped?", "q_ovp_trip"),
        ("[:SOURce]:CURRent:PROTection:STATe", "c_ocp"),
        ("[:SOURce]:CURRent:PROTection:STATe?", "q_ocp"),
        ("[:SOURce]:CURRent:PROTection:TRIPped?", "q_ocp_trip"),
        (":OUTPut:PROTection:CLEar", "c_prot_clear"),
        (":APPLy", "c_apply"), (":APPLy?", "q_apply"),
    )
    _NAMES = {"CH1": 1, "CH2": 2, "CH3": 3, "P6V": 1, "P25V": 2, "N25V": 3}

    # --- channel addressing ---------------------------------------------------------------------
    def _list(self, call: Call, i: int) -> list[int]:
        """Channels from a '(@..)' argument at index i, else the selected channel."""
        if i < len(call.args) and call.args[i].startswith("("):
            chans = channel_list(call.args[i])
            for n in chans:
                self.channel(n)
            return chans
        return [self.selected]

    def _list_last(self, call: Call) -> tuple[list[int], int]:
        """(channels, number of value args) where a trailing channel list is optional."""
        if call.args and call.args[-1].startswith("("):
            return self._list(call, len(call.args) - 1), len(call.args) - 1
        return [self.selected], len(call.args)

    def c_nsel(self, call: Call) -> None:
        self.selected = int(call.number(0, 1, len(self.channels)))

    def q_nsel(self, call: Call) -> str:
        return f"{self.selected:+d}"

    def c_inst(self, call: Call) -> None:
        name = call.arg(0).upper()
        if name not in self._NAMES:
            raise ScpiError(-224, name)
        self.selected = self._NAMES[name]

    def q_inst(self, call: Call) -> str:
        return f"CH{self.selected}"

    # --- setpoints ------------------------------------------------------------------------------
    def c_volt(self, call: Call) -> None:
        chans, nval = self._list_last(call)
        if nval < 1:
            raise ScpiError(-109)
        values = [call.number(0, self.channel(n).v_min, self.channel(n).v_max) for n in chans]
        for n, v in zip(chans, values):
            self.set_voltage(n, v)

    def q_volt(self, call: Call) -> str:
        chans, _ = self._list_last(call)
        return ",".join(_nr3(self.channel(n).voltage) for n in chans)

    def c_curr(self, call: Call) -> None:
        chans, nval = self._list_last(call)
        if nval < 1:
            raise ScpiError(-109)
        values = [call.number(0, self.channel(n).i_min, self.channel(n).i_max) for n in chans]
        for n, v in zip(chans, values):
            self.set_current(n, v)

    def q_curr(self, call: Call) -> str:
        chans, _ = self._list_last(call)
        return ",".join(_nr3(self.channel(n).current) for n in chans)

    def c_outp(self, call: Call) -> None:
        chans, nval = self._list_last(call)
        if nval < 1:
            raise ScpiError(-109)
        on = call.boolean(0)
        for n in chans:
            self.set_output(n, on)

    def q_outp(self, call: Call) -> str:
        chans, _ = self._list_last(call)
        return ",".join("1" if self.channel(n).output else "0" for n in chans)

    # --- measurement / status -------------------------------------------------------------------
    def q_meas_v(self, call: Call) -> str:
        return ",".join(_nr3(self.measure(n)[0]) for n in self._list_last(call)[0])

    def q_meas_i(self, call: Call) -> str:
        return ",".join(_nr3(self.measure(n)[1]) for n in self._list_last(call)[0])

    def q_isum(self, call: Call) -> str:
        _, _, mode = self.measure(self.channel(call.suffix(0)).number)
        return str({"CC": 1, "CV": 2}.get(mode, 0))

    # --- protection -----------------------------------------------------------------------------
    def c_ovp_val(self, call: Call) -> None:
        chans, _ = self._list_last(call)
        for n in chans:
            self.channel(n).ovp_level = call.number(0, 0.5, self.channel(n).ovp_max)

    def q_ovp_val(self, call: Call) -> str:
        return ",".join(_nr3(self.channel(n).ovp_level) for n in self._list_last(call)[0])

    def q_ovp_trip(self, call: Call) -> str:
        return ",".join("1" if self.channel(n).ovp_tripped else "0"
                        for n in self._list_last(call)[0])

    def c_ocp(self, call: Call) -> None:
        chans, _ = self._list_last(call)
        for n in chans:
            ch = self.channel(n)
            ch.ocp_on = call.boolean(0)
            ch.ocp_level = ch.current  # E36300: OCP threshold = current limit

    def q_ocp(self, call: Call) -> str:
        return ",".join("1" if self.channel(n).ocp_on else "0" for n in self._list_last(call)[0])

    def q_ocp_trip(self, call: Call) -> str:
        chans = self._list_last(call)[0]
        for n in chans:
            self.measure(n)
        return ",".join("1" if self.channel(n).ocp_tripped else "0" for n in chans)

    def c_prot_clear(self, call: Call) -> None:
        for n in self._list_last(call)[0]:
            self.channel(n).ocp_tripped = self.channel(n).ovp_tripped = False

    def c_apply(self, call: Call) -> None:
        """'APPL CH1,3.3,0.5' (voltage then current; validated before applying)."""
        name = call.arg(0).upper()
        if name not in self._NAMES:
            raise ScpiError(-224, name)
        n = self._NAMES[name]
        ch = self.channel(n)
        v = call.number(1, ch.v_min, ch.v_max)
        i = call.number(2, ch.i_min, ch.i_max) if len(call.args) > 2 else None
        self.set_voltage(n, v)
        if i is not None:
            self.set_current(n, i)

    def q_apply(self, call: Call) -> str:
        n = self._NAMES.get(call.arg(0, f"CH{self.selected}").upper())
        if n is None:
            raise ScpiError(-224, call.args[0])
        ch = self.channel(n)
        return f"{_nr3(ch.voltage)},{_nr3(ch.current)}"


class KeysightEDU36311A(KeysightE36312A):
    """EDU36311A: the E36300 command set; 6 V/5 A, +30 V/1 A and a negative -30 V/1 A output."""

    IDN = "Keysight Technologies,EDU36311A,CN61230123,1.0.4-1.0.2-1.05"
    RANGES = ((6.0, 0.002, 5.0, 6.6), (30.0, 0.001, 1.0, 33.0), (0.0, 0.001, 1.0, 33.0, -30.0))
