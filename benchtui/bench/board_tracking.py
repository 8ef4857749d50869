"""Which board is on the bench: the UID read at every connect, its label, and swaps.

The cycle engine asks `BoardTracker.observe()` once per cycle with the UID the target reported
at connect (None when the cycle never connected). A UID different from the last one seen —
in this run, or in the bench's previous run in the same database — is a board swap, recorded
as a `board_changed` event of that cycle.
"""

from __future__ import annotations

import time
from typing import Mapping

from .records import EventRecord


def short_uid(uid: str | None) -> str:
    """'0046…510D': a UID as a line of text shows it (the full one is in the record)."""
    if not uid:
        return "unknown board"
    return f"{uid[:4]}…{uid[-4:]}" if len(uid) > 12 else uid


class BoardTracker:
    """Notices board swaps from the UIDs read at connect; knows the profile's labels."""

    def __init__(self, labels: Mapping[str, str] | None = None, *, previous: str | None = None,
                 previous_run: int | None = None):
        self.labels = {k.upper(): v for k, v in (labels or {}).items()}
        self.current: str | None = previous
        self._previous_run = previous_run

    def label(self, uid: str | None) -> str | None:
        return self.labels.get(uid.upper()) if uid else None

    def describe(self, uid: str | None) -> str:
        label = self.label(uid)
        return f"{uid} ({label})" if uid and label else (uid or "unknown board")

    def observe(self, cycle: int, uid: str | None) -> EventRecord | None:
        """The cycle's board; a `board_changed` event when it is not the last one seen."""
        if not uid:
            return None
        uid = uid.upper()
        before, self.current = self.current, uid
        if before is None or before == uid:
            self._previous_run = None
            return None
        since = (f"since run {self._previous_run}" if self._previous_run is not None
                 else "since the previous cycle")
        self._previous_run = None
        return EventRecord(
            "board_changed", f"board changed {since}: {self.describe(before)} -> {self.describe(uid)}",
            cycle=cycle, at=time.time(),
            details={"from": before, "to": uid, "from_label": self.label(before),
                     "to_label": self.label(uid)})


__all__ = ["BoardTracker", "short_uid"]
