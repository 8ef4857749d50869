"""The console: one Textual app over a BenchSession, with a tab per part of the bench.

This module is the shell: layout, the routing of bench events to the state and the panels,
navigation, quitting. The state the panels draw is `state.py` (changed only by the app); what
each key does lives in `actions/` (one module per part of the bench; `actions/base.py` is the
core every group shares, with the one place errors become words: `report()`), the key map in
`keys.py`, and what panels ask for comes up as messages (`messages.py`).

Every bench call is awaited in a Textual worker (the session runs the blocking driver call on the
device's owner thread), so the event loop never waits on an instrument.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from typing import Any, Iterable

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.screen import Screen
from textual.widgets import ContentSwitcher

from ..bench import events as ev
from ..bench.session import BenchSession
from ..profile import Profile
from ..text import printable
from .actions import PowerActions, ScopeActions, ShmooActions, TargetActions
from .dialogs import ConfirmDialog, TextScreen
from .heap import HeapPolicy
from .keys import COMMANDS, TAB_KEYS, TABS, bindings, footer_keys, help_text
from .messages import AppLogHandler, BenchEvent, LogRecordMessage, ProfileWritten, TabRequested
from .panels import (LogPanel, LoopPanel, OverviewPanel, PowerPanel, ResultsPanel, ScopePanel, ShmooPanel,
                     TargetPanel)
from .tabs import RESIZE_SETTLE_S, Predraw, switch_panel
from .widgets import KeyBar, StatusBar, TabBar

#: Longest wait for the loop to finish its current step when quitting (seconds).
QUIT_STOP_TIMEOUT_S = 30.0
#: How often the idle timer runs a due full collection (heap.py); the loop runs one per cycle.
IDLE_COLLECT_S = 10.0

#: The panel class of each tab.
PANELS = {"overview": OverviewPanel, "power": PowerPanel, "target": TargetPanel, "scope": ScopePanel,
          "loop": LoopPanel, "results": ResultsPanel, "log": LogPanel, "shmoo": ShmooPanel}


class BenchApp(PowerActions, TargetActions, ScopeActions, ShmooActions):
    """benchtui's console on the bench of `profile` (a real bench, or a started virtual bench)."""

    CSS_PATH = "app.tcss"
    TITLE = "benchtui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = bindings()
    #: Nothing has the focus at start (every key is an app key); Tab or a click focuses a field.
    #: Dialogs focus their own safe default (Cancel).
    AUTO_FOCUS = None

    def __init__(self, profile: Profile, board_slot: Any = None):
        super().__init__(profile, board_slot)
        self._shut_down = False
        self._imports_warm = False
        #: Draws the hidden tabs ahead of their first visit (tabs.py); made on mount.
        self.predraw: Predraw | None = None
        self._log_handler = AppLogHandler(self)
        #: Full garbage collections between frames, not inside them (heap.py).
        self.heap = HeapPolicy()
        self._target_seen: Any = None  # target identity the panels last showed
        self.active_tab = "overview"
        self.title = f"benchtui — {printable(profile.name)}"
        # No animations unless the user asks (TEXTUAL_ANIMATIONS): the tab underline's slide
        # alone is ~20 frames per tab key, each a repaint of the tab bar while the loop runs.
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        self._tab_bar = TabBar(TABS, TAB_KEYS, id="tab-bar")
        self._tab_bar.active = self.active_tab
        yield self._tab_bar
        # The panels themselves are the switcher's children (no pane around each): every
        # widget on screen costs each frame, so the tree stays as shallow as the layout allows.
        with ContentSwitcher(initial=f"{self.active_tab}-panel", id="tabs"):
            for tab, _ in TABS:
                yield PANELS[tab](self.state, id=f"{tab}-panel")
        yield KeyBar(footer_keys(), id="key-bar")

    async def on_mount(self) -> None:
        logging.getLogger("benchtui").addHandler(self._log_handler)
        if logging.getLogger("benchtui").getEffectiveLevel() > logging.INFO:
            logging.getLogger("benchtui").setLevel(logging.INFO)
        self.session = self.state.session = BenchSession(self.profile, on_event=self._bench_sink)
        self.heap.hold()
        self.start_psu_poll()
        self.set_interval(IDLE_COLLECT_S, self.heap.collect_if_due)
        self.refresh_status()
        self.log_line("bench", f"profile {self.profile.name} ({self.profile.source})")
        self.act("open", "connect instruments", self._open)
        self.load_runs()
        self.predraw = Predraw(self, self.query_one("#tabs", ContentSwitcher))
        self.call_after_refresh(self._warm_up)

    @property
    def warmed_up(self) -> bool:
        """The warm-up is done: imports and firmware parse (frozen) and the hidden tabs drawn
        ahead. From then on the first connect, run and tab visit do no startup work next to
        the event loop."""
        return self._imports_warm and self.predraw is not None and self.predraw.done

    #: What the console imports later on the loop (the first connect, run, report, cycle view):
    #: imported by a thread once the first frame is up, then frozen (`heap.freeze`). The first
    #: connect used to import ~510 modules (pyOCD's targets and probe plugins, elftools, lark,
    #: pylink, cmsis-pack-manager): a 150-350 ms stall in the first cycle (a thread loading C
    #: extensions holds the GIL), and ~53 000 objects every later full collection walked.
    WARM_UP = ("benchtui.bench.engine", "benchtui.bench.analysis", "benchtui.bench.report",
               "benchtui.tui.cycle_view", "benchtui.devices.mcu", "numpy",
               "benchtui.devices.pyocd_targets", "benchtui.devices.target.remote",
               "pyocd.core.helpers", "pyocd.core.session", "pyocd.flash.loader",
               "pyocd.probe.aggregator", "pyocd.target.builtin", "benchtui.bench.store.sqlite")

    def _warm_up(self) -> None:
        def imports() -> None:
            for name in self.WARM_UP:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - the real import, later, reports it
                    pass
            if self.session is not None:
                self.session.parse_firmware_ahead()
            self.call_from_thread(self._warm_up_done)
        self.run_worker(imports, thread=True, group="warm-up", exit_on_error=False)
        self.predraw.start()

    def _warm_up_done(self) -> None:
        self.heap.freeze(collect=True)
        self._imports_warm = True

    async def _open(self) -> None:
        await self.session.open()
        self.connection_changed()
        self.heap.freeze()  # the drivers' sessions, once

    # -- events -----------------------------------------------------------------------------
    def _bench_sink(self, event: Any) -> None:
        self.post_message(BenchEvent(event))

    def on_bench_event(self, message: BenchEvent) -> None:
        event = message.event
        if self._shut_down or not self.is_running:  # shutting down: the panels are going
            return
        target = self.session.state.target_identity if self.session else None
        if target is not self._target_seen:  # the loop connected or disconnected the target
            self._target_seen = target
            for panel in self.panels:
                panel.connection_changed()
        if isinstance(event, ev.Log):
            self.log_line(event.source, event.text, when=event.time)
        elif isinstance(event, ev.DeviceError):
            self.report(event.error)
            self.connection_changed()
        elif isinstance(event, ev.LinkChanged):
            self.connection_changed()
        self.state.apply(event)
        if isinstance(event, ev.CycleFinished):
            self.analyse_run(self.state.loop.run_id)
            # The cycle's pyOCD session was just dropped: collect it in a callback of its own.
            self.call_later(self.heap.collect_if_due)
        for panel in self.panels:
            panel.bench_event(event)
        self.refresh_status()

    def on_log_record_message(self, message: LogRecordMessage) -> None:
        if self._shut_down or not self.is_running:
            return
        self.log_line(message.source, message.text, when=message.when)

    # -- connections ------------------------------------------------------------------------
    def action_reconnect(self) -> None:
        """Open again every instrument that is lost or was never reached."""
        st = self.session.state
        lost = [d for d in ("psu", "scope") if getattr(st, f"{d}_link") != "connected"]
        if not lost:
            self.notify("PSU and scope are connected")
            return
        self.log_line("user", f"reconnect {' and '.join('PSU' if d == 'psu' else d for d in lost)}")
        self.act("open", "reconnect", lambda: self.session.reconnect(lost))

    def on_resize(self) -> None:
        # Every hidden tab was drawn at the old size: draw them again once the size settles.
        if self.predraw is not None:
            self.predraw.start(RESIZE_SETTLE_S)

    # -- navigation, help, palette ----------------------------------------------------------
    def action_blur(self) -> None:
        """Escape leaves a text field, so that digits and letters are keys again."""
        self.screen.set_focus(None)

    @on(TabRequested)
    def tab_requested(self, message: TabRequested) -> None:
        self.action_show_tab(message.tab)

    def action_show_tab(self, tab: str) -> None:
        """Show tab `tab` (its key, a click on the tab bar, the palette). A focused button or
        field on the old tab loses the focus, so that digits and letters are keys again."""
        if tab not in PANELS:
            return
        self.screen.set_focus(None)
        self.active_tab = tab
        self._tab_bar.active = tab
        switch_panel(self.query_one("#tabs", ContentSwitcher), f"{tab}-panel")
        # What changed while the tab was hidden is drawn in a callback of its own, after the
        # frame that shows the tab: showing a tab is a layout and a full frame (20-30 ms), and
        # redrawing its plots, tables and option bytes in the same callback doubled that, the
        # console's longest stalls while the loop runs (benchmarks/ui.py). The tab shows its
        # last drawing for that one frame.
        self.call_after_refresh(self.panel(PANELS[tab]).catch_up)

    def action_help(self) -> None:
        self.push_screen(TextScreen("Help", help_text()))

    def action_init_profile(self) -> None:
        """The init screen, looking for this console's own parts first (and, on a real bench,
        this machine's USB and serial ports too)."""
        if self.loop_running:
            self.notify("the loop is running: stop it (s) before building a profile", severity="warning")
            return
        from .init_view import InitScreen
        p = self.profile
        self.log_line("user", "build a profile (init)")
        self.push_screen(InitScreen(resources=[p.psu.resource, p.scope.resource],
                                    probes=[p.target.probe_uid], local=not p.virtual,
                                    firmware=p.target.firmware))

    @on(ProfileWritten)
    def profile_written(self, message: ProfileWritten) -> None:
        self.log_line("init", f"wrote {message.path}; check {'passed' if message.ok else 'FAILED'}"
                              f" (benchtui tui --profile {message.path} opens it)")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for c in COMMANDS:
            if c.palette and c.action != "quit":
                yield SystemCommand(c.name, f"{c.group} — key {c.key_label}",
                                    lambda a=c.action: self.run_action(a))

    # -- shutdown ---------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quit; while the loop runs, ask first (it stops after its step and the PSU goes off)."""
        if self.engine is None:
            await self._quit()
            return

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._quit(), group="quit")
            else:
                self.log_line("user", "quit: cancelled, the loop goes on")
        self.push_screen(ConfirmDialog(
            "Quit while the loop runs?", "The loop stops after its current step, the cycle in "
            "progress is not recorded, and the PSU output is switched off.", "Quit"), answered)

    async def _quit(self) -> None:
        await self.shutdown()
        self.exit()

    async def shutdown(self) -> None:
        """Stop the loop after its step, leave the PSU safe, release every device. Idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        self.heap.release()
        logging.getLogger("benchtui").removeHandler(self._log_handler)
        if self.engine is not None:
            self.engine.stop()
            loops = [w for w in self.workers if w.group == "loop"]
            try:
                await asyncio.wait_for(asyncio.gather(*(w.wait() for w in loops), return_exceptions=True),
                                       QUIT_STOP_TIMEOUT_S)
            except asyncio.TimeoutError:
                pass
        if self.session is not None:
            await self.session.close()

    async def on_unmount(self) -> None:
        await self.shutdown()
