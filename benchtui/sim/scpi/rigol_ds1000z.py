"""Rigol DS1000Z (DS1054Z) dialect.

Sources: the DS1000Z programming guide, PyMeasure rigol_ds1000z, scopehal, QCoDeS, pklaus/ds1054z.
Screen record 1200 points over 12 divisions (XINC = scale/100); 8 bit codes, 25 codes/div,
YREF 127, `V = (raw - YOR - YREF) * YINC`; every :WAV:DATA? reply (ASCII too) is a `#9` block;
per-read point limits BYTE 250000 / WORD 125000 / ASC 15625. Offsets are added to the signal
(screen centre shows -offset). RAW (memory) reads only when stopped. `:MEASure:STATistic:ITEM?
<type>,<item>[,<src>]` keeps max/min/average/deviation/count over the acquisitions it has seen
since `:MEASure:STATistic:RESet`; `:DISPlay:DATA? [ON|OFF,ON|OFF,PNG]` returns a screenshot as a
`#9` block (a small PNG of the channel traces, not the real 800x480 screen; BMP/JPEG/TIFF are not
simulated).
"""

from __future__ import annotations

import numpy as np

from .core import INVALID, Call, Choice, Flag, Number, ScpiError, Setting, ieee_block
from .scope_instrument import SimScope, full_range, offset, scale, sources

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
STAT_TYPES = {"MAXimum": "MAX", "MINimum": "MIN", "CURRent": "CURR", "AVERages": "AVER",
              "DEViation": "DEV"}
ITEMS = ("VMAX", "VMIN", "VPP", "VTOP", "VBASe", "VAMP", "VAVG", "VRMS", "RTIMe", "FTIMe",
         "PWIDth", "NWIDth")


def _e(x: float) -> str:
    return f"{x:.6e}"


def snap(value: float, steps: tuple[float, ...]) -> float:
    """The step nearest to `value` on a log scale."""
    return min(steps, key=lambda s: abs(np.log(s / value)))


class RigolDS1054Z(SimScope):
    IDN = "RIGOL TECHNOLOGIES,DS1054Z,DS1ZA164457681,00.04.04.SP3"
    OPT = "0"
    RECORD_POINTS = 1200
    SINGLE_LATENCY_S = SINGLE_LATENCY_S
    #: `:TRIG:STAT?` for "triggered": firmware before 00.04.04 answers T'D.
    TD_WORD = "TD"
    H_DIVS = H_DIVS
    MDEP_AUTO = MDEP_AUTO
    MDEP_ALLOWED = MDEP_ALLOWED
    SETTINGS = (
        Setting(":CHANnel#:DISPlay", "ch.display", Flag()),
        Setting(":CHANnel#:SCALe", "ch.scale", scale(_e)),
        Setting(":CHANnel#:RANGe", "ch.range", full_range(_e)),
        Setting(":CHANnel#:OFFSet", "ch.offset", offset(_e)),
        Setting(":CHANnel#:PROBe", "ch.probe", Number(0.01, 1000.0, _e)),
        Setting(":CHANnel#:COUPling", "ch.coupling", Choice({"DC": "DC", "AC": "AC", "GND": "GND"})),
        Setting(":CHANnel#:BWLimit", "ch.bwl", Choice({"20M": "20M", "OFF": "OFF"})),
        Setting(":TIMebase[:MAIN]:SCALe", "t_scale", Number(5e-9, 50.0, _e, TIMEBASE_STEPS), "geometry", 1e-3),
        Setting(":TIMebase[:MAIN]:OFFSet", "t_offset", Number(lambda i: -i.H_DIVS / 2 * i.t_scale - 1.0, 1.0, _e),
                "geometry", 0.0),
        Setting(":ACQuire:TYPE", "acq_type", Choice({"NORMal": "NORM", "AVERages": "AVER", "PEAK": "PEAK",
                                                      "HRESolution": "HRES"}), default="NORM"),
        Setting(":TRIGger:MODE", "trig_mode", Choice({"EDGE": "EDGE"}), default="EDGE"),
        Setting(":TRIGger:EDGe:SOURce", "engine.trig_source", sources("CHANnel")),
        Setting(":TRIGger:EDGe:LEVel", "engine.trig_level", Number(-100.0, 100.0, _e)),
        Setting(":TRIGger:EDGe:SLOPe", "engine.trig_slope", Choice({"POSitive": "POS", "NEGative": "NEG",
                                                                    "RFALl": "EITH"})),
        Setting(":TRIGger:SWEep", "engine.sweep", Choice({"AUTO": "AUTO", "NORMal": "NORM", "SINGle": "SING"})),
        Setting(":TRIGger:COUPling", "trig_coupling", Choice({"AC": "AC", "DC": "DC", "LFReject": "LFR",
                                                               "HFReject": "HFR"}), default="DC"),
        Setting(":MEASure:SOURce", "meas_src", sources("CHANnel"), default=1),
        Setting(":MEASure:STATistic:DISPlay", "stat_display", Flag(), default=False),
        Setting(":MEASure:STATistic:MODE", "stat_mode", Choice({"DIFFerence": "DIFF", "EXTRemum": "EXTR"}),
                default="EXTR"),
        Setting(":MATH:DISPlay", "math_display", Flag(), default=False),
        Setting(":WAVeform:SOURce", "wav_src", sources("CHANnel"), default=1),
        Setting(":WAVeform:MODE", "wav_mode", Choice({"NORMal": "NORM", "MAXimum": "MAX", "RAW": "RAW"}),
                default="NORM"),
        Setting(":WAVeform:FORMat", "wav_fmt", Choice({"BYTE": "BYTE", "WORD": "WORD", "ASCii": "ASC"}),
                default="BYTE"),
        Setting(":WAVeform:STARt", "wav_start", Number(1, 24_000_000, "d", integer=True), default=1),
        Setting(":WAVeform:STOP", "wav_stop", Number(1, 24_000_000, "d", integer=True), default=1200),
    )
    COMMANDS = (
        (":ACQuire:MDEPth", "c_mdep"), (":ACQuire:MDEPth?", "q_mdep"), (":ACQuire:SRATe?", "q_srate"),
        (":TRIGger:STATus?", "q_trig_stat"),
        (":TFORce", "c_force"), (":RUN", "c_run"), (":STOP", "c_stop"), (":SINGle", "c_single"),
        (":CLEar", "c_noop"), (":AUToscale", "c_autoscale"),
        (":MEASure:ITEM?", "q_meas_item"), (":MEASure:CLEar", "c_noop"),
        (":MEASure:STATistic:ITEM", "c_stat_item"), (":MEASure:STATistic:ITEM?", "q_stat_item"),
        (":MEASure:STATistic:RESet", "c_stat_reset"),
        (":DISPlay:DATA?", "q_display_data"),
        (":WAVeform:POINts?", "q_wav_points"),
        (":WAVeform:PREamble?", "q_wav_pre"), (":WAVeform:DATA?", "q_wav_data"),
        (":WAVeform:XINCrement?", "q_xinc"), (":WAVeform:XORigin?", "q_xor"),
        (":WAVeform:XREFerence?", "q_zero"), (":WAVeform:YINCrement?", "q_yinc"),
        (":WAVeform:YORigin?", "q_yor"), (":WAVeform:YREFerence?", "q_yref"),
    )

    def configure(self) -> None:
        self.mdep: int | None = None
        self.stats: dict[tuple[str, int], list[float]] = {}
        self.stat_at: dict[tuple[str, int], int] = {}
        self.geometry()

    def geometry(self, _owner: object = None) -> None:
        self.engine.span = self.H_DIVS * self.t_scale
        self.engine.rel_start = self.t_offset - self.H_DIVS / 2 * self.t_scale

    # --- acquisition ------------------------------------------------------------------------------
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

    def c_single(self, call: Call) -> None:
        """:SINGle = sweep SINGLE and arm: waits for a real trigger (no auto)."""
        self.engine.sweep = "SING"
        self.engine.single(self.SINGLE_LATENCY_S)

    def q_trig_stat(self, call: Call) -> str:
        status = self.engine.status()
        return self.TD_WORD if status == "TD" else status

    # --- measurements -----------------------------------------------------------------------------
    def _item(self, call: Call, i: int) -> tuple[str, int]:
        item = call.choice(i, {name: name.upper() for name in ITEMS})
        src = sources("CHANnel").parse(call, i + 1, None) if len(call.args) > i + 1 else self.meas_src
        return item, src

    def q_meas_item(self, call: Call) -> str:
        item, src = self._item(call, 0)
        value = self.engine.measure(item, src)
        return "9.9E37" if value >= INVALID else _e(value)

    def c_stat_item(self, call: Call) -> None:
        self.stats.setdefault(self._item(call, 0), [])

    def c_stat_reset(self, call: Call) -> None:
        self.stats = {key: [] for key in self.stats}

    def q_stat_item(self, call: Call) -> str:
        """`:MEAS:STAT:ITEM? MAX,VMAX[,CHAN1]`: statistics over one value per acquisition seen."""
        kind = call.choice(0, STAT_TYPES)
        key = self._item(call, 1)
        value = self.engine.measure(*key)
        seen = self.stats.setdefault(key, [])
        if value < INVALID and (not seen or self.engine.acquisitions != self.stat_at.get(key)):
            seen.append(value)
        self.stat_at[key] = self.engine.acquisitions
        if kind == "CURR":
            return "9.9E37" if value >= INVALID else _e(value)
        if not seen:
            return "9.9E37"
        pick = {"MAX": max, "MIN": min, "AVER": lambda v: float(np.mean(v)), "DEV": lambda v: float(np.std(v))}
        return _e(pick[kind](seen))

    def q_display_data(self, call: Call) -> bytes:
        """`:DISP:DATA? ON,OFF,PNG`: the screen as a PNG in a `#9` block."""
        options = [a.upper() for a in call.args] or ["ON", "OFF", "PNG"]
        if len(options) != 3 or options[2] != "PNG" or any(o not in ("ON", "OFF", "1", "0") for o in options[:2]):
            raise ScpiError(-224, ",".join(options))
        self.engine.update()
        return ieee_block(screenshot_png(self.engine.last, options[1] in ("ON", "1")), 9)

    # --- waveform ---------------------------------------------------------------------------------
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

    def q_yinc(self, call: Call) -> str:
        return _e(self._yparams()[0])

    def q_yor(self, call: Call) -> str:
        return str(self._yparams()[1])

    def q_yref(self, call: Call) -> str:
        return str(self._code_format()[1])


def screenshot_png(acq, invert: bool, width: int = 120, height: int = 80) -> bytes:
    """A small grey-scale PNG of the record's traces (PNG: signature, IHDR, IDAT, IEND)."""
    import struct
    import zlib
    image = np.zeros((height, width), np.uint8)
    if acq is not None:
        for n, volts in acq.volts.items():
            ch = acq.settings[n]
            if not ch.display or not volts.size:
                continue
            cols = np.linspace(0, volts.size - 1, width).astype(int)
            rows = height // 2 - np.round((volts[cols] + ch.offset) / ch.scale * height / 8).astype(int)
            image[np.clip(rows, 0, height - 1), np.arange(width)] = 255 - 40 * (n - 1)
    if invert:
        image = 255 - image
    raw = b"".join(b"\0" + row.tobytes() for row in image)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
