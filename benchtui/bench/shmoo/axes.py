"""A shmoo's axes: which profile fields a shmoo can vary, and `--vary FIELD=SPEC` parsed.

SPEC is a range `a:b:step` (a, a+step, ... up to b, both ends included) or a list `a,b,c`; a
categorical field (`target.connect_mode`) takes a list of its choices. Values are checked
against the field's own range from the profile model here; the hard limits of the bench
(`psu.max_voltage`, `psu.max_current`) are checked per cell by `grid.check_limits`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ...errors import BenchError
from ...profile.model import CycleConfig, PsuConfig, TargetConfig

#: The fields a shmoo can vary: field -> (unit, what it is). Every one is read by the cycle
#: (the setpoint and limit when the cell starts, the ramp at each output-on, the waits in the
#: power steps, the SWD speed and connect mode at connect).
AXES: dict[str, tuple[str, str]] = {
    "psu.voltage": ("V", "supply setpoint"),
    "psu.current_limit": ("A", "supply current limit"),
    "psu.ramp_s": ("s", "supply output ramp (EasyRamp duration; 0 = off)"),
    "cycle.off_s": ("s", "time the output stays off"),
    "cycle.on_settle_s": ("s", "wait after output on"),
    "target.frequency_hz": ("Hz", "SWD clock"),
    "target.connect_mode": ("", "connect mode"),
}
_SECTIONS = {"psu": PsuConfig, "cycle": CycleConfig, "target": TargetConfig}
#: At most this many values per axis (a 2-axis grid: this squared cells).
MAX_VALUES = 101


@dataclass(frozen=True)
class Axis:
    """One varied field and its values, in the order given."""

    name: str
    values: tuple[Any, ...]
    unit: str = ""
    categorical: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def show(self, value: Any) -> str:
        """A value as text with its unit ('3.3 V', '8 ms' for seconds under 1 s)."""
        if self.categorical:
            return str(value)
        if self.unit == "s" and 0 < abs(value) < 1:
            return f"{value * 1000:g} ms"
        if self.unit == "Hz" and value >= 1000:
            return f"{value / 1000:g} kHz" if value < 1e6 else f"{value / 1e6:g} MHz"
        return f"{value:g} {self.unit}".strip()

    def as_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, "categorical": self.categorical,
                "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: dict) -> "Axis":
        return cls(str(data["name"]), tuple(data["values"]), str(data.get("unit", "")),
                   bool(data.get("categorical", False)))


def parse_vary(text: str) -> Axis:
    """`FIELD=SPEC` -> Axis; a one-line BenchError naming the argument otherwise."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise _bad(text, "expected FIELD=SPEC, e.g. psu.voltage=3.0:3.6:0.1 or cycle.off_s=0.005,0.01,0.05")
    if name not in AXES:
        import difflib
        close = difflib.get_close_matches(name, list(AXES), n=1)
        raise _bad(text, f"{name!r} is not a field a shmoo can vary"
                   + (f" (did you mean {close[0]!r}?)" if close else "") + f"; known: {', '.join(AXES)}")
    meta = _field(name)
    unit = AXES[name][0]
    choices = meta.metadata.get("choices")
    if choices:
        values = tuple(v.strip() for v in spec.split(",") if v.strip())
        bad = [v for v in values if v not in choices]
        if bad or not values:
            raise _bad(text, f"{bad[0] if bad else spec!r} is not one of {', '.join(choices)}")
        axis = Axis(name, values, unit, categorical=True)
    else:
        integer = meta.type in ("int", int)
        values = _numbers(text, spec, integer)
        lo, hi = meta.metadata.get("lo"), meta.metadata.get("hi")
        for v in values:
            if lo is not None and (v < lo or v == lo and meta.metadata.get("lo_open")) \
                    or hi is not None and v > hi:
                raise _bad(text, f"{v:g} is outside {name}'s range "
                           f"{'(' if meta.metadata.get('lo_open') else '['}{lo:g}, {hi:g}]")
        axis = Axis(name, values, unit)
    if len(set(axis.values)) != len(axis.values):
        raise _bad(text, "a value is listed twice")
    if len(axis.values) > MAX_VALUES:
        raise _bad(text, f"{len(axis.values)} values; at most {MAX_VALUES} per axis")
    return axis


def apply(profile: Any, conditions: dict[str, Any]) -> Any:
    """The profile with the condition values in place (section by section)."""
    changes: dict[str, dict[str, Any]] = {}
    for name, value in conditions.items():
        section, key = name.split(".", 1)
        changes.setdefault(section, {})[key] = value
    return profile.replace(**{section: dataclasses.replace(getattr(profile, section), **fields)
                              for section, fields in changes.items()})


def _field(name: str) -> dataclasses.Field:
    section, key = name.split(".", 1)
    return {f.name: f for f in dataclasses.fields(_SECTIONS[section])}[key]


def _numbers(text: str, spec: str, integer: bool) -> tuple[float, ...]:
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise _bad(text, "a range is a:b:step (three numbers)")
        a, b, step = (_number(text, p) for p in parts)
        if step <= 0:
            raise _bad(text, f"step {step:g} must be positive")
        if b < a:
            raise _bad(text, f"the range ends ({b:g}) below where it starts ({a:g})")
        count = math.floor((b - a) / step + 1e-9) + 1
        if count > MAX_VALUES:
            raise _bad(text, f"{count} values; at most {MAX_VALUES} per axis")
        digits = max(0, -math.floor(math.log10(step)) + 3)
        values = tuple(round(a + i * step, digits) for i in range(count))
    else:
        values = tuple(_number(text, p) for p in spec.split(",") if p.strip())
        if not values:
            raise _bad(text, "no values")
    if integer:
        if any(v != int(v) for v in values):
            raise _bad(text, "this field takes whole numbers")
        values = tuple(int(v) for v in values)
    return values


def _number(text: str, part: str) -> float:
    try:
        value = float(part.strip())
    except ValueError:
        raise _bad(text, f"{part.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise _bad(text, f"{part.strip()!r} is not a finite number")
    return value


def _bad(text: str, why: str) -> BenchError:
    from ...text import printable
    return BenchError(f"--vary {printable(text)!r}: {why}", where="shmoo")


__all__ = ["AXES", "Axis", "MAX_VALUES", "apply", "parse_vary"]
