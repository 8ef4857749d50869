"""Rigol DHO800/DHO900 (DHO924) dialect: the DS1000Z commands on a 12-bit scope.

Sources: PyMeasure rigol_dho_base.py, scopehal RigolOscilloscope.cpp.
Differences from the DS1054Z simulated here: 10 horizontal divisions, a 1000-point screen record
(NORM), 12-bit samples in WORD (little-endian uint16, 0..4095, YREF 2048, 512 codes per division
over 8 divisions; BYTE keeps the top 8 bits: 32 codes/div, YREF 128), and in RAW mode the
preamble's `points` is the page size (points per `:WAV:DATA?`), the record being `:ACQ:MDEP?`.
UNCONFIRMED (our choices): the vertical code layout, the 1000-point page, `:ACQ:MDEP?` answering
the depth in use (10 k by default) rather than AUTO.
"""

from __future__ import annotations

from .core import Call, ScpiError
from .rigol_ds1000z import RigolDS1054Z

PAGE_POINTS = 1000
DEPTHS = (1_000, 10_000, 100_000, 1_000_000, 10_000_000, 25_000_000, 50_000_000)


class RigolDHO924(RigolDS1054Z):
    IDN = "RIGOL TECHNOLOGIES,DHO924,DHO9A000000123,00.01.03"
    RECORD_POINTS = 1000
    H_DIVS = 10
    MDEP_AUTO = 10_000

    def _code_format(self) -> tuple[float, int, int]:
        if self.wav_fmt == "BYTE":
            return 32, 128, 255
        return 512, 2048, 4095

    def _preamble_points(self, size: int) -> int:
        return min(size, PAGE_POINTS) if self.wav_mode == "RAW" else size

    def c_mdep(self, call: Call) -> None:
        if call.arg(0).upper() == "AUTO":
            self.mdep = None
            return
        value = int(call.number(0))
        if value not in DEPTHS:
            raise ScpiError(-222, f"memory depth {value}")
        self.mdep = value

    def q_mdep(self, call: Call) -> str:
        return str(self.depth())
