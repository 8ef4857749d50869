"""The board's electrical model: one timeline of events from which VDD, VCAP1/2 and NRST follow.

Events (PSU output edges, setpoint, current limit, load-current steps from flash operations,
probe reset assert/release) are kept sorted in time. Each event starts a segment in which VDD
relaxes first-order towards a target (the PSU setpoint in CV, or the collapse of a
constant-current load in CC), so VDD is exact and cheap at any instant, past or (as far as the
events already known go) future. Power-up/down instants are the analytic POR/PDR crossings of
those segments; NRST, VCAP dips, glitches and SWD dropouts derive from them. Noise is added
only to sampled waveforms (the scope's view); verdicts (`disturbance`, `window_stats`) are
noise-free so that failures follow the physics deterministically.

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

from .scenarios import (STREAM_GLITCH, STREAM_NOISE, STREAM_SWD, CycleParams, draw_cycle,
                        get_scenario, poisson_pulses, rng_for)

# --- physics constants (all UNCONFIRMED unless noted; stm32f7.md §3.4 gives family values) ----
V_POR_RISE = 1.72           # V, POR threshold on a rising VDD (F4 DS typ, §3.4)
V_PDR_FALL = 1.68           # V, PDR threshold on a falling VDD (40 mV hysteresis, §3.4)
T_RSTTEMPO = 1.5e-3         # s, NRST held low after POR (typ, §3.4)
NRST_RESET_MIN_PULSE = 300e-9   # s, VNF(NRST): shorter low pulses may be filtered (§3.4)
NRST_RISE_TAU = 20e-6       # s, NRST pull-up (40 kOhm) into pin + trace capacitance
TAU_RISE = 300e-6           # s, PSU output slew into the board's bulk capacitance
TAU_FALL = 5e-3             # s, rail decay after output off (bulk C discharged by the load)
TAU_SAG = 150e-6            # s, rail collapse once the PSU goes CC
R_WIRING = 0.05             # ohm, PSU leads + connector
I_BASE = 0.060              # A, board current at 3.3 V (MCU at HSI + peripherals)
V_LOAD_KNEE = 1.5           # V, below this the regulated load behaves resistively
V12_NOM = 1.20              # V, internal regulator output on VCAP1/VCAP2
REG_HEADROOM = 0.60         # V, VCAP follows VDD - headroom until VDD > ~1.8 V
TAU_VCAP_RECOVER = 150e-6   # s, regulator recovery after a load step
I_STARTUP = 0.025           # A, core + option-byte load current step at NRST release after POR
OB_LOAD_WINDOW = 1.0e-3     # s, option-byte load window after the POR NRST release
VCAP_FLASH_MIN = 1.10       # V, a flash erase/program whose window sees VCAP below this fails
VCAP_OB_LOAD_MIN = 1.05     # V, the option-byte load at POR is corrupted below this
LOAD_MIN_DURATION = 2e-3    # s, shortest load event (a time-scale-0 twin still leaves a mark)
NOISE_RMS_V = 0.002         # V, noise on sampled waveforms
PRUNE_AGE_S = 300.0         # s, events older than this are forgotten
GLITCH_CHUNK_S = 10.0       # s, glitch/dropout times are generated per chunk of a power cycle

NETS = ("VDD", "VCAP1", "VCAP2", "NRST")


@dataclass(slots=True)
class _Seg:
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


@dataclass(slots=True)
class _Load:
    t0: float
    t1: float
    current: float
    cycle: int
    label: str


class BoardModel:
    """The STM32F767 board's rails as seen by the PSU, the scope and the twin."""

    def __init__(self, scenario: str = "healthy", seed: int = 0,
                 clock: Callable[[], float] = time.monotonic):
        self.scenario = get_scenario(scenario)
        self.seed = int(seed)
        self._clock = clock
        self._lock = threading.RLock()
        t = clock()
        self._events: list[tuple[float, int, str, float]] = [(t, 0, "init", 0.0)]
        self._seq = 1
        self._segs: list[_Seg] = [_Seg(t, 0.0, 0.0, TAU_FALL, False, 0.0, 0.1, 0.0, 0,
                                       False, math.inf)]
        self._seg_t: list[float] = [t]
        self._rises: list[float] = []          # power-up instants (POR crossings)
        self._rises_pruned = 0
        self._cycle_start: dict[int, float] = {}
        self._params: dict[int, CycleParams] = {}
        self._loads: list[_Load] = []          # sorted by t0
        self._max_load_span = LOAD_MIN_DURATION
        self._probe: list[list[float]] = []    # [assert, release or inf]
        self._pulses: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._ob_ok: dict[float, bool] = {}
        self._noise = rng_for(self.seed, STREAM_NOISE)

    # --- timeline construction -----------------------------------------------------------------
    def now(self) -> float:
        return self._clock()

    def _params_for(self, cycle: int) -> CycleParams:
        p = self._params.get(cycle)
        if p is None:
            p = self._params[cycle] = draw_cycle(self.scenario, self.seed, cycle)
        return p

    def _add_event(self, t: float, kind: str, value: float = 0.0) -> None:
        ev = (max(t, self._events[0][0]), self._seq, kind, value)
        self._seq += 1
        i = bisect.bisect_right(self._events, ev)
        self._events.insert(i, ev)
        self._rebuild(i)

    def _rebuild(self, k: int) -> None:
        """Recompute segments (and power-up instants) from event index k on."""
        t_k = self._events[k][0]
        del self._segs[k:], self._seg_t[k:]
        del self._rises[bisect.bisect_left(self._rises, t_k):]
        for i in range(k, len(self._events)):
            t, _, kind, value = self._events[i]
            prev = self._segs[i - 1]
            on, vset, ilim, load, cycle = prev.on, prev.vset, prev.ilim, prev.load, prev.cycle
            if kind == "on" and not on:
                on, cycle = True, cycle + 1
                self._cycle_start[cycle] = t
            elif kind == "off":
                on = False
            elif kind == "vset":
                vset = value
            elif kind == "ilim":
                ilim = value
            elif kind == "load":
                load = max(0.0, load + value)
            vt, tau = self._target(on, vset, ilim, load, cycle)
            seg = _Seg(t, prev.v(t), vt, tau, on, vset, ilim, load, cycle,
                       prev.powered(t), math.inf)
            t_end = self._events[i + 1][0] if i + 1 < len(self._events) else math.inf
            seg.tc = self._crossing(seg, t_end)
            if seg.tc < math.inf and not seg.p0:
                self._rises.append(seg.tc)
            self._segs.append(seg)
            self._seg_t.append(t)

    def _total_current(self, on: bool, load: float, cycle: int) -> float:
        if not on:
            return 0.0
        return I_BASE + self._params_for(cycle).extra_current + load

    def _target(self, on: bool, vset: float, ilim: float, load: float,
                cycle: int) -> tuple[float, float]:
        """Steady-state VDD and the time constant towards it for a supply state."""
        if not on:
            return 0.0, TAU_FALL
        i = self._total_current(on, load, cycle) * min(1.0, vset / V_LOAD_KNEE)
        if i <= ilim:
            return max(0.0, vset - i * R_WIRING), TAU_RISE
        # CC: a constant-current load collapses the rail until it turns resistive.
        return min(vset, V_LOAD_KNEE * ilim / i), TAU_SAG

    @staticmethod
    def _crossing(seg: _Seg, t_end: float) -> float:
        """Time at which VDD crosses POR (rising, if unpowered) or PDR (falling) in the segment."""
        level = V_PDR_FALL if seg.p0 else V_POR_RISE
        if seg.p0 and seg.v0 < level or not seg.p0 and seg.v0 >= level:
            return seg.t
        if seg.p0 and seg.vt >= level or not seg.p0 and seg.vt < level:
            return math.inf
        tc = seg.t + seg.tau * math.log((seg.v0 - seg.vt) / (level - seg.vt))
        return tc if tc < t_end else math.inf

    def _prune(self, now: float) -> None:
        cutoff = now - PRUNE_AGE_S
        if len(self._seg_t) < 64 or self._seg_t[1] >= cutoff:
            return
        k = bisect.bisect_left(self._seg_t, cutoff) - 1
        if k <= 0:
            return
        del self._events[:k], self._segs[:k], self._seg_t[:k]
        n = bisect.bisect_left(self._rises, cutoff - 1.0)
        self._rises_pruned += n
        del self._rises[:n]
        self._loads = [ld for ld in self._loads if ld.t1 > cutoff]
        self._probe = [p for p in self._probe if p[1] > cutoff]
        live = self._segs[0].cycle
        for d in (self._params, self._cycle_start):
            for c in [c for c in d if c < live]:
                del d[c]
        self._pulses = {key: v for key, v in self._pulses.items() if key[1] >= live}
        self._ob_ok = {t: ok for t, ok in self._ob_ok.items() if t > cutoff}

    def _seg_at(self, t: float) -> _Seg:
        return self._segs[max(0, bisect.bisect_right(self._seg_t, t) - 1)]

    # --- PSU side -------------------------------------------------------------------------------
    def set_psu(self, *, on: bool | None = None, voltage: float | None = None,
                current_limit: float | None = None) -> None:
        """Apply PSU channel-1 changes now (only real changes become events)."""
        with self._lock:
            t = self._clock()
            last = self._segs[-1]
            if voltage is not None and float(voltage) != last.vset:
                self._add_event(t, "vset", float(voltage))
            if current_limit is not None and float(current_limit) != last.ilim:
                self._add_event(t, "ilim", float(current_limit))
            if on is not None and bool(on) != self._seg_at(t).on:
                self._add_event(t, "on" if on else "off")
            self._prune(t)

    def psu_readback(self) -> tuple[float, float, str]:
        """(voltage at the PSU terminals, output current, "CV" | "CC" | "OFF") now."""
        with self._lock:
            t = self._clock()
            seg = self._seg_at(t)
            if not seg.on:
                return 0.0, 0.0, "OFF"
            vdd = seg.v(t)
            demand = self._total_current(True, seg.load, seg.cycle) * min(1.0, vdd / V_LOAD_KNEE)
            if self._total_current(True, seg.load, seg.cycle) * min(1.0, seg.vset / V_LOAD_KNEE) \
                    > seg.ilim:
                return vdd + seg.ilim * R_WIRING, seg.ilim, "CC"
            return min(seg.vset, vdd + demand * R_WIRING), demand, "CV"

    # --- twin side ------------------------------------------------------------------------------
    def powered(self) -> bool:
        """VDD is above POR/PDR now."""
        with self._lock:
            t = self._clock()
            return self._seg_at(t).powered(t)

    def power_epoch(self) -> int:
        """Number of power-ups (VDD rising through POR) so far."""
        with self._lock:
            return self._rises_pruned + bisect.bisect_right(self._rises, self._clock())

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
        i = bisect.bisect_right(self._rises, t)
        if i and t - self._rises[i - 1] < T_RSTTEMPO:
            return True
        if any(a <= t < b for a, b in self._probe[-4:]):
            return True
        return self._in_pulse(STREAM_GLITCH, t)

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
            self._add_event(t0, "load", load.current)
            self._add_event(t1, "load", -load.current)
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
            return not self._in_pulse(STREAM_SWD, t)

    def option_load_ok(self) -> bool:
        """Did this power-up's option-byte load (after the POR NRST release) see VCAP high enough?"""
        with self._lock:
            t = self._clock()
            i = bisect.bisect_right(self._rises, t)
            if not i:
                return True
            w0 = self._rises[i - 1] + T_RSTTEMPO
            w1 = w0 + OB_LOAD_WINDOW
            ok = self._ob_ok.get(w0)
            if ok is None:
                ok = self._min_over("VCAP1", w0, w1) >= VCAP_OB_LOAD_MIN
                if t > w1:
                    self._ob_ok[w0] = ok
            return ok

    def disturbance(self, t0: float, t1: float) -> str | None:
        """Physics verdict for a flash operation over [t0, t1]."""
        with self._lock:
            if self._min_over("VDD", t0, t1) < V_PDR_FALL:
                return "brownout"
            if any(b - a >= NRST_RESET_MIN_PULSE for a, b in self._nrst_pulses(t0, t1)):
                return "nrst-reset"
            if self._min_over("VCAP1", t0, t1) < VCAP_FLASH_MIN:
                return "vcap-dip"
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

    # --- evaluation -----------------------------------------------------------------------------
    def _vdd(self, times: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._seg_t, times, side="right") - 1
        before = idx < 0
        idx = np.maximum(idx, 0)
        segs = self._segs
        st = np.array([s.t for s in segs])[idx]
        v0 = np.array([s.v0 for s in segs])[idx]
        vt = np.array([s.vt for s in segs])[idx]
        tau = np.array([s.tau for s in segs])[idx]
        v = vt + (v0 - vt) * np.exp(-(times - st) / tau)
        v[before] = 0.0
        return v

    def _rises_between(self, t0: float, t1: float) -> list[float]:
        return self._rises[bisect.bisect_left(self._rises, t0):bisect.bisect_right(self._rises, t1)]

    def _all_loads(self, t0: float, t1: float) -> list[_Load]:
        """User loads and the POR start-up loads that can affect VCAP within [t0, t1]."""
        lookback = self._max_load_span + 10 * TAU_VCAP_RECOVER
        lo = bisect.bisect_left(self._loads, t0 - lookback, key=lambda ld: ld.t0)
        hi = bisect.bisect_right(self._loads, t1, key=lambda ld: ld.t0)
        loads = [ld for ld in self._loads[lo:hi] if ld.t1 + 10 * TAU_VCAP_RECOVER >= t0]
        for r in self._rises_between(t0 - T_RSTTEMPO - OB_LOAD_WINDOW - lookback, t1):
            s = r + T_RSTTEMPO
            if s <= t1 and s + OB_LOAD_WINDOW + 10 * TAU_VCAP_RECOVER >= t0:
                loads.append(_Load(s, s + OB_LOAD_WINDOW, I_STARTUP, self._seg_at(r).cycle, "por"))
        return loads

    def _vcap_dip(self, times: np.ndarray) -> np.ndarray:
        """VCAP1 dip (volts, positive = below nominal) from load steps through the decoupling."""
        dip = np.zeros_like(times)
        if not times.size:
            return dip
        for ld in self._all_loads(float(times[0]), float(times[-1])):
            amp = ld.current * self._params_for(ld.cycle).z_vcap
            horizon = 10 * TAU_VCAP_RECOVER
            for edge, sign in ((ld.t0, 1.0), (ld.t1, -1.0)):
                a = np.searchsorted(times, edge, side="left")
                b = np.searchsorted(times, edge + horizon, side="right")
                if a < b:
                    dip[a:b] += sign * amp * np.exp(-(times[a:b] - edge) / TAU_VCAP_RECOVER)
        return dip

    def _eval(self, nets: Sequence[str], times: np.ndarray, dt: float = 0.0) -> dict[str, np.ndarray]:
        vdd = self._vdd(times)
        out: dict[str, np.ndarray] = {}
        if "VDD" in nets:
            out["VDD"] = vdd
        if "VCAP1" in nets or "VCAP2" in nets:
            base = np.clip(vdd - REG_HEADROOM, 0.0, V12_NOM)
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
        v = vdd * (1.0 - np.exp(-(times - released) / NRST_RISE_TAU))
        v[low] = 0.0
        if dt > 0:  # a pulse narrower than a sample still shows (peak-detect-like display)
            for a, b in lows:
                if b - a < dt and t0 <= a <= t1:
                    v[min(times.size - 1, int(round((a - t0) / dt)))] = 0.0
        return v

    def _low_intervals(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """Merged NRST-low intervals touching [t0, t1]: unpowered, POR hold, probe, glitches."""
        iv: list[tuple[float, float]] = []
        i = max(0, bisect.bisect_right(self._seg_t, t0) - 1)
        down_from = None if self._segs[i].powered(t0) else -math.inf
        for seg in self._segs[i:]:
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
        for r in self._rises_between(t0 - T_RSTTEMPO, t1):
            iv.append((r, r + T_RSTTEMPO))
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
            out.extend((a, b) for a, b in self._pulses_between(STREAM_GLITCH, t0, t1)
                       if self._seg_at(a).powered(a))
        return out

    def _pulse_chunk(self, stream: int, cycle: int, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        key = (stream, cycle, chunk)
        got = self._pulses.get(key)
        if got is None:
            sc = self.scenario
            rng = rng_for(self.seed, stream, cycle, chunk)
            if stream == STREAM_GLITCH:
                s, w = poisson_pulses(rng, sc.nrst_glitch_rate_hz, GLITCH_CHUNK_S, sc.nrst_glitch_width)
            else:
                s, w = poisson_pulses(rng, sc.swd_dropout_rate_hz, GLITCH_CHUNK_S, sc.swd_dropout_width)
            start = self._cycle_start.get(cycle, 0.0) + chunk * GLITCH_CHUNK_S
            got = self._pulses[key] = (s + start, s + start + w)
        return got

    def _pulses_between(self, stream: int, t0: float, t1: float) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        c0, c1 = self._seg_at(t0).cycle, self._seg_at(t1).cycle
        for cycle in range(c0, c1 + 1):
            start = self._cycle_start.get(cycle)
            if start is None:
                continue
            k0 = max(0, int((t0 - start) // GLITCH_CHUNK_S) - 1)
            k1 = max(0, int((t1 - start) // GLITCH_CHUNK_S))
            for k in range(k0, k1 + 1):
                a, b = self._pulse_chunk(stream, cycle, k)
                sel = (a <= t1) & (b >= t0)
                out.extend(zip(a[sel].tolist(), b[sel].tolist()))
        return out

    def _in_pulse(self, stream: int, t: float) -> bool:
        rate = (self.scenario.nrst_glitch_rate_hz if stream == STREAM_GLITCH
                else self.scenario.swd_dropout_rate_hz)
        if rate <= 0:
            return False
        cycle = self._seg_at(t).cycle
        start = self._cycle_start.get(cycle)
        if start is None:
            return False
        k = int((t - start) // GLITCH_CHUNK_S)
        for kk in (k - 1, k):
            if kk < 0:
                continue
            a, b = self._pulse_chunk(stream, cycle, kk)
            i = int(np.searchsorted(a, t, side="right")) - 1
            if i >= 0 and t < b[i]:
                return True
        return False

    def _candidates(self, t0: float, t1: float) -> np.ndarray:
        """Instants at which noise-free extrema over [t0, t1] can occur, plus a coarse grid."""
        pts = [t0, t1]
        i = bisect.bisect_right(self._seg_t, t0)
        j = bisect.bisect_right(self._seg_t, t1)
        pts.extend(self._seg_t[i:j])
        for ld in self._all_loads(t0, t1):
            pts.extend(x for x in (ld.t0, ld.t1) if t0 <= x <= t1)
        for a, b in self._nrst_pulses(t0, t1):
            pts.extend(x for x in (a, (a + b) / 2) if t0 <= x <= t1)
        pts.extend(np.linspace(t0, t1, 257).tolist())
        return np.unique(np.array(pts, dtype=float))

    def _min_over(self, net: str, t0: float, t1: float) -> float:
        times = self._candidates(t0, t1)
        return float(self._eval((net,), times)[net].min())
