"""The scope tab: the last capture drawn per named net, with limit lines and the measured features beside."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

from ...bench import events as ev
from ..capture import envelope, features_text, net_up_at_start, out_of_limit, prepare_capture
from ..keys import button
from ..widgets import WaveformPlot
from .base import BenchPanel

__all__ = ["ScopePanel", "envelope", "features_text", "net_up_at_start", "out_of_limit"]


class ScopePanel(BenchPanel):
    """Capture buttons and, per net, a braille waveform plus its features."""

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.last: tuple[str, int | None, float] | None = None
        #: The capture now shown: (which, waveforms by net), for "save".
        self.last_capture: tuple[str, dict] | None = None
        self._seq = 0  # captures received; only the newest is drawn

    def compose(self) -> ComposeResult:
        scope = self.bench.profile.scope
        with Horizontal(classes="row"):
            yield button("capture('power_up')", "capture-power-up", variant="primary")
            yield button("capture('fault_catch')", "capture-fault")
            yield Label("no capture yet", id="capture-info")
        with VerticalScroll(id="nets"):
            for net, ch in scope.channels.items():
                with Horizontal(classes="net"):
                    yield WaveformPlot(net, ch.min, ch.max, id=f"plot-{net}")
                    yield Static(Text(net, "bold"), id=f"features-{net}", classes="features")

    def bench_event(self, event: Any) -> None:
        if isinstance(event, ev.CaptureReady):
            self.show_capture(event.capture, event.index, event.waveforms)

    def show_capture(self, capture: str, index: int | None, waveforms: dict) -> None:
        """Measure and reduce the capture in a thread (records can be 10^5 samples a net), then draw."""
        self._seq += 1
        seq, when = self._seq, time.time()
        self.last_capture = (capture, waveforms)
        self.query_one("#capture-info", Label).update(f"{capture.replace('_', '-')}: measuring…")
        self.run_worker(lambda: self._prepare(seq, capture, index, when, waveforms), thread=True,
                        group="scope-view", exit_on_error=False)

    def _prepare(self, seq: int, capture: str, index: int | None, when: float, waveforms: dict) -> None:
        views = prepare_capture(capture, waveforms, self.bench.profile.scope.channels)
        texts = {net: features_text(net, list(v.features), v.lo, v.hi, up_at_start=v.up_at_start)
                 for net, v in views.items()}
        self.app.call_from_thread(self._draw, seq, capture, index, when, views, texts)

    def _draw(self, seq: int, capture: str, index: int | None, when: float, views: dict,
              texts: dict) -> None:
        if seq != self._seq:  # a newer capture is on its way
            return
        self.last = (capture, index, when)
        where = f"cycle {index}" if index is not None else "manual"
        self.query_one("#capture-info", Label).update(
            f"{capture.replace('_', '-')} ({where}) at {time.strftime('%H:%M:%S', time.localtime(when))}")
        for net, view in views.items():
            self.query_one(f"#plot-{net}", WaveformPlot).set_waveform(view.envelope, view.t_span)
            self.query_one(f"#features-{net}", Static).update(texts[net])
        self.bench.capture_shown(capture, index, when, views)
