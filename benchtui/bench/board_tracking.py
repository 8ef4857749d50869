"""Which board is on the bench across runs: its label, and a board swapped between runs.

A swap within a run is seen by the identity step (`forensics.IdentityTracker`: another UID than
the previous cycle's). Between runs only the database remembers: the cycle engine gives
`BoardTracker` the last UID the same bench recorded there, and asks `observe()` once per cycle
with the UID read at connect (None when the cycle never connected). When the run's first UID
differs from it, that cycle gets a `board_changed` event ("board changed since run 12: ...").
The profile's `[bench.labels]` (UID -> serial sticker) label the cycles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Mapping

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
        self._seen = False  # a UID of this run was observed

    def label(self, uid: str | None) -> str | None:
        return self.labels.get(uid.upper()) if uid else None

    def describe(self, uid: str | None) -> str:
        label = self.label(uid)
        return f"{uid} ({label})" if uid and label else (uid or "unknown board")

    def observe(self, cycle: int, uid: str | None) -> EventRecord | None:
        """A `board_changed` event when the run's first board is not the one the bench's
        previous run ended with (later swaps in the run are the identity step's)."""
        if not uid or self._seen:
            return None
        self._seen = True
        before, self.current = self.current, uid.upper()
        uid = self.current
        if before is None or before == uid:
            return None
        return EventRecord(
            "board_changed", f"board changed since run {self._previous_run}: "
                             f"{self.describe(before)} -> {self.describe(uid)}",
            cycle=cycle, at=time.time(),
            details={"from": before, "to": uid, "from_label": self.label(before),
                     "to_label": self.label(uid), "since_run": self._previous_run})


@dataclass
class BoardSlot:
    """Where a console can put another board of a virtual batch on the bench: `insert(k)` swaps
    the simulated board (the starter of the virtual bench provides it; None on a real bench)."""

    size: int
    insert: Callable[[int], None]
    current: int = 1


__all__ = ["BoardSlot", "BoardTracker", "short_uid"]
