"""The 10-field `:WAV:PRE?` preamble shared by Rigol (DS1000Z, DHO) and Keysight InfiniiVision.

`<format>,<type>,<points>,<count>,<xincrement>,<xorigin>,<xreference>,<yincrement>,<yorigin>,
<yreference>` (Rigol DS1000Z Programming Guide :WAVeform:PREamble?; Keysight InfiniiVision
programmer's guides :WAVeform:PREamble?). Keysight sometimes answers a bare `+0` (scopehal
AgilentOscilloscope): the read is retried a few times before it counts as garbage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .. import guard
from ..visa import VisaSession

#: How often a one-field `:WAV:PRE?` answer is asked again, and how long between tries.
PREAMBLE_RETRIES = 3
PREAMBLE_RETRY_S = 0.02


@dataclass(frozen=True)
class Preamble:
    format: int
    type: int
    points: int
    count: int
    xincrement: float
    xorigin: float
    xreference: float
    yincrement: float
    yorigin: float
    yreference: float

    @classmethod
    def parse(cls, text: str) -> "Preamble":
        # Counts must be true counts (guard: NaN, inf, 1e12 points are errors); a non-finite
        # time base or scale is kept: the capture is then stored marked invalid, not lost.
        f = guard.finite_fields(text, 10)
        return cls(guard.count(f[0], "format", hi=16), guard.count(f[1], "type", hi=16),
                   guard.points(f[2]), guard.count(f[3], "count", hi=1 << 20),
                   f[4], f[5], f[6], f[7], f[8], f[9])

    @property
    def t0(self) -> float:
        return self.xorigin - self.xreference * self.xincrement


def query_preamble(session: VisaSession, command: str = ":WAV:PRE?") -> Preamble:
    for _ in range(PREAMBLE_RETRIES):
        reply = session.query(command)
        if "," in reply:
            break
        time.sleep(PREAMBLE_RETRY_S)  # '+0': not ready yet (Keysight), ask again
    try:
        return Preamble.parse(reply)
    except guard.ReplyError as exc:
        raise session.garbage(command, reply, f"10 comma-separated numbers; {exc}") from None
    except (ValueError, TypeError, OverflowError):
        raise session.garbage(command, reply, "10 comma-separated numbers") from None
