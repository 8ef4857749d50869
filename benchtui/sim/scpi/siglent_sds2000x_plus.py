"""Siglent SDS2000X Plus (SDS2104X Plus) dialect: the newer ":SUBSYSTEM" SCPI set (guide EN11).

Sources: the Siglent SDS Series programming guide EN11, PyMeasure siglent_sds1000xhd, scopehal
PROTOCOL_E11. Replies are bare values. Channels `:CHAN<n>:SWIT`, `:SCAL`, `:OFFS` (added to the
signal), `:PROB VAL,<x>` (or a bare number, as PyMeasure sends). `:TIM:SCAL` (1-2-5 steps),
`:TIM:DEL` = time of screen centre after the trigger, 10 divisions. `:TRIG:MODE
AUTO|NORM|SING|FTRIG`, `:TRIG:STOP`, `:TRIG:RUN`, `:TRIG:FORC`, `:TRIG:STAT?` -> Arm/Ready/
Auto/Trig'd/Stop. Waveform: `:WAV:SOUR C<n>`, `:WAV:WIDT BYTE|WORD`, `:WAV:STAR` (0-based),
`:WAV:POIN` (0 = all), `:WAV:MAXP?`, `:ACQ:POIN?`; `:WAV:PRE?` is a `#9000000346` block holding
a LeCroy-style little-endian WAVEDESC; `:WAV:DATA?` a `#9` block; both end with two newlines.
8-bit ADC: BYTE codes are int8 at 30 codes/div (scopehal); WORD carries the same code in the high
byte (x256), and the descriptor says 7680 codes/div then (UNCONFIRMED, consistent with scopehal
dividing the gain by 256). Simple measurements `:MEAS:SIMP:SOUR`, `:MEAS:SIMP:VAL? MAX` ->
`2.000E+00`, `****` when not measurable. `*OPT?` exists from firmware 1.5.2R1 (scopehal #786).

Firmware 1.5.x still accepts the legacy set (`CHDR`, `C1:VDIV?`, `TDIV?`, `TRMD?`, `C1:WF? DAT2`,
`SAST?`, ...) beside this one, on the same state: scopehal's E11 code path sends `CHDR SHORT` to
these scopes and the EN11 guide keeps the old commands in its obsolete-commands chapter. The
legacy `C1:WF? DAT2` codes are scaled as on the SDS1000X-E (25 codes/div): UNCONFIRMED.
"""

from __future__ import annotations

import struct

import numpy as np

from .core import INVALID, Call, Choice, Flag, Number, ScpiError, Setting, ieee_block
from .scope_instrument import SimScope, offset, scale, sources
from .siglent_sds1000x_e import Legacy

H_DIVS = 10
CODES_PER_DIV = 30
TDIV_STEPS = (200e-12, 500e-12, 1e-9, 2e-9, 5e-9, 10e-9, 20e-9, 50e-9, 100e-9, 200e-9, 500e-9,
              1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3,
              10e-3, 20e-3, 50e-3, 100e-3, 200e-3, 500e-3, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
DEPTHS = {"10K": 10_000, "100K": 100_000, "1M": 1_000_000, "10M": 10_000_000}
DEFAULT_DEPTH = "10K"         # UNCONFIRMED power-on depth
MAX_POINTS = 5_000_000        # :WAV:MAXP? (UNCONFIRMED value; tests lower it to see pieces)
DESC_LENGTH = 346
TRIG_MODES = {"AUTO": "AUTO", "NORM": "NORMal", "SINGLE": "SINGle", "STOP": "STOP"}
SIMPLE = {"MAX": "VMAX", "MIN": "VMIN", "MEAN": "VAVG", "PKPK": "VPP", "AMPL": "VAMP",
          "TOP": "VTOP", "BASE": "VBASE", "RMS": "VRMS", "RISE": "RTIME", "FALL": "FTIME",
          "PWID": "PWIDTH", "NWID": "NWIDTH"}


def _e(x: float) -> str:
    return f"{x:.3E}"


class SiglentSDS2104XPlus(Legacy, SimScope):
    IDN = "Siglent Technologies,SDS2104X Plus,SDS2PDDX2R0123,1.5.2R3"
    OPT = "0,0,0,0,0,0,0,0,0"
    RECORD_POINTS = DEPTHS[DEFAULT_DEPTH]
    MAX_POINTS = MAX_POINTS
    H_DIVS = H_DIVS
    CHOICE_REPLY = "as-written"
    SETTINGS = (
        Setting(":CHANnel#:SWITch", "ch.display", Flag("ON", "OFF")),
        Setting(":CHANnel#:VISible", "ch.visible", Flag("ON", "OFF")),
        Setting(":CHANnel#:SCALe", "ch.scale", scale(_e)),
        Setting(":CHANnel#:OFFSet", "ch.offset", offset(_e)),
        Setting(":CHANnel#:COUPling", "ch.coupling", Choice({"DC": "DC", "AC": "AC", "GND": "GND"})),
        Setting(":CHANnel#:IMPedance", "ch.impedance", Choice({"ONEMeg": "ONEM", "FIFTy": "FIFT"})),
        Setting(":CHANnel#:BWLimit", "ch.bwl", Choice({"FULL": "FULL", "20M": "20M", "200M": "200M"})),
        Setting(":TIMebase:SCALe", "tdiv", Number(200e-12, 1000.0, _e, TDIV_STEPS), "geometry", 1e-3),
        Setting(":TIMebase:DELay", "delay", Number(-1000.0, 1000.0, _e), "geometry", 0.0),
        Setting(":TIMebase:REFerence", "t_ref", Choice({"DELay": "DEL", "POSition": "POS"}), default="DEL"),
        Setting(":TRIGger:TYPE", "trig_type", Choice({"EDGE": "EDGE"}), default="EDGE"),
        Setting(":TRIGger:EDGE:SOURce", "engine.trig_source", sources("C", "CHANnel")),
        Setting(":TRIGger:EDGE:LEVel", "engine.trig_level", Number(-100.0, 100.0, _e)),
        Setting(":TRIGger:EDGE:SLOPe", "engine.trig_slope", Choice({"RISing": "POS", "FALLing": "NEG",
                                                                    "ALTernate": "EITH"})),
        Setting(":TRIGger:EDGE:COUPling", "trig_coupling", Choice({"DC": "DC", "AC": "AC", "LFReject": "LFR",
                                                                   "HFReject": "HFR"}), default="DC"),
        Setting(":WAVeform:SOURce", "wav_src", sources("C", "CHANnel"), default=1),
        Setting(":WAVeform:WIDTh", "width", Choice({"BYTE": "BYTE", "WORD": "WORD"}), default="BYTE"),
        Setting(":WAVeform:STARt", "wav_start", Number(0, 1e9, "d", integer=True), default=0),
        Setting(":WAVeform:POINt", "wav_points", Number(0, 1e9, "d", integer=True), default=0),
        Setting(":WAVeform:INTerval", "wav_interval", Number(1, 1e9, "d", integer=True), default=1),
        Setting(":MEASure", "meas_on", Flag("ON", "OFF"), default=True),
        Setting(":MEASure:MODE", "meas_mode", Choice({"SIMPle": "SIMP", "ADVanced": "ADV"}), default="SIMP"),
        Setting(":MEASure:SIMPle:SOURce", "meas_src", sources("C", "CHANnel"), default=1),
        *Legacy.LEGACY_SETTINGS,
    )
    COMMANDS = (
        (":CHANnel#:PROBe", "c_probe"), (":CHANnel#:PROBe?", lambda s, c: _e(s.ch(c).probe)),
        (":ACQuire:MDEPth", "c_mdep"), (":ACQuire:MDEPth?", "q_mdep"),
        (":ACQuire:POINts?", "q_points"), (":ACQuire:SRATe?", "q_srate"),
        (":TRIGger:MODE", "c_trig_mode"),
        (":TRIGger:MODE?", lambda s, c: TRIG_MODES[s.mode]),
        (":TRIGger:STOP", "c_halt"), (":TRIGger:RUN", "c_run"), (":TRIGger:FORCe", "c_force"),
        (":TRIGger:STATus?", "q_sast"), (":AUToset", "c_autoscale"),
        (":WAVeform:MAXPoint?", lambda s, c: _e(s.MAX_POINTS)),
        (":WAVeform:PREamble?", "q_preamble"), (":WAVeform:DATA?", "q_data"),
        (":MEASure:SIMPle:ITEM", "c_noop"), (":MEASure:SIMPle:VALue?", "q_simple"),
        *Legacy.LEGACY_COMMANDS,
    )

    def configure(self) -> None:
        self.depth = DEFAULT_DEPTH
        self.mode = "AUTO"
        self.engine.record_points = DEPTHS[self.depth]
        for ch in self.engine.channels.values():
            ch.probe, ch.offset, ch.bwl = 1.0, 0.0, "FULL"
        self.geometry()

    def geometry(self, _owner: object = None) -> None:
        self.engine.span = H_DIVS * self.tdiv
        self.engine.rel_start = self.delay - H_DIVS / 2 * self.tdiv

    def c_probe(self, call: Call) -> None:
        """`:CHAN1:PROB VAL,10` or `:CHAN1:PROB 10` (as PyMeasure sends), `DEF` is 1X."""
        if call.args and call.args[0].upper() == "DEF":
            self.ch(call).probe = 1.0
            return
        args = call.args[1:] if call.args and call.args[0].upper() == "VAL" else call.args
        self.ch(call).probe = Call(call.header, args, call.suffixes).number(0, 1e-6, 1e6)

    def c_mdep(self, call: Call) -> None:
        value = call.arg(0).upper()
        if value not in DEPTHS:
            raise ScpiError(-224, value)
        self.depth = value
        self.engine.record_points = DEPTHS[value]

    def q_mdep(self, call: Call) -> str:
        return self.depth.lower()

    def q_points(self, call: Call) -> str:
        self.engine.update()
        acq = self.engine.last
        return _e(acq.n if acq is not None else self.engine.record_points)

    def q_srate(self, call: Call) -> str:
        return _e(1.0 / self.engine.dt)

    def c_trig_mode(self, call: Call) -> None:
        mode = call.choice(0, {"AUTO": "AUTO", "NORMal": "NORM", "SINGle": "SING", "FTRIG": "FTRIG"})
        if mode == "FTRIG":
            self.engine.force()
        elif mode == "SING":
            self.c_arm(call)
        else:
            self.mode = mode
            self.engine.sweep = mode
            self.engine.run()

    def _acq(self):
        self.engine.update()
        acq = self.engine.last
        if acq is None or not acq.settings[self.wav_src].display:
            raise ScpiError(-221, f"C{self.wav_src} is off")
        return acq

    def _codes_per_div(self) -> float:
        return CODES_PER_DIV * (256 if self.width == "WORD" else 1)

    def q_preamble(self, call: Call) -> bytes:
        acq = self._acq()
        ch = acq.settings[self.wav_src]
        d = bytearray(DESC_LENGTH)
        d[0:8] = b"WAVEDESC"
        d[16:32] = b"LECROY_2_3".ljust(16, b"\0")
        struct.pack_into("<h", d, 0x20, 1 if self.width == "WORD" else 0)
        struct.pack_into("<h", d, 0x22, 0)                               # LSB first
        struct.pack_into("<i", d, 0x24, DESC_LENGTH)
        struct.pack_into("<i", d, 0x3C, acq.n * (2 if self.width == "WORD" else 1))
        d[76:92] = b"SDS2104X Plus".ljust(16, b"\0")
        struct.pack_into("<i", d, 0x74, acq.n)
        struct.pack_into("<i", d, 0x84, 0)
        struct.pack_into("<i", d, 0x88, 1)
        struct.pack_into("<f", d, 0x9C, ch.scale / ch.probe)
        struct.pack_into("<f", d, 0xA0, ch.offset / ch.probe)
        struct.pack_into("<f", d, 0xA4, self._codes_per_div())
        struct.pack_into("<h", d, 0xAC, 8)
        struct.pack_into("<f", d, 0xB0, acq.dt)
        struct.pack_into("<d", d, 0xB4, self.delay)
        struct.pack_into("<h", d, 0x144, TDIV_STEPS.index(self.tdiv))
        struct.pack_into("<f", d, 0x148, ch.probe)
        return ieee_block(bytes(d), 9) + b"\n"

    def q_data(self, call: Call) -> bytes:
        acq = self._acq()
        ch = acq.settings[self.wav_src]
        start = min(self.wav_start, acq.n)
        count = acq.n - start if self.wav_points == 0 else min(self.wav_points, acq.n - start)
        count = min(count, self.MAX_POINTS)
        volts = acq.volts[self.wav_src][start:start + count]
        codes = np.clip(np.round((volts + ch.offset) * CODES_PER_DIV / ch.scale), -128, 127)
        data = codes.astype("<i2") * 256 if self.width == "WORD" else codes.astype(np.int8)
        return ieee_block(data.astype("<i2" if self.width == "WORD" else np.int8).tobytes(), 9) + b"\n"

    # --- measurements -----------------------------------------------------------------------------
    def q_simple(self, call: Call) -> str:
        item = call.arg(0).upper()
        if item not in SIMPLE:
            raise ScpiError(-224, item)
        value = self.engine.measure(SIMPLE[item], self.meas_src)
        return "****" if value >= INVALID else _e(value)
