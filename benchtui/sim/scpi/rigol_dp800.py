"""Rigol DP800 (DP832) dialect: ':INST:NSEL n', ':SOUR<n>:VOLT', ':OUTP CH<n>,ON', ':MEAS:VOLT? CH<n>'.

Sources: Rigol DP800 Programming Guide, libsigrok src/hardware/scpi-pps/profiles.c, scopehal
RigolDP8xxPowerSupply.cpp, QCoDeS DP8xx.py. Reply number formats are
UNCONFIRMED (Rigol prints plain decimals; 3 decimals for setpoints, 4 for measurements here).
"""

from __future__ import annotations

from .core import Call, ScpiError
from .psu import SimPsu

_ON_OFF = {"ON": True, "OFF": False, "1": True, "0": False}


class RigolDP832(SimPsu):
    IDN = "RIGOL TECHNOLOGIES,DP832,DP8C184550857,00.01.14"
    RANGES = ((30.0, 0.0, 3.0, 33.0), (30.0, 0.0, 3.0, 33.0), (5.0, 0.0, 3.0, 5.5))
    RATING = {1: "30V/3A", 2: "30V/3A", 3: "5V/3A"}
    COMMANDS = (
        (":INSTrument:NSELect", "c_nsel"), (":INSTrument:NSELect?", "q_nsel"),
        (":INSTrument[:SELect]", "c_inst"), (":INSTrument[:SELect]?", "q_inst"),
        ("[:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "c_volt"),
        ("[:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?", "q_volt"),
        ("[:SOURce#]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "c_curr"),
        ("[:SOURce#]:CURRent[:LEVel][:IMMediate][:AMPLitude]?", "q_curr"),
        (":OUTPut[:STATe]", "c_outp"), (":OUTPut[:STATe]?", "q_outp"),
        (":OUTPut:MODE?", "q_mode"), (":OUTPut:CVCC?", "q_mode"),
        (":OUTPut:OVP:VALue", "c_ovp_val"), (":OUTPut:OVP:VALue?", "q_ovp_val"),
        (":OUTPut:OVP[:STATe]", "c_ovp"), (":OUTPut:OVP[:STATe]?", "q_ovp"),
        (":OUTPut:OVP:QUEStion?", "q_ovp_trip"),
        (":OUTPut:OCP:VALue", "c_ocp_val"), (":OUTPut:OCP:VALue?", "q_ocp_val"),
        (":OUTPut:OCP[:STATe]", "c_ocp"), (":OUTPut:OCP[:STATe]?", "q_ocp"),
        (":OUTPut:OCP:QUEStion?", "q_ocp_trip"),
        (":MEASure[:VOLTage][:DC]?", "q_meas_v"), (":MEASure:CURRent[:DC]?", "q_meas_i"),
        (":MEASure:POWEr[:DC]?", "q_meas_p"), (":MEASure:ALL[:DC]?", "q_meas_all"),
        (":APPLy", "c_apply"), (":APPLy?", "q_apply"),
    )

    # --- selection ------------------------------------------------------------------------------
    def c_nsel(self, call: Call) -> None:
        n = int(call.number(0, 1, len(self.channels)))
        self.selected = n

    def q_nsel(self, call: Call) -> str:
        return str(self.selected)

    def c_inst(self, call: Call) -> None:
        self.selected = self.channel_arg(call, 0)

    def q_inst(self, call: Call) -> str:
        return f"CH{self.selected}"

    def _source(self, call: Call) -> int:
        s = call.suffixes[0] if call.suffixes else None
        return self.selected if s is None else self.channel(s).number

    # --- setpoints ------------------------------------------------------------------------------
    def c_volt(self, call: Call) -> None:
        n = self._source(call)
        self.set_voltage(n, call.number(0, self.channel(n).v_min, self.channel(n).v_max))

    def q_volt(self, call: Call) -> str:
        return f"{self.channel(self._source(call)).voltage:.3f}"

    def c_curr(self, call: Call) -> None:
        n = self._source(call)
        ch = self.channel(n)
        self.set_current(n, call.number(0, ch.i_min, ch.i_max))

    def q_curr(self, call: Call) -> str:
        return f"{self.channel(self._source(call)).current:.3f}"

    # --- output ---------------------------------------------------------------------------------
    def _ch_and_value(self, call: Call) -> tuple[int, str]:
        """':OUTP CH1,ON' or ':OUTP ON' (selected channel)."""
        if len(call.args) >= 2:
            return self.channel_arg(call, 0), call.args[1]
        return self.selected, call.arg(0)

    def c_outp(self, call: Call) -> None:
        n, value = self._ch_and_value(call)
        if value.upper() not in _ON_OFF:
            raise ScpiError(-224, value)
        self.set_output(n, _ON_OFF[value.upper()])

    def q_outp(self, call: Call) -> str:
        return "ON" if self.channel(self.channel_arg(call, 0)).output else "OFF"

    def q_mode(self, call: Call) -> str:
        _, _, mode = self.measure(self.channel_arg(call, 0))
        return "CV" if mode == "OFF" else mode

    # --- protection -----------------------------------------------------------------------------
    def c_ovp_val(self, call: Call) -> None:
        n, _ = self._ch_and_value(call) if len(call.args) >= 2 else (self.selected, "")
        ch = self.channel(n)
        ch.ovp_level = call.number(len(call.args) - 1, 0.01, ch.ovp_max)

    def q_ovp_val(self, call: Call) -> str:
        return f"{self.channel(self.channel_arg(call, 0)).ovp_level:.3f}"

    def c_ovp(self, call: Call) -> None:
        n, _ = self._ch_and_value(call) if len(call.args) >= 2 else (self.selected, "")
        self.channel(n).ovp_on = call.boolean(len(call.args) - 1)

    def q_ovp(self, call: Call) -> str:
        return "ON" if self.channel(self.channel_arg(call, 0)).ovp_on else "OFF"

    def q_ovp_trip(self, call: Call) -> str:
        return "YES" if self.channel(self.channel_arg(call, 0)).ovp_tripped else "NO"

    def c_ocp_val(self, call: Call) -> None:
        n, _ = self._ch_and_value(call) if len(call.args) >= 2 else (self.selected, "")
        ch = self.channel(n)
        ch.ocp_level = call.number(len(call.args) - 1, 0.001, ch.i_max * 1.1)

    def q_ocp_val(self, call: Call) -> str:
        return f"{self.channel(self.channel_arg(call, 0)).ocp_level:.3f}"

    def c_ocp(self, call: Call) -> None:
        n, _ = self._ch_and_value(call) if len(call.args) >= 2 else (self.selected, "")
        self.channel(n).ocp_on = call.boolean(len(call.args) - 1)

    def q_ocp(self, call: Call) -> str:
        return "ON" if self.channel(self.channel_arg(call, 0)).ocp_on else "OFF"

    def q_ocp_trip(self, call: Call) -> str:
        n = self.channel_arg(call, 0)
        self.measure(n)
        return "YES" if self.channel(n).ocp_tripped else "NO"

    # --- measurement ----------------------------------------------------------------------------
    def q_meas_v(self, call: Call) -> str:
        return f"{self.measure(self.channel_arg(call, 0))[0]:.4f}"

    def q_meas_i(self, call: Call) -> str:
        return f"{self.measure(self.channel_arg(call, 0))[1]:.4f}"

    def q_meas_p(self, call: Call) -> str:
        v, i, _ = self.measure(self.channel_arg(call, 0))
        return f"{v * i:.3f}"

    def q_meas_all(self, call: Call) -> str:
        v, i, _ = self.measure(self.channel_arg(call, 0))
        return f"{v:.4f},{i:.4f},{v * i:.3f}"

    def c_apply(self, call: Call) -> None:
        """':APPL CH1,3.3[,0.5]' — validate everything before applying anything."""
        n = self.channel_arg(call, 0)
        ch = self.channel(n)
        v = call.number(1, ch.v_min, ch.v_max)
        i = call.number(2, ch.i_min, ch.i_max) if len(call.args) > 2 else None
        self.set_voltage(n, v)
        if i is not None:
            self.set_current(n, i)

    def q_apply(self, call: Call) -> str:
        n = self.channel_arg(call, 0)
        ch = self.channel(n)
        return f"CH{n}:{self.RATING[n]},{ch.voltage:.3f},{ch.current:.3f}"


class RigolDP831A(RigolDP832):
    """DP831A: 8 V/5 A, 30 V/2 A and a negative -30 V/2 A output (CH3 setpoints are negative)."""

    IDN = "RIGOL TECHNOLOGIES,DP831A,DP8D204300123,00.01.16"
    RANGES = ((8.0, 0.0, 5.0, 8.8), (30.0, 0.0, 2.0, 33.0), (0.0, 0.0, 2.0, 33.0, -30.0))
    RATING = {1: "8V/5A", 2: "30V/2A", 3: "-30V/2A"}
