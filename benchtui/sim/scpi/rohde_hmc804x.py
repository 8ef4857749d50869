"""Rohde & Schwarz HMC8043 dialect: `INST:NSEL n`, `VOLT`, `CURR`, `OUTP:SEL ON` + `OUTP:MAST ON`.

Sources: scopehal RohdeSchwarzHMC804xPowerSupply.cpp, QCoDeS RohdeSchwarzHMC804x, libsigrok
scpi-pps profiles.c. An output
is live when its channel is selected for the master switch AND the master switch is on.
`OUTP ON|OFF` on the selected channel switches that channel and (ON) the master (UNCONFIRMED:
sigrok's `OUTP ON`; we do not let `OUTP OFF` switch the master off). CC is bit 1 (value 2) of
`STAT:QUES:COND?` for the selected channel (scopehal). Reply formats UNCONFIRMED (3 decimals).
"""

from __future__ import annotations

from .core import Call, ScpiError
from .psu import SimPsu


class RohdeHMC8043(SimPsu):
    IDN = "Rohde&Schwarz,HMC8043,103456,01.300"
    RANGES = ((32.05, 0.001, 3.0, 33.0), (32.05, 0.001, 3.0, 33.0), (32.05, 0.001, 3.0, 33.0))
    COMMANDS = (
        (":INSTrument:NSELect", "c_nsel"), (":INSTrument:NSELect?", "q_nsel"),
        (":INSTrument[:SELect]", "c_inst"), (":INSTrument[:SELect]?", "q_inst"),
        ("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "c_volt"),
        ("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?", "q_volt"),
        ("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "c_curr"),
        ("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]?", "q_curr"),
        (":OUTPut:SELect", "c_sel"), (":OUTPut:SELect?", "q_sel"),
        (":OUTPut:CHANnel[:STATe]", "c_sel"), (":OUTPut:CHANnel[:STATe]?", "q_sel"),
        (":OUTPut:MASTer[:STATe]", "c_master"), (":OUTPut:MASTer[:STATe]?", "q_master"),
        (":OUTPut[:STATe]", "c_outp"), (":OUTPut[:STATe]?", "q_outp"),
        (":MEASure[:SCALar]:VOLTage[:DC]?", "q_meas_v"), (":MEASure[:SCALar]:CURRent[:DC]?", "q_meas_i"),
        (":MEASure[:SCALar]:POWer?", "q_meas_p"),
        (":STATus:QUEStionable[:CONDition]?", "q_ques"),
    )

    def reset(self) -> None:
        self.master = False
        self.chosen = {1: False, 2: False, 3: False}
        super().reset()

    def set_output(self, n: int, on: bool) -> None:
        """The front panel: the channel's button, and (on) the master button too."""
        self.channel(n)
        self.chosen[n] = on
        if on:
            self.master = True
        self._apply_outputs()

    def _apply_outputs(self) -> None:
        for n in self.channels:
            live = self.master and self.chosen[n]
            if self.channels[n].output != live:
                SimPsu.set_output(self, n, live)

    def c_nsel(self, call: Call) -> None:
        self.selected = int(call.number(0, 1, len(self.channels)))

    def q_nsel(self, call: Call) -> str:
        return str(self.selected)

    def c_inst(self, call: Call) -> None:
        name = call.arg(0).upper()
        if name not in ("OUT1", "OUT2", "OUT3", "1", "2", "3"):
            raise ScpiError(-224, name)
        self.selected = int(name[-1])

    def q_inst(self, call: Call) -> str:
        return f"OUTP{self.selected}"

    def c_volt(self, call: Call) -> None:
        ch = self.channel(self.selected)
        self.set_voltage(self.selected, call.number(0, 0.0, ch.v_max))

    def q_volt(self, call: Call) -> str:
        return f"{self.channel(self.selected).voltage:.3f}"

    def c_curr(self, call: Call) -> None:
        ch = self.channel(self.selected)
        self.set_current(self.selected, call.number(0, ch.i_min, ch.i_max))

    def q_curr(self, call: Call) -> str:
        return f"{self.channel(self.selected).current:.3f}"

    def c_sel(self, call: Call) -> None:
        self.chosen[self.selected] = call.boolean(0)
        self._apply_outputs()

    def q_sel(self, call: Call) -> str:
        return "1" if self.chosen[self.selected] else "0"

    def c_master(self, call: Call) -> None:
        self.master = call.boolean(0)
        self._apply_outputs()

    def q_master(self, call: Call) -> str:
        return "1" if self.master else "0"

    def c_outp(self, call: Call) -> None:
        on = call.boolean(0)
        self.chosen[self.selected] = on
        if on:
            self.master = True
        self._apply_outputs()

    def q_outp(self, call: Call) -> str:
        return "1" if self.channel(self.selected).output else "0"

    def q_meas_v(self, call: Call) -> str:
        return f"{self.measure(self.selected)[0]:.4f}"

    def q_meas_i(self, call: Call) -> str:
        return f"{self.measure(self.selected)[1]:.4f}"

    def q_meas_p(self, call: Call) -> str:
        v, i, _ = self.measure(self.selected)
        return f"{v * i:.4f}"

    def q_ques(self, call: Call) -> str:
        return str(2 if self.measure(self.selected)[2] == "CC" else 0)
