"""How the console shows a tab: `switch_panel`, and `Predraw`, which draws the hidden tabs once
off screen so that the first visit of a tab costs no more than every later one.

The first time a tab is shown, Textual builds it from nothing: each widget's box measured,
its first Resize handled, every line rendered with empty caches. At 100x30 on an idle console
that made the first visit of each tab 40-50 ms of event-loop CPU, later visits 15-25 ms. While
the loop runs those first visits were the longest stalls of `benchmarks/ui.py` (34-46 ms
frames against 13-16 ms for the same tab later). `Predraw` does that first visit in the
background, after the first frame and again after the terminal is resized, while nothing is
written to the terminal: one tab per callback, each tab twice (the first pass posts the Resize
events; the DataTable keys its line caches on a counter its Resize handler bumps, so only the
second pass renders what a real visit will find).

This reaches into Textual's screen (`_refresh_layout`, its compositor and dirty state; written
against Textual 8.2). The drawing is only ahead of time, never needed: if Textual changes
underneath, `Predraw` stops after the first failure and tabs are drawn on their first visit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from textual.widgets import ContentSwitcher

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)

#: Pause between two tabs drawn ahead (seconds): each is one 15-50 ms callback, and the
#: messages it posted (Resize, Show, Hide) are handled in between.
STEP_S = 0.05
#: How long to wait after a resize before drawing again (a drag resizes many times).
RESIZE_SETTLE_S = 0.5
#: While the screen has work pending (a layout, dirty widgets) or a widget has the focus, a
#: step waits this long and tries again, at most MAX_TRIES times per tab.
RETRY_S = 0.2
MAX_TRIES = 25


def switch_panel(switcher: ContentSwitcher, panel_id: str) -> None:
    """Show child `panel_id` of `switcher` and hide the one shown, as setting `current` does,
    without repainting the switcher itself: the shown panel covers all of it, and its own
    background (26 lines at 100x30) was drawn anew on every tab key, 1-4 ms of that frame."""
    old = switcher.current
    if old == panel_id:
        return
    switcher.set_reactive(ContentSwitcher.current, panel_id)
    if old is not None:
        switcher.get_child_by_id(old).display = False
    switcher.get_child_by_id(panel_id).display = True


class Predraw:
    """Draws each hidden child of `switcher` once, off screen (`start`); `done` once all are."""

    def __init__(self, app: "App", switcher: ContentSwitcher):
        self.app = app
        self.switcher = switcher
        self._queue: list[str] = []  # what is left to draw, in order
        self._tries = 0
        self._timer = None
        self._broken = False
        #: Tabs drawn (one count per tab and pass), and steps that found the screen busy and
        #: waited (RETRY_S), for the tests.
        self.drawn = 0
        self.waited = 0

    @property
    def done(self) -> bool:
        """Nothing is left to draw: every hidden tab was drawn since the last `start`, or
        Predraw gave up on the rest (see the module)."""
        return not self._queue

    def start(self, delay: float = 0.0) -> None:
        """Draw every hidden tab (again), beginning in `delay` seconds (STEP_S at least); a
        running round starts again."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._broken:
            return
        ids = [child.id for child in self.switcher.children if child.id is not None]
        self._queue = ids + ids  # two passes: see the module
        self._tries = 0
        self._schedule(delay)

    def _schedule(self, delay: float) -> None:
        # (A Textual timer of 0 s fails when stopped: ZeroDivisionError in 8.2.)
        self._timer = self.app.set_timer(max(delay, STEP_S), self._step, name="predraw")

    def _step(self) -> None:
        self._timer = None
        if not self.app.is_running or not self.switcher.is_attached:  # the app is closing
            self._queue.clear()
        while self._queue and self._queue[0] == self.switcher.current:
            self._queue.pop(0)  # the shown tab is drawn anyway
        if not self._queue:
            return
        try:
            if self._quiet():
                self._draw(self._queue.pop(0))
                self._tries = 0
                self.drawn += 1
                self._schedule(STEP_S)
                return
        except Exception as error:  # noqa: BLE001 - see the module: only ever ahead of time
            log.debug("predraw stopped (%s: %s); tabs are drawn on their first visit",
                      type(error).__name__, error)
            self._broken = True
            self._queue.clear()
            return
        self._tries += 1
        self.waited += 1
        if self._tries > MAX_TRIES:  # always busy: leave the rest to their first visit
            self._queue.clear()
        else:
            self._schedule(RETRY_S)

    def _quiet(self) -> bool:
        """Nothing is pending on the switcher's screen, and nothing has the focus (a widget that
        is hidden, even for a moment, loses the focus when its Hide event is handled)."""
        screen = self.switcher.screen
        return (screen is self.app.screen and screen.focused is None
                and not screen._layout_required and not screen._dirty_widgets
                and not screen._repaint_required and not screen._compositor._dirty_regions)

    def _draw(self, panel_id: str) -> None:
        """Lay out and render the screen with `panel_id` shown, then restore the shown tab; the
        terminal is not written to (batch_update), and what changed on screen is nothing."""
        screen = self.switcher.screen
        shown = self.switcher.current
        compositor = screen._compositor
        with self.app.batch_update():
            switch_panel(self.switcher, panel_id)
            try:
                screen._refresh_layout()
                compositor.render_update(full=True)
            finally:  # whatever failed, the tab that was shown is shown again
                if shown is not None:
                    switch_panel(self.switcher, shown)
                screen._refresh_layout()
            # The screen looks as it did before: nothing to paint (the screen was quiet).
            compositor._dirty_regions.clear()
