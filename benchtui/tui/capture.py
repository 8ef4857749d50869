"""A capture made ready to show: per net, its envelope, time span, features and violations.

Shared by the scope tab, the overview and the cycle view, so a capture reads the same wherever
it is shown. Pure functions (numpy + rich): call `prepare_capture` in a thread, records can be
10^5 samples a net.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from rich.text import Text

#: Min/max pairs a capture is reduced to before drawing (far more than a terminal has columns).
ENVELOPE_BUCKETS = 1024
#: The features the overview shows beside each net, by kind of net (first match wins).
KEY_FEATURES = {"VDD": ("rise_time", "min"), "NRST": ("low_time", "glitches"),
                "VCAP": ("below_min", "dip_depth", "min")}


@dataclass(frozen=True)
class NetView:
    """One net of a capture, ready to draw."""

    net: str
    envelope: list[float]
    t_span: tuple[float, float] | None
    lo: float | None
    hi: float | None
    features: tuple  # FeatureValue of this net
    up_at_start: bool

    def marked(self) -> list[tuple[str, float, str, bool]]:
        """(suffix, value, unit, violation) of every measured feature."""
        values = {f.name.split(".", 2)[-1]: f.value for f in self.features}
        return [(f.name.split(".", 2)[-1], f.value, f.unit,
                 out_of_limit(f.name.split(".", 2)[-1], f.value, self.lo, self.hi,
                              up_at_start=self.up_at_start, below_min=values.get("below_min")))
                for f in self.features if f.value is not None]

    @property
    def violated(self) -> bool:
        return any(bad for *_, bad in self.marked())

    def key_line(self, width: int = 40) -> Text:
        """'VCAP1 1.1..1.4 V  below_min 35 µs ✗  dip 0.2 V': the net's key features, violations red."""
        text = Text(self.net, "bold red" if self.violated else "bold")
        text.append(f" {_limits(self.lo, self.hi)}", "yellow")
        wanted = next((names for prefix, names in KEY_FEATURES.items()
                       if self.net.upper().startswith(prefix)), ("min", "max"))
        marked = {suffix: (value, unit, bad) for suffix, value, unit, bad in self.marked()}
        shown = [s for s in wanted if s in marked]
        shown += [s for s, (_, _, bad) in marked.items() if bad and s not in shown]
        for suffix in shown[:3]:
            value, unit, bad = marked[suffix]
            text.append(f"  {suffix} {format_feature(value, unit)}", "bold red" if bad else "")
            if bad:
                text.append(" ✗", "bold red")
        text.truncate(width, overflow="ellipsis")
        return text


def format_feature(value: float, unit: str) -> str:
    """A feature value for reading: seconds in ms/µs, volts with 3-4 digits: '35 µs', '1.08 V'."""
    if unit == "s":
        a = abs(value)
        factor, shown = (1.0, "s") if a >= 1 else (1e3, "ms") if a >= 1e-3 else (1e6, "µs") if a > 0 else (1e3, "ms")
        return f"{value * factor:.3g} {shown}"
    return f"{value:.4g} {unit}".rstrip()


def _limits(lo: float | None, hi: float | None) -> str:
    """'1.1..1.4 V', '≥2 V', '≤3.6 V' (a net with one limit reads as that limit)."""
    if lo is not None and hi is not None:
        return f"{lo:g}..{hi:g} V"
    if lo is not None:
        return f"≥{lo:g} V"
    return f"≤{hi:g} V" if hi is not None else "no limits"


def out_of_limit(suffix: str, value: float, lo: float | None, hi: float | None, *,
                 up_at_start: bool, below_min: float | None = None) -> bool:
    """Whether a feature value is a real violation of the net's limits (see bench/features.py).

    A power-up record starts with every rail at 0 V, so its `min` (and NRST held low) is the
    ramp, not a fault: `min` counts only when the net was already up as the record started
    (a fault-catch window). `below_min` and `glitches` are measured after the net settled or
    after reset release, so any non-zero value counts; `dip_depth` has no limit of its own and is
    marked when that same settled part went below the min limit. `max` above the max limit is
    an overshoot whatever the window. Times and levels without limits are never marked.
    """
    if suffix == "min":
        return up_at_start and lo is not None and value < lo
    if suffix == "max":
        return hi is not None and value > hi
    if suffix in ("below_min", "glitches"):
        return value > 0
    if suffix == "dip_depth":
        return bool(below_min)
    return False


def features_text(net: str, features: list, lo: float | None, hi: float | None, *,
                  up_at_start: bool = False) -> Text:
    """The features benchtui computes for one net (same as the loop stores), violations in red."""
    text = Text(f"{net}", "bold")
    text.append(f"  {_limits(lo, hi)}\n", "yellow")
    values = {f.name.split(".", 2)[-1]: f.value for f in features}
    for f in features:
        if f.value is None:
            continue
        suffix = f.name.split(".", 2)[-1]
        bad = out_of_limit(suffix, f.value, lo, hi, up_at_start=up_at_start,
                           below_min=values.get("below_min"))
        value = format_feature(f.value, f.unit)
        text.append(f"{suffix[:14]:<14} {value}", "bold red" if bad else "")
        text.append(" ✗\n" if bad else "\n")
    return text


def net_up_at_start(volts: Any, lo: float | None) -> bool:
    """The net was already at or above its min limit when the record started (not a power-up)."""
    return lo is not None and len(volts) > 0 and float(volts[0]) >= lo


def net_view(net: str, wf: Any, lo: float | None, hi: float | None, features: Sequence) -> NetView:
    """A NetView of one waveform (anything with t0, dt, volts) and its features."""
    import numpy as np  # imported by the thread that measures (the console's first frame does not wait)
    volts = np.asarray(wf.volts, dtype=float).ravel()
    t_span = None
    if len(volts) > 1 and np.isfinite(wf.t0) and np.isfinite(wf.dt) and wf.dt > 0:
        t_span = (float(wf.t0), float(wf.t0 + wf.dt * (len(volts) - 1)))
    return NetView(net, envelope(volts), t_span, lo, hi, tuple(features),
                   net_up_at_start(volts, lo))


def prepare_capture(capture: str, waveforms: Mapping[str, Any],
                    channels: Mapping[str, Any], features: Sequence | None = None,
                    window: str | None = None) -> dict[str, NetView]:
    """Every profile net of a capture as a NetView. Features are computed here (the same code
    the loop stores with) unless given (a stored cycle's features, window `window`)."""
    limits = {net: (ch.min, ch.max) for net, ch in channels.items()}
    window = window or capture
    if features is None:
        from ..bench.features import compute_capture_features
        features = compute_capture_features(window, waveforms, limits)
    views = {}
    for net, wf in waveforms.items():
        if net not in channels:
            continue
        mine = [f for f in features if f.name.startswith(f"{window}.{net}.")]
        views[net] = net_view(net, wf, channels[net].min, channels[net].max, mine)
    return views


def envelope(volts: Any, buckets: int = ENVELOPE_BUCKETS) -> list[float]:
    """The waveform reduced to min and max per bucket, in time order: a plot of it is the same as
    a plot of the record (up to 2*buckets dot columns), a one-sample glitch included."""
    import numpy as np
    v = np.asarray(volts, dtype=float).ravel()
    if len(v) <= 2 * buckets:
        return v.tolist()
    edges = np.linspace(0, len(v), buckets + 1).astype(int)
    lo, hi = np.minimum.reduceat(v, edges[:-1]), np.maximum.reduceat(v, edges[:-1])
    first_min = np.array([v[a:b].argmin() < v[a:b].argmax() for a, b in zip(edges[:-1], edges[1:])])
    out = np.where(first_min[:, None], np.stack([lo, hi], 1), np.stack([hi, lo], 1))
    return out.ravel().tolist()
