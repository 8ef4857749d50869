"""The scope tab: the last capture drawn per named net, with limit lines and the measured features
beside; the wiring check's findings above them."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

from ...bench import events as ev
from ...text import printable
from ..capture import envelope, features_text, net_up_at_start, out_of_limit, prepare_capture
from ..keys import button
from ..messages import CaptureMeasured
from ..widgets import WaveformPlot
from .base import BenchPanel, set_text

__all__ = ["ScopePanel", "envelope", "features_text", "net_up_at_start", "out_of_limit", "wiring_text"]


def wiring_text(wiring: Any) -> Text:
    """The wiring check as the scope tab shows it: a heading, then one line per net that is
    off (or "wiring looks right" and each net's level)."""
    if wiring.running:
        return Text(f"wiring: checking (PSU on at {wiring.volts:.2f} V, each channel on a survey range)…",
                    "yellow")
    when = time.strftime("%H:%M:%S", time.localtime(wiring.at))
    if wiring.findings is None:
        return Text(printable(f"wiring check at {when} could not judge: {wiring.error}"), "red")
    head = Text(f"wiring at {when} (PSU at {wiring.volts:.2f} V): ", "bold")
    problems = wiring.problems
    if not problems:
        levels = ", ".join(f"CH{f.channel} {f.net} {f.level:.2f} V" for f in wiring.findings if f.level is not None)
        return head + Text("wiring looks right", "green") + Text(printable(f" ({levels})"))
    head.append(f"{len(problems)} of {len(wiring.findings)} nets off", "red")
    for f in problems:
        head.append("\n")
        head.append(printable(f"FAIL {f.text}"), "red")
    return head


class ScopePanel(BenchPanel):
    """Capture buttons and, per net, a braille waveform plus its features."""

    def __init__(self, state, **kw: Any):
        super().__init__(state, **kw)
        self.last: tuple[str, int | None, float] | None = None
        self._seq = 0  # captures received; only the newest is drawn
        self._info: str | None = None  # the capture line not drawn yet
        self._views: tuple[dict, dict] | None = None  # (views, feature texts) not drawn yet

    def compose(self) -> ComposeResult:
        scope = self.profile.scope
        with Horizontal(classes="row"):
            yield button("capture('power_up')", "capture-power-up", variant="primary")
            yield button("capture('fault_catch')", "capture-fault")
            yield button("check_wiring", "check-wiring")
            yield Label("no capture yet", id="capture-info")
        yield Static(Text("wiring: not checked yet (t: with the PSU at its setpoint, does each "
                          "probe read what its net must?)", "dim"), id="wiring")
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
        self._info = f"{capture.replace('_', '-')}: measuring…"
        self.invalidate()
        self.run_worker(lambda: self._prepare(seq, capture, index, when, waveforms), thread=True,
                        group="scope-view", exit_on_error=False)

    def _prepare(self, seq: int, capture: str, index: int | None, when: float, waveforms: dict) -> None:
        views = prepare_capture(capture, waveforms, self.profile.scope.channels)
        texts = {net: features_text(net, list(v.features), v.lo, v.hi, up_at_start=v.up_at_start)
                 for net, v in views.items()}
        self.app.call_from_thread(self._draw, seq, capture, index, when, views, texts)

    def _draw(self, seq: int, capture: str, index: int | None, when: float, views: dict,
              texts: dict) -> None:
        if seq != self._seq:  # a newer capture is on its way
            return
        self.last = (capture, index, when)
        where = f"cycle {index}" if index is not None else "manual"
        self._info = f"{capture.replace('_', '-')} ({where}) at {time.strftime('%H:%M:%S', time.localtime(when))}"
        self._views = (views, texts)
        self.invalidate()
        self.post_message(CaptureMeasured(capture, index, when, views))

    def paint(self) -> None:
        if self.state.wiring.at is not None or self.state.wiring.running:
            set_text(self.query_one("#wiring", Static), wiring_text(self.state.wiring), layout=True)
        if self._info is not None:
            set_text(self.query_one("#capture-info", Label), self._info, layout=True)
            self._info = None
        if self._views is not None:
            (views, texts), self._views = self._views, None
            for net, view in views.items():
                self.query_one(f"#plot-{net}", WaveformPlot).set_waveform(view.envelope, view.t_span, ramp=not view.up_at_start)
                set_text(self.query_one(f"#features-{net}", Static), texts[net], layout=True)  # scrolls
