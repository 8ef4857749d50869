"""The board model: the one object the SCPI instruments and the twin share.

The PSU side sets the supply (`set_psu`, `psu_readback`), the twin asks for verdicts
(`powered`, `nrst_low`, `option_load_ok`, `disturbance`, `swd_ok`) and adds loads, the scope
samples nets (`sample`). VDD comes from the supply timeline (`supply.py`), VCAP1/2 from the
load steps through the board's decoupling, NRST from power-up, the probe's reset line and
glitches (`pulses.py`). Noise is added only to sampled waveforms (the scope's view); verdicts
(`disturbance`, `window_stats`) are noise-free so that failures follow the physics
deterministically.

The model is the board *on the bench*: `insert(spec)` puts another board of a batch in the
fixture, as swapping a board would (the PSU settings stay; the new board's rails start from 0 V).

Thread-safe: the SCPI servers run on an asyncio thread, the STM32 twin on another.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..scenarios import (STREAM_GLITCH, STREAM_NOISE, STREAM_SWD, CycleParams, draw_cycle,
                         get_scenario, rng_for)
from .physics import (I_BASE, I_STARTUP, LOAD_MIN_DURATION, NETS, NOISE_RMS_V,
                      NRST_RESET_MIN_PULSE, NRST_RISE_TAU, OB_LOAD_WINDOW, PRUNE_AGE_S,
                      R_WIRING, REG_HEADROOM, T_RSTTEMPO, TAU_RISE, TAU_VCAP_RECOVER,
                      V12_NOM, V_LOAD_KNEE, V_PDR_FALL, VCAP_FLASH_MIN, VCAP_OB_LOAD_MIN,
                      BoardSpec)
from .power_up import regulator_impedance
from .pulses import PulseTrains
from .supply import Supply
from .wiring import ProbeWiring


@dataclass(slots=True)
class _Load:
    t0: float
    t1: float
    current: float
    cycle: int
    label: str


class BoardModel:
    """The STM32F767 board's rails as seen by the PSU, the scope and the twin.

    A lone board (`BoardModel(scenario, seed)`) has nominal components and a UID derived from
    its seed; a board of a batch comes with its `spec` (`sim/batch.py`).
    """

    def __init__(self, scenario: str = "healthy", seed: int = 0,
                 clock: Callable[[], float] = time.monotonic, spec: BoardSpec | None = None):
        from ..batch import lone_board
        self._clock = clock
        self._lock = threading.RLock()
        #: Where the scope's probes sit (the bench's wiring; kept when a board is swapped).
        self.wiring = ProbeWiring()
        self._fit(spec or lone_board(scenario, seed), clock(), epochs_before=0)

    def _fit(self, spec: BoardSpec, t: float, *, epochs_before: int) -> None:
        """Start this board's timeline at `t` (unpowered)."""
        self.spec = spec
        self.scenario = get_scenario(spec.scenario)
        self.seed = int(spec.seed)
        self._supply = Supply(t, self._total_current, tau_rise=TAU_RISE * spec.tau_rise,
                              epochs_before=epochs_before)
        self._params: dict[int, CycleParams] = {}
        self._loads: list[_Load] = []          # sorted by t0
        self._max_load_span = LOAD_MIN_DURATION
        self._probe: list[list[float]] = []    # [assert, release or inf]
        self._pulses = PulseTrains(self.scenario, self.seed, self._supply)
        self._ob_ok: dict[float, bool] = {}
        self._noise = rng_for(self.seed, STREAM_NOISE)

    # --- identity, swapping -----------------------------------------------------------------------
    @property
    def uid_words(self) -> tuple[int, int, int]:
        """The 96-bit unique ID of the board's MCU as three words (lowest address first)."""
        return self.spec.uid_words

    @property
    def uid(self) -> str:
        return self.spec.uid

    def insert(self, spec: BoardSpec) -> None:
        """Swap the board: `spec` is now on the bench. The PSU keeps its settings and output
        state (with the output on, the new board powers up at once: a hot swap); the probe's
        reset line stays as the probe drives it."""
        with self._lock:
            t = self._clock()
            seg = self._supply.seg_at(t)
            held = bool(self._probe) and self._probe[-1][1] == math.inf
            epochs = self._supply.epoch_at(t)
            self._fit(spec, t, epochs_before=epochs)
            if seg.vset:
                self._supply.add_event(t, "vset", seg.vset)
            if seg.ramp_s:
                self._supply.add_event(t, "ramp", seg.ramp_s)
            self._supply.add_event(t, "ilim", seg.ilim)
            if seg.on:
                self._supply.add_event(t, "on")
            if held:
                self._probe.append([t, math.inf])

    # --- timeline construction -----------------------------------------------------------------
    def now(self) -> float:
        return self._clock()

    def _params_for(self, cycle: int) -> CycleParams:
        p = self._params.get(cycle)
        if p is None:
            p = draw_cycle(self.scenario, self.seed, cycle)
            if self.spec.vcap_z != 1.0:
                p = CycleParams(p.z_vcap * self.spec.vcap_z, p.z2_ratio, p.extra_current, p.swd_bad)
            self._params[cycle] = p
        return p

    def _total_current(self, on: bool, load: float, cycle: int, vset: float) -> float:
        if not on:
            return 0.0
        extra = self._params_for(cycle).extra_current
        at = self.scenario.extra_power_at
        if at and extra:   # a constant-power part: its current at `at` volts, scaled to the setpoint
            extra *= at / max(vset, V_LOAD_KNEE)
        return I_BASE * self.spec.i_base + extra + load

    def _prune(self, now: float) -> None:
        cutoff = now - PRUNE_AGE_S
        live = self._supply.prune(cutoff)
        if live is None:
            return
        self._loads = [ld for ld in self._loads if ld.t1 > cutoff]
        self._probe = [p for p in self._probe if p[1] > cutoff]
        for c in [c for c in self._params if c < live]:
            del self._params[c]
        self._pulses.forget_before(live)
        self._ob_ok = {t: ok for t, ok in self._ob_ok.items() if t > cutoff}

    def _seg_at(self, t: float):
        return self._supply.seg_at(t)

    # --- PSU side -------------------------------------------------------------------------------
    def set_psu(self, *, on: bool | None = None, voltage: float | None = None,
                current_limit: float | None = None, ramp_s: float | None = None) -> None:
        """Apply PSU channel-1 changes now (only real changes become events). `ramp_s`: the
        supply ramps its output up over this many seconds at each output-on (0: no ramp)."""
        with self._lock:
            t = self._clock()
            last = self._supply.last
            if ramp_s is not None and float(ramp_s) != last.ramp_s:
                self._supply.add_event(t, "ramp", float(ramp_s))
            if voltage is not None and float(voltage) != last.vset:
                self._supply.add_event(t, "vset", float(voltage))
            if current_limit is not None and float(current_limit) != last.ilim:
                self._supply.add_event(t, "ilim", float(current_limit))
            if on is not None and bool(on) != self._seg_at(t).on:
                self._supply.add_event(t, "on" if on else "off")
            self._prune(t)

    def psu_readback(self) -> tuple[float, float, str]:
        """(voltage at the PSU terminals, output current, "CV" | "CC" | "OFF") now."""
        with self._lock:
            t = self._clock()
            seg = self._seg_at(t)
            if not seg.on:
                return 0.0, 0.0, "OFF"
            vdd = seg.v(t)
            current = self._total_current(True, seg.load, seg.cycle, seg.vset)
            demand = current * min(1.0, vdd / V_LOAD_KNEE)
            if current * min(1.0, seg.vset / V_LOAD_KNEE) > seg.ilim:
                return vdd + seg.ilim * R_WIRING, seg.ilim, "CC"
            return min(seg.vset, vdd + demand * R_WIRING), demand, "CV"

    # --- twin side ------------------------------------------------------------------------------
    def powered(self) -> bool:
        """VDD is above POR/PDR now."""
        with self._lock:
            t = self._clock()
            return self._seg_at(t).powered(t)

    def power_epoch(self) -> int:
        """Number of power-ups (VDD rising through POR) so far, across swapped boards."""
        with self._lock:
            return self._supply.epoch_at(self._clock())

    def set_probe_reset(self, asserted: bool) -> None:
        with self._lock:
            t = self._clock()
            held = bool(self._probe) and self._probe[-1][1] == math.inf
            if asserted and not held:
                self._probe.append([t, math.inf])
            elif not asserted and held:
                self._probe[-1][1] = t

    def nrst_low(self) -> bool:
        """NRST is low now: unpowered, POR hold, probe reset or a glitch."""
        with self._lock:
            t = self._clock()
            return self._nrst_low_at(t)

    def _nrst_low_at(self, t: float) -> bool:
        if not self._seg_at(t).powered(t):
            return True
        last = self._supply.last_power_up(t)
        if last is not None and t < last[1]:   # the power-on reset not released yet
            return True
        if any(a <= t < b for a, b in self._probe[-4:]):
            return True
        return self._pulses.active(STREAM_GLITCH, t)

    def add_load(self, current_a: float, duration_s: float, label: str = "",
                 after: float | None = None) -> tuple[float, float]:
        """A load-current event starting now (or at `after`, if later); returns its (t0, t1).

        `after` lets a sequential source (the flash controller) queue its next operation behind
        the previous one when it runs faster than physical time (time scale 0).
        """
        with self._lock:
            t0 = max(self._clock(), after or 0.0)
            t1 = t0 + max(float(duration_s), LOAD_MIN_DURATION)
            load = _Load(t0, t1, float(current_a), self._seg_at(t0).cycle, label)
            bisect.insort(self._loads, load, key=lambda ld: ld.t0)
            self._max_load_span = max(self._max_load_span, t1 - t0)
            self._supply.add_event(t0, "load", load.current)
            self._supply.add_event(t1, "load", -load.current)
            self._prune(t0)
            return t0, t1

    def swd_ok(self) -> bool:
        """The SWD wiring makes contact now."""
        if self.scenario.swd_bad_cycle_prob <= 0:
            return True
        with self._lock:
            t = self._clock()
            cycle = self._seg_at(t).cycle
            if not self._params_for(cycle).swd_bad:
                return True
            return not self._pulses.active(STREAM_SWD, t)

    def option_load_ok(self) -> bool:
        """Did this power-up's option-byte load (after the POR NRST release) see VCAP high enough?"""
        with self._lock:
            t = self._clock()
            last = self._supply.last_power_up(t)
            if last is None:
                return True
            w0 = last[1]          # the load runs at the power-on reset's NRST release
            w1 = w0 + OB_LOAD_WINDOW
            ok = self._ob_ok.get(w0)
            if ok is None:
                ok = self._min_over("VCAP1", w0, w1) >= VCAP_OB_LOAD_MIN
                if t > w1:
                    self._ob_ok[w0] = ok
            return ok

    def disturbance(self, t0: float, t1: float) -> str | None:
        """Physics verdict for a flash operation over [t0, t1]."""
        hit = self.disturbance_at(t0, t1)
        return None if hit is None else hit[0]

    def disturbance_at(self, t0: float, t1: float) -> tuple[str, float] | None:
        """The verdict for a flash operation over [t0, t1] and the instant it hits.

        A reset (VDD through PDR: "brownout"; an NRST low pulse long enough to pass the pin's
        filter: "nrst-reset") hits at the instant the same electrical model the scope samples
        crosses the threshold: the first VDD sample below PDR, or the NRST falling edge plus
        the filter time (NRST_RESET_MIN_PULSE); the earlier of the two wins. A VCAP dip below
        the flash minimum ("vcap-dip") spoils the operation without a reset: it hits at t1.
        """
        with self._lock:
            hits: list[tuple[float, str]] = []
            brown = self._first_below("VDD", V_PDR_FALL, t0, t1)
            if brown is not None:
                hits.append((brown, "brownout"))
            pulses = [(a, b) for a, b in self._nrst_pulses(t0, t1) if b - a >= NRST_RESET_MIN_PULSE]
            if pulses:
                a = min(a for a, _ in pulses)
                hits.append((min(t1, max(t0, a + NRST_RESET_MIN_PULSE)), "nrst-reset"))
            if hits:
                when, verdict = min(hits)
                return verdict, when
            if self._min_over("VCAP1", t0, t1) < VCAP_FLASH_MIN:
                return "vcap-dip", t1
            return None

    def window_stats(self, t0: float, t1: float) -> dict[str, float]:
        """Noise-free minima/maxima of each net over [t0, t1] and the NRST pulse count."""
        with self._lock:
            times = self._candidates(t0, t1)
            values = self._eval(NETS, times)
            stats: dict[str, float] = {}
            for net in NETS:
                stats[f"{net}_min"] = float(values[net].min())
                stats[f"{net}_max"] = float(values[net].max())
            pulses = self._nrst_pulses(t0, t1)
            stats["nrst_pulses"] = float(sum(b - a >= NRST_RESET_MIN_PULSE for a, b in pulses))
            return stats

    # --- scope side -----------------------------------------------------------------------------
    def sample(self, nets: Sequence[str], t0: float, dt: float, n: int) -> dict[str, np.ndarray]:
        """Noisy waveforms of `nets` at t0 + k*dt, k = 0..n-1 (what a scope would record)."""
        unknown = [net for net in nets if net not in NETS]
        if unknown:
            raise ValueError(f"unknown net {unknown[0]!r} (known: {', '.join(NETS)})")
        times = t0 + dt * np.arange(int(n), dtype=float)
        with self._lock:
            values = self._eval(nets, times, dt=dt)
            for net in nets:
                values[net] = values[net] + self._noise.normal(0.0, NOISE_RMS_V, times.size)
            return values

    def probe(self, nets: Sequence[str], t0: float, dt: float, n: int,
              settings: dict[str, float] | None = None) -> dict[str, np.ndarray]:
        """What the scope's probes meant for `nets` deliver, through the bench's wiring (a
        swapped probe shows the other net; a probe ratio unlike its channel's setting (given in
        `settings`, net -> ratio set) scales the reading)."""
        tips = {net: self.wiring.tip(net) for net in nets}
        values = self.sample(sorted(set(tips.values())), t0, dt, n)
        settings = settings or {}
        return {net: values[tips[net]] * self.wiring.gain(net, settings.get(net, 1.0)) for net in nets}

    # --- evaluation -----------------------------------------------------------------------------
    def _all_loads(self, t0: float, t1: float) -> list[_Load]:
        """User loads and the POR start-up loads that can affect VCAP within [t0, t1]."""
        lookback = self._max_load_span + 10 * TAU_VCAP_RECOVER
        lo = bisect.bisect_left(self._loads, t0 - lookback, key=lambda ld: ld.t0)
        hi = bisect.bisect_right(self._loads, t1, key=lambda ld: ld.t0)
        loads = [ld for ld in self._loads[lo:hi] if ld.t1 + 10 * TAU_VCAP_RECOVER >= t0]
        for r, s in self._supply.power_ups_between(t0 - T_RSTTEMPO - OB_LOAD_WINDOW - lookback, t1):
            if s <= t1 and s + OB_LOAD_WINDOW + 10 * TAU_VCAP_RECOVER >= t0:
                loads.append(_Load(s, s + OB_LOAD_WINDOW, I_STARTUP, self._seg_at(r).cycle, "por"))
        return loads

    def _vcap_dip(self, times: np.ndarray) -> np.ndarray:
        """VCAP1 dip (volts, positive = below nominal) from load steps through the decoupling."""
        dip = np.zeros_like(times)
        if not times.size:
            return dip
        for ld in self._all_loads(float(times[0]), float(times[-1])):
            # Through the decoupling and, with VDD too low for the regulator, its dropout too.
            z_reg = regulator_impedance(float(self._supply.seg_at(ld.t0).v(ld.t0)))
            amp = ld.current * (self._params_for(ld.cycle).z_vcap + z_reg)
            horizon = 10 * TAU_VCAP_RECOVER
            for edge, sign in ((ld.t0, 1.0), (ld.t1, -1.0)):
                a = np.searchsorted(times, edge, side="left")
                b = np.searchsorted(times, edge + horizon, side="right")
                if a < b:
                    dip[a:b] += sign * amp * np.exp(-(times[a:b] - edge) / TAU_VCAP_RECOVER)
        return dip

    def _eval(self, nets: Sequence[str], times: np.ndarray, dt: float = 0.0) -> dict[str, np.ndarray]:
        vdd = self._supply.vdd(times)
        out: dict[str, np.ndarray] = {}
        if "VDD" in nets:
            out["VDD"] = vdd
        if "VCAP1" in nets or "VCAP2" in nets:
            base = np.clip(vdd - REG_HEADROOM, 0.0, V12_NOM * self.spec.v12)
            dip = self._vcap_dip(times)
            if "VCAP1" in nets:
                out["VCAP1"] = base - dip
            if "VCAP2" in nets:
                cycle = self._seg_at(float(times[0])).cycle if times.size else 0
                out["VCAP2"] = base - dip * self._params_for(cycle).z2_ratio
        if "NRST" in nets:
            out["NRST"] = self._nrst(times, vdd, dt)
        return out

    def _nrst(self, times: np.ndarray, vdd: np.ndarray, dt: float) -> np.ndarray:
        """NRST: 0 while held low, else rising towards VDD through the pull-up."""
        if not times.size:
            return np.zeros(0)
        t0, t1 = float(times[0]), float(times[-1])
        lows = self._low_intervals(t0, t1)
        starts = np.array([a for a, _ in lows] or [-math.inf])
        ends = np.array([b for _, b in lows] or [-math.inf])
        j = np.searchsorted(starts, times, side="right") - 1
        valid = j >= 0
        jj = np.maximum(j, 0)
        low = valid & (times < ends[jj])
        released = np.minimum(np.where(valid, ends[jj], -math.inf), times)
        v = vdd * (1.0 - np.exp(-(times - released) / (NRST_RISE_TAU * self.spec.nrst_tau)))
        v[low] = 0.0
        if dt > 0:  # a pulse narrower than a sample still shows (peak-detect-like display)
            for a, b in lows:
                if b - a < dt and t0 <= a <= t1:
                    v[min(times.size - 1, int(round((a - t0) / dt)))] = 0.0
        return v

    def _low_intervals(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """Merged NRST-low intervals touching [t0, t1]: unpowered, POR hold, probe, glitches."""
        iv: list[tuple[float, float]] = []
        segs, seg_t = self._supply.segs, self._supply.seg_t
        i = max(0, bisect.bisect_right(seg_t, t0) - 1)
        down_from = None if segs[i].powered(t0) else -math.inf
        for seg in segs[i:]:
            if seg.t > t1:
                break
            if seg.tc < math.inf:
                if seg.p0:
                    down_from = seg.tc
                else:
                    iv.append((down_from if down_from is not None else -math.inf, seg.tc))
                    down_from = None
        if down_from is not None:
            iv.append((down_from, math.inf))
        for r, release in self._supply.power_ups_between(t0 - T_RSTTEMPO, t1):
            iv.append((r, release))
        iv.extend(self._nrst_pulses(t0, t1))
        iv = sorted(x for x in iv if x[1] >= t0 and x[0] <= t1)
        merged: list[tuple[float, float]] = []
        for a, b in iv:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def _nrst_pulses(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """Probe-reset and glitch low pulses overlapping [t0, t1] (while powered)."""
        out = [(a, b) for a, b in self._probe if a <= t1 and b >= t0]
        if self.scenario.nrst_glitch_rate_hz > 0:
            out.extend((a, b) for a, b in self._pulses.between(STREAM_GLITCH, t0, t1)
                       if self._seg_at(a).powered(a))
        return out

    def _candidates(self, t0: float, t1: float) -> np.ndarray:
        """Instants at which noise-free extrema over [t0, t1] can occur, plus a coarse grid."""
        pts = [t0, t1]
        seg_t = self._supply.seg_t
        i = bisect.bisect_right(seg_t, t0)
        j = bisect.bisect_right(seg_t, t1)
        pts.extend(seg_t[i:j])
        for ld in self._all_loads(t0, t1):
            pts.extend(x for x in (ld.t0, ld.t1) if t0 <= x <= t1)
        for a, b in self._nrst_pulses(t0, t1):
            pts.extend(x for x in (a, (a + b) / 2) if t0 <= x <= t1)
        pts.extend(np.linspace(t0, t1, 257).tolist())
        return np.unique(np.array(pts, dtype=float))

    def _first_below(self, net: str, level: float, t0: float, t1: float) -> float | None:
        """The first instant in [t0, t1] at which the noise-free `net` is below `level` (to
        within 1 µs), or None."""
        times = self._candidates(t0, t1)
        below = np.flatnonzero(self._eval((net,), times)[net] < level)
        if not below.size:
            return None
        i = int(below[0])
        if i == 0:
            return float(times[0])
        lo, hi = float(times[i - 1]), float(times[i])   # above at lo, below at hi
        while hi - lo > 1e-6:
            mid = 0.5 * (lo + hi)
            if float(self._eval((net,), np.array([mid]))[net][0]) < level:
                hi = mid
            else:
                lo = mid
        return hi

    def _min_over(self, net: str, t0: float, t1: float) -> float:
        times = self._candidates(t0, t1)
        return float(self._eval((net,), times)[net].min())
