"""VDD as a timeline: the PSU's events (output edges, setpoint, current limit, ramp, load steps)
kept sorted in time, each starting a segment in which VDD relaxes first-order towards a target
(the setpoint in CV, or the collapse of a constant-current load in CC) — or, while the supply
ramps its output up (R&S EasyRamp), follows that linear ramp through the same first-order lag.

So VDD is exact and cheap at any instant, past or (as far as the events already known go)
future, and the power-up/down instants are the POR/PDR crossings of the segments (analytic for
a settling segment, solved numerically for a ramp). Two instants are derived, not commanded:
the PDR crossing of a rail decaying with the output off (below it the MCU is in reset and the
decay slows, TAU_FALL_RESET) and the end of a ramp; they are kept as events of their own
(`DERIVED`), made again whenever the segments before them change.

Each power-up (POR crossing) has its NRST release (`releases`): the reset temporization after
the crossing, shortened when the rail had not fallen below the re-arm band (`power_up.py`).
Not thread-safe by itself: the board model calls it under its lock.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .physics import (R_WIRING, TAU_FALL, TAU_FALL_RESET, TAU_RISE, TAU_SAG, V_LOAD_KNEE,
                      V_PDR_FALL, V_POR_RISE)
from .power_up import reset_tempo

#: Event kinds the timeline makes itself (see the module docstring).
DERIVED = ("tail", "ramp_end", "ramp_catch")


@dataclass(slots=True)
class Segment:
    """VDD from `t` on: the target r(t') = vt + slope * (t' - t) seen through a first-order lag,
    r(t') - slope*tau + (v0 - vt + slope*tau) * exp(-(t' - t) / tau) (slope 0: plain settling
    towards vt), plus the supply state."""

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
    slope: float = 0.0      # V/s of a ramping target (0: settling)
    ramp_s: float = 0.0     # the supply's output ramp (EasyRamp) duration, 0 = off
    ramp_t0: float = -math.inf  # when the current output-on ramp started
    ramp_wait: float = 0.0  # V/s of a ramp still below the rail: the supply waits (cannot sink)

    def v(self, t: float) -> float:
        dt = t - self.t
        if not self.slope:
            return self.vt + (self.v0 - self.vt) * math.exp(-dt / self.tau)
        lag = self.slope * self.tau
        return self.vt + self.slope * dt - lag + (self.v0 - self.vt + lag) * math.exp(-dt / self.tau)

    def powered(self, t: float) -> bool:
        return self.p0 != (t >= self.tc)


#: current(on, load, cycle, vset) -> amperes the board draws at its regulated voltage, the
#: supply set to `vset` (a constant-power part draws more at a lower setpoint).
CurrentFn = Callable[[bool, float, int, float], float]


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
        self.releases: list[float] = []       # each power-up's NRST release (POR reset over)
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
        """Recompute segments (power-up instants, derived events) from event index k on."""
        t_k = self.events[k][0]
        del self.segs[k:], self.seg_t[k:]
        cut = bisect.bisect_left(self.rises, t_k)
        del self.rises[cut:], self.releases[cut:]
        # Derived events after the change are made again from the new segments.
        self.events[k:] = [e for e in self.events[k:] if e[2] not in DERIVED or e[0] < t_k]
        i = k
        while i < len(self.events):
            t, _, kind, value = self.events[i]
            prev = self.segs[i - 1]
            seg = self._segment(t, kind, value, prev)
            t_end = self.events[i + 1][0] if i + 1 < len(self.events) else math.inf
            derived = self._derived(seg, t_end)
            if derived is not None:
                self.events.insert(i + 1, (derived[0], -1, derived[1], 0.0))
            # A ramp's formula holds up to its end; the tail starts at this segment's crossing.
            seg.tc = self._crossing(seg, derived[0] if derived and derived[1] == "ramp_end" else t_end)
            self.segs.append(seg)
            self.seg_t.append(t)
            if seg.tc < math.inf and not seg.p0:
                self.rises.append(seg.tc)
                self.releases.append(seg.tc + reset_tempo(self._lowest_before(seg.tc)))
            i += 1

    def _segment(self, t: float, kind: str, value: float, prev: Segment) -> Segment:
        """The segment an event starts, from the one before it."""
        on, vset, ilim, load, cycle = prev.on, prev.vset, prev.ilim, prev.load, prev.cycle
        ramp_s, ramp_t0 = prev.ramp_s, prev.ramp_t0
        if kind == "on" and not on:
            on, cycle = True, cycle + 1
            self.cycle_start[cycle] = t
            ramp_t0 = t if ramp_s > 0 else -math.inf
        elif kind == "off":
            on, ramp_t0 = False, -math.inf
        elif kind == "vset":
            vset, ramp_t0 = value, -math.inf   # a new setpoint ends a ramp in progress
        elif kind == "ilim":
            ilim = value
        elif kind == "load":
            load = max(0.0, load + value)
        elif kind == "ramp":
            ramp_s = max(0.0, value)
        powered = prev.powered(t)
        vt, tau = self.target(on, vset, ilim, load, cycle, powered)
        slope = wait = 0.0
        v0 = prev.v(t)
        if on and tau == self.tau_rise and t < ramp_t0 + ramp_s:
            # The output ramps from 0 V to its CV level over ramp_s (R&S EasyRamp: linear). A
            # supply cannot pull a rail still charged from before down to its ramp: the rail
            # decays on its own until the ramp reaches it (`ramp_catch`), then follows it.
            ref = vt / ramp_s * (t - ramp_t0)
            if v0 > ref + 1e-4:
                wait = vt / ramp_s
                vt, tau = self.target(False, vset, ilim, load, cycle, powered)
            else:
                slope, vt = vt / ramp_s, ref
        return Segment(t, v0, vt, tau, on, vset, ilim, load, cycle, powered, math.inf,
                       slope, ramp_s, ramp_t0, wait)

    def _derived(self, seg: Segment, t_end: float) -> tuple[float, str] | None:
        """A derived event inside the segment: a ramp's end, or (output off) the PDR crossing
        after which the decay slows."""
        if seg.slope:
            end = seg.ramp_t0 + seg.ramp_s
            return (end, "ramp_end") if end < t_end else None
        if seg.ramp_wait:
            end = min(t_end, seg.ramp_t0 + seg.ramp_s)
            gap = lambda t: seg.v(t) - seg.ramp_wait * (t - seg.ramp_t0)  # noqa: E731
            if gap(end) > 0:
                return None
            lo, hi = seg.t, end
            while hi - lo > 1e-7:
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if gap(mid) > 0 else (lo, mid)
            return (hi, "ramp_catch") if hi < t_end else None
        if not seg.on and seg.p0 and seg.tau == TAU_FALL:
            tc = self._crossing(seg, t_end)
            return (tc, "tail") if seg.t < tc < t_end else None
        return None

    def _lowest_before(self, t_rise: float) -> float:
        """The lowest VDD of the stretch without power that ends with the power-up at `t_rise`
        (0 V for the first one: the board starts discharged)."""
        start = self.segs[0].t
        for earlier in reversed(self.segs):
            if earlier.t < t_rise and earlier.p0:  # powered at its start: the stretch begins after
                start = earlier.tc if earlier.tc < t_rise else earlier.t
                break
        times = [t for t in self.seg_t if start <= t <= t_rise] + [start, t_rise]
        times += np.linspace(start, t_rise, 17).tolist()  # a ramp segment's dip lies inside one
        return float(min(self.seg_at(t).v(t) for t in times)) if times else 0.0

    def demand(self, on: bool, load: float, cycle: int, vset: float) -> float:
        return self._current(on, load, cycle, vset)

    def target(self, on: bool, vset: float, ilim: float, load: float,
               cycle: int, powered: bool = True) -> tuple[float, float]:
        """Steady-state VDD and the time constant towards it for a supply state."""
        if not on:
            return 0.0, TAU_FALL if powered else TAU_FALL_RESET
        i = self._current(on, load, cycle, vset) * min(1.0, vset / V_LOAD_KNEE)
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
        if seg.slope:
            return Supply._ramp_crossing(seg, level, t_end)
        if seg.p0 and seg.vt >= level or not seg.p0 and seg.vt < level:
            return math.inf
        tc = seg.t + seg.tau * math.log((seg.v0 - seg.vt) / (level - seg.vt))
        return tc if tc < t_end else math.inf

    @staticmethod
    def _ramp_crossing(seg: Segment, level: float, t_end: float) -> float:
        """The first crossing of `level` in a ramp segment (which ends at the ramp's end): on a
        grid, then bisected to 1 µs (the segment has at most one turning point)."""
        below = (lambda v: v < level) if seg.p0 else (lambda v: v >= level)
        grid = np.linspace(seg.t, t_end, 65)
        prev = seg.t
        for t in grid[1:]:
            if below(seg.v(float(t))):
                lo, hi = prev, float(t)
                while hi - lo > 1e-6:
                    mid = 0.5 * (lo + hi)
                    lo, hi = (lo, mid) if below(seg.v(mid)) else (mid, hi)
                return hi
            prev = float(t)
        return math.inf

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
        del self.rises[:n], self.releases[:n]
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

    def power_ups_between(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """(POR crossing, NRST release) of each power-up whose crossing is in [t0, t1]."""
        a, b = bisect.bisect_left(self.rises, t0), bisect.bisect_right(self.rises, t1)
        return list(zip(self.rises[a:b], self.releases[a:b]))

    def last_power_up(self, t: float) -> tuple[float, float] | None:
        """(POR crossing, NRST release) of the last power-up at or before `t`, or None."""
        i = bisect.bisect_right(self.rises, t)
        return (self.rises[i - 1], self.releases[i - 1]) if i else None

    def vdd(self, times: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.seg_t, times, side="right") - 1
        before = idx < 0
        idx = np.maximum(idx, 0)
        segs = self.segs
        st = np.array([s.t for s in segs])[idx]
        v0 = np.array([s.v0 for s in segs])[idx]
        vt = np.array([s.vt for s in segs])[idx]
        tau = np.array([s.tau for s in segs])[idx]
        if any(s.slope for s in segs):   # a ramp in the timeline (arrays only then: a scope's
            slope = np.array([s.slope for s in segs])[idx]   # record can be 10^6 samples)
            dt = times - st
            lag = slope * tau
            v = vt + slope * dt - lag + (v0 - vt + lag) * np.exp(-dt / tau)
        else:
            v = vt + (v0 - vt) * np.exp(-(times - st) / tau)
        v[before] = 0.0
        return v


__all__ = ["CurrentFn", "Segment", "Supply"]
