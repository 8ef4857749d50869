"""The acquisition engine shared by the simulated oscilloscopes.

The scope samples the board timeline. When armed (single/normal) it looks for the edge
crossing on the trigger channel between the time pre-trigger data became available and now,
sampling the model at the acquisition's sample interval (vectorised); once now >= trigger +
post-trigger span the record is captured. Auto sweep triggers by itself after a timeout.
The state machine advances lazily, whenever a client asks something that depends on it.
Dialects only translate commands and formats (screen geometry, offsets, data encodings).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .core import INVALID

AUTO_TIMEOUT_S = 0.05        # auto sweep: free-run after this long without a trigger (UNCONFIRMED)
CATCH_UP_S = 2.0             # continuous modes: older unseen acquisitions are skipped
SCAN_CHUNK = 200_000         # samples per vectorised trigger search step
DEFAULT_WIRING = {1: "VDD", 2: "VCAP1", 3: "VCAP2", 4: "NRST"}


@dataclass
class ScopeChannel:
    display: bool = True
    scale: float = 1.0        # V/div (probe-corrected)
    offset: float = 0.0       # dialect meaning (Rigol: added to the signal; Keysight: centre value)
    probe: float = 10.0
    coupling: str = "DC"
    bwl: str = "OFF"
    position: float = 0.0     # divisions (Tektronix CH<n>:POS)
    termination: float = 1e6  # ohms (Tektronix CH<n>:TER)
    impedance: str = "ONEM"   # Siglent :CHAN<n>:IMP
    visible: bool = True      # Siglent :CHAN<n>:VIS
    cpl: str = "D1M"          # Siglent legacy C<n>:CPL (coupling and impedance in one word)

    @property
    def range(self) -> float:
        """Full scale over the 8 vertical divisions."""
        return 8 * self.scale

    @range.setter
    def range(self, value: float) -> None:
        self.scale = value / 8


@dataclass
class Acquisition:
    """One captured record: absolute times t0 + k*dt, k < n, and volts per channel."""

    t_trig: float
    t0: float
    dt: float
    n: int
    volts: dict[int, np.ndarray]
    settings: dict[int, ScopeChannel]
    raw_cache: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)


class ScopeEngine:
    def __init__(self, board, wiring: dict[int, str] | None = None, record_points: int = 1200):
        self.board = board
        self.wiring = dict(wiring or DEFAULT_WIRING)
        self.record_points = record_points
        self.channels = {n: ScopeChannel() for n in range(1, 5)}
        self.rel_start = -6e-3    # window start relative to the trigger (s)
        self.span = 12e-3         # window length (s)
        self.trig_source = 1
        self.trig_level = 0.0
        self.trig_slope = "POS"   # POS | NEG | EITH
        self.sweep = "AUTO"       # AUTO | NORM | SING
        self.running = False
        self.phase = ""           # "" (stopped) | ARMED | TRIGGERED
        self.armed_at = 0.0
        self.scan_from = 0.0
        self.t_trig = 0.0
        self.last: Acquisition | None = None
        self.triggered_event = False   # Keysight :TER? (cleared on read)
        self.armed_event = False       # Keysight :AER? (set once the pre-trigger part is filled)
        self._arm_reported = False
        self._pending: tuple[float, bool] | None = None   # (when, single) of a delayed arm
        self.acquisitions = 0

    def power_on(self) -> None:
        """As a real scope starts: running, auto trigger, and a record already on screen."""
        now = self.board.now()
        self.last = self._capture(now - self.post)
        self.sweep = "AUTO"
        self.run()

    # --- geometry ---------------------------------------------------------------------------------
    @property
    def dt(self) -> float:
        return self.span / self.record_points

    @property
    def pre(self) -> float:
        return max(0.0, -self.rel_start)

    @property
    def post(self) -> float:
        return max(0.0, self.rel_start + self.span)

    # --- run control ------------------------------------------------------------------------------
    def arm(self, single: bool, latency: float = 0.0) -> None:
        """Start acquiring; with `latency` the scope first stops and arms only that much later
        (a real scope takes a moment to process :SING: its status still says STOP meanwhile)."""
        if latency > 0:
            self.update()
            self.running, self.phase = False, ""
            self._pending = (self.board.now() + latency, single)
            return
        self._pending = None
        self._single = single
        self.running = True
        self.phase = "ARMED"
        self.armed_at = self.scan_from = self.board.now()
        self._arm_reported = False

    def single(self, latency: float = 0.0) -> None:
        self.arm(True, latency)

    def run(self) -> None:
        self.arm(False)

    def stop(self) -> None:
        self.update()
        self.running = False
        self.phase = ""
        self._pending = None

    def force(self) -> None:
        """Forced trigger: trigger now (the pre-trigger part is in the past of the timeline)."""
        if not self.running:
            return
        self.update()
        if self.phase == "ARMED":
            self.t_trig = self.board.now()
            self.phase = "TRIGGERED"
            self.triggered_event = True

    def acquiring(self) -> bool:
        """Running, or about to arm (a single-shot command not yet acted on)."""
        self.update()
        return self.running or self._pending is not None

    @property
    def is_single(self) -> bool:
        return getattr(self, "_single", False) or self.sweep == "SING"

    def status(self) -> str:
        """STOP | RUN (filling pre-trigger) | WAIT | AUTO | TD, after advancing the machine."""
        self.update()
        if not self.running:
            return "STOP"
        if self.phase == "TRIGGERED":
            return "TD"
        if self.board.now() < self.armed_at + self.pre:
            return "RUN"
        return "AUTO" if self.sweep == "AUTO" else "WAIT"

    def update(self) -> None:
        """Advance arm -> trigger -> capture up to now."""
        if self._pending is not None and self.board.now() >= self._pending[0]:
            when, single = self._pending
            self.arm(single)
            self.armed_at = self.scan_from = when
        for _ in range(10_000):
            if not self.running:
                return
            now = self.board.now()
            if self.phase == "ARMED":
                auto = self.sweep == "AUTO"
                # Continuous modes skip acquisitions nobody could have seen (auto: all but the
                # last couple of records; normal: edges older than CATCH_UP_S).
                catch_up = 2 * (self.span + AUTO_TIMEOUT_S) if auto else CATCH_UP_S
                if not self.is_single and now - self.armed_at > catch_up:
                    self.armed_at = self.scan_from = now - catch_up
                earliest = self.armed_at + self.pre
                if now < earliest:
                    return
                if not self._arm_reported:
                    self.armed_event, self._arm_reported = True, True
                # In auto sweep an edge after the auto timeout cannot matter: scan up to it only.
                until = min(now, earliest + AUTO_TIMEOUT_S) if auto else now
                found = self._scan(max(self.scan_from, earliest), until)
                if found is not None:
                    self.t_trig, self.phase, self.triggered_event = found, "TRIGGERED", True
                elif auto and now - earliest >= AUTO_TIMEOUT_S:
                    self.t_trig, self.phase = earliest + AUTO_TIMEOUT_S, "TRIGGERED"
                else:
                    self.scan_from = until
                    return
            if self.phase == "TRIGGERED":
                if now < self.t_trig + self.post:
                    return
                self.last = self._capture(self.t_trig)
                self.acquisitions += 1
                if self.is_single:
                    self.running, self.phase, self._single = False, "", False
                    return
                self.phase = "ARMED"
                self.armed_at = self.scan_from = self.t_trig + self.post
                # Continuous modes: one new record per call. Computing a deep record costs about
                # as long as acquiring it, so catching up on every one would never end; the
                # catch-up above skips the ones nobody asked for.
                return

    def _scan(self, t_a: float, t_b: float) -> float | None:
        """First trigger-edge crossing in [t_a, t_b], sampled at the record's interval."""
        dt = self.dt
        t = t_a - dt
        while t < t_b:
            n = int(min(SCAN_CHUNK, (t_b - t) / dt + 1))
            if n < 2:
                return None
            v = self._probed([self.trig_source], t, dt, n)[self.trig_source]
            lvl = self.trig_level
            rising = (v[:-1] < lvl) & (v[1:] >= lvl)
            falling = (v[:-1] > lvl) & (v[1:] <= lvl)
            hits = {"POS": rising, "NEG": falling}.get(self.trig_slope, rising | falling)
            idx = np.flatnonzero(hits)
            if idx.size:
                i = int(idx[0])
                frac = (lvl - v[i]) / (v[i + 1] - v[i]) if v[i + 1] != v[i] else 0.0
                return t + (i + frac) * dt
            t += (n - 1) * dt
        return None

    def _probed(self, channels: list[int], t0: float, dt: float, n: int) -> dict[int, np.ndarray]:
        """Each channel's view of its net through the board's probe wiring (board.probe), with
        the channel's probe setting; a board without one is sampled directly."""
        nets = {c: self.wiring[c] for c in channels}
        probe = getattr(self.board, "probe", None)
        if probe is None:
            values = self.board.sample(sorted(set(nets.values())), t0, dt, n)
        else:
            values = probe(sorted(set(nets.values())), t0, dt, n,
                           {net: self.channels[c].probe for c, net in nets.items()})
        return {c: values[net] for c, net in nets.items()}

    def _capture(self, t_trig: float) -> Acquisition:
        t0 = t_trig + self.rel_start
        volts = self._probed(sorted(self.wiring), t0, self.dt, self.record_points)
        settings = {n: ScopeChannel(**vars(ch)) for n, ch in self.channels.items()}
        return Acquisition(t_trig, t0, self.dt, self.record_points, volts, settings)

    def raw(self, acq: Acquisition, channel: int, points: int) -> tuple[np.ndarray, float]:
        """A deeper record of the same window (Rigol RAW memory), sampled once and cached."""
        key = (channel, points)
        if key not in acq.raw_cache:
            acq.raw_cache[key] = self._probed([channel], acq.t0, acq.dt * acq.n / points,
                                              points)[channel]
        return acq.raw_cache[key], acq.dt * acq.n / points

    # --- measurements -----------------------------------------------------------------------------
    def measure(self, item: str, channel: int) -> float:
        """A waveform measurement on the last acquisition; INVALID when it cannot be made."""
        self.update()
        acq = self.last
        if acq is None or channel not in acq.volts or not self.channels[channel].display \
                or not acq.settings[channel].display:
            return INVALID
        return measure(item, acq.volts[channel], acq.dt)


def _top_base(v: np.ndarray) -> tuple[float, float]:
    return float(np.percentile(v, 95)), float(np.percentile(v, 5))


def _crossing(v: np.ndarray, level: float, rising: bool, start: int = 0) -> int | None:
    seg = v[start:]
    hits = np.flatnonzero((seg[:-1] < level) & (seg[1:] >= level) if rising
                          else (seg[:-1] > level) & (seg[1:] <= level))
    return None if not hits.size else start + int(hits[0]) + 1


def measure(item: str, v: np.ndarray, dt: float) -> float:
    """Standard scope measurements (names as in Rigol :MEAS:ITEM, Keysight uses the same set)."""
    item = item.upper()
    simple = {
        "VMAX": lambda: float(v.max()), "VMIN": lambda: float(v.min()),
        "VPP": lambda: float(v.max() - v.min()), "VAVG": lambda: float(v.mean()),
        "VRMS": lambda: float(np.sqrt(np.mean(v * v))),
        "VTOP": lambda: _top_base(v)[0], "VBASE": lambda: _top_base(v)[1],
        "VAMP": lambda: _top_base(v)[0] - _top_base(v)[1],
    }
    if item in simple:
        return simple[item]()
    top, base = _top_base(v)
    amp = top - base
    if amp < 1e-3 * max(1.0, abs(top)) or amp < 0.01:
        return INVALID
    lo, mid, hi = base + 0.1 * amp, base + 0.5 * amp, base + 0.9 * amp
    if item in ("RTIME", "FTIME"):
        rising = item == "RTIME"
        a = _crossing(v, lo if rising else hi, rising)
        b = None if a is None else _crossing(v, hi if rising else lo, rising, a - 1)
        return INVALID if b is None else (b - a) * dt
    if item in ("PWIDTH", "NWIDTH"):
        positive = item == "PWIDTH"
        a = _crossing(v, mid, positive)
        b = None if a is None else _crossing(v, mid, not positive, a)
        return INVALID if b is None else (b - a) * dt
    return INVALID
