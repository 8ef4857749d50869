"""The console's collector policy: no automatic full collection while held; one when due, run
by the console; the interpreter's thresholds back on release."""

from __future__ import annotations

import gc

from benchtui.tui.heap import HELD_THRESHOLD, HeapPolicy


def test_full_collections_wait_for_the_console_and_run_when_due() -> None:
    saved = gc.get_threshold()
    runs: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            runs.append(info["generation"])
    heap = HeapPolicy()
    gc.callbacks.append(seen)
    try:
        heap.hold()
        assert gc.get_threshold() == (saved[0], saved[1], HELD_THRESHOLD)
        gc.collect()
        runs.clear()
        for _ in range(200_000):  # cyclic garbage: many young collections, 10 are a due full one
            a: list = []
            a.append(a)
        assert runs.count(1) >= 10 and 2 not in runs, runs.count(1)
        assert heap.due() and heap.collect_if_due() and runs[-1] == 2 and heap.collections == 1
        assert not heap.collect_if_due()  # just ran: not due again
    finally:
        gc.callbacks.remove(seen)
        heap.release()
    assert gc.get_threshold() == saved and not heap.holding
    assert not heap.collect_if_due()  # released: the interpreter collects on its own again
