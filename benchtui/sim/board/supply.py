"""VDD as a timeline: the PSU's events (output edges, setpoint, current limit, load steps) kept
sorted in time, each starting a segment in which VDD relaxes first-order towards a target (the
setpoint in CV, or the collapse of a constant-current load in CC).

So VDD is exact and cheap at any instant, past or (as far as the events already known go)
future, and the power-up/down instants are the analytic POR/PDR crossings of the segments.
Not thread-safe by itself: the board model calls it under its lock.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .physics import R_WIRING, TAU_FALL, TAU_RISE, TAU_SAG, V_LOAD_KNEE, V_PDR_FALL, V_POR_RISE


@dataclass(slots=True)
class Segment:
    """VDD from `t` on: vt + (v0 - vt) * exp(-(t' - t) / tau), plus the supply state."""

    t: float
    v0: float
    vt: float
    tau: float
    on: bool
    vset: float
    ilim: float
    load: float      # A, load-event current (flash operations) on top of base + extra
    cycle: int       # PSU power cycle number (0 before the first output-on)
    p0: bool         # powered (VDD above POR/PDR with hysteresis) at the segment start
    tc: float        # the POR/PDR crossing inside this segment, or inf

    def v(self, t: float) -> float:
        return self.vt + (self.v0 - self.vt) * math.exp(-(t - self.t) / self.tau)

    def powered(self, t: float) -> bool:
        return self.p0 != (t >= self.tc)


#: current(on, load, cycle) -> amperes the board draws at its regulated voltage.
CurrentFn = Callable[[bool, float, int], float]


class Supply:
    """The VDD timeline of one board from `t0` on (unpowered at t0).

    `epochs_before` counts power-ups of earlier boards in the same fixture, so that the power
    epoch the twin follows keeps increasing when a board is swapped.
    """

    def __init__(self, t0: float, current: CurrentFn, *, tau_rise: float = TAU_RISE,
                 epochs_before: int = 0):
        self._current = current
        self.tau_rise = tau_rise
        self.events: list[tuple[float, int, str, float]] = [(t0, 0, "init", 0.0)]
        self._seq = 1
        self.segs: list[Segment] = [Segment(t0, 0.0, 0.0, TAU_FALL, False, 0.0, 0.1, 0.0, 0,
                                            False, math.inf)]
        self.seg_t: list[float] = [t0]
        self.rises: list[float] = []          # power-up instants (POR crossings)
        self.rises_pruned = epochs_before
        self.cycle_start: dict[int, float] = {}

    @property
    def t0(self) -> float:
        return self.events[0][0]

    @property
    def last(self) -> Segment:
        return self.segs[-1]

    def add_event(self, t: float, kind: str, value: float = 0.0) -> None:
        ev = (max(t, self.events[0][0]), self._seq, kind, value)
        self._seq += 1
        i = bisect.bisect_right(self.events, ev)
        self.events.insert(i, ev)
        self._rebuild(i)

    def _rebuild(self, k: int) -> None:
        """Recompute segments (and power-up instants) from event index k on."""
        t_k = self.events[k][0]
        del self.segs[k:], self.seg_t[k:]
        del self.rises[bisect.bisect_left(self.rises, t_k):]
        for i in range(k, len(self.events)):
            t, _, kind, value = self.events[i]
            prev = self.segs[i - 1]
            on, vset, ilim, load, cycle = prev.on, prev.vset, prev.ilim, prev.load, prev.cycle
            if kind == "on" and not on:
                on, cycle = True, cycle + 1
                self.cycle_start[cycle] = t
            elif kind == "off":
                on = False
            elif kind == "vset":
                vset = value
            elif kind == "ilim":
                ilim = value
            elif kind == "load":
                load = max(0.0, load + value)
            vt, tau = self.target(on, vset, ilim, load, cycle)
            seg = Segment(t, prev.v(t), vt, tau, on, vset, ilim, load, cycle,
                          prev.powered(t), math.inf)
            t_end = self.events[i + 1][0] if i + 1 < len(self.events) else math.inf
            seg.tc = self._crossing(seg, t_end)
            if seg.tc < math.inf and not seg.p0:
                self.rises.append(seg.tc)
            self.segs.append(seg)
            self.seg_t.append(t)

    def demand(self, on: bool, load: float, cycle: int) -> float:
        return self._current(on, load, cycle)

    def target(self, on: bool, vset: float, ilim: float, load: float,
               cycle: int) -> tuple[float, float]:
        """Steady-state VDD and the time constant towards it for a supply state."""
        if not on:
            return 0.0, TAU_FALL
        i = self._current(on, load, cycle) * min(1.0, vset / V_LOAD_KNEE)
        if i <= ilim:
            return max(0.0, vset - i * R_WIRING), self.tau_rise
        # CC: a constant-current load collapses the rail until it turns resistive.
        return min(vset, V_LOAD_KNEE * ilim / i), TAU_SAG

    @staticmethod
    def _crossing(seg: Segment, t_end: float) -> float:
        """Time at which VDD crosses POR (rising, if unpowered) or PDR (falling) in the segment."""
        level = V_PDR_FALL if seg.p0 else V_POR_RISE
        if seg.p0 and seg.v0 < level or not seg.p0 and seg.v0 >= level:
            return seg.t
        if seg.p0 and seg.vt >= level or not seg.p0 and seg.vt < level:
            return math.inf
        tc = seg.t + seg.tau * math.log((seg.v0 - seg.vt) / (level - seg.vt))
        return tc if tc < t_end else math.inf

    def prune(self, cutoff: float) -> int | None:
        """Forget segments before `cutoff`; returns the oldest power cycle still kept, or None
        when nothing was pruned."""
        if len(self.seg_t) < 64 or self.seg_t[1] >= cutoff:
            return None
        k = bisect.bisect_left(self.seg_t, cutoff) - 1
        if k <= 0:
            return None
        del self.events[:k], self.segs[:k], self.seg_t[:k]
        n = bisect.bisect_left(self.rises, cutoff - 1.0)
        self.rises_pruned += n
        del self.rises[:n]
        live = self.segs[0].cycle
        for c in [c for c in self.cycle_start if c < live]:
            del self.cycle_start[c]
        return live

    def seg_at(self, t: float) -> Segment:
        return self.segs[max(0, bisect.bisect_right(self.seg_t, t) - 1)]

    def epoch_at(self, t: float) -> int:
        """Number of power-ups (VDD rising through POR) up to `t`."""
        return self.rises_pruned + bisect.bisect_right(self.rises, t)

    def rises_between(self, t0: float, t1: float) -> list[float]:
        return self.rises[bisect.bisect_left(self.rises, t0):bisect.bisect_right(self.rises, t1)]

    def vdd(self, times: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.seg_t, times, side="right") - 1
        before = idx < 0
        idx = np.maximum(idx, 0)
        segs = self.segs
        st = np.array([s.t for s in segs])[idx]
        v0 = np.array([s.v0 for s in segs])[idx]
        vt = np.array([s.vt for s in segs])[idx]
        tau = np.array([s.tau for s in segs])[idx]
        v = vt + (v0 - vt) * np.exp(-(times - st) / tau)
        v[before] = 0.0
        return v


__all__ = ["CurrentFn", "Segment", "Supply"]
