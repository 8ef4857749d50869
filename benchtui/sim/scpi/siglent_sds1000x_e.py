"""Siglent SDS1000X-E (SDS1104X-E) dialect: the legacy LeCroy-style command set.

Sources: Siglent Digital Oscilloscope Programming Guide PG01-E02D, scopehal
SiglentSCPIOscilloscope.cpp (PROTOCOL_ESERIES), libsigrok.
Headers are short (`C1:VDIV`) or long (`C1:VOLT_DIV`); `CHDR OFF|SHORT|LONG` decides whether
replies repeat the header and carry units (`C1:VDIV 5.00E-01V`, default SHORT) or are bare.
Channels: `C<n>:TRA`, `C<n>:VDIV`, `C<n>:OFST` (added to the signal), `C<n>:ATTN`. Timebase
`TDIV` (1-2-5 steps), `TRDL` (time of screen centre after the trigger), 14 divisions, `SARA?`,
`MSIZ` (only in AUTO trigger mode, -221 otherwise). Trigger `TRSE EDGE,SR,C<n>,...`,
`C<n>:TRLV`, `C<n>:TRSL POS|NEG`, `TRMD AUTO|NORM|SINGLE|STOP`, `SAST?` -> Arm (pre-trigger
filling), Ready, Trig'd, Stop, Auto; `FRTR` forces, `STOP` stops, `ARM` arms a single.
`C<n>:WF? DAT2` -> `C1:WF DAT2,#9<len><int8>` + two newlines (bare `#9...` with CHDR OFF;
UNCONFIRMED), V = code x VDIV/25 - OFST. `C<n>:PAVA? MAX` -> `C1:PAVA MAX,2.00E+00V`, `****` when
it cannot be measured. `CMR?` returns and clears the command error register (LeCroy codes:
1 unknown header, 3 bad number, 5 bad keyword/value; UNCONFIRMED mapping).
"""

from __future__ import annotations

import numpy as np

from .core import INVALID, Call, ScpiError
from .rigol_ds1000z import snap
from .scope_instrument import SimScope

H_DIVS = 14
CODES_PER_DIV = 25
TDIV_STEPS = tuple(m * 10.0 ** e for e in range(-9, 3) for m in (1, 2, 5) if 1e-9 <= m * 10.0 ** e <= 100)
MSIZES = {"7K": 7_000, "14K": 14_000, "70K": 70_000, "140K": 140_000, "700K": 700_000,
          "1.4M": 1_400_000, "7M": 7_000_000, "14M": 14_000_000}
DEFAULT_MSIZE = "14K"       # UNCONFIRMED power-on memory depth (scopehal sets 14K)
CMR_CODES = {-113: 1, -102: 2, -104: 3, -224: 5, -222: 5, -221: 5, -109: 2}
PAVA = {"MAX": ("VMAX", "V"), "MIN": ("VMIN", "V"), "MEAN": ("VAVG", "V"), "PKPK": ("VPP", "V"),
        "AMPL": ("VAMP", "V"), "TOP": ("VTOP", "V"), "BASE": ("VBASE", "V"), "RMS": ("VRMS", "V"),
        "RISE": ("RTIME", "S"), "FALL": ("FTIME", "S"), "PWID": ("PWIDTH", "S"), "NWID": ("NWIDTH", "S")}
STATUS = {"STOP": "Stop", "RUN": "Arm", "WAIT": "Ready", "TD": "Trig'd", "AUTO": "Auto"}


def _e(x: float) -> str:
    return f"{x:.2E}"


def _pair(short: str, long: str, handler: str) -> tuple[tuple[str, str], ...]:
    return ((short, handler), (long, handler))


class SiglentSDS1104XE(SimScope):
    IDN = "Siglent Technologies,SDS1104X-E,SDSMMEBX3R2053,8.1.6.1.33"
    RECORD_POINTS = MSIZES[DEFAULT_MSIZE]
    COMMANDS = (
        *_pair("CHDR", "COMM_HEADER", "c_chdr"), *_pair("CHDR?", "COMM_HEADER?", "q_chdr"),
        *_pair("C#:TRA", "C#:TRACE", "c_ch_disp"), *_pair("C#:TRA?", "C#:TRACE?", "q_tra"),
        *_pair("C#:VDIV", "C#:VOLT_DIV", "c_ch_scale"), *_pair("C#:VDIV?", "C#:VOLT_DIV?", "q_vdiv"),
        *_pair("C#:OFST", "C#:OFFSET", "c_ch_offset"), *_pair("C#:OFST?", "C#:OFFSET?", "q_ofst"),
        *_pair("C#:ATTN", "C#:ATTENUATION", "c_ch_probe"), *_pair("C#:ATTN?", "C#:ATTENUATION?", "q_attn"),
        *_pair("C#:CPL", "C#:COUPLING", "c_noop"),
        *_pair("TDIV", "TIME_DIV", "c_tdiv"), *_pair("TDIV?", "TIME_DIV?", "q_tdiv"),
        *_pair("TRDL", "TRIG_DELAY", "c_trdl"), *_pair("TRDL?", "TRIG_DELAY?", "q_trdl"),
        *_pair("SARA?", "SAMPLE_RATE?", "q_sara"),
        *_pair("MSIZ", "MEMORY_SIZE", "c_msiz"), *_pair("MSIZ?", "MEMORY_SIZE?", "q_msiz"),
        *_pair("TRSE", "TRIG_SELECT", "c_trse"), *_pair("TRSE?", "TRIG_SELECT?", "q_trse"),
        *_pair("C#:TRLV", "C#:TRIG_LEVEL", "c_trlv"), *_pair("C#:TRLV?", "C#:TRIG_LEVEL?", "q_trlv"),
        *_pair("C#:TRSL", "C#:TRIG_SLOPE", "c_trsl"), *_pair("C#:TRSL?", "C#:TRIG_SLOPE?", "q_trsl"),
        *_pair("TRMD", "TRIG_MODE", "c_trmd"), *_pair("TRMD?", "TRIG_MODE?", "q_trmd"),
        *_pair("SAST?", "SAMPLE_STATUS?", "q_sast"),
        *_pair("ARM", "ARM_ACQUISITION", "c_single"), ("STOP", "c_stop"),
        *_pair("FRTR", "FORCE_TRIGGER", "c_force"), *_pair("ASET", "AUTO_SETUP", "c_autoscale"),
        *_pair("C#:WF?", "C#:WAVEFORM?", "q_wf"), *_pair("C#:PAVA?", "C#:PARAMETER_VALUE?", "q_pava"),
        ("WFSU", "c_noop"), ("CMR?", "q_cmr"), ("INR?", "q_zero"),
    )

    def configure(self) -> None:
        self.header = "SHORT"
        self.tdiv, self.trdl = 1e-3, 0.0
        self.msize = DEFAULT_MSIZE
        self.mode = "AUTO"
        self.engine.record_points = MSIZES[self.msize]
        for ch in self.engine.channels.values():
            ch.probe, ch.offset = 1.0, 0.0
        self._geometry()

    def fmt(self, x: float) -> str:
        return _e(x)

    def _geometry(self) -> None:
        self.engine.span = H_DIVS * self.tdiv
        self.engine.rel_start = self.trdl - H_DIVS / 2 * self.tdiv

    def _reply(self, header: str, value: str) -> str:
        return value if self.header == "OFF" else f"{header} {value}"

    # --- status / errors --------------------------------------------------------------------------
    def c_chdr(self, call: Call) -> None:
        self.header = call.choice(0, {"OFF": "OFF", "SHORT": "SHORT", "LONG": "LONG"})

    def q_chdr(self, call: Call) -> str:
        return self._reply("CHDR", self.header)

    def q_cmr(self, call: Call) -> str:
        code = 0
        while len(self.errors):
            c, _ = self.errors._q.popleft()
            code = code or CMR_CODES.get(c, 1)
        return self._reply("CMR", str(code))

    # --- channels ---------------------------------------------------------------------------------
    def _ch_reply(self, call: Call, name: str, value: str) -> str:
        return self._reply(f"C{call.suffix(0)}:{name}", value)

    def q_tra(self, call: Call) -> str:
        return self._ch_reply(call, "TRA", "ON" if self.ch(call).display else "OFF")

    def q_vdiv(self, call: Call) -> str:
        v = _e(self.ch(call).scale)
        return self._ch_reply(call, "VDIV", v if self.header == "OFF" else v + "V")

    def q_ofst(self, call: Call) -> str:
        v = _e(self.ch(call).offset)
        return self._ch_reply(call, "OFST", v if self.header == "OFF" else v + "V")

    def q_attn(self, call: Call) -> str:
        return self._ch_reply(call, "ATTN", f"{self.ch(call).probe:g}")

    # --- timebase ---------------------------------------------------------------------------------
    def c_tdiv(self, call: Call) -> None:
        self.tdiv = snap(call.number(0, 1e-9, 100.0), TDIV_STEPS)
        self._geometry()

    def q_tdiv(self, call: Call) -> str:
        return self._reply("TDIV", _e(self.tdiv) + ("" if self.header == "OFF" else "S"))

    def c_trdl(self, call: Call) -> None:
        self.trdl = call.number(0, -H_DIVS / 2 * self.tdiv - 10.0, 10.0)
        self._geometry()

    def q_trdl(self, call: Call) -> str:
        return self._reply("TRDL", _e(self.trdl) + ("" if self.header == "OFF" else "S"))

    def q_sara(self, call: Call) -> str:
        return self._reply("SARA", _e(1.0 / self.engine.dt) + ("" if self.header == "OFF" else "Sa/s"))

    def c_msiz(self, call: Call) -> None:
        size = call.arg(0).upper()
        if size not in MSIZES:
            raise ScpiError(-224, size)
        if self.mode != "AUTO":
            raise ScpiError(-221, "memory size changes only in AUTO trigger mode")
        self.msize = size
        self.engine.record_points = MSIZES[size]

    def q_msiz(self, call: Call) -> str:
        return self._reply("MSIZ", self.msize)

    # --- trigger ----------------------------------------------------------------------------------
    def c_trse(self, call: Call) -> None:
        if call.arg(0).upper() != "EDGE":
            raise ScpiError(-224, call.arg(0))
        args = [a.upper() for a in call.args]
        if "SR" in args and args.index("SR") + 1 < len(args):
            self.engine.trig_source = int(args[args.index("SR") + 1].lstrip("C"))

    def q_trse(self, call: Call) -> str:
        return self._reply("TRSE", f"EDGE,SR,C{self.engine.trig_source},HT,OFF")

    def c_trlv(self, call: Call) -> None:
        self.engine.trig_level = call.number(0, -100.0, 100.0)

    def q_trlv(self, call: Call) -> str:
        return self._ch_reply(call, "TRLV", _e(self.engine.trig_level) + ("" if self.header == "OFF" else "V"))

    def c_trsl(self, call: Call) -> None:
        self.engine.trig_slope = call.choice(0, {"POS": "POS", "NEG": "NEG"})

    def q_trsl(self, call: Call) -> str:
        return self._ch_reply(call, "TRSL", self.engine.trig_slope)

    def c_trmd(self, call: Call) -> None:
        self.mode = call.choice(0, {"AUTO": "AUTO", "NORM": "NORM", "SINGLE": "SINGLE", "STOP": "STOP"})
        if self.mode == "STOP":
            self.engine.stop()
        elif self.mode == "SINGLE":
            self.engine.sweep = "SING"
            self.engine.single(self.SINGLE_LATENCY_S)
        else:
            self.engine.sweep = self.mode
            self.engine.run()

    def q_trmd(self, call: Call) -> str:
        return self._reply("TRMD", self.mode)

    def c_single(self, call: Call) -> None:
        self.mode = "SINGLE"
        self.engine.sweep = "SING"
        self.engine.single(self.SINGLE_LATENCY_S)

    def c_stop(self, call: Call) -> None:
        self.mode = "STOP"
        self.engine.stop()

    def c_autoscale(self, call: Call) -> None:
        self.mode = "AUTO"
        super().c_autoscale(call)

    def q_sast(self, call: Call) -> str:
        return self._reply("SAST", STATUS[self.engine.status()])

    # --- waveform and measurements ----------------------------------------------------------------
    def q_wf(self, call: Call) -> bytes:
        n = call.suffix(0)
        if call.arg(0, "ALL").upper() != "DAT2":
            raise ScpiError(-224, "only DAT2 is simulated")
        self.engine.update()
        acq = self.engine.last
        if acq is None or n not in acq.volts or not acq.settings[n].display:
            data = b""
        else:
            ch = acq.settings[n]
            codes = np.clip(np.round((acq.volts[n] + ch.offset) * CODES_PER_DIV / ch.scale), -128, 127)
            data = codes.astype(np.int8).tobytes()
        block = b"#9" + str(len(data)).zfill(9).encode() + data + b"\n"
        return block if self.header == "OFF" else f"C{n}:WF DAT2,".encode() + block

    def q_pava(self, call: Call) -> str:
        n = call.suffix(0)
        item = call.arg(0).upper()
        if item not in PAVA:
            raise ScpiError(-224, item)
        name, unit = PAVA[item]
        value = self.engine.measure(name, n)
        text = "****" if value >= INVALID else _e(value) + unit
        return self._ch_reply(call, "PAVA", f"{item},{text}")
