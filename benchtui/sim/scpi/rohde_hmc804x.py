"""Rohde & Schwarz HMC8043 dialect: `INST:NSEL n`, `VOLT`, `CURR`, `OUTP:SEL ON` + `OUTP:MAST ON`.

Sources: scopehal RohdeSchwarzHMC804xPowerSupply.cpp, QCoDeS RohdeSchwarzHMC804x, libsigrok
scpi-pps profiles.c. An output
is live when its channel is selected for the master switch AND the master switch is on.
`OUTP ON|OFF` on the selected channel switches that channel and (ON) the master (UNCONFIRMED:
sigrok's `OUTP ON`; we do not let `OUTP OFF` switch the master off). CC is bit 1 (value 2) of
`STAT:QUES:COND?` for the selected channel (scopehal). Reply formats UNCONFIRMED (3 decimals).

EasyRamp (HMC804x user manual, "[SOURce:]VOLTage:RAMP[:STATe]" and "...:RAMP:DURation"): per
channel, `VOLT:RAMP ON|OFF` and `VOLT:RAMP:DUR <s>|MIN|MAX|DEF` (10 ms to 10 s, default 10 ms;
`VOLT:RAMP:DUR? MIN|MAX|DEF` answers the limit); with the ramp on, the output rises linearly from
0 V to its setpoint over the duration each time it is switched on. Channel 1's ramp reaches the
board model.
"""

from __future__ import annotations

from .core import Call, Choice, Flag, Number, Setting
from .psu import SimPsu

_BOOL = Flag("1", "0")


class RohdeHMC8043(SimPsu):
    IDN = "Rohde&Schwarz,HMC8043,103456,01.300"
    RANGES = ((32.05, 0.001, 3.0, 33.0), (32.05, 0.001, 3.0, 33.0), (32.05, 0.001, 3.0, 33.0))
    SETTINGS = (
        Setting(":INSTrument:NSELect", "selected", Number(1, lambda i: len(i.channels), "d", integer=True)),
        Setting(":INSTrument[:SELect]", "selected", Choice({"OUTPut1": 1, "OUTPut2": 2, "OUTPut3": 3,
                                                            "OUT1": 1, "OUT2": 2, "OUT3": 3},
                                                           reply={1: "OUTP1", 2: "OUTP2", 3: "OUTP3"})),
        Setting("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "sel.voltage",
                Number(0.0, lambda c: c.v_max, ".3f"), "pushed"),
        Setting("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "sel.current",
                Number(lambda c: c.i_min, lambda c: c.i_max, ".3f"), "pushed"),
        Setting(":OUTPut:SELect", "sel.chosen", _BOOL, "apply_outputs"),
        Setting(":OUTPut:CHANnel[:STATe]", "sel.chosen", _BOOL, "apply_outputs"),
        Setting(":OUTPut:MASTer[:STATe]", "master", _BOOL, "apply_outputs", default=False),
        Setting("[:SOURce]:VOLTage:RAMP[:STATe]", "sel.ramp", _BOOL, "pushed"),
        Setting("[:SOURce]:VOLTage:RAMP:DURation", "sel.ramp_s",
                Number(0.01, 10.0, ".3E", keywords={"DEF": 0.01, "DEFAULT": 0.01}), "pushed"),
    )
    #: EasyRamp duration limits and default, seconds (the query's MIN / MAX / DEF).
    RAMP_LIMITS = {"MIN": 0.01, "MINIMUM": 0.01, "MAX": 10.0, "MAXIMUM": 10.0, "DEF": 0.01, "DEFAULT": 0.01}
    COMMANDS = (
        (":OUTPut[:STATe]", "c_outp"), (":OUTPut[:STATe]?", lambda s, c: "1" if s.sel(c).output else "0"),
        (":MEASure[:SCALar]:VOLTage[:DC]?", "q_meas_v"), (":MEASure[:SCALar]:CURRent[:DC]?", "q_meas_i"),
        (":MEASure[:SCALar]:POWer?", "q_meas_p"),
        (":STATus:QUEStionable[:CONDition]?", lambda s, c: str(2 if s.measure(s.selected)[2] == "CC" else 0)),
    )

    def reply(self, call: Call, setting: Setting, text: str) -> str:
        """`VOLT:RAMP:DUR? MIN|MAX|DEF` answers that limit, not the setting."""
        key = call.args[0].strip().upper() if call.args else ""
        if setting.attr == "sel.ramp_s" and key in self.RAMP_LIMITS:
            return format(self.RAMP_LIMITS[key], ".3E")
        return text

    def _push(self, n: int) -> None:
        super()._push(n)
        if n == 1 and self.board is not None and 1 in self.channels:
            ch = self.channels[1]
            self.board.set_psu(ramp_s=ch.ramp_s if ch.ramp else 0.0)

    def set_output(self, n: int, on: bool) -> None:
        """The front panel: the channel's button, and (on) the master button too."""
        self.channel(n).chosen = on
        if on:
            self.master = True
        self.apply_outputs()

    def apply_outputs(self, _owner: object = None) -> None:
        for n, ch in self.channels.items():
            live = self.master and ch.chosen
            if ch.output != live:
                SimPsu.set_output(self, n, live)

    def c_outp(self, call: Call) -> None:
        self.set_output(self.selected, call.boolean(0))

    def q_meas_v(self, call: Call) -> str:
        return f"{self.measure(self.selected)[0]:.4f}"

    def q_meas_i(self, call: Call) -> str:
        return f"{self.measure(self.selected)[1]:.4f}"

    def q_meas_p(self, call: Call) -> str:
        v, i, _ = self.measure(self.selected)
        return f"{v * i:.4f}"
