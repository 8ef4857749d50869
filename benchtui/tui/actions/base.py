"""The console's core: its state, its panels, how every action runs, and the one place a failure
reaches the user.

`ConsoleBase` is the App every group of actions extends: `act()` runs bench work in a Textual
worker (one action per group at a time; the session runs the blocking driver call on the device's
owner thread), `confirm()` asks before destructive work, and `report()` turns any exception into
a notification, a log line and the status bar's last problem, in words chosen with what the app
knows (`words.Facts`). The state (`state`) is changed here and in the actions only; panels read
it and are told to repaint (`changed`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, TypeVar

from textual.app import App
from textual.worker import Worker

from ...errors import InstrumentError
from ...profile import Profile
from ..dialogs import ConfirmDialog
from ..panels import BenchPanel, LogPanel
from ..state import ConsoleState
from ..widgets import StatusBar
from ..words import Facts, explain, step_words

P = TypeVar("P", bound=BenchPanel)


class ConsoleBase(App[None]):
    """What every group of actions shares (BenchApp mixes the groups together)."""

    def __init__(self, profile: Profile, board_slot: Any = None):
        super().__init__()
        self.profile = profile
        #: What the panels show, other than the session's own state (state.py).
        self.state = ConsoleState(profile, board_slot)
        self.session: Any = None
        self.last_problem: str | None = None
        self._busy: dict[str, str] = {}
        self._panels: dict[type, BenchPanel] = {}

    # -- panels -----------------------------------------------------------------------------
    @property
    def panels(self) -> tuple[BenchPanel, ...]:
        """Every tab's panel (found once: a DOM query per bench event is expensive)."""
        if not self._panels:
            self._panels = {type(p): p for p in self.query(BenchPanel)}
        return tuple(self._panels.values())

    def panel(self, cls: type[P]) -> P:
        """The one panel of class `cls`."""
        if not self._panels:
            self.panels  # noqa: B018 - fills the cache
        found = self._panels.get(cls)
        return found if found is not None else self.query_one(cls)  # type: ignore[return-value]

    def changed(self, *classes: type[BenchPanel]) -> None:
        """The state these panels show changed: each repaints when it is on screen."""
        for cls in classes:
            self.panel(cls).invalidate()

    def connection_changed(self) -> None:
        for panel in self.panels:
            panel.connection_changed()
        self.refresh_status()

    # -- the engine -------------------------------------------------------------------------
    @property
    def engine(self) -> Any:
        """The running CycleEngine, None when no loop runs."""
        return self.state.loop.engine

    @property
    def loop_running(self) -> bool:
        return self.state.loop.running

    @property
    def busy(self) -> tuple[str, ...]:
        """The actions in progress, in words ('power-cycle', 'connect (under-reset)')."""
        return tuple(dict.fromkeys(self._busy.values()))  # one action may hold several groups

    # -- the one place errors become words --------------------------------------------------
    def facts(self) -> Facts:
        """What the app knows about the bench right now (the session's last seen PSU output)."""
        st = self.state.bench
        return Facts(psu_output=st.psu_output if st else None, connect_mode=self.state.target.connect_mode)

    def report(self, exc: BaseException, action: str | None = None) -> None:
        """Tell the user, in words, what failed and what to try: a notification and a log line."""
        exp = explain(exc, action, self.facts())
        self.last_problem = exp.line
        self.log_line(exp.where, exp.sentence, severity=exp.severity)
        body = exp.what + (f"\nTry: {exp.hint}" if exp.hint else "")
        # markup=False: a message quotes replies and names; "[@click=...]" in one is text.
        self.notify(body, title=exp.where, severity=exp.severity, timeout=10, markup=False)
        self.refresh_status()

    def instrument_lost(self, device: str, exc: BaseException, action: str) -> None:
        """An instrument stopped answering outside the loop: mark it lost (status bar) and say so."""
        if isinstance(exc, InstrumentError):
            self.session.mark_lost(device, exc)  # emits DeviceError -> report()
        else:
            self.report(exc, action)
        self.connection_changed()

    def log_line(self, source: str, text: str, *, when: float | None = None, severity: str = "") -> None:
        self.panel(LogPanel).write(when or time.time(), source, text, severity)

    # -- the status bar ---------------------------------------------------------------------
    def refresh_status(self) -> None:
        if self.session is None or not self.is_running:
            return
        st = self.session.state
        target = (st.target_identity.describe(), "connected") if st.target_identity is not None else \
            ((st.target_error, "lost") if st.target_error else ("not connected", "idle"))
        activity = ", ".join(self.busy)
        engine = self.engine
        if engine is not None:
            step = step_words(engine.current_step) if engine.current_step else "starting"
            activity = "loop PAUSED" if engine.paused else f"loop: {step}"
        scenario = self.profile.sim.scenario if self.profile.sim else None
        self.query_one(StatusBar).show(
            profile=self.profile.name, scenario=scenario,
            psu=(st.psu_identity, st.psu_error, st.psu_link),
            scope=(st.scope_identity, st.scope_error, st.scope_link),
            target=target, cycles=self.state.counters, activity=activity)

    # -- running bench work -----------------------------------------------------------------
    def act(self, group: str, action: str, work: Callable[[], Awaitable[Any]],
            then: Callable[[Any], None] | None = None, *, also: tuple[str, ...] = ()) -> Worker | None:
        """Run `work` in a worker; one action per group at a time; failures go to `report()`.
        `also`: more groups the action holds while it runs (work that needs PSU and scope)."""
        if self.loop_running and group != "loop":
            self.notify(f"the loop is running: stop it (s) before '{action}'", severity="warning")
            return None
        groups = (group, *also)
        taken = next((g for g in groups if g in self._busy), None)
        if taken is not None:
            self.notify(f"busy: {self._busy[taken]} in progress", severity="warning")
            return None
        for g in groups:
            self._busy[g] = action
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
                for g in groups:
                    self._busy.pop(g, None)
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

    def in_thread(self, work: Callable[[], Any], action: str, then: Callable[[Any], None], *,
                  group: str, exclusive: bool = False, finally_: Callable[[], None] | None = None) -> None:
        """Run blocking `work` (a database read, a file write) in a thread; `then(result)` runs on
        the app's loop, and `finally_()` after it whatever happened; a failure goes to `report()`
        as `action`."""
        def run() -> None:
            try:
                result = work()
            except Exception as exc:
                self.call_from_thread(self.report, exc, action)
            else:
                self.call_from_thread(then, result)
            finally:
                if finally_ is not None:
                    self.call_from_thread(finally_)
        self.run_worker(run, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
