"""Waveforms and scope measurements as the rest of benchtui sees them (scope-model independent)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .guard import no_reading


@dataclass(frozen=True, eq=False)
class Waveform:
    """One channel's record: sample k was taken at `t0 + k * dt` seconds (0 = trigger)."""

    net: str
    channel: int
    t0: float
    dt: float
    volts: np.ndarray

    @property
    def times(self) -> np.ndarray:
        return self.t0 + self.dt * np.arange(len(self.volts))

    def __len__(self) -> int:
        return len(self.volts)

    def __repr__(self) -> str:
        return (f"Waveform({self.net!r}, CH{self.channel}, {len(self.volts)} points, "
                f"t0={self.t0:.6g} s, dt={self.dt:.6g} s)")


@dataclass(frozen=True)
class Measurement:
    """A scope measurement: a value, or None with the reason it could not be made."""

    value: float | None
    reason: str | None = None

    @classmethod
    def from_number(cls, x: float) -> "Measurement":
        """Map the SCPI sentinels (9.9E37, -9.9E37, 9.91E37) and NaN to no reading, with the
        reason (guard.no_reading)."""
        reason = no_reading(x)
        return cls(None, reason) if reason else cls(x, None)

    @property
    def ok(self) -> bool:
        return self.value is not None
