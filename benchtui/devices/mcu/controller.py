"""What a family's flash-controller sequences speak to and raise: a 32-bit `Bus` (a pyOCD target,
or anything with read32/write32), the `ControllerError` they raise with the status register, and
the one wait loop they share. No pyOCD here: `devices/pyocd_targets.py` maps the errors."""

from __future__ import annotations

import time
from typing import Callable, Protocol


class Bus(Protocol):
    """32-bit register access to the chip (a pyOCD target satisfies it)."""

    def read32(self, address: int) -> int: ...
    def write32(self, address: int, value: int) -> None: ...


class ControllerError(Exception):
    """A flash-controller operation ended badly: error flags in its status register (`sr`), a
    busy flag that never cleared (`timeout`), or a reset in the middle (`reset`: the control
    register came back locked)."""

    def __init__(self, message: str, *, sr: int | None = None, sector: int | None = None,
                 address: int | None = None, reset: bool = False, timeout: bool = False):
        super().__init__(message)
        self.sr = sr
        self.sector = sector
        self.address = address
        self.reset = reset
        self.timeout = timeout


#: Poll period while a flash operation holds its busy flag (a sector erase takes 20 ms to 4 s).
BUSY_POLL_S = 0.001


def wait_clear(bus: Bus, address: int, mask: int, timeout_s: float, what: str,
               *, cancelled: Callable[[], bool] | None = None) -> int:
    """Poll `address` until none of `mask` is set; the last value read. ControllerError (with
    the value) when `timeout_s` passes first."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = bus.read32(address)
        if not value & mask:
            return value
        if time.monotonic() > deadline:
            raise ControllerError(f"{what}: busy flag still set after {timeout_s:.0f} s",
                                  sr=value, timeout=True)
        time.sleep(BUSY_POLL_S)


def unlock(bus: Bus, cr: int, lock_bit: int, keyr: int, keys: tuple[int, int], what: str) -> None:
    """Write the two keys when `lock_bit` of `cr` is set; ControllerError if it stays set (a wrong
    key order locks the register until the next reset)."""
    if not bus.read32(cr) & lock_bit:
        return
    bus.write32(keyr, keys[0])
    bus.write32(keyr, keys[1])
    if bus.read32(cr) & lock_bit:
        raise ControllerError(f"{what} stays locked after the key sequence (a wrong key locks it "
                              "until reset)")


__all__ = ["BUSY_POLL_S", "Bus", "ControllerError", "unlock", "wait_clear"]
