"""What an instrument's reply may be: finite numbers, bounded counts, blocks no larger than memory.

Every number an instrument sends passes through here before the rest of benchtui sees it, so
that a hostile or broken instrument cannot smuggle NaN/inf into a setpoint, a feature or the
store, make us allocate for "1e12 points", or send a 10 GB block. The functions raise
`ReplyError` (a ValueError) with a short reason; `VisaSession.query_parsed` turns it into one
`InstrumentGarbage` line naming the instrument, the command and the reply.

The bounds are physical: the deepest acquisition memory of the scopes benchtui drives, and the
bytes a point can take in each transfer format.
"""

from __future__ import annotations

import math
import re

#: Deepest acquisition memory of a supported scope, in points: Rigol DS1000Z 24 Mpts (one
#: channel); Keysight InfiniiVision 3000X/4000X 4-8 Mpts. No preamble may promise more.
MAX_POINTS = 24_000_000
#: Bytes per point a block can carry: BYTE 1, WORD 2, ASCII up to one "+1.234567E+00," field.
BYTES_PER_POINT = {"BYTE": 1, "WORD": 2, "ASCII": 16}
#: Largest block any instrument of ours can send (MAX_POINTS WORD points, or a Keysight ASCII
#: record at its 8 Mpts), used when a caller does not know better.
MAX_BLOCK_BYTES = 128 * 1024 * 1024
#: Longest reply line that is not a block (identity, error entries, preambles are < 1 KB).
MAX_LINE_BYTES = 1024 * 1024
#: Integers (status registers, counts) are exact in a double up to 2**53.
MAX_INTEGER = 2 ** 53

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


class ReplyError(ValueError):
    """A reply that parses but cannot be a true answer (NaN, inf, 1e12 points); str = reason."""


# --- SCPI's "no reading" values --------------------------------------------------------------
#: SCPI-99 Vol. 1 §7.2.1 (and the programming guides that follow it: Keysight, Rohde & Schwarz,
#: Tektronix): a query that has no number to give answers +INF as 9.9E37, -INF as -9.9E37 and
#: NAN (an overload, an unmeasurable waveform) as 9.91E37. Anything this large (and the 9.9E37
#: Siglent's "****" maps to) is no reading, never a value: every measurement of every dialect
#: goes through `no_reading()` (Psu.measure, Scope.measure).
SCPI_INF = 9.9e37
SCPI_NAN = 9.91e37
#: Magnitudes from here up are one of the sentinels (they differ only in the third digit).
SENTINEL_FROM = 9.85e37


def no_reading(value: float) -> str | None:
    """Why `value` is not a reading ('9.91E37, SCPI's NAN: no reading'), or None if it is one."""
    if math.isnan(value):
        return "NaN: no reading"
    if abs(value) < SENTINEL_FROM:
        return None
    sign = "-" if value < 0 else ""
    if abs(value) >= (SCPI_INF + SCPI_NAN) / 2:
        return f"{sign}9.91E37, SCPI's NAN: no reading"
    return f"{sign}9.9E37, SCPI's {'-' if sign else '+'}INF: no reading"


def finite(text: str | float) -> float:
    """An SCPI number (NR1/NR2/NR3) that is finite. "nan", "inf", "1e999" are ReplyErrors.

    The SCPI "no reading" values 9.9E37 and 9.91E37 are finite and pass: the measurements map
    them (`no_reading`); a setpoint or a setting read back as one is refused by its caller.
    """
    if isinstance(text, str):
        if not _NUMBER.fullmatch(text):
            if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
                raise ReplyError(f"{text.strip()} is not a finite number")
            raise ValueError(f"not a number: {text!r}")
        value = float(text)
    else:
        value = float(text)
    if not math.isfinite(value):
        raise ReplyError(f"{text!s} is not a finite number".strip())
    return value


def integer(text: str | float, *, lo: int = -MAX_INTEGER, hi: int = MAX_INTEGER) -> int:
    """A whole number within [lo, hi]: "+8", "8.0", "8E+0"; "8.5", "inf", "nan" are errors."""
    value = finite(text)
    if value != int(value):
        raise ReplyError(f"{value:g} is not a whole number")
    if not lo <= value <= hi:
        raise ReplyError(f"{value:g} is outside {lo}..{hi}")
    return int(value)


def count(text: str | float, what: str, *, hi: int) -> int:
    """A count of things (points, records) from 0 to `hi`: NaN, inf, 1e12 are ReplyErrors."""
    try:
        return integer(text, lo=0, hi=hi)
    except ReplyError:
        raise ReplyError(f"{what} = {_show(text)} (a true count is a whole number 0..{hi:,})") from None


def points(text: str | float, *, hi: int = MAX_POINTS) -> int:
    """The points field of a waveform preamble (at most the deepest memory a scope has)."""
    return count(text, "points", hi=hi)


def block_limit(n_points: int, fmt: str) -> int:
    """The most bytes a block of `n_points` points in transfer format `fmt` can hold."""
    return min(MAX_BLOCK_BYTES, max(1, n_points) * BYTES_PER_POINT.get(fmt, 16) + 64)


def finite_fields(text: str, n: int) -> list[float]:
    """Exactly `n` comma-separated numbers; each parsed with float() (NaN/inf kept, for the
    caller to judge field by field: a NaN count is an error, a NaN time base marks a capture)."""
    fields = text.strip().split(",")
    if len(fields) != n:
        raise ValueError(f"{len(fields)} fields, expected {n}")
    out = []
    for field in fields:
        stripped = field.strip()
        if not (_NUMBER.fullmatch(stripped) or stripped.lower().lstrip("+-") in ("nan", "inf", "infinity")):
            raise ValueError(f"not a number: {stripped!r}")
        out.append(float(stripped))
    return out


def identity(text: str) -> str:
    """An IEEE 488.2 *IDN? reply: 'maker,model,serial,firmware' (4 fields; Siglent sends 5),
    printable ASCII, maker and model not empty. "HTTP/1.1 400 Bad Request" is not one."""
    fields = [f.strip() for f in text.split(",")]
    if not (4 <= len(fields) <= 6) or not fields[0] or not fields[1]:
        raise ReplyError("an IEEE 488.2 identity 'maker,model,serial,firmware'")
    if not all(32 <= ord(c) < 127 for c in text):
        raise ReplyError("an identity of printable ASCII characters")
    return text


def _show(value: str | float) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()[:24]


__all__ = ["BYTES_PER_POINT", "MAX_BLOCK_BYTES", "MAX_INTEGER", "MAX_LINE_BYTES", "MAX_POINTS",
           "ReplyError", "SCPI_INF", "SCPI_NAN", "block_limit", "no_reading", "count", "finite", "finite_fields", "identity", "integer",
           "points"]
