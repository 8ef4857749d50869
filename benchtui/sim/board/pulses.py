"""Poisson pulse trains tied to power cycles: NRST glitches and SWD-contact dropouts.

Pulse times are generated per chunk (GLITCH_CHUNK_S) of each power cycle from a generator
seeded by (board seed, stream, cycle, chunk), so a pulse's time does not depend on the order of
queries and is reproducible for a seed. Called under the board model's lock.
"""

from __future__ import annotations

import math

import numpy as np

from ..scenarios import STREAM_GLITCH, Scenario, poisson_pulses, rng_for
from .physics import GLITCH_CHUNK_S
from .supply import Supply


class PulseTrains:
    """The glitch (STREAM_GLITCH) and dropout (STREAM_SWD) pulses of one board."""

    def __init__(self, scenario: Scenario, seed: int, supply: Supply):
        self.scenario = scenario
        self.seed = seed
        self.supply = supply
        self._chunks: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}

    def rate(self, stream: int) -> float:
        sc = self.scenario
        return sc.nrst_glitch_rate_hz if stream == STREAM_GLITCH else sc.swd_dropout_rate_hz

    def _chunk(self, stream: int, cycle: int, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        key = (stream, cycle, chunk)
        got = self._chunks.get(key)
        if got is None:
            sc = self.scenario
            rng = rng_for(self.seed, stream, cycle, chunk)
            if stream == STREAM_GLITCH:
                s, w = poisson_pulses(rng, sc.nrst_glitch_rate_hz, GLITCH_CHUNK_S, sc.nrst_glitch_width)
            else:
                s, w = poisson_pulses(rng, sc.swd_dropout_rate_hz, GLITCH_CHUNK_S, sc.swd_dropout_width)
            start = self.supply.cycle_start.get(cycle, 0.0) + chunk * GLITCH_CHUNK_S
            got = self._chunks[key] = (s + start, s + start + w)
        return got

    def between(self, stream: int, t0: float, t1: float) -> list[tuple[float, float]]:
        """Pulses of `stream` overlapping [t0, t1].

        Each power cycle's pulses stay within its own span, from its output-on to the next
        one: a window that spans a power-on gets the earlier cycle's pulses only up to that
        power-on (its pulse train would otherwise run on into the next cycle), as `active`
        sees them.
        """
        out: list[tuple[float, float]] = []
        c0, c1 = self.supply.seg_at(t0).cycle, self.supply.seg_at(t1).cycle
        for cycle in range(c0, c1 + 1):
            start = self.supply.cycle_start.get(cycle)
            if start is None:
                continue
            end = self.supply.cycle_start.get(cycle + 1, math.inf)
            hi = min(t1, end)
            k0 = max(0, int((t0 - start) // GLITCH_CHUNK_S) - 1)
            k1 = max(0, int((hi - start) // GLITCH_CHUNK_S))
            for k in range(k0, k1 + 1):
                a, b = self._chunk(stream, cycle, k)
                sel = (a <= t1) & (a < end) & (b >= t0)
                out.extend(zip(a[sel].tolist(), np.minimum(b[sel], end).tolist()))
        return out

    def active(self, stream: int, t: float) -> bool:
        """Whether a pulse of `stream` is on at `t`."""
        if self.rate(stream) <= 0:
            return False
        cycle = self.supply.seg_at(t).cycle
        start = self.supply.cycle_start.get(cycle)
        if start is None:
            return False
        k = int((t - start) // GLITCH_CHUNK_S)
        for kk in (k - 1, k):
            if kk < 0:
                continue
            a, b = self._chunk(stream, cycle, kk)
            i = int(np.searchsorted(a, t, side="right")) - 1
            if i >= 0 and t < b[i]:
                return True
        return False

    def forget_before(self, live_cycle: int) -> None:
        self._chunks = {key: v for key, v in self._chunks.items() if key[1] >= live_cycle}


__all__ = ["PulseTrains"]
