"""Tektronix MSO5 Series (MSO54) dialect ("TekScope" PI commands).

Sources: the 4/5/6 Series MSO programmer manual (through tm_devices' generated command docs),
tm_devices `single_sequence`/`curve_query`, scopehal. `HEADer` is ON at power-on and after
`FACtory` ("Enables command headers (:HEADer 1)"; `*RST` does not change it): replies then start
with the command's header in long form (`:CH1:SCALE 1.0000E+00`), short with `VERBose OFF`
(`:CH1:SCA ...`), which also shortens enumerations (`RUNSTOP` / `RUNST`). `HEAD OFF` makes them
bare. Timebase `HOR:SCA` (1-2-4 steps, UNCONFIRMED), `HOR:POS` = trigger position in percent of
the record, `HOR:RECO` record length (10 k default, UNCONFIRMED), 10 divisions. `CH<n>:OFFS` =
voltage at screen centre, `CH<n>:POS` in divisions. Single sequence `ACQ:STOPA SEQ` + `ACQ:STATE
ON`; `ACQ:STATE?` 1 while acquiring; `TRIG:STATE?` ARMED (pre-trigger filling) / READY / TRIGGER /
SAVE / AUTO. `CURV?` as `DAT:ENC` (RIB/RPB big-, SRI/SRP little-endian; I signed, P unsigned) and
`DAT:WID` 1|2: 25 codes/div at width 1, 6400 at width 2; `WFMO:BN_F`/`BYT_O`/`ENC`/`BYT_N` are
the same state seen from the preamble side. V = (code - YOF) x YMU + YZE; t = XZE + (k - PT_O) x
XIN. Measurements `MEASU:MEAS<x>:TYP`/`SOU[1]`/`RESU:CURR:MEAN?` (9.91E37 when not measurable).
`*ESR?`, `ALLEV?`.
"""

from __future__ import annotations

import numpy as np

from .core import INVALID, Call, Choice, Flag, Number, ScpiError, Setting, header_text, ieee_block
from .scope_instrument import SimScope, offset, scale, sources

H_DIVS = 10
HOR_STEPS = tuple(m * 10.0 ** e for e in range(-10, 3) for m in (1, 2, 4) if 2e-10 <= m * 10.0 ** e <= 1000)
RECORD = 10_000
CODES = {1: 25, 2: 6400}
MEAS = {"MAXimum": "VMAX", "MINImum": "VMIN", "MEAN": "VAVG", "RISETIME": "RTIME", "FALLTIME": "FTIME",
        "PK2Pk": "VPP", "AMPlitude": "VAMP", "RMS": "VRMS", "TOP": "VTOP", "BASE": "VBASE",
        "PWIDTH": "PWIDTH", "NWIDTH": "NWIDTH"}
STATES = {"STOP": "SAVE", "RUN": "ARMED", "WAIT": "READY", "TD": "TRIGGER", "AUTO": "AUTO"}
ENCODINGS = {"RIBinary": "RIB", "RPBinary": "RPB", "SRIbinary": "SRI", "SRPbinary": "SRP", "ASCIi": "ASCI"}


def _e(x: float) -> str:
    return f"{x:.4E}"


class DataFormat:
    """`DATa:ENCdg`/`WIDth` and the preamble's view of them (`WFMOutpre:BN_Fmt`, `BYT_Or`, `ENCdg`,
    `BYT_Nr`): setting either side changes the other, as the manual says."""

    def __init__(self) -> None:
        self.src, self.enc, self.wid, self.start, self.stop = 1, "RIB", 1, 1, RECORD

    @property
    def bn_fmt(self) -> str:
        return "RP" if self.enc in ("RPB", "SRP") else "RI"

    @bn_fmt.setter
    def bn_fmt(self, value: str) -> None:
        self.enc = {("RI", True): "RIB", ("RP", True): "RPB", ("RI", False): "SRI",
                    ("RP", False): "SRP"}[value, self.byt_or == "MSB"]

    @property
    def byt_or(self) -> str:
        return "LSB" if self.enc in ("SRI", "SRP") else "MSB"

    @byt_or.setter
    def byt_or(self, value: str) -> None:
        self.enc = {("RI", "MSB"): "RIB", ("RP", "MSB"): "RPB", ("RI", "LSB"): "SRI",
                    ("RP", "LSB"): "SRP"}[self.bn_fmt, value]

    @property
    def wfm_enc(self) -> str:
        return "ASC" if self.enc == "ASCI" else "BIN"

    @wfm_enc.setter
    def wfm_enc(self, value: str) -> None:
        self.enc = "ASCI" if value == "ASC" else ("RIB" if self.enc == "ASCI" else self.enc)


class Measurement:
    def __init__(self) -> None:
        self.type, self.source = "MAXIMUM", 1


class TektronixMSO54(SimScope):
    IDN = "TEKTRONIX,MSO54,C019876,CF:91.1CT FV:1.38.3.0"
    OPT = "0"
    RECORD_POINTS = RECORD
    SETTINGS = (
        Setting(":HEADer", "header", Flag()),
        Setting(":VERBose", "verbose", Flag()),
        Setting(":DISplay:GLObal:CH#:STATE", "ch.display", Flag()),
        Setting(":CH#:SCAle", "ch.scale", scale(_e)),
        Setting(":CH#:OFFSet", "ch.offset", offset(_e)),
        Setting(":CH#:POSition", "ch.position", Number(-5.0, 5.0, _e)),
        Setting(":CH#:PROBEFunc:EXTAtten", "ch.probe", Number(1e-3, 1e6, _e)),
        Setting(":CH#:COUPling", "ch.coupling", Choice({"AC": "AC", "DC": "DC", "DCREJect": "DCREJ"})),
        Setting(":CH#:TERmination", "ch.termination", Choice({"50": 50.0, "1.0E+6": 1e6, "1E6": 1e6, "1000000": 1e6},
                                                             reply={50.0: "50.0000", 1e6: "1.0000E+6"})),
        Setting(":HORizontal:MODe", "hmode", Choice({"AUTO": "AUTO", "MANual": "MAN"}), default="AUTO"),
        Setting(":HORizontal[:MODe]:SCAle", "hscale", Number(2e-10, 1000.0, _e, HOR_STEPS), "geometry", 1e-3),
        Setting(":HORizontal:POSition", "hpos", Number(0.0, 100.0, _e), "geometry", 50.0),
        Setting(":HORizontal[:MODe]:RECOrdlength", "record", Number(1000, 62_500_000, "d", integer=True),
                "record_length", RECORD),
        Setting(":ACQuire:MODe", "acq_mode", Choice({"SAMple": "SAM", "PEAKdetect": "PEAK", "HIRes": "HIR",
                                                     "AVErage": "AVE", "ENVelope": "ENV"}), default="SAM"),
        Setting(":ACQuire:STOPAfter", "stopafter", Choice({"SEQuence": "SEQ", "RUNSTop": "RUNST"}), default="RUNST"),
        Setting(":TRIGger:A:TYPe", "trig_type", Choice({"EDGe": "EDGE"}), default="EDGE"),
        Setting(":TRIGger:A:EDGE:SOUrce", "engine.trig_source", sources("CH")),
        Setting(":TRIGger:A:EDGE:SLOpe", "engine.trig_slope", Choice({"RISe": "POS", "FALL": "NEG", "EITHer": "EITH"})),
        Setting(":TRIGger:A:LEVel:CH#", "engine.trig_level", Number(-100.0, 100.0, _e)),
        Setting(":TRIGger:A:MODe", "engine.sweep", Choice({"AUTO": "AUTO", "NORMal": "NORM"})),
        Setting(":DATa:SOUrce", "dat.src", sources("CH")),
        Setting(":DATa:ENCdg", "dat.enc", Choice(ENCODINGS)),
        Setting(":DATa:WIDth", "dat.wid", Number(1, 2, "d", integer=True)),
        Setting(":DATa:STARt", "dat.start", Number(1, 1e9, "d", integer=True)),
        Setting(":DATa:STOP", "dat.stop", Number(1, 1e9, "d", integer=True)),
        Setting(":WFMOutpre:BN_Fmt", "dat.bn_fmt", Choice({"RI": "RI", "RP": "RP"})),
        Setting(":WFMOutpre:BYT_Or", "dat.byt_or", Choice({"MSB": "MSB", "LSB": "LSB"})),
        Setting(":WFMOutpre:ENCdg", "dat.wfm_enc", Choice({"ASCii": "ASC", "BINary": "BIN"})),
        Setting(":WFMOutpre:BYT_Nr", "dat.wid", Number(1, 2, "d", integer=True)),
        Setting(":MEASUrement:MEAS#:TYPe", "meas.type", Choice({k: k.upper() for k in MEAS})),
        Setting(":MEASUrement:MEAS#:SOUrce[1]", "meas.source", sources("CH")),
    )
    COMMANDS = (
        (":FACtory", "c_factory"),
        (":TRIGger", "c_trigger"),
        (":TRIGger:STATE?", lambda s, c: s._r(c, STATES[s.engine.status()])),
        (":ACQuire:STATE", "c_acq_state"),
        (":ACQuire:STATE?", lambda s, c: s._r(c, "1" if s.engine.acquiring() else "0")),
        (":WFMOutpre:NR_Pt?", "q_nr_pt"),
        (":WFMOutpre:YMUlt?", lambda s, c: s._r(c, _e(s._scaling()[0]))),
        (":WFMOutpre:YOFf?", lambda s, c: s._r(c, _e(s._scaling()[1]))),
        (":WFMOutpre:YZEro?", lambda s, c: s._r(c, _e(s._scaling()[2]))),
        (":WFMOutpre:XINcr?", lambda s, c: s._r(c, _e(s._rec()[0].dt))),
        (":WFMOutpre:XZEro?", "q_xzero"),
        (":WFMOutpre:PT_Off?", lambda s, c: s._r(c, "0")),
        (":WFMOutpre:XUNit?", lambda s, c: s._r(c, '"s"')),
        (":WFMOutpre:YUNit?", lambda s, c: s._r(c, '"V"')),
        (":CURVe?", "q_curve"),
        (":MEASUrement:MEAS#:RESUlts:CURRentacq:MEAN?", "q_meas"),
        (":ALLEv?", "q_allev"), (":AUTOSet", "c_autoscale"),
    )

    def __init__(self, board, wiring: dict[int, str] | None = None) -> None:
        self.header, self.verbose = True, True     # power-on; *RST leaves them
        super().__init__(board, wiring)

    @property
    def CHOICE_REPLY(self) -> str:  # noqa: N802 - the Instrument attribute, per state here
        return "long" if self.verbose else "short"

    def configure(self) -> None:
        self.dat = DataFormat()
        self.measurements: dict[int, Measurement] = {}
        self.engine.record_points = self.record
        for ch in self.engine.channels.values():
            ch.probe, ch.offset, ch.position = 1.0, 0.0, 0.0
        self.geometry()

    def geometry(self, _owner: object = None) -> None:
        self.engine.span = H_DIVS * self.hscale
        self.engine.rel_start = -self.hpos / 100 * self.engine.span

    def record_length(self, _owner: object) -> None:
        self.engine.record_points = self.record

    def meas(self, call: Call | None) -> Measurement:
        """MEAS<x> (Setting owner), created on first use as on the instrument."""
        return self.measurements.setdefault(call.suffix(0) if call else 1, Measurement())

    def reply(self, call: Call, setting: Setting | None, text: str) -> str:
        """With HEADer ON: `:CH1:SCALE 1.0000E+00` (the header long with VERBose ON, else short)."""
        if not self.header:
            return text
        return f"{header_text(setting.pattern if setting else call.pattern, call.suffixes, self.verbose)} {text}"

    def _r(self, call: Call, value: str) -> str:
        return self.reply(call, None, value)

    # --- misc -------------------------------------------------------------------------------------
    def c_factory(self, call: Call) -> None:
        """FACtory: *RST, and also the PI state: headers on, enable registers cleared."""
        self.reset()
        self.header, self.verbose, self.ese, self.sre = True, True, 0, 0

    def q_allev(self, call: Call) -> str:
        events = self.errors.drain()
        if not events:
            return self._r(call, '0,"No events to report - queue empty"')
        code, detail = events[0]
        return self._r(call, f'{code},"{detail}"')

    # --- trigger / acquisition --------------------------------------------------------------------
    def c_trigger(self, call: Call) -> None:
        """`TRIGger FORCe`."""
        if call.arg(0).upper() not in ("FORC", "FORCE"):
            raise ScpiError(-224, call.arg(0))
        self.engine.force()

    def c_acq_state(self, call: Call) -> None:
        on = call.arg(0).upper() in ("ON", "1", "RUN")
        if not on and call.arg(0).upper() not in ("OFF", "0", "STOP"):
            raise ScpiError(-224, call.arg(0))
        if not on:
            self.engine.stop()
        elif self.stopafter == "SEQ":
            self.engine.single(self.SINGLE_LATENCY_S)
        else:
            self.engine.run()

    # --- waveform ---------------------------------------------------------------------------------
    def _rec(self):
        self.engine.update()
        acq = self.engine.last
        n = self.dat.src
        if acq is None or not acq.settings[n].display:
            raise ScpiError(-200, f"CH{n} has no waveform")
        return acq, acq.settings[n]

    def _scaling(self) -> tuple[float, float, float]:
        acq, ch = self._rec()
        ymult = ch.scale / CODES[self.dat.wid]
        return ymult, ch.position * CODES[self.dat.wid], ch.offset

    def _window(self) -> tuple[int, int]:
        acq, _ = self._rec()
        a = max(1, self.dat.start)
        return a, min(self.dat.stop, acq.n)

    def q_nr_pt(self, call: Call) -> str:
        a, b = self._window()
        return self._r(call, str(max(0, b - a + 1)))

    def q_xzero(self, call: Call) -> str:
        acq, _ = self._rec()
        a, _b = self._window()
        return self._r(call, _e(acq.t0 - acq.t_trig + (a - 1) * acq.dt))

    def q_curve(self, call: Call) -> bytes:
        acq, ch = self._rec()
        a, b = self._window()
        ymult, yoff, yzero = self._scaling()
        volts = acq.volts[self.dat.src][a - 1:b]
        wid, enc = self.dat.wid, self.dat.enc
        lo, hi = (-128, 127) if wid == 1 else (-32768, 32767)
        codes = np.clip(np.round((volts - yzero) / ymult + yoff), lo, hi).astype(np.int64)
        if enc in ("RPB", "SRP"):
            codes = codes - lo
        order = ">" if enc in ("RIB", "RPB") else "<"
        kind = ("i" if enc in ("RIB", "SRI") else "u") + str(wid)
        return ieee_block(codes.astype(order + kind).tobytes())

    # --- measurements -----------------------------------------------------------------------------
    def q_meas(self, call: Call) -> str:
        m = self.meas(call)
        key = next(k for k in MEAS if k.upper() == m.type)
        value = self.engine.measure(MEAS[key], m.source)
        return self._r(call, "9.91E37" if value >= INVALID else _e(value))
