"""Rohde & Schwarz RTB2000 / RTM3000 (RTB2004) dialect.

Sources: the R&S RTB2000 and RTM3000 user manuals' remote-control chapters (CHANnel, TIMebase,
TRIGger:A, FORMat, CHANnel<m>:DATA, MEASurement). `CHANnel<m>:OFFSet` is the voltage at the
vertical centre, `TIMebase:POSition` the time of the reference point (`TIMebase:REFerence`, in %
of the screen) after the trigger; 12 horizontal divisions (UNCONFIRMED for the RTM3000).
`SINGle` (`RUNSingle`) takes one acquisition; `ACQuire:STATe?` answers RUN, STOP, COMPlete or
BREak, and `*OPC?` after `SINGle` answers only once the acquisition is complete, as the manual
describes its synchronisation. `FORMat REAL,32` (float32 volts, `FORMat:BORDer`) or `ASCii`;
`CHANnel<m>:DATA:HEADer?` -> `<xstart>,<xstop>,<points>,1`, `CHANnel<m>:DATA?` the record as a
definite block. Measurements `MEASurement<m>:MAIN`, `:SOURce`, `:RESult[:ACTual]?` (9.91E37 when
it cannot be made). The UINT formats are not simulated (-224).
"""

from __future__ import annotations

import asyncio


from .core import INVALID, Call, Choice, Flag, Number, ScpiError, Setting, ieee_block
from .scope_instrument import SimScope, offset, scale, sources

H_DIVS = 12
STEPS = tuple(m * 10.0 ** e for e in range(-9, 2) for m in (1, 2, 5) if 1e-9 <= m * 10.0 ** e <= 50)
ITEMS = {"UPEakvalue": "VMAX", "LPEakvalue": "VMIN", "MEAN": "VAVG", "PEAK": "VPP", "RMS": "VRMS",
         "HIGH": "VTOP", "LOW": "VBASE", "AMPLitude": "VAMP", "RTIMe": "RTIME", "FTIMe": "FTIME",
         "PPWidth": "PWIDTH", "NPWidth": "NWIDTH"}
STATES = {"STOP": "STOP", "RUN": "RUN", "WAIT": "RUN", "TD": "RUN", "AUTO": "RUN"}
POLL_S = 0.002


def _e(x: float) -> str:
    return f"{x:.6E}"


class Measurement:
    def __init__(self) -> None:
        self.item, self.source, self.on = "UPEAKVALUE", 1, False


class RohdeRTB2004(SimScope):
    IDN = "Rohde&Schwarz,RTB2004,1333.1005k04/102468,02.300"
    OPT = "B221,B241"
    RECORD_POINTS = 10_000
    CHOICE_REPLY = "short"
    SETTINGS = (
        Setting(":CHANnel#:STATe", "ch.display", Flag()),
        Setting(":CHANnel#:SCALe", "ch.scale", scale(_e)),
        Setting(":CHANnel#:OFFSet", "ch.offset", offset(_e)),
        Setting(":CHANnel#:POSition", "ch.position", Number(-5.0, 5.0, _e)),
        Setting(":CHANnel#:COUPling", "ch.coupling", Choice({"DCLimit": "DCL", "ACLimit": "ACL", "GND": "GND"})),
        Setting(":CHANnel#:BANDwidth", "ch.bwl", Choice({"FULL": "FULL", "B20": "B20"})),
        Setting(":PROBe#:SETup:ATTenuation[:MANual]", "ch.probe", Number(1e-3, 1e4, _e)),
        Setting(":TIMebase:SCALe", "tdiv", Number(1e-9, 50.0, _e, STEPS), "geometry", 1e-3),
        Setting(":TIMebase:POSition", "t_pos", Number(-500.0, 500.0, _e), "geometry", 0.0),
        Setting(":TIMebase:REFerence", "t_ref", Number(0.0, 100.0, "g"), "geometry", 50.0),
        Setting(":TRIGger:A:MODE", "engine.sweep", Choice({"AUTO": "AUTO", "NORMal": "NORM"})),
        Setting(":TRIGger:A:TYPE", "trig_type", Choice({"EDGE": "EDGE"}), default="EDGE"),
        Setting(":TRIGger:A:SOURce", "engine.trig_source", sources("CH")),
        Setting(":TRIGger:A:EDGE:SLOPe", "engine.trig_slope", Choice({"POSitive": "POS", "NEGative": "NEG",
                                                                      "EITHer": "EITH"})),
        Setting(":TRIGger:A:LEVel#[:VALue]", "engine.trig_level", Number(-100.0, 100.0, _e)),
        Setting(":FORMat:BORDer", "border", Choice({"LSBFirst": "LSBF", "MSBFirst": "MSBF"}), default="LSBF"),
        Setting(":CHANnel#:DATA:POINts", "data_points", Choice({"DEFault": "DEF", "MAXimum": "MAX",
                                                                "DMAXimum": "DMAX"}), default="DEF"),
        Setting(":MEASurement#:MAIN", "meas.item", Choice({k: k.upper() for k in ITEMS})),
        Setting(":MEASurement#:SOURce", "meas.source", sources("CH")),
        Setting(":MEASurement#[:ENABle]", "meas.on", Flag()),
    )
    COMMANDS = (
        (":RUN", "c_run"), (":STOP", "c_stop"), (":SINGle", "c_single"), (":RUNSingle", "c_single"),
        ("*TRG", "c_force"), ("*OPC?", "q_opc_acq"), (":AUToscale", "c_autoscale"),
        (":ACQuire:STATe?", lambda s, c: STATES[s.engine.status()] if s.engine.acquiring() else s.stopped),
        (":ACQuire:POINts[:VALue]?", lambda s, c: str(s.engine.record_points)),
        (":ACQuire:SRATe?", lambda s, c: _e(1.0 / s.engine.dt)),
        (":FORMat[:DATA]", "c_format"), (":FORMat[:DATA]?", lambda s, c: s.format),
        (":CHANnel#:DATA:HEADer?", "q_data_header"), (":CHANnel#:DATA?", "q_data"),
        (":MEASurement#:RESult[:ACTual]?", "q_meas"),
    )

    def configure(self) -> None:
        self.format, self.stopped = "ASC,0", "STOP"
        self.measurements: dict[int, Measurement] = {}
        for ch in self.engine.channels.values():
            ch.probe, ch.offset, ch.coupling, ch.bwl = 1.0, 0.0, "DCL", "FULL"
        self.geometry()

    def geometry(self, _owner: object = None) -> None:
        self.engine.span = H_DIVS * self.tdiv
        self.engine.rel_start = self.t_pos - self.t_ref / 100 * self.engine.span

    def meas(self, call: Call | None) -> Measurement:
        return self.measurements.setdefault(call.suffix(0) if call else 1, Measurement())

    def c_single(self, call: Call) -> None:
        self.stopped = "COMP"
        self.engine.single(self.SINGLE_LATENCY_S)

    def c_stop(self, call: Call) -> None:
        self.stopped = "BRE" if self.engine.acquiring() else self.stopped
        self.engine.stop()

    async def q_opc_acq(self, call: Call) -> str:
        """*OPC?: 1 once every pending operation, a single acquisition included, is complete."""
        while self.engine.is_single and self.engine.acquiring():
            await asyncio.sleep(POLL_S)
        return "1"

    def c_format(self, call: Call) -> None:
        kind = call.arg(0).upper()
        if kind in ("ASC", "ASCII"):
            self.format = "ASC,0"
        elif kind == "REAL" and call.arg(1, "32") == "32":
            self.format = "REAL,32"
        else:
            raise ScpiError(-224, ",".join(call.args))

    def _record(self, n: int):
        self.engine.update()
        acq = self.engine.last
        if acq is None or not acq.settings[n].display:
            raise ScpiError(-221, f"CH{n} is off")
        return acq

    def q_data_header(self, call: Call) -> str:
        acq = self._record(call.suffix(0))
        x0 = acq.t0 - acq.t_trig
        return f"{_e(x0)},{_e(x0 + acq.n * acq.dt)},{acq.n},1"

    def q_data(self, call: Call) -> bytes | str:
        volts = self._record(call.suffix(0)).volts[call.suffix(0)]
        if self.format == "ASC,0":
            return ",".join(f"{v:.4E}" for v in volts)
        return ieee_block(volts.astype(("<" if self.border == "LSBF" else ">") + "f4").tobytes())

    def q_meas(self, call: Call) -> str:
        m = self.meas(call)
        value = self.engine.measure(next(v for k, v in ITEMS.items() if k.upper() == m.item), m.source)
        return "9.91E37" if value >= INVALID else _e(value)


class RohdeRTM3004(RohdeRTB2004):
    """RTM3000: the same command set."""

    IDN = "Rohde&Schwarz,RTM3004,1335.8794k04/100123,01.550"
    OPT = "B1,B6"
