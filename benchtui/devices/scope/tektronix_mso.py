"""Tektronix MSO4/5/6 Series ("TekScope" PI: MSO44/46, MSO54/56/58, MSO64) (4/5/6
Series MSO Programmer Manual; tm_devices, scopehal TektronixOscilloscope).

* `HEAD OFF` first, so replies are bare (`:TRIGGER:STATE READY` -> `READY`); parsers still take the
  last word if a header comes.
* Channels `DIS:GLO:CH<n>:STATE ON`, `CH<n>:SCA`, `CH<n>:POS 0` and `CH<n>:OFFS` (the voltage at
  screen centre: the negated profile offset, base.py), probe `CH<n>:PROBEF:EXTA` (external
  attenuation; UNCONFIRMED that this is what a passive probe's ratio maps to).
* Timebase `HOR:MODE MAN`, `HOR:SCA` (snaps: read back), `HOR:POS` = where the trigger sits, in
  percent of the record: exactly the profile's pre-trigger fraction. 10 divisions.
* Edge trigger `TRIG:A:TYP EDGE`, `TRIG:A:EDGE:SOU CH<n>`, `TRIG:A:LEV:CH<n>`, `TRIG:A:EDGE:SLO
  RIS|FALL|EITH`, `TRIG:A:MOD NORM`; single shot `ACQ:STOPA SEQ` + `ACQ:STATE ON` (tm_devices
  `single_sequence`); completion `ACQ:STATE?` = 0; status `TRIG:STATE?` ARMED (pre-trigger
  filling) / READY / TRIGGER / SAVE (stopped) / AUTO; force `TRIG FORC`; stop `ACQ:STATE OFF`.
* Waveform `DAT:SOU CH<n>`, `DAT:ENC SRI` (signed little-endian), `DAT:WID 1|2`, `DAT:STAR 1`,
  `DAT:STOP <n>`, one compound query for the scaling (`WFMO:NR_P?;YMU?;YOF?;YZE?;XIN?;XZE?;PT_O?`),
  `CURV?` -> `#<N><len><data>`; V = (code - YOF) x YMU + YZE, t = XZE + (k - PT_O) x XIN.
  `HOR:RECO?` must fit the model's memory, NR_P the record, and the block NR_P points (base.py).
* Measurements `MEASU:MEAS1:TYP MAXIMUM`, `MEASU:MEAS1:SOU CH<n>`, `MEASU:MEAS1:RESU:CURR:MEAN?`;
  9.91E37 = cannot measure.
* Errors: `*ESR?` (command/execution/device/query bits) then `ALLEV?` for the text; Tek has no
  SCPI error queue on these (UNCONFIRMED).
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from ...errors import InstrumentReportedError
from ..visa import Scpi
from .base import Scope, TriggerState
from .siglent_sds1000x_e import parse_value

#: `*ESR?` bits that mean an error: query (4), device (8), execution (16), command (32).
ESR_ERROR_BITS = 0x3C


def parse_word_last(text: str) -> str:
    return text.strip().split(" ")[-1].strip('"').upper()


def parse_numbers(text: str) -> list[float]:
    return [parse_value(part) for part in text.strip().split(";")]


class TektronixMSO(Scope):
    DRIVER = "tektronix-mso"
    MAKERS = r"TEKTRONIX"
    FAMILY_MODELS = ("MSO4", "MSO5", "MSO6", "MSO", "DPO", "TBS", "MDO")
    #: UNCONFIRMED (Tektronix data sheets, with options): MSO4 62.5 Mpts, MSO5 500 Mpts,
    #: MSO6 1 Gpts.
    MEMORY_DEPTH = 1_000_000_000
    MODEL_DEPTHS = ((r"(MSO|DPO)4\d", 62_500_000), (r"(MSO|DPO)5\d", 500_000_000))
    DIVISIONS = 10
    SLOPES = {"rising": "RIS", "falling": "FALL", "either": "EITH"}
    MEASURE = {"vmax": "MAXIMUM", "vmin": "MINIMUM", "vavg": "MEAN", "rise": "RISETIME"}
    STATES: ClassVar[dict[str, TriggerState]] = {
        "ARMED": "running", "READY": "armed", "TRIGGER": "triggered", "SAVE": "stopped", "AUTO": "auto"}
    COMMANDS = {
        "headers_off": Scpi(("HEAD OFF", "VERB OFF")),
        "channel": Scpi(("CH{n}:PROBEF:EXTA {probe}", "CH{n}:SCA {scale}", "CH{n}:POS 0",
                         "CH{n}:OFFS {offset}", "DIS:GLO:CH{n}:STATE ON")),
        "timebase": Scpi(("HOR:MODE MAN", "HOR:SCA {scale}", "HOR:SCA?"), parse_value),
        "trigger": Scpi(("HOR:POS {position}", "TRIG:A:TYP EDGE", "TRIG:A:EDGE:SOU CH{n}",
                         "TRIG:A:EDGE:SLO {slope}", "TRIG:A:LEV:CH{n} {level}", "TRIG:A:MOD NORM")),
        "single": Scpi(("ACQ:STOPA SEQ", "ACQ:STATE ON")),
        "force": Scpi("TRIG FORC"),
        "stop": Scpi("ACQ:STATE OFF"),
        "state?": Scpi("TRIG:STATE?", parse_word_last),
        "acquiring?": Scpi("ACQ:STATE?", parse_value),
        "source": Scpi(("DAT:SOU CH{n}", "DAT:ENC SRI", "DAT:WID {width}", "DAT:STAR 1", "DAT:STOP {stop}")),
        "scaling?": Scpi("WFMO:NR_P?;YMU?;YOF?;YZE?;XIN?;XZE?;PT_O?", parse_numbers),
        "record?": Scpi("HOR:RECO?", parse_value),
        "esr?": Scpi("*ESR?", parse_value),
        "events?": Scpi("ALLEV?", str),
        "measure?": Scpi(("MEASU:MEAS1:TYP {item}", "MEASU:MEAS1:SOU CH{n}", "MEASU:MEAS1:RESU:CURR:MEAN?"),
                         parse_value),
    }

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^TEKTRONIX,(MSO|DPO)[456]\d[A-Z]?\b", identity.strip(), re.I))

    def _offset(self, profile_offset: float) -> float:
        return -profile_offset  # voltage at screen centre

    def _before_setup(self) -> None:
        self._do("headers_off")

    def clear_status(self) -> None:
        """At connect: `*CLS` and a read of `*ESR?` (Tek reports errors through the event
        status register and ALLEV?, not a SCPI error queue)."""
        self.session.write("*CLS")
        self._do("esr?")

    def _check_errors(self) -> None:
        esr = int(self._do("esr?"))  # type: ignore[arg-type]
        if esr & ESR_ERROR_BITS:
            events = str(self._do("events?")).strip()
            raise InstrumentReportedError(
                f"scope {self.cfg.resource}: *ESR? = {esr}, {events} after {self.session.last_command!r}",
                code=esr, where="scope")

    def _state(self) -> TriggerState:
        word = str(self._do("state?"))
        try:
            return self.STATES[word]
        except KeyError:
            raise self.session.garbage("TRIG:STATE?", word, "ARMED, READY, TRIGGER, SAVE or AUTO") from None

    def _acquisition_done(self) -> bool:
        # *OPC? would block until done (no cancel); ACQ:STATE? 0 = the sequence has completed.
        if not self._armed:
            return False
        if int(self._do("acquiring?")):  # type: ignore[arg-type]
            self._seen_live = True
            return False
        return self._seen_live

    def _before_fetch(self) -> None:
        self._points = self._bounded_points(self._do("record?"), "HOR:RECO?", "CURV?")  # type: ignore[arg-type]

    def _read_channel(self, n: int, fmt: str) -> tuple[float, float, np.ndarray]:
        width = 2 if fmt == "WORD" else 1
        self._do("source", n=n, width=width, stop=self._points)
        scale = self._do("scaling?")
        if not isinstance(scale, list) or len(scale) != 7:
            raise self.session.garbage("WFMO:NR_P?;...", str(scale), "7 numbers")
        nr_pt, ymult, yoff, yzero, xinc, xzero, pt_off = scale
        points = self._bounded_points(nr_pt, "WFMO:NR_P?", "CURV?")
        if points > self._points:
            raise self.session.garbage("WFMO:NR_P?", f"{points}", f"at most the {self._points} points of "
                                       "HOR:RECO? (DAT:STOP)")
        codes = self._read_block("CURV?", points, "BYTE" if width == 1 else "WORD", "'WFMO:NR_P?'",
                                 "b" if width == 1 else "h")
        if len(codes) != points:
            raise self.session.garbage("CURV?", f"{len(codes)} points", f"{points} (WFMO:NR_P?)")
        volts = (codes.astype(float) - yoff) * ymult + yzero
        return xzero - pt_off * xinc, xinc, volts
