"""`TwinProbe`: a pyOCD DebugProbe whose wire ends in an `Stm32Twin` instead of USB.

Every call first lets the twin follow its power source (`sync`): no power, no contact or RDP
level 2 give no SWD acknowledge, reported as pyOCD's `TransferError` like a real probe does;
bus faults become `TransferFaultError` carrying the faulting address.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Callable

from pyocd.core import exceptions
from pyocd.probe.debug_probe import DebugProbe

if TYPE_CHECKING:
    from .mcu import Stm32Twin

VENDOR = "benchtui"
PRODUCT = "STM32F767 twin"


class TwinProbe(DebugProbe):
    """One probe wired to one twin (the twin may be shared by several probe objects)."""

    @classmethod
    def get_all_connected_probes(cls, unique_id: str | None = None, is_explicit: bool = False):
        from .registry import registered_twins
        return [cls(twin, uid) for uid, twin in registered_twins().items()
                if unique_id is None or uid == unique_id]

    @classmethod
    def get_probe_with_id(cls, unique_id: str, is_explicit: bool = False):
        probes = cls.get_all_connected_probes(unique_id, is_explicit)
        return probes[0] if probes else None

    def __init__(self, twin: "Stm32Twin", uid: str):
        super().__init__()
        self.twin = twin
        self._uid = uid
        self._is_open = False
        self._protocol: DebugProbe.Protocol | None = None
        self._clock = 1_000_000.0

    # --- identity ---------------------------------------------------------------------------
    @property
    def description(self) -> str:
        return f"{VENDOR} {PRODUCT} ({self.twin.variant.upper()})"

    @property
    def vendor_name(self) -> str:
        return VENDOR

    @property
    def product_name(self) -> str:
        return PRODUCT

    @property
    def supported_wire_protocols(self):
        return [DebugProbe.Protocol.DEFAULT, DebugProbe.Protocol.SWD]

    @property
    def unique_id(self) -> str:
        return self._uid

    @property
    def wire_protocol(self):
        return self._protocol

    @property
    def is_open(self) -> bool:
        return self._is_open

    @property
    def capabilities(self):
        return set()

    # --- life cycle -----------------------------------------------------------------------------
    def open(self) -> None:
        self._is_open = True

    def close(self) -> None:
        self._is_open = False
        self.twin.save_if_dirty()

    def connect(self, protocol=None) -> None:
        if protocol not in (None, DebugProbe.Protocol.DEFAULT, DebugProbe.Protocol.SWD):
            raise exceptions.ProbeError(f"{self._uid}: only SWD is supported, not {protocol.name}")
        self._protocol = DebugProbe.Protocol.SWD

    def disconnect(self) -> None:
        self._protocol = None
        self.twin.save_if_dirty()

    def swj_sequence(self, length: int, bits: int) -> None:
        pass   # line resets and JTAG-to-SWD switches always succeed on the twin

    def set_clock(self, frequency: float) -> None:
        self._clock = frequency

    # --- reset pin --------------------------------------------------------------------------------
    def assert_reset(self, asserted: bool) -> None:
        with self.twin.lock:
            self.twin.power.set_probe_reset(bool(asserted))
            with contextlib.suppress(Exception):
                self.twin.sync()

    def is_reset_asserted(self) -> bool:
        return self.twin.power.nrst_low()

    def reset(self) -> None:
        self.assert_reset(True)
        self.assert_reset(False)

    def flush(self) -> None:
        pass

    # --- DP/AP --------------------------------------------------------------------------------------
    def _do(self, fn: Callable, *args):
        from .faults import BusFault, NoAck
        with self.twin.lock:
            try:
                self.twin.sync()
                return fn(*args)
            except NoAck as err:
                raise exceptions.TransferError(f"No ACK received from target ({err})") from None
            except BusFault as err:
                raise exceptions.TransferFaultError(str(err), fault_address=err.address) from None

    @staticmethod
    def _deferred(now: bool, value):
        return value if now else (lambda: value)

    def read_dp(self, addr: int, now: bool = True):
        return self._deferred(now, self._do(self.twin.dp.read_dp, addr))

    def write_dp(self, addr: int, data: int) -> None:
        self._do(self.twin.dp.write_dp, addr, data)

    def read_ap(self, addr: int, now: bool = True):
        return self._deferred(now, self._do(self.twin.dp.read_ap, addr))

    def write_ap(self, addr: int, data) -> None:
        self._do(self.twin.dp.write_ap, addr, data)

    def read_ap_multiple(self, addr: int, count: int = 1, now: bool = True):
        return self._deferred(now, self._do(self.twin.dp.read_ap_multiple, addr, count))

    def write_ap_multiple(self, addr: int, values) -> None:
        self._do(self.twin.dp.write_ap_multiple, addr, values)
