"""The console's garbage-collector policy: full collections run between frames, never inside one.

CPython starts a full (generation 2) collection from whichever allocation crosses its threshold.
In the console that is mostly inside a frame (the compositor makes thousands of strips per
frame) or on the owner-target thread, which holds the GIL while it collects. A full collection
walks every object that survived a young one: with a pyOCD session made and dropped every cycle
that is 35-40 000 objects, 20-36 ms, on top of the frame's own 25-45 ms. Those were the longest
stalls of `benchmarks/ui.py` (a gc callback timed them inside the slow event-loop callbacks).

So while the console runs, automatic full collections are held back and the console runs them
itself, as a callback of their own on the event loop, where no frame is being composed: after
each loop cycle (the cycle's pyOCD session has just been dropped) and from an idle timer. Young
collections (generations 0 and 1) stay automatic in every thread: they take a few ms and free
most garbage. What exists once the console has started (modules, the DOM, the drivers) is
frozen: frozen objects are never walked again.
"""

from __future__ import annotations

import gc

#: The generation-2 threshold while full collections are held: CPython counts generation-1
#: collections against it, and this many does not happen in a session (one per ~7000 allocations).
HELD_THRESHOLD = 1_000_000
#: A full collection is due once this many generation-1 collections ran since the last one
#: (CPython's own default threshold for generation 2).
DUE_AFTER = 10


class HeapPolicy:
    """Hold automatic full collections (`hold`), run them when due (`collect_if_due`), freeze
    what lives for the whole session (`freeze`), give the interpreter its policy back (`release`)."""

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        #: Full collections run by `collect_if_due` (for the tests and the benchmark).
        self.collections = 0

    @property
    def holding(self) -> bool:
        return self._saved is not None

    def hold(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, _ = self._saved
            gc.set_threshold(young, middle, HELD_THRESHOLD)

    def release(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def due(self) -> bool:
        return gc.get_count()[2] >= DUE_AFTER

    def collect_if_due(self) -> bool:
        """Run a full collection if one is due; True if it ran. Call it from the event loop."""
        if not self.holding or not self.due():
            return False
        gc.collect()
        self.collections += 1
        return True

    @staticmethod
    def freeze(collect: bool = False) -> None:
        """Move every object that exists now out of the collector's sight (after a collection if
        `collect`). Only for what lives as long as the console: frozen garbage is never freed."""
        if collect:
            gc.collect()
        gc.freeze()
