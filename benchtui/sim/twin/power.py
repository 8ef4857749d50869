"""Where the twin's supply and reset come from: the `PowerSource` protocol and a trivial,
always-healthy implementation for standalone use.

The board model (benchtui/sim/board/model.py) implements the same protocol with real physics; the
twin never decides a failure on its own, it only asks the power source.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class PowerSource(Protocol):
    """Supply, NRST and SWD-contact verdicts the twin asks for on every access.

    `disturbance_at(t0, t1)` is the verdict on a flash operation over [t0, t1] (times on the
    source's `now()` clock) and the instant it hits: the twin resets at that instant, not when
    the operation starts, so what the scope sees and what the chip does happen together."""

    def now(self) -> float: ...
    def powered(self) -> bool: ...
    def nrst_low(self) -> bool: ...
    def set_probe_reset(self, asserted: bool) -> None: ...
    def power_epoch(self) -> int: ...
    def option_load_ok(self) -> bool: ...
    def add_load(self, current_a: float, duration_s: float, label: str = "",
                 after: float | None = None) -> tuple[float, float]: ...
    def disturbance(self, t0: float, t1: float) -> str | None: ...
    def disturbance_at(self, t0: float, t1: float) -> tuple[str, float] | None: ...
    def swd_ok(self) -> bool: ...


class AlwaysPowered:
    """A clean 3.3 V supply, NRST driven only by the probe, perfect wiring.

    It records the loads it is given (`loads`) so tests can see what the twin drew, and lets a
    test power-cycle it (`power_cycle`) to start a new epoch.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._probe_reset = False
        self._epoch = 1
        self._t = 0.0
        self.loads: list[tuple[float, float, float, str]] = []

    def now(self) -> float:
        return time.monotonic()

    def powered(self) -> bool:
        return True

    def nrst_low(self) -> bool:
        return self._probe_reset

    def set_probe_reset(self, asserted: bool) -> None:
        self._probe_reset = bool(asserted)

    def power_epoch(self) -> int:
        return self._epoch

    def power_cycle(self) -> None:
        """Switch off and on again: the twin sees a new power epoch."""
        with self._lock:
            self._epoch += 1

    def option_load_ok(self) -> bool:
        return True

    def add_load(self, current_a: float, duration_s: float, label: str = "",
                 after: float | None = None) -> tuple[float, float]:
        t0 = max(self.now(), after or 0.0)
        with self._lock:
            self.loads.append((t0, duration_s, current_a, label))
        return t0, t0 + duration_s

    def disturbance(self, t0: float, t1: float) -> str | None:
        return None

    def disturbance_at(self, t0: float, t1: float) -> tuple[str, float] | None:
        """`disturbance`'s verdict, hitting at the start of the operation (a subclass that
        scripts verdicts only overrides `disturbance`)."""
        verdict = self.disturbance(t0, t1)
        return None if verdict is None else (verdict, t0)

    def swd_ok(self) -> bool:
        return True
