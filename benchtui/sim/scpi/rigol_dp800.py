"""Rigol DP800 (DP832) dialect: ':INST:NSEL n', ':SOUR<n>:VOLT', ':OUTP CH<n>,ON', ':MEAS:VOLT? CH<n>'.

Sources: the DP800 programming guide (PGH03109), QCoDeS RigolDP8xx, sigrok scpi-pps, scopehal.
Protection: `[:SOURce<n>]:VOLTage:PROTection[:LEVel]` / `:STATe` / `:QUEStion?` / `:CLEar` and the
`CURRent:PROTection` equivalents, and the older `:OUTPut:OVP|OCP[:STATe|:VALue] [CH<n>,]` forms
on the same state. `*OPT?` answers one field per option slot, `0` where none is installed (as
QCoDeS reads it). Reply number formats are UNCONFIRMED (Rigol prints plain decimals; 3 decimals
for setpoints, 4 for measurements here).
"""

from __future__ import annotations

from .core import Call, Choice, Flag, Number, Setting
from .psu import SimPsu

_ON = Flag("ON", "OFF")
_SRC = "[:SOURce#]"
_VOLT, _CURR = Number(lambda c: c.v_min, lambda c: c.v_max, ".3f"), Number(lambda c: c.i_min, lambda c: c.i_max, ".3f")
_OVP, _OCP = Number(0.01, lambda c: c.ovp_max, ".3f"), Number(0.001, lambda c: c.i_max * 1.1, ".3f")


class RigolDP832(SimPsu):
    IDN = "RIGOL TECHNOLOGIES,DP832,DP8C184550857,00.01.14"
    OPT = "0,0,0"
    RANGES = ((30.0, 0.0, 3.0, 33.0), (30.0, 0.0, 3.0, 33.0), (5.0, 0.0, 3.0, 5.5))
    RATING = {1: "30V/3A", 2: "30V/3A", 3: "5V/3A"}
    SETTINGS = (
        Setting(":INSTrument:NSELect", "selected", Number(1, lambda i: len(i.channels), "d", integer=True)),
        Setting(":INSTrument[:SELect]", "selected", Choice({"CH1": 1, "CH2": 2, "CH3": 3})),
        Setting(f"{_SRC}:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "src.voltage", _VOLT, "pushed"),
        Setting(f"{_SRC}:CURRent[:LEVel][:IMMediate][:AMPLitude]", "src.current", _CURR, "pushed"),
        Setting(f"{_SRC}:VOLTage:PROTection[:LEVel]", "src.ovp_level", _OVP),
        Setting(f"{_SRC}:VOLTage:PROTection:STATe", "src.ovp_on", _ON),
        Setting(f"{_SRC}:CURRent:PROTection[:LEVel]", "src.ocp_level", _OCP),
        Setting(f"{_SRC}:CURRent:PROTection:STATe", "src.ocp_on", _ON),
        Setting(":OUTPut[:STATe]", "argch.output", _ON, "output_set"),
        Setting(":OUTPut:OVP:VALue", "argch.ovp_level", _OVP),
        Setting(":OUTPut:OVP[:STATe]", "argch.ovp_on", _ON),
        Setting(":OUTPut:OCP:VALue", "argch.ocp_level", _OCP),
        Setting(":OUTPut:OCP[:STATe]", "argch.ocp_on", _ON),
    )
    COMMANDS = (
        (":OUTPut:MODE?", "q_mode"), (":OUTPut:CVCC?", "q_mode"),
        (":OUTPut:OVP:QUEStion?", "q_ovp_trip"), (":OUTPut:OCP:QUEStion?", "q_ocp_trip"),
        (f"{_SRC}:VOLTage:PROTection:QUEStion?", lambda s, c: s._trip(s.src(c), "ovp")),
        (f"{_SRC}:CURRent:PROTection:QUEStion?", lambda s, c: s._trip(s.src(c), "ocp")),
        (f"{_SRC}:VOLTage:PROTection:CLEar", "c_clear"), (f"{_SRC}:CURRent:PROTection:CLEar", "c_clear"),
        (":OUTPut:OVP:CLEar", "c_clear_arg"), (":OUTPut:OCP:CLEar", "c_clear_arg"),
        (":MEASure[:VOLTage][:DC]?", "q_meas_v"), (":MEASure:CURRent[:DC]?", "q_meas_i"),
        (":MEASure:POWEr[:DC]?", "q_meas_p"), (":MEASure:ALL[:DC]?", "q_meas_all"),
        (":APPLy", "c_apply"), (":APPLy?", "q_apply"),
    )

    def src(self, call: Call | None):
        """The channel of `:SOURce<n>`, else the selected one (Setting owner)."""
        s = call.suffixes[0] if call is not None and call.suffixes else None
        return self.channel(self.selected if s is None else s)

    def q_mode(self, call: Call) -> str:
        _, _, mode = self.measure(self.argch(call).number)
        return "CV" if mode == "OFF" else mode

    def _trip(self, ch, which: str) -> str:
        if which == "ocp":
            self.measure(ch.number)
        return "YES" if getattr(ch, f"{which}_tripped") else "NO"

    def q_ovp_trip(self, call: Call) -> str:
        return self._trip(self.argch(call), "ovp")

    def q_ocp_trip(self, call: Call) -> str:
        return self._trip(self.argch(call), "ocp")

    def c_clear(self, call: Call) -> None:
        ch = self.src(call)
        ch.ovp_tripped = ch.ocp_tripped = False

    def c_clear_arg(self, call: Call) -> None:
        ch = self.channel(self.channel_arg(call, 0))
        ch.ovp_tripped = ch.ocp_tripped = False

    def _measured(self, call: Call) -> tuple[float, float, str]:
        return self.measure(self.channel_arg(call, 0))

    def q_meas_v(self, call: Call) -> str:
        return f"{self._measured(call)[0]:.4f}"

    def q_meas_i(self, call: Call) -> str:
        return f"{self._measured(call)[1]:.4f}"

    def q_meas_p(self, call: Call) -> str:
        v, i, _ = self._measured(call)
        return f"{v * i:.3f}"

    def q_meas_all(self, call: Call) -> str:
        v, i, _ = self._measured(call)
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
