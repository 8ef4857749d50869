"""Tektronix MSO5 Series (MSO54) dialect ("TekScope" PI commands).

Sources: Tektronix tm_devices (`single_sequence`/`curve_query`), the 4/5/6 Series MSO Programmer
Manual, scopehal TektronixOscilloscope.cpp.
`HEADer ON` (the power-on default, UNCONFIRMED) prefixes replies with the header as sent
(`:TRIG:STATE READY`); `HEAD OFF` makes them bare. Timebase `HOR:SCA` (1-2-4 steps, UNCONFIRMED),
`HOR:POS` = trigger position in percent of the record, `HOR:RECO` record length (10 k default,
UNCONFIRMED), 10 divisions. `CH<n>:OFFS` = voltage at screen centre, `CH<n>:POS` in divisions.
Single sequence `ACQ:STOPA SEQ` + `ACQ:STATE ON`; `ACQ:STATE?` 1 while acquiring; `TRIG:STATE?`
ARMED (pre-trigger filling) / READY / TRIGGER / SAVE / AUTO. `CURV?` as `DAT:ENC` (RIB/RPB big-,
SRI/SRP little-endian; I signed, P unsigned) and `DAT:WID` 1|2: 25 codes/div at width 1,
6400 at width 2; V = (code - YOF) x YMU + YZE; t = XZE + (k - PT_O) x XIN. Measurements
`MEASU:MEAS<x>:TYP`/`SOU`/`RESU:CURR:MEAN?` (9.91E37 when not measurable). `*ESR?`, `ALLEV?`.
"""

from __future__ import annotations

import numpy as np

from .core import INVALID, Call, ScpiError, ieee_block
from .rigol_ds1000z import snap
from .scope_instrument import SimScope

H_DIVS = 10
HOR_STEPS = tuple(m * 10.0 ** e for e in range(-10, 3) for m in (1, 2, 4) if 2e-10 <= m * 10.0 ** e <= 1000)
RECORD = 10_000
CODES = {1: 25, 2: 6400}
MEAS = {"MAXIMUM": "VMAX", "MINIMUM": "VMIN", "MEAN": "VAVG", "RISETIME": "RTIME", "FALLTIME": "FTIME",
        "PK2PK": "VPP", "AMPLITUDE": "VAMP", "RMS": "VRMS", "TOP": "VTOP", "BASE": "VBASE",
        "PWIDTH": "PWIDTH", "NWIDTH": "NWIDTH"}
STATES = {"STOP": "SAVE", "RUN": "ARMED", "WAIT": "READY", "TD": "TRIGGER", "AUTO": "AUTO"}


def _e(x: float) -> str:
    return f"{x:.4E}"


class TektronixMSO54(SimScope):
    IDN = "TEKTRONIX,MSO54,C019876,CF:91.1CT FV:1.38.3.0"
    RECORD_POINTS = RECORD
    COMMANDS = (
        (":HEADer", "c_head"), (":HEADer?", "q_head"), (":VERBose", "c_noop"),
        (":DISplay:GLObal:CH#:STATE", "c_ch_disp"), (":DISplay:GLObal:CH#:STATE?", "q_disp"),
        (":CH#:SCAle", "c_ch_scale"), (":CH#:SCAle?", "q_scale"),
        (":CH#:OFFSet", "c_ch_offset"), (":CH#:OFFSet?", "q_offs"),
        (":CH#:POSition", "c_pos"), (":CH#:POSition?", "q_pos"),
        (":CH#:PROBEFunc:EXTAtten", "c_ch_probe"), (":CH#:PROBEFunc:EXTAtten?", "q_probe"),
        (":HORizontal:MODe", "c_noop"), (":HORizontal[:MODe]:SCAle", "c_hscale"),
        (":HORizontal[:MODe]:SCAle?", "q_hscale"),
        (":HORizontal:POSition", "c_hpos"), (":HORizontal:POSition?", "q_hpos"),
        (":HORizontal[:MODe]:RECOrdlength", "c_reco"), (":HORizontal[:MODe]:RECOrdlength?", "q_reco"),
        (":TRIGger:A:TYPe", "c_trig_type"), (":TRIGger:A:EDGE:SOUrce", "c_trig_src"),
        (":TRIGger:A:EDGE:SOUrce?", "q_trig_src"), (":TRIGger:A:EDGE:SLOpe", "c_trig_slope"),
        (":TRIGger:A:LEVel:CH#", "c_trig_lvl"), (":TRIGger:A:LEVel:CH#?", "q_trig_lvl"),
        (":TRIGger:A:MODe", "c_trig_mode"), (":TRIGger:A:MODe?", "q_trig_mode"),
        (":TRIGger", "c_trigger"), (":TRIGger:STATE?", "q_trig_state"),
        (":ACQuire:STOPAfter", "c_stopafter"), (":ACQuire:STOPAfter?", "q_stopafter"),
        (":ACQuire:STATE", "c_acq_state"), (":ACQuire:STATE?", "q_acq_state"),
        (":DATa:SOUrce", "c_dat_src"), (":DATa:ENCdg", "c_dat_enc"), (":DATa:WIDth", "c_dat_wid"),
        (":DATa:STARt", "c_dat_start"), (":DATa:STOP", "c_dat_stop"),
        (":WFMOutpre:NR_Pt?", "q_nr_pt"), (":WFMOutpre:YMUlt?", "q_ymult"), (":WFMOutpre:YOFf?", "q_yoff"),
        (":WFMOutpre:YZEro?", "q_yzero"), (":WFMOutpre:XINcr?", "q_xincr"), (":WFMOutpre:XZEro?", "q_xzero"),
        (":WFMOutpre:PT_Off?", "q_pt_off"), (":CURVe?", "q_curve"),
        (":MEASUrement:MEAS#:TYPe", "c_meas_type"), (":MEASUrement:MEAS#:SOUrce[1]", "c_meas_src1"),
        (":MEASUrement:MEAS#:RESUlts:CURRentacq:MEAN?", "q_meas"),
        (":ALLEv?", "q_allev"), ("*ESR?", "q_esr"), (":AUTOSet", "c_autoscale"),
    )

    def configure(self) -> None:
        self.header = True
        self.hscale, self.hpos, self.record = 1e-3, 50.0, RECORD
        self.stopafter = "RUNST"
        self.dat = {"src": 1, "enc": "RIB", "wid": 1, "start": 1, "stop": RECORD}
        self.meas: dict[int, list] = {}
        self.esr = 0
        self.engine.record_points = self.record
        for ch in self.engine.channels.values():
            ch.probe, ch.offset = 1.0, 0.0
            ch.position = 0.0
        self._geometry()

    def fmt(self, x: float) -> str:
        return _e(x)

    def _geometry(self) -> None:
        self.engine.span = H_DIVS * self.hscale
        self.engine.rel_start = -self.hpos / 100 * self.engine.span

    def _r(self, call: Call, value: str) -> str:
        return f"{call.header.rstrip('?').upper()} {value}" if self.header else value

    def _error(self, code: int) -> None:
        self.esr |= 0x20

    async def execute(self, message: str) -> bytes | None:
        before = len(self.errors)
        reply = await super().execute(message)
        if len(self.errors) > before:
            self.esr |= 0x20  # command error bit, like an undefined header
        return reply

    # --- misc -------------------------------------------------------------------------------------
    def c_head(self, call: Call) -> None:
        self.header = call.boolean(0)

    def q_head(self, call: Call) -> str:
        return self._r(call, "1" if self.header else "0")

    def q_esr(self, call: Call) -> str:
        esr, self.esr = self.esr, 0
        return str(esr)

    def q_allev(self, call: Call) -> str:
        if not len(self.errors):
            return self._r(call, '0,"No events to report - queue empty"')
        code, detail = self.errors._q.popleft()
        self.errors.clear()
        return self._r(call, f'{code},"{detail}"')

    # --- channels ---------------------------------------------------------------------------------
    def q_disp(self, call: Call) -> str:
        return self._r(call, "1" if self.ch(call).display else "0")

    def q_scale(self, call: Call) -> str:
        return self._r(call, _e(self.ch(call).scale))

    def q_offs(self, call: Call) -> str:
        return self._r(call, _e(self.ch(call).offset))

    def c_pos(self, call: Call) -> None:
        self.ch(call).position = call.number(0, -5.0, 5.0)

    def q_pos(self, call: Call) -> str:
        return self._r(call, _e(self.ch(call).position))

    def q_probe(self, call: Call) -> str:
        return self._r(call, _e(self.ch(call).probe))

    # --- timebase ---------------------------------------------------------------------------------
    def c_hscale(self, call: Call) -> None:
        self.hscale = snap(call.number(0, 2e-10, 1000.0), HOR_STEPS)
        self._geometry()

    def q_hscale(self, call: Call) -> str:
        return self._r(call, _e(self.hscale))

    def c_hpos(self, call: Call) -> None:
        self.hpos = call.number(0, 0.0, 100.0)
        self._geometry()

    def q_hpos(self, call: Call) -> str:
        return self._r(call, _e(self.hpos))

    def c_reco(self, call: Call) -> None:
        self.record = int(call.number(0, 1000, 62_500_000))
        self.engine.record_points = self.record

    def q_reco(self, call: Call) -> str:
        return self._r(call, str(self.record))

    # --- trigger / acquisition --------------------------------------------------------------------
    def c_trig_type(self, call: Call) -> None:
        if call.arg(0).upper() != "EDGE":
            raise ScpiError(-224, call.arg(0))

    def c_trig_src(self, call: Call) -> None:
        text = call.arg(0).upper()
        if not (text.startswith("CH") and text[2:].isdigit() and 1 <= int(text[2:]) <= 4):
            raise ScpiError(-224, text)
        self.engine.trig_source = int(text[2:])

    def q_trig_src(self, call: Call) -> str:
        return self._r(call, f"CH{self.engine.trig_source}")

    def c_trig_slope(self, call: Call) -> None:
        self.engine.trig_slope = call.choice(0, {"RISe": "POS", "FALL": "NEG", "EITHer": "EITH"})

    def c_trig_lvl(self, call: Call) -> None:
        self.engine.trig_level = call.number(0, -100.0, 100.0)

    def q_trig_lvl(self, call: Call) -> str:
        return self._r(call, _e(self.engine.trig_level))

    def c_trig_mode(self, call: Call) -> None:
        self.engine.sweep = call.choice(0, {"AUTO": "AUTO", "NORMal": "NORM"})

    def q_trig_mode(self, call: Call) -> str:
        return self._r(call, self.engine.sweep)

    def c_trigger(self, call: Call) -> None:
        """`TRIGger FORCe`."""
        if call.arg(0).upper() not in ("FORC", "FORCE"):
            raise ScpiError(-224, call.arg(0))
        self.engine.force()

    def q_trig_state(self, call: Call) -> str:
        return self._r(call, STATES[self.engine.status()])

    def c_stopafter(self, call: Call) -> None:
        self.stopafter = call.choice(0, {"SEQuence": "SEQ", "RUNSTop": "RUNST"})

    def q_stopafter(self, call: Call) -> str:
        return self._r(call, "SEQUENCE" if self.stopafter == "SEQ" else "RUNSTOP")

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

    def q_acq_state(self, call: Call) -> str:
        self.engine.update()
        return self._r(call, "1" if self.engine.running or self.engine._pending else "0")

    # --- waveform ---------------------------------------------------------------------------------
    def c_dat_src(self, call: Call) -> None:
        text = call.arg(0).upper()
        if not (text.startswith("CH") and text[2:].isdigit() and 1 <= int(text[2:]) <= 4):
            raise ScpiError(-224, text)
        self.dat["src"] = int(text[2:])

    def c_dat_enc(self, call: Call) -> None:
        self.dat["enc"] = call.choice(0, {"RIBinary": "RIB", "RPBinary": "RPB", "SRIbinary": "SRI",
                                          "SRPbinary": "SRP", "ASCIi": "ASCI"})

    def c_dat_wid(self, call: Call) -> None:
        self.dat["wid"] = int(call.number(0, 1, 2))

    def c_dat_start(self, call: Call) -> None:
        self.dat["start"] = int(call.number(0, 1, 1e9))

    def c_dat_stop(self, call: Call) -> None:
        self.dat["stop"] = int(call.number(0, 1, 1e9))

    def _rec(self):
        self.engine.update()
        acq = self.engine.last
        n = self.dat["src"]
        if acq is None or not acq.settings[n].display:
            raise ScpiError(-200, f"CH{n} has no waveform")
        return acq, acq.settings[n]

    def _scaling(self) -> tuple[float, float, float]:
        acq, ch = self._rec()
        ymult = ch.scale / CODES[self.dat["wid"]]
        return ymult, ch.position * CODES[self.dat["wid"]], ch.offset

    def _window(self) -> tuple[int, int]:
        acq, _ = self._rec()
        a = max(1, self.dat["start"])
        return a, min(self.dat["stop"], acq.n)

    def q_nr_pt(self, call: Call) -> str:
        a, b = self._window()
        return self._r(call, str(max(0, b - a + 1)))

    def q_ymult(self, call: Call) -> str:
        return self._r(call, _e(self._scaling()[0]))

    def q_yoff(self, call: Call) -> str:
        return self._r(call, _e(self._scaling()[1]))

    def q_yzero(self, call: Call) -> str:
        return self._r(call, _e(self._scaling()[2]))

    def q_xincr(self, call: Call) -> str:
        return self._r(call, _e(self._rec()[0].dt))

    def q_xzero(self, call: Call) -> str:
        acq, _ = self._rec()
        a, _b = self._window()
        return self._r(call, _e(acq.t0 - acq.t_trig + (a - 1) * acq.dt))

    def q_pt_off(self, call: Call) -> str:
        return self._r(call, "0")

    def q_curve(self, call: Call) -> bytes:
        acq, ch = self._rec()
        a, b = self._window()
        ymult, yoff, yzero = self._scaling()
        volts = acq.volts[self.dat["src"]][a - 1:b]
        wid, enc = self.dat["wid"], self.dat["enc"]
        lo, hi = (-128, 127) if wid == 1 else (-32768, 32767)
        codes = np.clip(np.round((volts - yzero) / ymult + yoff), lo, hi).astype(np.int64)
        if enc in ("RPB", "SRP"):
            codes = codes - lo
        order = ">" if enc in ("RIB", "RPB") else "<"
        kind = ("i" if enc in ("RIB", "SRI") else "u") + str(wid)
        return ieee_block(codes.astype(order + kind).tobytes())

    # --- measurements -----------------------------------------------------------------------------
    def c_meas_type(self, call: Call) -> None:
        item = call.arg(0).upper()
        if item not in MEAS:
            raise ScpiError(-224, item)
        self.meas.setdefault(call.suffix(0), ["MAXIMUM", 1])[0] = item

    def c_meas_src1(self, call: Call) -> None:
        text = call.arg(0).upper()
        if not (text.startswith("CH") and text[2:].isdigit()):
            raise ScpiError(-224, text)
        self.meas.setdefault(call.suffix(0), ["MAXIMUM", 1])[1] = int(text[2:])

    def q_meas(self, call: Call) -> str:
        item, src = self.meas.get(call.suffix(0), ["MAXIMUM", 1])
        value = self.engine.measure(MEAS[item], src)
        return self._r(call, "9.91E37" if value >= INVALID else _e(value))
