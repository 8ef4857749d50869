"""Numbers as an engineer reads them: SI prefixes, and enough digits to see a split.

A threshold lies midway between the two closest values on either side of it. Printed with a
fixed three significant digits, 1.0957 V and 1.0996 V both read "1.10 V" and the split
disappears; `format_split` adds digits until the threshold and both neighbours read
differently ("1.0977 V" between 1.0957 V and 1.0996 V).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: SI prefixes used for units (values below 1 n keep the n prefix).
_PREFIXES = ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"))
#: Most decimals a split is printed with (a split finer than that is printed at this).
MAX_DECIMALS = 9


@dataclass(frozen=True)
class Scale:
    """How a group of values is printed: value / factor with `decimals` decimals, then prefix+unit."""

    factor: float
    prefix: str
    decimals: int
    unit: str

    def __call__(self, value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return "-"
        text = f"{value / self.factor:.{self.decimals}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]
        return f"{text} {self.prefix}{self.unit}" if self.unit else text


def si(value: float, unit: str) -> tuple[float, str]:
    """The factor and prefix for a value (none for unit-less numbers)."""
    if not unit or value == 0 or not math.isfinite(value):
        return 1.0, ""
    for factor, prefix in _PREFIXES:
        if abs(value) >= factor or prefix == "n":
            return factor, prefix
    return 1.0, ""


def scale_for(value: float, unit: str, digits: int = 3) -> Scale:
    """The scale that prints `value` with `digits` significant digits."""
    factor, prefix = si(value, unit)
    scaled = value / factor if math.isfinite(value) else 0.0
    decimals = 0 if scaled == 0 else max(0, digits - 1 - math.floor(math.log10(abs(scaled))))
    return Scale(factor, prefix, min(decimals, MAX_DECIMALS), unit)


def format_quantity(value: float | None, unit: str, digits: int = 3) -> str:
    """`digits` significant digits with an SI prefix: 1.10 V, 340 µs, 12.5 mA, 0.5."""
    if value is None or not math.isfinite(value):
        return "-"
    if not unit:
        return f"{value:.{digits}g}"
    return scale_for(value, unit, digits)(value)


def split_scale(threshold: float, below: float, above: float, unit: str, digits: int = 3) -> Scale:
    """A scale with enough decimals that `below`, `threshold` and `above` (below < threshold <
    above) read as three different numbers; at least `digits` significant digits."""
    scale = scale_for(threshold, unit, digits) if unit else _plain_scale(threshold, digits)
    for decimals in range(scale.decimals, MAX_DECIMALS + 1):
        s = Scale(scale.factor, scale.prefix, decimals, unit)
        if len({s(below), s(threshold), s(above)}) == 3:
            return s
    return Scale(scale.factor, scale.prefix, MAX_DECIMALS, unit)


def _plain_scale(value: float, digits: int) -> Scale:
    """Counts and flags (glitches, CC mode, attempts): as few decimals as tell the values apart."""
    return Scale(1.0, "", 0, "")


def format_split(threshold: float, gap: tuple[float, float], unit: str) -> str:
    """The threshold with enough digits to sit visibly between its two neighbours."""
    return split_scale(threshold, gap[0], gap[1], unit)(threshold)


def decimals_for_resolution(resolution: float) -> int:
    """Decimals that show a quantity of this resolution (8 mV -> 3: "1.096")."""
    if not resolution or not math.isfinite(resolution) or resolution <= 0:
        return 6
    return max(0, min(12, math.ceil(-math.log10(resolution) - 1e-9)))


#: How a bound reads before its value (records.BOUNDS).
BOUND_SIGNS = {"lower": "≥", "upper": "≤"}


def format_feature(value: float | None, unit: str, bound: str | None = None,
                   resolution: float | None = None) -> str:
    """A measured value with the digits its instrument resolved ("1.096 V" from an 8-bit
    channel at 0.2 V/div), a bound with its sign ("≥ 1.100 V"); without a resolution, three
    significant digits."""
    if value is None or not math.isfinite(value):
        return "-"
    if resolution and math.isfinite(resolution) and resolution > 0:
        # A zero reads in the unit its resolution does for times ("0 µs"), in base units else ("0.000 V").
        factor, prefix = si(value, unit) if value else si(resolution, unit) if unit == "s" else (1.0, "")
        scale = Scale(factor, prefix, min(MAX_DECIMALS, decimals_for_resolution(resolution / factor)), unit)
        text = scale(value)
    else:
        text = format_quantity(value, unit)
    sign = BOUND_SIGNS.get(bound or "")
    return f"{sign} {text}" if sign else text


__all__ = ["BOUND_SIGNS", "Scale", "decimals_for_resolution", "format_feature", "format_quantity", "format_split",
           "scale_for", "si", "split_scale"]
