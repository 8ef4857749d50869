"""Siglent SPD3303X dialect: `CH1:VOLT 3.3`, `OUTP CH1,ON`, `MEAS:VOLT? CH1`, `SYST:STAT?` (hex).

Sources: scopehal SiglentPowerSupply.cpp, Fixate siglent_spd_3303X.py, PyMeasure siglent_spdbase,
pyvisa issue #362. Only the short and the long form of a mnemonic are accepted (the SPD1000X manual: "VOL
and VOLTAG will generate errors"), which the core does anyway. Quirks modelled:
* no lost commands: on the LAN raw socket, newline-terminated commands are executed in order
  without sleeps (Kurokesu/siglent_psu_api PR #6); the losses that need the driver's 20 ms
  pacing are reported over USBTMC (Fixate, pyvisa #362, sigrok PR #77), which is not simulated;
* `SYST:ERR?` answers `0  No error` (code, two spaces, text; no comma, no quotes);
* there is no output query: on/off and CV/CC are bits of `SYST:STAT?` (bit 0/1 CH1/CH2 CC,
  bit 4/5 CH1/CH2 on, bits 2-3 tracking mode);
* CH3 is a fixed 2.5/3.3/5 V output (front-panel switch): it can be switched, nothing else.
Reply number formats are UNCONFIRMED (3 decimals).
"""

from __future__ import annotations

from .core import ERROR_TEXT, Call, ScpiError
from .psu import SimPsu

_ON_OFF = {"ON": True, "OFF": False}


class SiglentSPD3303X(SimPsu):
    IDN = "Siglent Technologies,SPD3303X,SPD3XHBX2R0123,1.01.01.02.05,V3.0"
    RANGES = ((32.0, 0.0, 3.2, 32.0), (32.0, 0.0, 3.2, 32.0))
    COMMANDS = (
        (":INSTrument", "c_inst"), (":INSTrument?", "q_inst"),
        (":CH#:VOLTage", "c_volt"), (":CH#:VOLTage?", "q_volt"),
        (":CH#:CURRent", "c_curr"), (":CH#:CURRent?", "q_curr"),
        (":OUTPut", "c_outp"), (":OUTPut:TRACK", "c_track"),
        (":MEASure:VOLTage?", "q_meas_v"), (":MEASure:CURRent?", "q_meas_i"),
        (":MEASure:POWEr?", "q_meas_p"),
        (":SYSTem:STATus?", "q_status"),
        ("*SAV", "c_noop"), ("*RCL", "c_noop"), ("*LOCK", "c_noop"), ("*UNLOCK", "c_noop"),
    )

    def reset(self) -> None:
        super().reset()
        self.ch3_on = False
        self.tracking = 0

    def q_error(self, call: Call) -> str:
        code, detail = self.errors._q.popleft() if len(self.errors) else (0, "")
        return f"{code}  {ERROR_TEXT.get(code, 'Error')}"

    def q_version(self, call: Call) -> str:
        return self.IDN.split(",")[3]

    def _ch(self, call: Call) -> int:
        n = call.suffix(0)
        self.channel(n)
        return n

    def c_inst(self, call: Call) -> None:
        self.selected = self.channel_arg(call, 0)

    def q_inst(self, call: Call) -> str:
        return f"CH{self.selected}"

    def c_volt(self, call: Call) -> None:
        n = self._ch(call)
        self.set_voltage(n, call.number(0, 0.0, self.channel(n).v_max))

    def q_volt(self, call: Call) -> str:
        return f"{self.channel(self._ch(call)).voltage:.3f}"

    def c_curr(self, call: Call) -> None:
        n = self._ch(call)
        ch = self.channel(n)
        self.set_current(n, call.number(0, ch.i_min, ch.i_max))

    def q_curr(self, call: Call) -> str:
        return f"{self.channel(self._ch(call)).current:.3f}"

    def c_outp(self, call: Call) -> None:
        """`OUTP CH1,ON` (also `OUTP CH3,ON`: the fixed output can be switched)."""
        which, state = call.arg(0).upper(), call.arg(1).upper()
        if state not in _ON_OFF:
            raise ScpiError(-224, state)
        if which == "CH3":
            self.ch3_on = _ON_OFF[state]
            return
        call.args[0] = which
        self.set_output(self.channel_arg(call, 0), _ON_OFF[state])

    def c_track(self, call: Call) -> None:
        self.tracking = int(call.number(0, 0, 2))

    def _measured(self, call: Call) -> tuple[float, float, str]:
        return self.measure(self.channel_arg(call, 0))

    def q_meas_v(self, call: Call) -> str:
        return f"{self._measured(call)[0]:.3f}"

    def q_meas_i(self, call: Call) -> str:
        return f"{self._measured(call)[1]:.3f}"

    def q_meas_p(self, call: Call) -> str:
        v, i, _ = self._measured(call)
        return f"{v * i:.3f}"

    def q_status(self, call: Call) -> str:
        word = self.tracking << 2
        for n, cc_bit, on_bit in ((1, 0x01, 0x10), (2, 0x02, 0x20)):
            _, _, mode = self.measure(n)
            word |= (cc_bit if mode == "CC" else 0) | (on_bit if self.channel(n).output else 0)
        return f"0x{word:04X}"
