"""What every tab has in common: it draws the console's state and says what the user asked for.

A panel reads the console's state (state.py, which the app keeps) and draws it in `paint()`; what
the user asks for goes up as a message (messages.py). The app passes every bench event down
(`bench_event`), after the state has followed it; a panel then calls `invalidate()`: a panel on screen repaints at most every PAINT_INTERVAL_S (a burst
of progress events costs one repaint, not one each), a panel on a hidden tab not at all until its
tab is shown. Repainting is what costs the event loop time (Textual re-renders, often re-lays
out, the screen), so this is what keeps the console responsive while the loop runs.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from ..state import ConsoleState

#: Shortest time between two repaints of a panel on screen (seconds): 4 per second at most.
PAINT_INTERVAL_S = 0.25
#: What each widget drawn with `set_text` shows now (kept beside the widget, not in it).
_SHOWN: "weakref.WeakKeyDictionary[Static, Text]" = weakref.WeakKeyDictionary()


def set_text(widget: Static, text: Any, *, layout: bool = False) -> bool:
    """Show `text` in `widget` unless it already shows exactly that; True if it changed.

    `layout=False` (the default) is for widgets whose size the CSS fixes: Textual then repaints
    only the widget instead of laying out the screen again. Pass `layout=True` where the new
    text may change the widget's size (height: auto).
    """
    if isinstance(text, str):
        text = Text(text)
    if _SHOWN.get(widget) == text:
        return False
    _SHOWN[widget] = text
    widget.update(text, layout=layout)
    return True


class BenchPanel(Vertical):
    """A tab's content, drawn from `state` (the app's state; read only here)."""

    def __init__(self, state: ConsoleState, **kw: Any):
        super().__init__(**kw)
        self.state = state
        self._stale = False
        self._painted_at = 0.0
        self._paint_timer: Any = None

    @property
    def profile(self) -> Any:
        return self.state.profile

    def bench_event(self, event: Any) -> None:
        """A bench event the state has followed; the default ignores it."""

    def connection_changed(self) -> None:
        """The session's connection state changed (opened, lost, target connected)."""
        self.invalidate()

    # -- painting ---------------------------------------------------------------------------
    @property
    def shown(self) -> bool:
        """This panel is on screen: mounted, and its tab is the one shown (the app's tab
        switcher hides the others with `display`)."""
        return self.is_mounted and bool(self.display)

    @property
    def stale(self) -> bool:
        """Something changed that the panel has not painted yet (False once it has)."""
        return self._stale

    def invalidate(self) -> None:
        """What the panel shows changed: repaint now, or within PAINT_INTERVAL_S of the last
        repaint, or when the tab is shown next."""
        self._stale = True
        if self._paint_timer is not None or not self.shown:
            return
        wait = self._painted_at + PAINT_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self.catch_up()
        else:
            self._paint_timer = self.set_timer(wait, self._paint_due)

    def _paint_due(self) -> None:
        self._paint_timer = None
        if self.shown:
            self.catch_up()

    def catch_up(self) -> None:
        """Repaint if the state changed since the last paint (the app calls it when the tab is shown)."""
        if not self._stale or not self.is_mounted:
            return
        self._stale = False
        self._painted_at = time.monotonic()
        self.paint()

    def paint(self) -> None:
        """Draw the panel's state into its widgets; the default has nothing to draw."""

    def on_show(self) -> None:
        self.catch_up()
