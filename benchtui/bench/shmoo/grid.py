"""A shmoo's grid: one or two axes, their cells, each cell's profile, and the hard limits.

A cell is a tuple of indices, one per axis; its conditions map each field to its value. Every
cell is checked against the profile's hard limits before anything runs (`check_limits`): a grid
with one cell outside them is refused as a whole, naming that cell.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Any, Iterator

from ...errors import SafetyError
from .axes import Axis, apply

Cell = tuple[int, ...]
#: The power steps in the order the profile usually lists them, and the order a shmoo over the
#: off-time runs them in (the scope armed before the output goes off, so that the off-time is
#: the output's: arming takes tens of ms on some scopes and would otherwise add to it).
_OFF_ORDER = ("power_off", "arm_power_up", "power_on")
_ARMED_FIRST = ("arm_power_up", "power_off", "power_on")


@dataclass(frozen=True)
class Grid:
    """The axes of a shmoo (one or two) and its cells in row-major order."""

    axes: tuple[Axis, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.axes) <= 2:
            raise ValueError("a shmoo has one or two axes")
        if len({a.name for a in self.axes}) != len(self.axes):
            raise ValueError("the two axes vary the same field")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    def cells(self) -> Iterator[Cell]:
        return itertools.product(*(range(n) for n in self.shape))

    def __len__(self) -> int:
        return math.prod(self.shape)

    def conditions(self, cell: Cell) -> dict[str, Any]:
        return {a.name: a.values[i] for a, i in zip(self.axes, cell)}

    def cell_of(self, conditions: dict[str, Any]) -> Cell | None:
        """The cell with these condition values (None if it is not on the grid)."""
        try:
            return tuple(a.values.index(conditions[a.name]) for a in self.axes)
        except (KeyError, ValueError):
            return None

    def describe(self, cell: Cell) -> str:
        """'psu.voltage = 3.1 V, cycle.off_s = 8 ms'."""
        return ", ".join(f"{a.name} = {a.show(a.values[i])}" for a, i in zip(self.axes, cell))

    def as_dicts(self) -> list[dict]:
        return [a.as_dict() for a in self.axes]

    @classmethod
    def from_dicts(cls, data: list[dict]) -> "Grid":
        return cls(tuple(Axis.from_dict(d) for d in data))


def cell_profile(profile: Any, grid: Grid, cell: Cell) -> Any:
    """The profile a cell's run uses: the conditions in place; over the off-time, the scope is
    armed before the output goes off (see _ARMED_FIRST)."""
    out = apply(profile, grid.conditions(cell))
    if any(a.name == "cycle.off_s" for a in grid.axes):
        steps = list(out.cycle.steps)
        for k in range(len(steps) - 2):
            if tuple(steps[k:k + 3]) == _OFF_ORDER:
                steps[k:k + 3] = _ARMED_FIRST
                out = out.replace(cycle=dataclasses.replace(out.cycle, steps=tuple(steps)))
                break
    return out


def check_limits(profile: Any, grid: Grid) -> None:
    """SafetyError naming the first cell whose values leave the profile's hard limits (finite,
    psu.voltage within 0..psu.max_voltage, psu.current_limit within 0..psu.max_current), and how
    many do; nothing has run when it is raised."""
    psu = profile.psu
    bad: list[tuple[Cell, str]] = []
    for cell in grid.cells():
        c = grid.conditions(cell)
        why = _outside(c.get("psu.voltage", psu.voltage), psu.max_voltage, "psu.voltage", "V",
                       "psu.max_voltage", zero_ok=True) \
            or _outside(c.get("psu.current_limit", psu.current_limit), psu.max_current,
                        "psu.current_limit", "A", "psu.max_current", zero_ok=False)
        for name, value in c.items():
            if not why and isinstance(value, float) and not math.isfinite(value):
                why = f"{name} {value!r} is not finite"
        if why:
            bad.append((cell, why))
    if bad:
        cell, why = bad[0]
        more = f" ({len(bad)} of the grid's {len(grid)} cells are outside)" if len(bad) > 1 else ""
        raise SafetyError(f"shmoo refused before anything ran: cell ({grid.describe(cell)}): "
                          f"{why}{more}", where="shmoo")


def _outside(value: float, limit: float, name: str, unit: str, key: str, *, zero_ok: bool) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{name} {value!r} is not a finite number"
    if value < 0 or (value == 0 and not zero_ok):
        return f"{name} {value:g} {unit} is not {'positive' if not zero_ok else 'at least 0'}"
    if value > limit:
        return f"{name} {value:g} {unit} exceeds the profile's hard maximum {key} = {limit:g} {unit}"
    return ""


__all__ = ["Cell", "Grid", "cell_profile", "check_limits"]
