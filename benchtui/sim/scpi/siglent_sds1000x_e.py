"""Siglent SDS1000X-E (SDS1104X-E) dialect: the legacy LeCroy-style command set.

Sources: the Siglent SDS1000X-E programming guide (PG01-E02D), scopehal PROTOCOL_ESERIES, sigrok
siglent-sds. Headers are short (`C1:VDIV`) or long (`C1:VOLT_DIV`); `CHDR OFF|SHORT|LONG` decides
whether replies repeat the header (in that form) and carry units (`C1:VDIV 5.00E-01V`, default
SHORT) or are bare. Channels: `C<n>:TRA`, `C<n>:VDIV`, `C<n>:OFST` (added to the signal),
`C<n>:ATTN`, `C<n>:CPL A1M|A50|D1M|D50|GND`. Timebase `TDIV` (1-2-5 steps), `TRDL` (time of
screen centre after the trigger), 14 divisions, `SARA?`, `MSIZ` (only in AUTO trigger mode, -221
otherwise). Trigger `TRSE EDGE,SR,C<n>,...`, `C<n>:TRLV`, `C<n>:TRSL POS|NEG`, `TRMD
AUTO|NORM|SINGLE|STOP`, `SAST?` -> Arm (pre-trigger filling), Ready, Trig'd, Stop, Auto; `FRTR`
forces, `STOP` stops, `ARM` arms a single. `C<n>:WF? DAT2` -> `C1:WF DAT2,#9<len><int8>` + two
newlines (bare `#9...` with CHDR OFF; UNCONFIRMED), V = code x VDIV/25 - OFST. `C<n>:PAVA? MAX`
-> `C1:PAVA MAX,2.00E+00V`, `****` when it cannot be measured. `CMR?` returns and clears the
command error register (LeCroy codes: 1 unknown header, 3 bad number, 5 bad keyword/value;
UNCONFIRMED mapping).

`Legacy` holds this command set on shared attribute names, so that the SDS2000X Plus (whose
firmware still accepts it beside the ":SUBSYSTEM" set) reuses it whole.
"""

from __future__ import annotations

import numpy as np

from .core import INVALID, UNSET, Call, Choice, Flag, Number, ScpiError, Setting, header_text
from .scope_instrument import SimScope, offset, scale

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
TRMD = {"AUTO": "AUTO", "NORM": "NORM", "SINGLE": "SINGLE", "STOP": "STOP"}
#: Short header -> long header (CHDR LONG answers with the long one).
LONG: dict[str, str] = {}


def _e(x: float) -> str:
    return f"{x:.2E}"


def _both(short: str, long: str, attr: str, arg, after: str | None = None, default=UNSET,
          unit: str = "") -> tuple[Setting, Setting]:
    LONG[short] = long
    return (Setting(short, attr, arg, after, default, unit), Setting(long, attr, arg, after, default, unit))


def _pair(short: str, long: str, handler: str) -> tuple[tuple[str, str], ...]:
    LONG[short.rstrip("?")] = long.rstrip("?")
    return ((short, handler), (long, handler))


class Legacy:
    """The legacy command set's settings and handlers (mixed into a SimScope)."""

    LEGACY_SETTINGS = (
        *_both("CHDR", "COMM_HEADER", "header", Choice({"OFF": "OFF", "SHORT": "SHORT", "LONG": "LONG"}),
               default="SHORT"),
        *_both("C#:TRA", "C#:TRACE", "ch.display", Flag("ON", "OFF")),
        *_both("C#:VDIV", "C#:VOLT_DIV", "ch.scale", scale(_e), unit="V"),
        *_both("C#:OFST", "C#:OFFSET", "ch.offset", offset(_e), unit="V"),
        *_both("C#:ATTN", "C#:ATTENUATION", "ch.probe", Number(0.1, 10000.0)),
        *_both("C#:CPL", "C#:COUPLING", "ch.cpl", Choice({c: c for c in ("A1M", "A50", "D1M", "D50", "GND")})),
        *_both("TDIV", "TIME_DIV", "tdiv", Number(1e-9, 1000.0, _e, TDIV_STEPS), "geometry", 1e-3, "S"),
        *_both("TRDL", "TRIG_DELAY", "delay", Number(lambda i: -i.H_DIVS / 2 * i.tdiv - 10.0, 10.0, _e),
               "geometry", 0.0, "S"),
        *_both("C#:TRLV", "C#:TRIG_LEVEL", "engine.trig_level", Number(-100.0, 100.0, _e), unit="V"),
        *_both("C#:TRSL", "C#:TRIG_SLOPE", "engine.trig_slope", Choice({"POS": "POS", "NEG": "NEG"})),
    )
    LEGACY_COMMANDS = (
        *_pair("TRMD", "TRIG_MODE", "c_trmd"),
        *_pair("TRMD?", "TRIG_MODE?", lambda s, c: s.reply(c, None, s.mode)),
        *_pair("SAST?", "SAMPLE_STATUS?", "q_sast"),
        *_pair("ARM", "ARM_ACQUISITION", "c_arm"), ("STOP", "c_halt"),
        *_pair("FRTR", "FORCE_TRIGGER", "c_force"),
        *_pair("C#:WF?", "C#:WAVEFORM?", "q_wf"), *_pair("C#:PAVA?", "C#:PARAMETER_VALUE?", "q_pava"),
        ("CMR?", "q_cmr"), ("INR?", "q_zero"),
    )

    def reply(self, call: Call, setting: Setting | None, text: str) -> str:
        """`C1:VDIV 5.00E-01V` (CHDR SHORT/LONG: the header in that form, and the unit) or bare;
        replies to the newer ":SUBSYSTEM" commands are always bare."""
        pattern = (setting.pattern if setting else call.pattern).rstrip("?")
        short = next((s for s, l in LONG.items() if pattern in (s, l)), None)
        if short is None or self.header == "OFF":
            return text
        head = header_text(LONG[short] if self.header == "LONG" else short, call.suffixes).lstrip(":")
        return f"{head} {text}{setting.unit if setting else ''}"

    def q_cmr(self, call: Call) -> str:
        code = next((CMR_CODES.get(c, 1) for c, _ in self.errors.drain()), 0)
        return self.reply(call, None, str(code))

    def c_trmd(self, call: Call) -> None:
        self.mode = call.choice(0, TRMD)
        if self.mode == "STOP":
            self.engine.stop()
        elif self.mode == "SINGLE":
            self.c_arm(call)
        else:
            self.engine.sweep = self.mode
            self.engine.run()

    def c_arm(self, call: Call) -> None:
        self.mode = "SINGLE"
        self.engine.sweep = "SING"
        self.engine.single(self.SINGLE_LATENCY_S)

    def c_halt(self, call: Call) -> None:
        self.mode = "STOP"
        self.engine.stop()

    def q_sast(self, call: Call) -> str:
        return self.reply(call, None, STATUS[self.engine.status()])

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
        item = call.arg(0).upper()
        if item not in PAVA:
            raise ScpiError(-224, item)
        name, unit = PAVA[item]
        value = self.engine.measure(name, call.suffix(0))
        text = "****" if value >= INVALID else _e(value) + (unit if self.header != "OFF" else "")
        return self.reply(call, None, f"{item},{text}")


class SiglentSDS1104XE(Legacy, SimScope):
    IDN = "Siglent Technologies,SDS1104X-E,SDSMMEBX3R2053,8.1.6.1.33"
    RECORD_POINTS = MSIZES[DEFAULT_MSIZE]
    H_DIVS = H_DIVS
    SETTINGS = Legacy.LEGACY_SETTINGS
    COMMANDS = (
        *Legacy.LEGACY_COMMANDS,
        *_pair("SARA?", "SAMPLE_RATE?", lambda s, c: s.reply(c, None, _e(1.0 / s.engine.dt) + ("Sa/s" if s.header != "OFF" else ""))),
        *_pair("MSIZ", "MEMORY_SIZE", "c_msiz"),
        *_pair("MSIZ?", "MEMORY_SIZE?", lambda s, c: s.reply(c, None, s.msize)),
        *_pair("TRSE", "TRIG_SELECT", "c_trse"),
        *_pair("TRSE?", "TRIG_SELECT?", lambda s, c: s.reply(c, None, f"EDGE,SR,C{s.engine.trig_source},HT,OFF")),
        *_pair("ASET", "AUTO_SETUP", "c_autoscale"), ("WFSU", "c_noop"),
    )

    def configure(self) -> None:
        self.msize = DEFAULT_MSIZE
        self.mode = "AUTO"
        self.engine.record_points = MSIZES[self.msize]
        for ch in self.engine.channels.values():
            ch.probe, ch.offset, ch.cpl = 1.0, 0.0, "D1M"
        self.geometry()

    def geometry(self, _owner: object = None) -> None:
        self.engine.span = H_DIVS * self.tdiv
        self.engine.rel_start = self.delay - H_DIVS / 2 * self.tdiv

    def c_msiz(self, call: Call) -> None:
        size = call.arg(0).upper()
        if size not in MSIZES:
            raise ScpiError(-224, size)
        if self.mode != "AUTO":
            raise ScpiError(-221, "memory size changes only in AUTO trigger mode")
        self.msize = size
        self.engine.record_points = MSIZES[size]

    def c_trse(self, call: Call) -> None:
        if call.arg(0).upper() != "EDGE":
            raise ScpiError(-224, call.arg(0))
        args = [a.upper() for a in call.args]
        if "SR" in args and args.index("SR") + 1 < len(args):
            self.engine.trig_source = int(args[args.index("SR") + 1].lstrip("C"))

    def c_autoscale(self, call: Call) -> None:
        self.mode = "AUTO"
        super().c_autoscale(call)
