"""The console: one Textual app over a BenchSession, with a tab per part of the bench.

Every bench call is awaited in a Textual worker (the session runs the blocking driver call on the
device's owner thread), so the event loop never waits on an instrument. Session and engine events
arrive as messages and are handed to every panel. Every failure goes through `report()`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane
from textual.worker import Worker

from ..bench import events as ev
from ..bench.session import BenchSession, format_sectors
from ..errors import InstrumentError, VerifyMismatch
from ..profile import Profile
from .dialogs import ConfirmDialog, FilePickerDialog, SectorDialog, TextScreen
from .panels import BenchPanel, LogPanel, LoopPanel, PowerPanel, ResultsPanel, ScopePanel, TargetPanel
from .widgets import StatusBar, short_identity
from .words import explain

TABS = (("power", "Power"), ("target", "Target"), ("scope", "Scope"), ("loop", "Loop"),
        ("results", "Results"), ("log", "Log"))
#: Longest wait for the loop to finish its current step when quitting (seconds).
QUIT_STOP_TIMEOUT_S = 30.0


class BenchEvent(Message):
    """A session or engine event, delivered on the app's loop."""

    def __init__(self, event: Any):
        super().__init__()
        self.event = event


class LogRecordMessage(Message):
    """A `logging` record from the drivers (instrument exchange summaries)."""

    def __init__(self, when: float, source: str, text: str):
        super().__init__()
        self.when, self.source, self.text = when, source, text


class _AppLogHandler(logging.Handler):
    """Forwards benchtui's INFO+ log records to the log tab (post_message is thread-safe)."""

    def __init__(self, app: "BenchApp"):
        super().__init__(logging.INFO)
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        source = record.name.rsplit(".", 1)[-1]
        self.app.post_message(LogRecordMessage(record.created, source, record.getMessage()))


class BenchApp(App[None]):
    """benchtui's console on the bench of `profile` (a real bench, or a started virtual bench)."""

    CSS_PATH = "app.tcss"
    TITLE = "benchtui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("p", "power_cycle", "Power-cycle"),
        Binding("f", "flash", "Flash"),
        Binding("l", "run_loop", "Loop"),
        Binding("space", "pause", "Pause"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("o", "toggle_output", "Output on/off", show=False),
        Binding("c", "toggle_connect", "Connect/disconnect target", show=False),
        Binding("g", "capture('power_up')", "Capture power-up", show=False),
        Binding("s", "stop_loop", "Stop loop", show=False),
        Binding("escape", "blur", "Leave the field (keys work again)", show=False),
        *[Binding(str(i), f"show_tab('{tab}')", f"{title} tab", show=False)
          for i, (tab, title) in enumerate(TABS, 1)],
    ]

    def __init__(self, profile: Profile):
        super().__init__()
        self.profile = profile
        self.session: BenchSession | None = None
        self.engine: Any = None
        self.counters = (0, 0, 0)
        self.last_problem: str | None = None
        self._busy: dict[str, str] = {}
        self._closed = False
        self._analysis_running = False
        self._analysis_again: int | None = None
        self._log_handler = _AppLogHandler(self)
        self._target_seen: Any = None  # target identity the panels last showed
        self.title = f"benchtui — {profile.name}"

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        panels = {"power": PowerPanel, "target": TargetPanel, "scope": ScopePanel, "loop": LoopPanel,
                  "results": ResultsPanel, "log": LogPanel}
        with TabbedContent(initial="power", id="tabs"):
            for i, (tab, title) in enumerate(TABS, 1):
                with TabPane(f"{i} {title}", id=tab):
                    yield panels[tab](id=f"{tab}-panel")
        yield Footer()

    async def on_mount(self) -> None:
        logging.getLogger("benchtui").addHandler(self._log_handler)
        if logging.getLogger("benchtui").getEffectiveLevel() > logging.INFO:
            logging.getLogger("benchtui").setLevel(logging.INFO)
        self.session = BenchSession(self.profile, on_event=self._bench_sink)
        self.refresh_status()
        self.log_line("bench", f"profile {self.profile.name} ({self.profile.source})")
        self.act("open", "connect instruments", self._open)
        self.load_runs()

    async def _open(self) -> None:
        await self.session.open()
        self.connection_changed()

    # -- events -----------------------------------------------------------------------------
    def _bench_sink(self, event: Any) -> None:
        self.post_message(BenchEvent(event))

    def on_bench_event(self, message: BenchEvent) -> None:
        event = message.event
        target = self.session.state.target_identity if self.session else None
        if target is not self._target_seen:  # the loop connected or disconnected the target
            self._target_seen = target
            for panel in self.query(BenchPanel):
                panel.connection_changed()
        if isinstance(event, ev.Log):
            self.log_line(event.source, event.text, when=event.time)
        elif isinstance(event, ev.DeviceError):
            self.report(event.error)
            self.connection_changed()
        elif isinstance(event, ev.CycleFinished):
            self.counters = (event.passed + event.failed, event.passed, event.failed)
        for panel in self.query(BenchPanel):
            panel.bench_event(event)
        self.refresh_status()

    def on_log_record_message(self, message: LogRecordMessage) -> None:
        self.log_line(message.source, message.text, when=message.when)

    def connection_changed(self) -> None:
        for panel in self.query(BenchPanel):
            panel.connection_changed()
        self.refresh_status()

    # -- the one place errors become words --------------------------------------------------
    def report(self, exc: BaseException, action: str | None = None) -> None:
        """Tell the user, in words, what failed and what to try: a notification and a log line."""
        exp = explain(exc, action)
        self.last_problem = exp.line
        self.log_line(exp.where, exp.sentence, severity=exp.severity)
        body = exp.what + (f"\nTry: {exp.hint}" if exp.hint else "")
        self.notify(body, title=exp.where, severity=exp.severity, timeout=10)
        self.refresh_status()

    def instrument_lost(self, device: str, exc: BaseException, action: str) -> None:
        """An instrument stopped answering outside the loop: mark it lost (status bar) and say so."""
        if isinstance(exc, InstrumentError):
            self.session.mark_lost(device, exc)  # emits DeviceError -> report()
        else:
            self.report(exc, action)
        self.connection_changed()

    def log_line(self, source: str, text: str, *, when: float | None = None, severity: str = "") -> None:
        self.query_one(LogPanel).write(when or time.time(), source, text, severity)

    # -- running bench work -----------------------------------------------------------------
    @property
    def loop_running(self) -> bool:
        return self.engine is not None

    def act(self, group: str, action: str, work: Callable[[], Awaitable[Any]],
            then: Callable[[Any], None] | None = None) -> Worker | None:
        """Run `work` in a worker; one action per group at a time; failures go to `report()`."""
        if self.loop_running and group != "loop":
            self.notify(f"the loop is running: stop it (s) before '{action}'", severity="warning")
            return None
        if group in self._busy:
            self.notify(f"busy: {self._busy[group]} in progress", severity="warning")
            return None
        self._busy[group] = action
        self.refresh_status()

        async def run() -> Any:
            try:
                result = await work()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.report(exc, action)
                return None
            finally:
                self._busy.pop(group, None)
                self.connection_changed()
            if then is not None:
                then(result)
            return result

        return self.run_worker(run(), name=action, group=group, exit_on_error=False)

    def confirm(self, title: str, body: str, label: str, then: Callable[[], None]) -> None:
        """Run `then` only if the user confirms in a dialog (destructive actions)."""
        def answered(ok: bool | None) -> None:
            if ok:
                then()
            else:
                self.log_line("user", f"{title}: cancelled")
        self.push_screen(ConfirmDialog(title, body, label), answered)

    # -- power ------------------------------------------------------------------------------
    def action_power_cycle(self) -> None:
        off_s = self.profile.cycle.off_s

        panel = self.query_one(PowerPanel)

        async def work() -> None:
            # session.power_cycle() step by step, reading back while off so the history shows it.
            await self.session.psu_output(False)
            panel.show_reading(await self.session.psu_read())
            await asyncio.sleep(off_s)
            await self.session.psu_output(True)
            panel.show_reading(await self.session.psu_read())
        self.log_line("user", f"power-cycle (off {off_s:g} s)")
        self.act("psu", "power-cycle", work)

    def action_toggle_output(self) -> None:
        panel = self.query_one(PowerPanel)

        async def work() -> None:
            reading = panel.reading or await self.session.psu_read()
            await self.session.psu_output(not reading.output)
            panel.show_reading(await self.session.psu_read())
        self.act("psu", "output on/off", work)

    # -- scope ------------------------------------------------------------------------------
    def action_capture(self, which: str = "power_up") -> None:
        """Power-up: power-cycle and capture the edge. Fault-catch: arm and wait for a dip."""
        async def work() -> None:
            waveforms = await self.session.capture(which, power_cycle=which == "power_up")
            if waveforms is None:
                self.notify(f"no {which.replace('_', '-')} trigger within "
                            f"{self.profile.cycle.trigger_timeout_s:g} s", severity="warning")
        self.act("scope", f"capture {which.replace('_', '-')}", work)

    # -- target -----------------------------------------------------------------------------
    @property
    def _target(self) -> TargetPanel:
        return self.query_one(TargetPanel)

    def action_toggle_connect(self) -> None:
        if self.session.state.target_connected:
            self.act("target", "disconnect", self.session.disconnect)
            return
        mode = self._target.mode
        self.act("target", f"connect ({mode})", lambda: self._connect(mode))

    async def _connect(self, mode: str) -> None:
        """Connect, show the identity at once, then read and show the option bytes and WRP map."""
        await self.session.connect(mode)
        self.connection_changed()
        self._target.show_option_bytes(await self.session.read_option_bytes())

    async def _ensure_connected(self) -> None:
        """Every action that needs the target connects the same way as `c` (identity + option bytes)."""
        if not self.session.state.target_connected:
            await self._connect(self._target.mode)

    def action_read_option_bytes(self) -> None:
        async def work() -> None:
            await self._ensure_connected()
            self._target.show_option_bytes(await self.session.read_option_bytes())
        self.act("target", "read option bytes", work)

    def action_flash(self, path: str | None = None) -> None:
        """Program (the loader erases the sectors the image covers) and verify, after confirmation."""
        path = path or self.profile.target.firmware
        if not path:
            self.action_program()
            return
        self.confirm("Flash the target?", f"Erase the sectors {Path(path).name} covers, program it and "
                     f"verify.\n{path}", "Flash", lambda: self.act("target", "flash", lambda: self._flash(path)))

    async def _flash(self, path: str) -> None:
        await self._ensure_connected()
        self.log_line("user", f"flash {path}")
        await self.session.program(path)
        await self._verify(path)

    async def _verify(self, path: str | None) -> None:
        result = await self.session.verify(path)
        if not result.ok:
            raise VerifyMismatch(f"{result.mismatch_count} bytes differ, first at 0x{result.first_mismatch:08X}",
                                 first_address=result.first_mismatch, count=result.mismatch_count)
        self.notify(f"verify OK ({result.bytes_checked / 1024:.1f} KB)")

    def action_program(self) -> None:
        def picked(path: str | None) -> None:
            if path:
                self.action_flash(path)
        self.push_screen(FilePickerDialog(self.profile.target.firmware), picked)

    def action_verify(self) -> None:
        async def work() -> None:
            await self._ensure_connected()
            await self._verify(None)
        self.act("target", "verify", work)

    def action_erase_sectors(self) -> None:
        async def work() -> Any:
            await self._ensure_connected()
            return await self.session.read_option_bytes()

        def choose(ob: Any) -> None:
            if ob is None:
                return
            self._target.show_option_bytes(ob)
            sectors = [(n, f"sector {n}" + ("  (write-protected)" if p else ""))
                       for n, p in sorted(ob.sector_protection().items())]
            self.push_screen(SectorDialog(sectors), erase)

        def erase(chosen: list[int] | None) -> None:
            if not chosen:
                self.log_line("user", "erase sectors: cancelled")
                return
            self.act("target", f"erase sectors {format_sectors(chosen)}",
                     lambda: self.session.erase(chosen, confirm=True))
        self.act("target", "read option bytes", work, then=choose)

    def action_erase_chip(self) -> None:
        self.confirm("Mass-erase the whole chip?", "Every sector of the flash will be erased. "
                     "This cannot be undone.", "Erase chip",
                     lambda: self.act("target", "mass erase", self._erase_chip))

    async def _erase_chip(self) -> None:
        await self._ensure_connected()
        await self.session.erase("chip", confirm=True)

    def action_remove_wrp(self) -> None:
        self.confirm("Remove write protection?", "Writes the option bytes with every nWRP bit set "
                     "(all sectors writable) and verifies them.", "Remove WRP",
                     lambda: self.act("target", "remove write protection", self._remove_wrp))

    async def _remove_wrp(self) -> None:
        await self._ensure_connected()
        ob = await self.session.remove_write_protection(confirm=True)
        self._target.show_option_bytes(ob if ob is not None else await self.session.read_option_bytes())

    # -- loop -------------------------------------------------------------------------------
    def action_run_loop(self) -> None:
        from ..bench.engine import CycleEngine

        if self.loop_running:
            self.notify("the loop is already running", severity="warning")
            return
        if self._busy:
            self.notify(f"busy: {', '.join(self._busy.values())} in progress", severity="warning")
            return
        panel = self.query_one(LoopPanel)
        cycles = panel.cycles_requested
        engine = CycleEngine(self.session)
        engine.stop_on_failure = panel.stop_on_failure
        self.engine = engine
        self.log_line("user", f"run loop: {cycles or 'until stopped'} cycles"
                              f"{', stop on failure' if engine.stop_on_failure else ''}")
        self.query_one(TabbedContent).active = "loop"

        async def work() -> Any:
            try:
                return await engine.run(cycles)
            finally:
                self.engine = None

        def done(summary: Any) -> None:
            if summary is not None:
                self.notify(f"run {summary.id}: {summary.cycles} cycles, {summary.failures} failed "
                            f"({summary.status})", severity="error" if summary.status == "error" else "information")
            self.load_runs()
        self.act("loop", "loop", work, then=done)

    def action_pause(self) -> None:
        if self.engine is None:
            self.notify("no loop running: l starts one", severity="warning")
            return
        self.engine.resume() if self.engine.paused else self.engine.pause()
        self.query_one(LoopPanel).show_status()
        self.refresh_status()

    def action_stop_loop(self) -> None:
        if self.engine is None:
            self.notify("no loop running", severity="warning")
            return
        self.engine.stop()
        self.refresh_status()

    # -- results ----------------------------------------------------------------------------
    def analyse_run(self, run_id: int | None) -> None:
        """Recompute the correlation in a thread; calls made while one runs coalesce into one rerun."""
        if run_id is None:
            return
        if self._analysis_running:
            self._analysis_again = run_id
            return
        self._analysis_running = True
        self.run_worker(lambda: self._analyse_thread(run_id), thread=True, group="analysis",
                        exit_on_error=False)

    def _analyse_thread(self, run_id: int) -> None:
        from ..bench.analysis import analyse
        from ..bench.store import ResultsStore
        try:
            with ResultsStore(self.profile.store.database, readonly=True) as store:
                analysis = analyse(store.feature_matrix(run_id))
            self.call_from_thread(self.query_one(LoopPanel).show_analysis, analysis)
        except Exception as exc:
            self.call_from_thread(self.report, exc, "correlation")
        finally:
            self.call_from_thread(self._analysis_done)

    def _analysis_done(self) -> None:
        self._analysis_running = False
        again, self._analysis_again = self._analysis_again, None
        if again is not None:
            self.analyse_run(again)

    def load_runs(self) -> None:
        """Read the run list of the profile's database in a thread."""
        if not Path(self.profile.store.database).exists():
            return
        self.run_worker(self._load_runs_thread, thread=True, group="runs", exit_on_error=False)

    def _load_runs_thread(self) -> None:
        from ..bench.store import ResultsStore
        try:
            with ResultsStore(self.profile.store.database, readonly=True) as store:
                runs = store.runs()
            self.call_from_thread(self.query_one(ResultsPanel).show_runs, runs)
        except Exception as exc:
            self.call_from_thread(self.report, exc, "list runs")

    def open_report(self, run_id: int) -> None:
        def build() -> None:
            from ..bench.analysis import analyse
            from ..bench.report import format_report
            from ..bench.store import ResultsStore
            try:
                with ResultsStore(self.profile.store.database, readonly=True) as store:
                    text = format_report(analyse(store.feature_matrix(run_id)), store.run(run_id))
                self.call_from_thread(self.push_screen, TextScreen(f"Run {run_id}", text))
            except Exception as exc:
                self.call_from_thread(self.report, exc, f"report of run {run_id}")
        self.run_worker(build, thread=True, group="report", exit_on_error=False)

    # -- navigation, help, palette ----------------------------------------------------------
    def action_blur(self) -> None:
        """Escape leaves a text field, so that digits and letters are keys again."""
        self.screen.set_focus(None)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_help(self) -> None:
        self.push_screen(TextScreen("Help", help_text(self.BINDINGS)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action.startswith("show_tab") or binding.action == "quit":
                continue
            yield SystemCommand(binding.description, f"key {binding.key}",
                                lambda a=binding.action: self.run_action(a))
        for title, action in (("Program a firmware file…", "program"), ("Verify", "verify"),
                              ("Erase sectors…", "erase_sectors"), ("Erase chip…", "erase_chip"),
                              ("Remove write protection…", "remove_wrp"),
                              ("Read option bytes", "read_option_bytes"),
                              ("Capture fault-catch", "capture('fault_catch')")):
            yield SystemCommand(title, "target / scope", lambda a=action: self.run_action(a))

    # -- status -----------------------------------------------------------------------------
    def refresh_status(self) -> None:
        if self.session is None:
            return
        st = self.session.state

        def inst(identity: str | None, error: str | None) -> tuple[str, bool | None]:
            if error:
                return error, False
            return (short_identity(identity), True) if identity else ("connecting…", None)
        target = (st.target_identity.describe(), True) if st.target_identity is not None else \
            ((st.target_error, False) if st.target_error else ("not connected", None))
        activity = ", ".join(self._busy.values())
        if self.engine is not None:
            activity = "loop PAUSED" if self.engine.paused else f"loop: {self.engine.current_step or 'starting'}"
        self.query_one(StatusBar).show(
            profile=self.profile.name, psu=inst(st.psu_identity, st.psu_error),
            scope=inst(st.scope_identity, st.scope_error), target=target, cycles=self.counters,
            activity=activity)

    # -- shutdown ---------------------------------------------------------------------------
    async def action_quit(self) -> None:
        await self.shutdown()
        self.exit()

    async def shutdown(self) -> None:
        """Stop the loop after its step, leave the PSU safe, release every device. Idempotent."""
        if self._closed:
            return
        self._closed = True
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


def help_text(bindings: Iterable[Binding]) -> str:
    """Every key with what it does, and what each tab is for."""
    lines = ["Keys", ""]
    for b in bindings:
        key = {"question_mark": "?", "space": "space"}.get(b.key, b.key)
        lines.append(f"  {key:<7} {b.description}")
    lines += ["  ctrl+p  command palette (every action by name)", "  tab     next control",
              "", "Tabs", "",
              "  Power    setpoint and limit (within the profile's maxima), V/I readback, CC/CV, output",
              "  Target   connect mode, connect, option bytes + sector protection map, erase/program/verify",
              "  Scope    last capture per net with its limits; out-of-limit values in red",
              "  Loop     power-cycle/flash/measure loop, cycle table, correlation ranking, top feature",
              "  Results  earlier runs in the database; Enter opens a run's report",
              "  Log      every action and instrument exchange, with the time",
              "", "Destructive actions (erase, program, remove write protection) ask first:",
              "y confirms, n or Escape cancels. Problems appear as a notification and in the log."]
    return "\n".join(lines)
