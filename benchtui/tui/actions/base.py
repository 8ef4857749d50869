"""How every action runs, and the one place a failure reaches the user.

`act()` runs bench work in a Textual worker (one action per group at a time; the session runs
the blocking driver call on the device's owner thread), `confirm()` asks before destructive
work, and `report()` turns any exception into a notification, a log line and the status bar's
last problem, in words chosen with what the app knows (`words.Facts`).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from textual.worker import Worker

from ...errors import InstrumentError
from ..dialogs import ConfirmDialog
from ..words import Facts, explain

if TYPE_CHECKING:
    from ...bench.session import BenchSession
    from ...profile import Profile


class ActionsBase:
    """Shared by every group of actions (mixed into BenchApp)."""

    profile: "Profile"
    session: "BenchSession | None"
    engine: Any
    last_problem: str | None
    _busy: dict[str, str]

    # -- the one place errors become words --------------------------------------------------
    def facts(self) -> Facts:
        """What the app knows about the bench right now (the session's last seen PSU output)."""
        st = self.session.state if self.session else None
        mode = None
        try:
            from ..panels import TargetPanel
            mode = self.panel(TargetPanel).mode
        except Exception:  # no target panel (tests of a bare app): the profile's mode
            mode = self.profile.target.connect_mode
        return Facts(psu_output=st.psu_output if st else None, connect_mode=mode)

    def report(self, exc: BaseException, action: str | None = None) -> None:
        """Tell the user, in words, what failed and what to try: a notification and a log line."""
        exp = explain(exc, action, self.facts())
        self.last_problem = exp.line
        self.log_line(exp.where, exp.sentence, severity=exp.severity)
        body = exp.what + (f"\nTry: {exp.hint}" if exp.hint else "")
        # markup=False: a message quotes replies and names; "[@click=...]" in one is text.
        self.notify(body, title=exp.where, severity=exp.severity, timeout=10,  # type: ignore[attr-defined]
                    markup=False)
        self.refresh_status()

    def instrument_lost(self, device: str, exc: BaseException, action: str) -> None:
        """An instrument stopped answering outside the loop: mark it lost (status bar) and say so."""
        if isinstance(exc, InstrumentError):
            self.session.mark_lost(device, exc)  # emits DeviceError -> report()
        else:
            self.report(exc, action)
        self.connection_changed()

    def log_line(self, source: str, text: str, *, when: float | None = None, severity: str = "") -> None:
        from ..panels import LogPanel
        self.panel(LogPanel).write(when or time.time(), source, text, severity)

    # -- running bench work -----------------------------------------------------------------
    @property
    def loop_running(self) -> bool:
        return self.engine is not None

    def act(self, group: str, action: str, work: Callable[[], Awaitable[Any]],
            then: Callable[[Any], None] | None = None) -> Worker | None:
        """Run `work` in a worker; one action per group at a time; failures go to `report()`."""
        if self.loop_running and group != "loop":
            self.notify(f"the loop is running: stop it (s) before '{action}'", severity="warning")  # type: ignore[attr-defined]
            return None
        if group in self._busy:
            self.notify(f"busy: {self._busy[group]} in progress", severity="warning")  # type: ignore[attr-defined]
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

        return self.run_worker(run(), name=action, group=group, exit_on_error=False)  # type: ignore[attr-defined]

    def confirm(self, title: str, body: str, label: str, then: Callable[[], None]) -> None:
        """Run `then` only if the user confirms in a dialog (destructive actions)."""
        def answered(ok: bool | None) -> None:
            if ok:
                then()
            else:
                self.log_line("user", f"{title}: cancelled")
        self.push_screen(ConfirmDialog(title, body, label), answered)  # type: ignore[attr-defined]

    # provided by the app
    def panel(self, cls: Any) -> Any: ...
    def refresh_status(self) -> None: ...
    def connection_changed(self) -> None: ...
