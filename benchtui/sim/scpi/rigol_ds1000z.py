"""Rigol DS1000Z (DS1054Z) dialect.

Sources: Rigol DS1000Z Programming Guide (:WAVeform, :TRIGger:STATus), PyMeasure rigol_ds1000z.py,
scopehal RigolOscilloscope.cpp, QCoDeS Rigol_DS1074Z.py.
Screen record 1200 points over 12 divisions (XINC = scale/100); 8 bit codes, 25 codes/div,
YREF 127, `V = (raw - YOR - YREF) * YINC`; every :WAV:DATA? reply (ASCII too) is a `#9` block;
per-read point limits BYTE 250000 / WORD 125000 / ASC 15625. Offsets are added to the signal
(screen centre shows -offset). RAW (memory) reads only when stopped.
"""

from __future__ import annotations

import numpy as np

from .core import INVALID, Call, ScpiError, ieee_block
from .scope_instrument import SimScope

CHUNK_LIMIT = {"BYTE": 250_000, "WORD": 125_000, "ASC": 15_625}
FORMAT_CODE = {"BYTE": 0, "WORD": 1, "ASC": 2}
MODE_CODE = {"NORM": 0, "MAX": 1, "RAW": 2}
H_DIVS = 12
CODES_PER_DIV = 25
Y_REF = 127
MDEP_AUTO = 12_000          # memory depth for MDEP AUTO (UNCONFIRMED)
MDEP_ALLOWED = {1: (12_000, 120_000, 1_200_000, 12_000_000),
                2: (6_000, 60_000, 600_000, 6_000_000),
                3: (3_000, 30_000, 300_000, 3_000_000),
                4: (3_000, 30_000, 300_000, 3_000_000)}
#: :TIM:MAIN:SCAL snaps to 1-2-5 steps from 5 ns to 50 s (pklaus/ds1054z rounds the same way).
TIMEBASE_STEPS = tuple(m * 10.0 ** e for e in range(-9, 2) for m in (1, 2, 5) if 5e-9 <= m * 10.0 ** e <= 50)
#: UNCONFIRMED: time from :SING to leaving STOP (scopehal waits for it with *WAI).
SINGLE_LATENCY_S = 0.015
ITEMS = ("VMAX", "VMIN", "VPP", "VTOP", "VBASe", "VAMP", "VAVG", "VRMS", "RTIMe", "FTIMe",
         "PWIDth", "NWIDth")


def _e(x: float) -> str:
    return f"{x:.6e}"


def snap(value: float, steps: tuple[float, ...]) -> float:
    """The step nearest to `value` on a log scale."""
    return min(steps, key=lambda s: abs(np.log(s / value)))


class RigolDS1054Z(SimScope):
    IDN = "RIGOL TECHNOLOGIES,DS1054Z,DS1ZA164457681,00.04.04.SP3"
    RECORD_POINTS = 1200
    SINGLE_LATENCY_S = SINGLE_LATENCY_S
    #: `:TRIG:STAT?` for "triggered": firmware before 00.04.04 answers T'D.
    TD_WORD = "TD"
    H_DIVS = H_DIVS
    MDEP_AUTO = MDEP_AUTO
    MDEP_ALLOWED = MDEP_ALLOWED
    COMMANDS = (
        (":CHANnel#:DISPlay", "c_ch_disp"), (":CHANnel#:DISPlay?", "q_ch_disp"),
        (":CHANnel#:SCALe", "c_ch_scale"), (":CHANnel#:SCALe?", "q_ch_scale"),
        (":CHANnel#:RANGe", "c_ch_range"), (":CHANnel#:RANGe?", "q_ch_range"),
        (":CHANnel#:OFFSet", "c_ch_offset"), (":CHANnel#:OFFSet?", "q_ch_offset"),
        (":CHANnel#:PROBe", "c_ch_probe"), (":CHANnel#:PROBe?", "q_ch_probe"),
        (":CHANnel#:COUPling", "c_ch_coup"), (":CHANnel#:COUPling?", "q_ch_coup"),
        (":CHANnel#:BWLimit", "c_ch_bwl"), (":CHANnel#:BWLimit?", "q_ch_bwl"),
        (":TIMebase[:MAIN]:SCALe", "c_tscale"), (":TIMebase[:MAIN]:SCALe?", "q_tscale"),
        (":TIMebase[:MAIN]:OFFSet", "c_toffset"), (":TIMebase[:MAIN]:OFFSet?", "q_toffset"),
        (":ACQuire:MDEPth", "c_mdep"), (":ACQuire:MDEPth?", "q_mdep"),
        (":ACQuire:SRATe?", "q_srate"), (":ACQuire:TYPE", "c_noop"), (":ACQuire:TYPE?", "q_acq_type"),
        (":TRIGger:MODE", "c_trig_mode"), (":TRIGger:MODE?", "q_trig_mode"),
        (":TRIGger:EDGe:SOURce", "c_trig_src"), (":TRIGger:EDGe:SOURce?", "q_trig_src"),
        (":TRIGger:EDGe:LEVel", "c_trig_lvl"), (":TRIGger:EDGe:LEVel?", "q_trig_lvl"),
        (":TRIGger:EDGe:SLOPe", "c_trig_slope"), (":TRIGger:EDGe:SLOPe?", "q_trig_slope"),
        (":TRIGger:SWEep", "c_sweep"), (":TRIGger:SWEep?", "q_sweep"),
        (":TRIGger:COUPling", "c_noop"), (":TRIGger:STATus?", "q_trig_stat"),
        (":TFORce", "c_force"), (":RUN", "c_run"), (":STOP", "c_stop"), (":SINGle", "c_single"),
        (":CLEar", "c_noop"), (":AUToscale", "c_autoscale"),
        (":MEASure:ITEM?", "q_meas_item"), (":MEASure:SOURce", "c_meas_src"),
        (":MEASure:SOURce?", "q_meas_src"), (":MEASure:CLEar", "c_noop"),
        (":WAVeform:SOURce", "c_wav_src"), (":WAVeform:SOURce?", "q_wav_src"),
        (":WAVeform:MODE", "c_wav_mode"), (":WAVeform:MODE?", "q_wav_mode"),
        (":WAVeform:FORMat", "c_wav_fmt"), (":WAVeform:FORMat?", "q_wav_fmt"),
        (":WAVeform:STARt", "c_wav_start"), (":WAVeform:STARt?", "q_wav_start"),
        (":WAVeform:STOP", "c_wav_stop"), (":WAVeform:STOP?", "q_wav_stop"),
        (":WAVeform:POINts?", "q_wav_points"),
        (":WAVeform:PREamble?", "q_wav_pre"), (":WAVeform:DATA?", "q_wav_data"),
        (":WAVeform:XINCrement?", "q_xinc"), (":WAVeform:XORigin?", "q_xor"),
        (":WAVeform:XREFerence?", "q_xref"), (":WAVeform:YINCrement?", "q_yinc"),
        (":WAVeform:YORigin?", "q_yor"), (":WAVeform:YREFerence?", "q_yref"),
    )

    def configure(self) -> None:
        self.t_scale, self.t_offset = 1e-3, 0.0
        self.mdep: int | None = None
        self.wav_src, self.wav_mode, self.wav_fmt = 1, "NORM", "BYTE"
        self.wav_start, self.wav_stop = 1, 1200
        self.meas_src = 1
        self._geometry()

    def fmt(self, x: float) -> str:
        return _e(x)

    def _geometry(self) -> None:
        self.engine.span = self.H_DIVS * self.t_scale
        self.engine.rel_start = self.t_offset - self.H_DIVS / 2 * self.t_scale

    # --- timebase / acquisition -------------------------------------------------------------------
    def c_tscale(self, call: Call) -> None:
        self.t_scale = snap(call.number(0, 5e-9, 50.0), TIMEBASE_STEPS)
        self._geometry()

    def q_tscale(self, call: Call) -> str:
        return _e(self.t_scale)

    def c_toffset(self, call: Call) -> None:
        self.t_offset = call.number(0, -self.H_DIVS / 2 * self.t_scale - 1.0, 1.0)
        self._geometry()

    def q_toffset(self, call: Call) -> str:
        return _e(self.t_offset)

    def _enabled(self) -> int:
        return max(1, sum(ch.display for ch in self.engine.channels.values()))

    def c_mdep(self, call: Call) -> None:
        if call.arg(0).upper() == "AUTO":
            self.mdep = None
            return
        value = int(call.number(0))
        if value not in self.MDEP_ALLOWED[self._enabled()]:
            raise ScpiError(-222, f"memory depth {value} with {self._enabled()} channels")
        self.mdep = value

    def depth(self) -> int:
        return self.mdep or self.MDEP_AUTO

    def q_mdep(self, call: Call) -> str:
        return "AUTO" if self.mdep is None else str(self.mdep)

    def q_srate(self, call: Call) -> str:
        return _e(self.depth() / self.engine.span)

    def q_acq_type(self, call: Call) -> str:
        return "NORM"

    # --- trigger ----------------------------------------------------------------------------------
    def c_trig_mode(self, call: Call) -> None:
        if call.arg(0).upper() not in ("EDGE", "EDG"):
            raise ScpiError(-224, call.arg(0))

    def q_trig_mode(self, call: Call) -> str:
        return "EDGE"

    def c_trig_src(self, call: Call) -> None:
        self.engine.trig_source = self.chan_arg(call.arg(0))

    def q_trig_src(self, call: Call) -> str:
        return f"CHAN{self.engine.trig_source}"

    def c_trig_lvl(self, call: Call) -> None:
        self.engine.trig_level = call.number(0, -100.0, 100.0)

    def q_trig_lvl(self, call: Call) -> str:
        return _e(self.engine.trig_level)

    def c_trig_slope(self, call: Call) -> None:
        self.engine.trig_slope = call.choice(0, {"POSitive": "POS", "NEGative": "NEG",
                                                 "RFALl": "EITH"})

    def q_trig_slope(self, call: Call) -> str:
        return {"POS": "POS", "NEG": "NEG", "EITH": "RFAL"}[self.engine.trig_slope]

    def c_sweep(self, call: Call) -> None:
        self.engine.sweep = call.choice(0, {"AUTO": "AUTO", "NORMal": "NORM", "SINGle": "SING"})

    def q_sweep(self, call: Call) -> str:
        return self.engine.sweep

    def c_single(self, call: Call) -> None:
        """:SINGle = sweep SINGLE and arm: waits for a real trigger (no auto)."""
        self.engine.sweep = "SING"
        self.engine.single(self.SINGLE_LATENCY_S)

    def q_trig_stat(self, call: Call) -> str:
        status = self.engine.status()
        return self.TD_WORD if status == "TD" else status

    # --- measurements -----------------------------------------------------------------------------
    def q_meas_item(self, call: Call) -> str:
        item = call.choice(0, {name: name.upper() for name in ITEMS})
        src = self.chan_arg(call.args[1]) if len(call.args) > 1 else self.meas_src
        value = self.engine.measure(item, src)
        return "9.9E37" if value >= INVALID else _e(value)

    # --- waveform ---------------------------------------------------------------------------------
    def c_wav_mode(self, call: Call) -> None:
        self.wav_mode = call.choice(0, {"NORMal": "NORM", "MAXimum": "MAX", "RAW": "RAW"})

    def q_wav_mode(self, call: Call) -> str:
        return self.wav_mode

    def c_wav_start(self, call: Call) -> None:
        self.wav_start = int(call.number(0, 1, 24_000_000))

    def q_wav_start(self, call: Call) -> str:
        return str(self.wav_start)

    def c_wav_stop(self, call: Call) -> None:
        self.wav_stop = int(call.number(0, 1, 24_000_000))

    def q_wav_stop(self, call: Call) -> str:
        return str(self.wav_stop)

    def _record(self) -> tuple[np.ndarray, float, float] | None:
        """(volts, xincrement, xorigin) of the record the current :WAV settings address."""
        self.engine.update()
        acq = self.engine.last
        if acq is None or not acq.settings[self.wav_src].display:
            return None
        raw = self.wav_mode == "RAW" or (self.wav_mode == "MAX" and not self.engine.running)
        if raw:
            if self.engine.running:
                raise ScpiError(-221, "RAW waveform read needs :STOP")
            volts, dt = self.engine.raw(acq, self.wav_src, self.depth())
        else:
            volts, dt = acq.volts[self.wav_src], acq.dt
        return volts, dt, acq.t0 - acq.t_trig

    def _code_format(self) -> tuple[float, int, int]:
        """(codes per division, YREF, highest code) of the current :WAV:FORM: the DS1000Z's
        8-bit ADC gives the same codes in BYTE and WORD."""
        return CODES_PER_DIV, Y_REF, 255

    def _preamble_points(self, size: int) -> int:
        return size

    def _yparams(self) -> tuple[float, int]:
        acq = self.engine.last
        ch = acq.settings[self.wav_src] if acq else self.engine.channels[self.wav_src]
        yinc = ch.scale / self._code_format()[0]
        return yinc, int(round(ch.offset / yinc))

    def q_wav_points(self, call: Call) -> str:
        rec = self._record()
        return str(0 if rec is None else rec[0].size)

    def q_wav_pre(self, call: Call) -> str:
        rec = self._record()
        yinc, yor = self._yparams()
        points, dt, x0 = (0, self.engine.dt, self.engine.rel_start) if rec is None else \
            (rec[0].size, rec[1], rec[2])
        mode = "RAW" if rec is not None and rec[0].size != self.RECORD_POINTS else self.wav_mode
        return (f"{FORMAT_CODE[self.wav_fmt]},{MODE_CODE[mode]},{self._preamble_points(points)},1,"
                f"{_e(dt)},{_e(x0)},0,{_e(yinc)},{yor},{self._code_format()[1]}")

    def q_wav_data(self, call: Call) -> bytes:
        rec = self._record()
        if rec is None:
            return ieee_block(b"", 9)
        volts = rec[0]
        a = max(1, self.wav_start)
        b = min(self.wav_stop, volts.size)
        if b < a:
            return ieee_block(b"", 9)
        if b - a + 1 > CHUNK_LIMIT[self.wav_fmt]:
            self.errors.push(-222, f"{b - a + 1} points > {CHUNK_LIMIT[self.wav_fmt]} per read")
            return ieee_block(b"", 9)
        yinc, yor = self._yparams()
        _, yref, top = self._code_format()
        codes = np.clip(np.round(volts[a - 1:b] / yinc) + yor + yref, 0, top).astype(np.int64)
        if self.wav_fmt == "BYTE":
            data = codes.astype(np.uint8).tobytes()
        elif self.wav_fmt == "WORD":
            data = codes.astype("<u2").tobytes()
        else:
            decoded = (codes.astype(float) - yor - yref) * yinc
            data = ",".join(_e(v) for v in decoded).encode()
        return ieee_block(data, 9)

    def q_xinc(self, call: Call) -> str:
        rec = self._record()
        return _e(self.engine.dt if rec is None else rec[1])

    def q_xor(self, call: Call) -> str:
        rec = self._record()
        return _e(self.engine.rel_start if rec is None else rec[2])

    def q_xref(self, call: Call) -> str:
        return "0"

    def q_yinc(self, call: Call) -> str:
        return _e(self._yparams()[0])

    def q_yor(self, call: Call) -> str:
        return str(self._yparams()[1])

    def q_yref(self, call: Call) -> str:
        return str(self._code_format()[1])
