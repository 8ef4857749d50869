"""The scope tab: the last capture drawn per named net, with limit lines and the measured features beside."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static

import numpy as np

from ...bench import events as ev
from ...bench.features import compute_capture_features
from ..widgets import WaveformPlot
from .base import BenchPanel


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
    limits = f"{'' if lo is None else f'{lo:g}'}..{'' if hi is None else f'{hi:g}'} V"
    text.append(f"  {limits}\n", "yellow")
    values = {f.name.split(".", 2)[-1]: f.value for f in features}
    for f in features:
        if f.value is None:
            continue
        suffix = f.name.split(".", 2)[-1]
        bad = out_of_limit(suffix, f.value, lo, hi, up_at_start=up_at_start,
                           below_min=values.get("below_min"))
        value = f"{f.value * 1e3:.3g} m{f.unit}" if f.unit == "s" else f"{f.value:.4g} {f.unit}".rstrip()
        text.append(f"{suffix[:14]:<14} {value}", "bold red" if bad else "")
        text.append(" ✗\n" if bad else "\n")
    return text


def net_up_at_start(volts: Any, lo: float | None) -> bool:
    """The net was already at or above its min limit when the record started (not a power-up)."""
    return lo is not None and len(volts) > 0 and float(volts[0]) >= lo


#: Min/max pairs a capture is reduced to before drawing (far more than a terminal has columns).
ENVELOPE_BUCKETS = 1024


class ScopePanel(BenchPanel):
    """Capture buttons and, per net, a braille waveform plus its features."""

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.last: tuple[str, int | None, float] | None = None
        self._seq = 0  # captures received; only the newest is drawn

    def compose(self) -> ComposeResult:
        scope = self.bench.profile.scope
        with Horizontal(classes="row"):
            yield Button("Capture power-up g", id="capture-power-up", compact=True, variant="primary")
            yield Button("Capture fault-catch", id="capture-fault", compact=True)
            yield Label("no capture yet", id="capture-info")
        with VerticalScroll(id="nets"):
            for net, ch in scope.channels.items():
                with Horizontal(classes="net"):
                    yield WaveformPlot(net, ch.min, ch.max, id=f"plot-{net}")
                    yield Static(Text(net, "bold"), id=f"features-{net}", classes="features")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "capture-power-up":
            self.bench.action_capture("power_up")
        elif event.button.id == "capture-fault":
            self.bench.action_capture("fault_catch")

    def bench_event(self, event: Any) -> None:
        if isinstance(event, ev.CaptureReady):
            self.show_capture(event.capture, event.index, event.waveforms)

    def show_capture(self, capture: str, index: int | None, waveforms: dict) -> None:
        """Measure and reduce the capture in a thread (records can be 10^5 samples a net), then draw."""
        self._seq += 1
        seq, when = self._seq, time.time()
        self.query_one("#capture-info", Label).update(f"{capture.replace('_', '-')}: measuring…")
        self.run_worker(lambda: self._prepare(seq, capture, index, when, waveforms), thread=True,
                        group="scope-view", exit_on_error=False)

    def _prepare(self, seq: int, capture: str, index: int | None, when: float, waveforms: dict) -> None:
        channels = self.bench.profile.scope.channels
        limits = {net: (ch.min, ch.max) for net, ch in channels.items()}
        features = compute_capture_features(capture, waveforms, limits)
        views = {}
        for net, wf in waveforms.items():
            if net in channels:
                ch = channels[net]
                mine = [f for f in features if f.name.split(".")[1] == net]
                views[net] = (envelope(wf.volts), features_text(
                    net, mine, ch.min, ch.max, up_at_start=net_up_at_start(wf.volts, ch.min)))
        self.app.call_from_thread(self._draw, seq, capture, index, when, views)

    def _draw(self, seq: int, capture: str, index: int | None, when: float, views: dict) -> None:
        if seq != self._seq:  # a newer capture is on its way
            return
        self.last = (capture, index, when)
        where = f"cycle {index}" if index is not None else "manual"
        self.query_one("#capture-info", Label).update(
            f"{capture.replace('_', '-')} ({where}) at {time.strftime('%H:%M:%S', time.localtime(when))}")
        for net, (volts, text) in views.items():
            self.query_one(f"#plot-{net}", WaveformPlot).set_waveform(volts)
            self.query_one(f"#features-{net}", Static).update(text)


def envelope(volts: Any, buckets: int = ENVELOPE_BUCKETS) -> list[float]:
    """The waveform reduced to min and max per bucket, in time order: a plot of it is the same as
    a plot of the record (up to 2*buckets dot columns), a one-sample glitch included."""
    v = np.asarray(volts, dtype=float).ravel()
    if len(v) <= 2 * buckets:
        return v.tolist()
    edges = np.linspace(0, len(v), buckets + 1).astype(int)
    lo, hi = np.minimum.reduceat(v, edges[:-1]), np.maximum.reduceat(v, edges[:-1])
    first_min = np.array([v[a:b].argmin() < v[a:b].argmax() for a, b in zip(edges[:-1], edges[1:])])
    out = np.where(first_min[:, None], np.stack([lo, hi], 1), np.stack([hi, lo], 1))
    return out.ravel().tolist()
