"""The overview: the whole bench at a glance, the console's first screen.

One card per part of the bench, each titled with the key of its own tab:
  PSU      setpoint and limit, V/I readback, CV/CC, output
  target   identity, the board on the bench (UID, label), RDP level, protected sectors (marked
           when not read from the target now)
  capture  the last capture of each net as a small plot with its limits and key features
  loop     progress and the current top finding in words
Cards show only what the app knows: a value never read says so, an old one says when it was read.
A new card (a board, a second PSU channel) is one more `Card` subclass in `compose()`.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Static

from ...bench import events as ev
from ..keys import TAB_KEYS
from ..messages import TabRequested
from ..state import ConsoleState
from ..widgets import WaveformPlot
from ..words import step_words
from .base import BenchPanel, set_text


class Card(Static):
    """A titled box on the overview; `tab` is the tab (and key) that shows the part in full."""

    tab = ""
    title = ""

    def __init__(self, state: ConsoleState, **kw: Any):
        super().__init__(**kw)
        self.state = state

    def on_mount(self) -> None:
        self.border_title = f"{self.title} ({TAB_KEYS[self.tab]})"

    def on_click(self) -> None:
        self.post_message(TabRequested(self.tab))

    def show(self) -> None:
        """Draw the card from the console's state."""


def _ago(when: float | None) -> str:
    if not when:
        return ""
    return time.strftime("%H:%M:%S", time.localtime(when))


class PsuCard(Card):
    tab, title = "power", "PSU"

    def show(self) -> None:
        state = self.state
        st = state.bench
        psu = state.profile.psu
        setpoint = state.session.setpoint if state.session else (psu.voltage, psu.current_limit)
        text = Text.assemble(("set ", "dim"), f"{setpoint[0]:g} V", ("  limit ", "dim"), f"{setpoint[1]:g} A",
                             (f"  ch{psu.channel}", "dim"))
        reading = st.psu_reading if st else None
        text.append("\n")
        if st is None or not st.psu_connected:
            text.append("not connected" if not st or st.psu_link != "lost" else "lost", "bold red")
            text.append("  (r reconnects)", "dim")
        elif reading is None:
            text.append("no readback yet", "dim")
        else:
            text.append("  ".join(f"{x:.3f} {u}" if x is not None else f"— {u}"   # None: no reading
                                  for x, u in ((reading.voltage, "V"), (reading.current, "A"))), "bold")
            mode = str(getattr(reading, "mode", "") or "").upper()
            if reading.output and mode in ("CV", "CC"):
                text.append(f"  {mode}", "bold yellow" if mode == "CC" else "green")
        text.append("\n")
        text.append("output ", "dim")
        if st is None or st.psu_output is None:
            text.append("unknown", "dim")
        else:
            text.append("ON" if st.psu_output else "OFF", "bold green" if st.psu_output else "bold")
            if st.psu_read_at:
                text.append(f"  read {_ago(st.psu_read_at)}", "dim")
        set_text(self, text)  # the card's size is fixed: no layout


class TargetCard(Card):
    tab, title = "target", "target"

    def show(self) -> None:
        state = self.state
        st = state.bench
        identity = st.target_identity if st else None
        text = Text()
        if identity is not None:
            text.append(identity.describe(), "bold")
        elif st is not None and st.target_error:
            text.append("✗ ", "bold red")
            text.append(st.target_error.split(": ", 1)[-1][:60], "red")
        else:
            text.append("○ not connected (c connects)", "dim")
        uid = getattr(identity, "uid", None)
        label = state.profile.bench.labels.get(uid.upper()) if uid else None
        text.append("\nboard ", "dim")
        if label:
            text.append(label, "bold")
        else:
            why = getattr(identity, "unreadable", {}).get("uid") if identity is not None else None
            text.append(str(uid) if uid else f"UID {why}" if why else "UID not read",
                        "" if uid else "yellow" if why else "dim")
        slot = state.board_slot
        if slot is not None:  # a virtual batch: which of its boards is on the bench
            text.append(f"  {slot.current}/{slot.size} of the batch, i swaps", "dim")
        ob = state.target.option_bytes
        text.append("\n")
        if ob is None:
            text.append("option bytes not read", "dim")
        else:
            protected = ob.protected_sectors()
            current = state.option_bytes_current
            style = "" if current else "dim"
            text.append("RDP ", "dim")
            text.append(f"{ob.rdp_level}", ("bold red" if ob.rdp_level else "green") if current else style)
            text.append("  WRP ", "dim")
            text.append(f"{len(protected)} sectors" if protected else "none",
                        ("bold red" if protected else "green") if current else style)
            if not current:
                text.append(f"  (at {_ago(state.target.option_bytes_at)})", "dim yellow")  # an earlier reading
        set_text(self, text)  # the card's size is fixed: no layout


class LoopCard(Card):
    tab, title = "loop", "loop"

    def show(self) -> None:
        loop = self.state.loop
        engine = loop.engine
        records = loop.records
        passed, failed = loop.passed, loop.failed
        of = f"/{loop.planned}" if loop.planned else ""
        text = Text()
        if engine is not None:
            state = "PAUSED" if engine.paused else step_words(engine.current_step) or "starting"
            text.append(f"run {loop.run_id}: cycle {len(records) + 1}{of} {state}   ", "bold")
        elif loop.run_id is not None:
            text.append(f"run {loop.run_id}: {len(records)}{of} cycles, {loop.step or 'finished'}   ")
        else:
            text.append("idle (l runs the loop)   ", "dim")
        text.append(f"✓{passed}", "green")
        text.append(" ")
        text.append(f"✗{failed}", "bold red" if failed else "dim")
        text.append("\n")
        diagnosis = loop.diagnosis
        if diagnosis is not None and records:  # the verdict every report prints, word for word
            text.append("verdict: ", "bold yellow" if diagnosis.settled else "bold")
            text.append(diagnosis.verdict)
        else:
            text.append("the verdict appears as cycles land", "dim")
        set_text(self, text)  # the card's size is fixed: no layout


class CaptureCard(Vertical):
    """The last capture: one small plot per net, headed by its limits and key features."""

    def __init__(self, state: ConsoleState, **kw: Any):
        super().__init__(**kw)
        self.state = state
        self.drawn: tuple[str, int | None, float] | None = None
        self.drawn_count = 0  # the console's measured-capture count last drawn

    def compose(self) -> ComposeResult:
        with Grid(id="ov-nets"):
            for net, ch in self.state.profile.scope.channels.items():
                yield WaveformPlot(net, ch.min, ch.max, id=f"ov-plot-{net}", classes="ov-plot")

    def on_mount(self) -> None:
        self.border_title = f"last capture ({TAB_KEYS['scope']})"

    def on_click(self) -> None:
        self.post_message(TabRequested("scope"))

    def show(self) -> None:
        """Draw the capture the scope tab measured last, if not drawn yet."""
        capture = self.state.capture
        if capture.shown is None or capture.measured == self.drawn_count:
            return
        self.drawn_count = capture.measured
        self.show_capture(*capture.shown)

    def show_capture(self, capture: str, index: int | None, when: float, views: dict) -> None:
        """Draw a capture the scope tab measured (`views`: net -> capture.NetView)."""
        self.drawn = (capture, index, when)
        where = f"cycle {index}" if index is not None else "manual"
        self.border_title = (f"last capture ({TAB_KEYS['scope']}): {capture.replace('_', '-')}, {where}, "
                             f"{_ago(when)}")
        for net, view in views.items():
            plot = self.query_one(f"#ov-plot-{net}", WaveformPlot)
            plot.set_waveform(view.envelope, view.t_span, head=view.key_line(200), ramp=not view.up_at_start)


class OverviewPanel(BenchPanel):
    """PSU, target, last capture and loop on one screen; each card's key opens its tab.

    Events only mark the overview stale; it repaints (at most every PAINT_INTERVAL_S) while it is
    on screen, and once when it is shown again.
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="ov-top"):
            yield PsuCard(self.state, id="ov-psu", classes="card")
            yield TargetCard(self.state, id="ov-target", classes="card")
        yield CaptureCard(self.state, id="ov-capture", classes="card")
        yield LoopCard(self.state, id="ov-loop", classes="card")

    def on_mount(self) -> None:
        self.invalidate()
        self.set_interval(1.0, self.invalidate)  # readbacks arrive without an event

    def paint(self) -> None:
        for card in self.query(Card):
            card.show()
        self.query_one(CaptureCard).show()

    def refresh_cards(self) -> None:
        """Draw every card now (tests and screenshots; the app paints through invalidate())."""
        self._stale = True
        self.catch_up()

    def bench_event(self, event: Any) -> None:
        if isinstance(event, (ev.Log, ev.Progress)):
            return  # nothing on the overview changes with a log line or a progress tick
        self.invalidate()
