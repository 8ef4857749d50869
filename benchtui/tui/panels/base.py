"""What every tab has in common: it sees every bench event and reaches the bench through the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.containers import Vertical

if TYPE_CHECKING:
    from ..app import BenchApp


class BenchPanel(Vertical):
    """A tab's content. The app calls `bench_event` for every session/engine event (loop thread)."""

    @property
    def bench(self) -> "BenchApp":
        return self.app  # type: ignore[return-value]

    def bench_event(self, event: Any) -> None:
        """React to a bench event; the default ignores it."""

    def connection_changed(self) -> None:
        """The session's connection state changed (opened, lost, target connected)."""

    def capture_shown(self, capture: str, index: int | None, when: float, views: dict) -> None:
        """The scope tab measured and drew a capture (`views`: net -> capture.NetView)."""
