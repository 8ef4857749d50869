"""Waveforms and scope measurements as the rest of benchtui sees them (scope-model independent)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: SCPI "cannot measure" sentinel is 9.9E37 (NAN is 9.91E37); anything this large is not a value.
SENTINEL_ABOVE = 1e36
NOT_MEASURABLE = "not measurable (9.9E37)"


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
        """Map the SCPI sentinels (9.9E37, -9.9E37, 9.91E37) and NaN to 'not measurable'."""
        if math.isnan(x) or abs(x) > SENTINEL_ABOVE:
            return cls(None, NOT_MEASURABLE)
        return cls(x, None)

    @property
    def ok(self) -> bool:
        return self.value is not None
