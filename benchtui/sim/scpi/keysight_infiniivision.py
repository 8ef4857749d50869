"""Keysight InfiniiVision 3000X (DSO-X 3034T) dialect.

Sources: Keysight InfiniiVision 2000X/3000X programmer's guides (:WAVeform, :CHANnel), PyMeasure
keysightDSOX1102G.py, scopehal AgilentOscilloscope.cpp.
Record 2000 points over 10 divisions, :WAV:POIN picks 100..2000 by decimation. Channel offset is
the value at screen centre; BYTE: 256 codes over 8 div, YREF 128; WORD: 16-bit left-justified
(lowest 4 bits 0), MSB first by default (:WAV:BYT); `V = (data - YREF) * YINC + YOR`;
:WAV:DATA? is a `#8` block. Query INTERRUPTED (-410) like the real instrument.
"""

from __future__ import annotations

import asyncio
import re

import numpy as np

from .core import INVALID, Call, ScpiError, ieee_block
from .scope_instrument import SimScope

H_DIVS = 10
REF_DIV = {"LEFT": 1.0, "CENT": 5.0, "RIGH": 9.0}   # reference position in divisions (UNCONFIRMED)
POINTS_ALLOWED = (100, 200, 250, 400, 500, 1000, 2000)
FORMAT_CODE = {"BYTE": 0, "WORD": 1, "ASC": 4}
DIGITIZE_POLL_S = 0.002
_MEAS = {"VMAX": "VMAX", "VMIN": "VMIN", "VPP": "VPP", "VAVerage": "VAVG", "VRMS": "VRMS",
         "VTOP": "VTOP", "VBASe": "VBASE", "VAMPlitude": "VAMP", "RISetime": "RTIME",
         "FALLtime": "FTIME", "PWIDth": "PWIDTH", "NWIDth": "NWIDTH"}


def _nr3(x: float) -> str:
    return f"{x:+.8E}"


def _meas_commands() -> tuple[tuple[str, str], ...]:
    return tuple((f":MEASure:{name}?", "q_meas") for name in _MEAS)


class KeysightDSOX3034T(SimScope):
    IDN = "KEYSIGHT TECHNOLOGIES,DSO-X 3034T,MY58490123,07.50.2021102830"
    QUERY_INTERRUPT = True
    ERROR_PLUS = True
    RECORD_POINTS = 2000
    COMMANDS = (
        (":CHANnel#?", "q_ch_summary"), (":TIMebase?", "q_tim_summary"),
        (":CHANnel#:DISPlay", "c_ch_disp"), (":CHANnel#:DISPlay?", "q_ch_disp"),
        (":CHANnel#:SCALe", "c_ch_scale"), (":CHANnel#:SCALe?", "q_ch_scale"),
        (":CHANnel#:RANGe", "c_ch_range"), (":CHANnel#:RANGe?", "q_ch_range"),
        (":CHANnel#:OFFSet", "c_ch_offset"), (":CHANnel#:OFFSet?", "q_ch_offset"),
        (":CHANnel#:PROBe", "c_ch_probe"), (":CHANnel#:PROBe?", "q_ch_probe"),
        (":CHANnel#:COUPling", "c_ch_coup"), (":CHANnel#:COUPling?", "q_ch_coup"),
        (":CHANnel#:BWLimit", "c_ch_bwl"), (":CHANnel#:BWLimit?", "q_ch_bwl"),
        (":CHANnel#:IMPedance", "c_noop"), (":CHANnel#:IMPedance?", "q_imp"),
        (":TIMebase[:MAIN]:SCALe", "c_tscale"), (":TIMebase[:MAIN]:SCALe?", "q_tscale"),
        (":TIMebase[:MAIN]:RANGe", "c_trange"), (":TIMebase[:MAIN]:RANGe?", "q_trange"),
        (":TIMebase[:MAIN]:POSition", "c_tpos"), (":TIMebase[:MAIN]:POSition?", "q_tpos"),
        (":TIMebase:REFerence", "c_tref"), (":TIMebase:REFerence?", "q_tref"),
        (":TIMebase:MODE", "c_noop"), (":TIMebase:MODE?", "q_tmode"),
        (":ACQuire:TYPE", "c_acq_type"), (":ACQuire:TYPE?", "q_acq_type"),
        (":TRIGger:MODE", "c_trig_mode"), (":TRIGger:MODE?", "q_trig_mode"),
        (":TRIGger:SWEep", "c_sweep"), (":TRIGger:SWEep?", "q_sweep"),
        (":TRIGger[:EDGE]:SOURce", "c_trig_src"), (":TRIGger[:EDGE]:SOURce?", "q_trig_src"),
        (":TRIGger[:EDGE]:LEVel", "c_trig_lvl"), (":TRIGger[:EDGE]:LEVel?", "q_trig_lvl"),
        (":TRIGger[:EDGE]:SLOPe", "c_trig_slope"), (":TRIGger[:EDGE]:SLOPe?", "q_trig_slope"),
        (":TRIGger:FORCe", "c_force"), (":TRIGger[:EDGE]:COUPling", "c_noop"),
        (":RUN", "c_run"), (":STOP", "c_stop"), (":SINGle", "c_single"),
        (":DIGitize", "c_digitize"), (":AUToscale", "c_autoscale"),
        (":OPERegister:CONDition?", "q_oper_cond"), (":OPERegister[:EVENt]?", "q_oper_cond"),
        (":TER?", "q_ter"), (":AER?", "q_aer"),
        (":MEASure:SOURce", "c_meas_src"), (":MEASure:SOURce?", "q_meas_src"),
        *_meas_commands(),
        (":WAVeform:SOURce", "c_wav_src"), (":WAVeform:SOURce?", "q_wav_src"),
        (":WAVeform:FORMat", "c_wav_fmt"), (":WAVeform:FORMat?", "q_wav_fmt"),
        (":WAVeform:POINts:MODE", "c_wav_pmode"), (":WAVeform:POINts:MODE?", "q_wav_pmode"),
        (":WAVeform:POINts", "c_wav_points"), (":WAVeform:POINts?", "q_wav_points"),
        (":WAVeform:BYTeorder", "c_wav_byt"), (":WAVeform:BYTeorder?", "q_wav_byt"),
        (":WAVeform:UNSigned", "c_wav_uns"), (":WAVeform:UNSigned?", "q_wav_uns"),
        (":WAVeform:PREamble?", "q_wav_pre"), (":WAVeform:DATA?", "q_wav_data"),
        (":WAVeform:XINCrement?", "q_xinc"), (":WAVeform:XORigin?", "q_xor"),
        (":WAVeform:XREFerence?", "q_zero"), (":WAVeform:YINCrement?", "q_yinc"),
        (":WAVeform:YORigin?", "q_yor"), (":WAVeform:YREFerence?", "q_yref"),
    )

    def configure(self) -> None:
        self.t_scale, self.t_pos, self.t_ref = 1e-3, 0.0, "CENT"
        self.wav_src, self.wav_fmt, self.wav_pmode, self.wav_points = 1, "BYTE", "NORM", 1000
        self.byteorder, self.unsigned = "MSBF", True
        self.meas_src = 1
        self.acq_type = "NORM"
        self._geometry()

    def fmt(self, x: float) -> str:
        return _nr3(x)

    def _geometry(self) -> None:
        self.engine.span = H_DIVS * self.t_scale
        self.engine.rel_start = self.t_pos - REF_DIV[self.t_ref] * self.t_scale

    def q_imp(self, call: Call) -> str:
        return "ONEM"

    def q_ch_summary(self, call: Call) -> str:
        """`:CHAN1?` (the programmer's guide's :CHANnel<n>? summary query)."""
        n, ch = call.suffix(0), self.ch(call)
        return (f":CHAN{n}:RANG {8 * ch.scale:+.1E};OFFS {ch.offset:+.5E};COUP {ch.coupling};IMP ONEM;"
                f"DISP {int(ch.display)};BWL {int(ch.bwl not in ('OFF', '0'))};INV 0;LAB \"{n}\";UNIT VOLT;"
                f"PROB {ch.probe:+.0E};PROB:SKEW +0.00E+00;STYP SING")

    def q_tim_summary(self, call: Call) -> str:
        """`:TIM?` -> `:TIM:MODE MAIN;REF CENT;MAIN:RANG +1.00E-03;POS +0.0E+00`."""
        return f":TIM:MODE MAIN;REF {self.t_ref};MAIN:RANG {H_DIVS * self.t_scale:+.2E};POS {self.t_pos:+.1E}"

    def c_acq_type(self, call: Call) -> None:
        self.acq_type = call.choice(0, {"NORMal": "NORM", "AVERage": "AVER", "HRESolution": "HRES",
                                        "PEAK": "PEAK"})

    def q_acq_type(self, call: Call) -> str:
        return self.acq_type

    # --- timebase ---------------------------------------------------------------------------------
    def c_tscale(self, call: Call) -> None:
        self.t_scale = call.number(0, 1e-9, 50.0)
        self._geometry()

    def q_tscale(self, call: Call) -> str:
        return _nr3(self.t_scale)

    def c_trange(self, call: Call) -> None:
        self.t_scale = call.number(0, 1e-8, 500.0) / H_DIVS
        self._geometry()

    def q_trange(self, call: Call) -> str:
        return _nr3(H_DIVS * self.t_scale)

    def c_tpos(self, call: Call) -> None:
        self.t_pos = call.number(0, -500.0, 500.0)
        self._geometry()

    def q_tpos(self, call: Call) -> str:
        return _nr3(self.t_pos)

    def c_tref(self, call: Call) -> None:
        self.t_ref = call.choice(0, {"LEFT": "LEFT", "CENTer": "CENT", "RIGHt": "RIGH"})
        self._geometry()

    def q_tref(self, call: Call) -> str:
        return self.t_ref

    def q_tmode(self, call: Call) -> str:
        return "MAIN"

    # --- trigger / run control --------------------------------------------------------------------
    def c_trig_mode(self, call: Call) -> None:
        if call.arg(0).upper() != "EDGE":
            raise ScpiError(-224, call.arg(0))

    def q_trig_mode(self, call: Call) -> str:
        return "EDGE"

    def c_sweep(self, call: Call) -> None:
        self.engine.sweep = call.choice(0, {"AUTO": "AUTO", "NORMal": "NORM"})

    def q_sweep(self, call: Call) -> str:
        return self.engine.sweep

    def c_trig_src(self, call: Call) -> None:
        self.engine.trig_source = self.chan_arg(call.arg(0))

    def q_trig_src(self, call: Call) -> str:
        return f"CHAN{self.engine.trig_source}"

    def c_trig_lvl(self, call: Call) -> None:
        if len(call.args) > 1:
            self.engine.trig_source = self.chan_arg(call.args[1])
        self.engine.trig_level = call.number(0, -100.0, 100.0)

    def q_trig_lvl(self, call: Call) -> str:
        return _nr3(self.engine.trig_level)

    def c_trig_slope(self, call: Call) -> None:
        self.engine.trig_slope = call.choice(0, {"POSitive": "POS", "NEGative": "NEG",
                                                 "EITHer": "EITH", "ALTernate": "EITH"})

    def q_trig_slope(self, call: Call) -> str:
        return self.engine.trig_slope

    async def c_digitize(self, call: Call) -> None:
        """:DIGitize: a single acquisition; the parser blocks until it is complete."""
        self.engine.single()
        while True:
            self.engine.update()
            if not self.engine.running:
                return
            await asyncio.sleep(DIGITIZE_POLL_S)

    def q_oper_cond(self, call: Call) -> str:
        self.engine.update()
        return f"{8 if self.engine.running else 0:+d}"

    def q_ter(self, call: Call) -> str:
        self.engine.update()
        fired, self.engine.triggered_event = self.engine.triggered_event, False
        return "+1" if fired else "+0"

    def q_aer(self, call: Call) -> str:
        self.engine.update()
        armed, self.engine.armed_event = self.engine.armed_event, False
        return "+1" if armed else "+0"

    # --- measurements -----------------------------------------------------------------------------
    def q_meas(self, call: Call) -> str:
        name = re.sub(r"\?$", "", call.header.rsplit(":", 1)[-1]).upper()
        item = next(v for k, v in _MEAS.items()
                    if name in (k.upper(), "".join(c for c in k if c.isupper())))
        sources = [a for a in call.args if a.upper().startswith("CHAN")]
        src = self.chan_arg(sources[0]) if sources else self.meas_src
        value = self.engine.measure(item, src)
        return "+9.9E+37" if value >= INVALID else _nr3(value)

    # --- waveform ---------------------------------------------------------------------------------
    def c_wav_pmode(self, call: Call) -> None:
        self.wav_pmode = call.choice(0, {"NORMal": "NORM", "MAXimum": "MAX", "RAW": "RAW"})

    def q_wav_pmode(self, call: Call) -> str:
        return self.wav_pmode

    def c_wav_points(self, call: Call) -> None:
        if call.arg(0).upper() in ("MAX", "MAXIMUM"):
            self.wav_points = self.RECORD_POINTS
            return
        value = int(call.number(0, 100, 8_000_000))
        self.wav_points = max(p for p in POINTS_ALLOWED if p <= value)

    def q_wav_points(self, call: Call) -> str:
        return f"{self.wav_points:+d}"

    def c_wav_byt(self, call: Call) -> None:
        self.byteorder = call.choice(0, {"MSBFirst": "MSBF", "LSBFirst": "LSBF"})

    def q_wav_byt(self, call: Call) -> str:
        return self.byteorder

    def c_wav_uns(self, call: Call) -> None:
        self.unsigned = call.boolean(0)

    def q_wav_uns(self, call: Call) -> str:
        return "1" if self.unsigned else "0"

    def _record(self) -> tuple[np.ndarray, float, float] | None:
        self.engine.update()
        acq = self.engine.last
        if acq is None or not acq.settings[self.wav_src].display:
            return None
        step = self.RECORD_POINTS // self.wav_points
        return acq.volts[self.wav_src][::step], acq.dt * step, acq.t0 - acq.t_trig

    def _yparams(self) -> tuple[float, float, int]:
        """(yincrement, yorigin, yreference) for the current format and signedness."""
        acq = self.engine.last
        ch = acq.settings[self.wav_src] if acq else self.engine.channels[self.wav_src]
        steps = 65536 if self.wav_fmt == "WORD" else 256
        yref = steps // 2 if self.unsigned else 0
        return 8 * ch.scale / steps, ch.offset, yref

    def q_wav_pre(self, call: Call) -> str:
        rec = self._record()
        yinc, yor, yref = self._yparams()
        points, dt, x0 = (0, self.engine.dt, self.engine.rel_start) if rec is None else \
            (rec[0].size, rec[1], rec[2])
        return (f"{FORMAT_CODE[self.wav_fmt]:+d},+0,{points:+d},+1,{_nr3(dt)},{_nr3(x0)},+0,"
                f"{_nr3(yinc)},{_nr3(yor)},{yref:+d}")

    def q_wav_data(self, call: Call) -> bytes:
        rec = self._record()
        if rec is None:
            self.errors.push(-222, "no acquired data")
            return ieee_block(b"", 8)
        volts = rec[0]
        yinc, yor, _ = self._yparams()
        if self.wav_fmt == "ASC":
            return ieee_block(",".join(f"{v:+.6E}" for v in volts).encode(), 8)
        half = 32768 if self.wav_fmt == "WORD" else 128
        # BYTE 0 is a hole (no data): real samples clip at 1..255; an unacquired (NaN) point is 0.
        lowest = 1 if self.wav_fmt == "BYTE" else 0
        holes = ~np.isfinite(volts)
        codes = np.clip(np.round((np.nan_to_num(volts) - yor) / yinc) + half, lowest,
                        2 * half - 1).astype(np.int64)
        if self.wav_fmt == "WORD":
            codes &= 0xFFF0
        codes[holes] = 0
        if not self.unsigned:
            codes -= half
        order = ">" if self.byteorder == "MSBF" else "<"
        kind = ("u" if self.unsigned else "i") + ("2" if self.wav_fmt == "WORD" else "1")
        return ieee_block(codes.astype(order + kind).tobytes(), 8)

    def q_xinc(self, call: Call) -> str:
        rec = self._record()
        return _nr3(self.engine.dt if rec is None else rec[1])

    def q_xor(self, call: Call) -> str:
        rec = self._record()
        return _nr3(self.engine.rel_start if rec is None else rec[2])

    def q_yinc(self, call: Call) -> str:
        return _nr3(self._yparams()[0])

    def q_yor(self, call: Call) -> str:
        return _nr3(self._yparams()[1])

    def q_yref(self, call: Call) -> str:
        return f"{self._yparams()[2]:+d}"


class AgilentDSOX2024A(KeysightDSOX3034T):
    """A DSO-X 2000: same commands, and ~10 s from accepting a connection to its first reply
    (scopehal PR #1056)."""

    IDN = "AGILENT TECHNOLOGIES,DSO-X 2024A,MY52160123,02.43.2018020635"
    CONNECT_DELAY_S = 10.0
