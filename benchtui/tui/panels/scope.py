"""The scope tab: the last capture drawn per named net, with limit lines and the measured features beside."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static

from ...bench import events as ev
from ..widgets import WaveformPlot
from .base import BenchPanel


def net_features(volts: Any, dt: float, lo: float | None, hi: float | None) -> Text:
    """min / max / mean of one net and the time spent beyond its limits; out-of-limit values in red."""
    values = [float(v) for v in volts]
    if not values:
        return Text("no samples", "dim")
    vmin, vmax, mean = min(values), max(values), sum(values) / len(values)
    below = sum(1 for v in values if lo is not None and v < lo) * dt
    above = sum(1 for v in values if hi is not None and v > hi) * dt
    text = Text()
    for label, value, bad in (("min", vmin, lo is not None and vmin < lo),
                              ("max", vmax, hi is not None and vmax > hi),
                              ("mean", mean, False)):
        text.append(f"{label:<4} {value:7.3f} V", "bold red" if bad else "")
        text.append("  ✗\n" if bad else "\n")
    limits = f"{'' if lo is None else f'{lo:g}'}..{'' if hi is None else f'{hi:g}'} V"
    text.append(f"lim  {limits}\n", "yellow")
    if below or above:
        text.append(f"out  {(below + above) * 1e3:.3g} ms", "bold red")
    return text


class ScopePanel(BenchPanel):
    """Capture buttons and, per net, a braille waveform plus its features."""

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.last: tuple[str, int | None, float] | None = None

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
        self.last = (capture, index, time.time())
        where = f"cycle {index}" if index is not None else "manual"
        self.query_one("#capture-info", Label).update(
            f"{capture.replace('_', '-')} ({where}) at {time.strftime('%H:%M:%S')}")
        channels = self.bench.profile.scope.channels
        for net, wf in waveforms.items():
            if net not in channels:
                continue
            ch = channels[net]
            self.query_one(f"#plot-{net}", WaveformPlot).set_waveform(wf.volts)
            feats = Text(f"{net}\n", "bold")
            feats.append_text(net_features(wf.volts, wf.dt, ch.min, ch.max))
            self.query_one(f"#features-{net}", Static).update(feats)
