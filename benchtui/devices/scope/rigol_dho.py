"""Rigol DHO800/DHO900 (and DHO1000): the DS1000Z command set with a 12-bit ADC (scpi.md
"other families"; PyMeasure rigol_dho_base, scopehal RigolOscilloscope).

Differences from the DS1000Z that matter here:
* 10 horizontal divisions;
* WORD is meaningful (12-bit samples as little-endian uint16, PyMeasure `<H`), so a profile's
  WORD is transferred as WORD;
* in RAW mode the preamble's `points` is the page size (points per `:WAV:DATA?`), not the record:
  the record length is `:ACQ:MDEP?` and each page is read with `:WAV:STAR`/`:WAV:STOP`.
"""

from __future__ import annotations

import re

from ..visa import Scpi, parse_float
from .rigol_ds1000z import RigolDS1000Z


def _int_or_none(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None  # 'AUTO'


class RigolDHO(RigolDS1000Z):
    DRIVER = "rigol-dho"
    DIVISIONS = 10
    TRANSFER = {"BYTE": "BYTE", "WORD": "WORD", "ASCII": "ASC"}
    RAW_FIRMWARE = None
    COMMANDS = {**RigolDS1000Z.COMMANDS, "depth?": Scpi(":ACQ:MDEP?", _int_or_none),
                "rate?": Scpi(":ACQ:SRAT?", parse_float), "tscale?": Scpi(":TIM:MAIN:SCAL?", parse_float)}

    @classmethod
    def matches(cls, identity: str) -> bool:
        return bool(re.match(r"^RIGOL TECHNOLOGIES,DHO([89]\d\d|1\d{3})", identity.strip(), re.I))

    def _record_points(self, preamble_points: int) -> int:
        depth = self._do("depth?")
        if depth:
            return int(depth)  # type: ignore[arg-type]
        # `AUTO`: the record is what the sample rate fills over the screen.
        rate, tdiv = float(self._do("rate?")), float(self._do("tscale?"))  # type: ignore[arg-type]
        return max(preamble_points, round(rate * tdiv * self.DIVISIONS))

    def _chunk(self, preamble_points: int, wire: str) -> int:
        return max(1, min(preamble_points, self.CHUNK_POINTS[wire]))
