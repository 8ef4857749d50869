"""`TwinProbe`: a pyOCD DebugProbe whose wire ends in an `Stm32Twin` instead of USB.

Every call first lets the twin follow its power source (`sync`): no power, no contact or RDP
level 2 give no SWD acknowledge, reported as pyOCD's `TransferError` like a real probe does;
bus faults become `TransferFaultError` carrying the faulting address.

Like an ST-Link, the probe offers its own memory commands for AP#0 (`TwinMemoryInterface`):
pyOCD then sends one request per memory transfer instead of the TAR/DRW register traffic of a
bare DAP, which matters most through the TCP probe server (one round trip each).
"""

from __future__ import annotations

import contextlib
from array import array
from typing import TYPE_CHECKING, Callable

from pyocd.core import exceptions
from pyocd.core.memory_interface import MemoryInterface
from pyocd.probe.debug_probe import DebugProbe

if TYPE_CHECKING:
    from .mcu import Stm32Twin

VENDOR = "benchtui"


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
        self._memif = TwinMemoryInterface(self)

    # --- identity ---------------------------------------------------------------------------
    @property
    def description(self) -> str:
        return f"{VENDOR} {self.product_name}"

    @property
    def vendor_name(self) -> str:
        return VENDOR

    @property
    def product_name(self) -> str:
        return f"{self.twin.variant.part} twin"

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
            except exceptions.Error:
                raise
            except Exception as err:  # noqa: BLE001  (a twin bug must not kill a server handler)
                # pyOCD's probe server re-raises non-pyOCD errors out of the connection's handler
                # thread; reported as a probe error, the client gets an answer and the server
                # keeps serving.
                raise exceptions.ProbeError(f"twin internal error: {type(err).__name__}: {err}") from err

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

    def get_memory_interface_for_ap(self, ap_address):
        """The probe's memory commands for the AHB-AP (AP#0); None for any other AP."""
        from pyocd.coresight.ap import APVersion
        if ap_address.ap_version == APVersion.APv1 and ap_address.apsel == 0:
            return self._memif
        return None


class TwinMemoryInterface(MemoryInterface):
    """Memory transfers done by the probe itself through AP#0, one call per transfer.

    8-bit blocks move their unaligned head and tail as byte transfers and the rest as words,
    as a MEM-AP driver does. Results are plain ints and lists (the TCP server sends JSON).
    """

    def __init__(self, probe: TwinProbe):
        self._probe = probe
        self._twin = probe.twin

    def write_memory(self, addr: int, data: int, transfer_size: int = 32, **attrs) -> None:
        self._probe._do(self._twin.bus_write, addr, transfer_size // 8, data)

    def read_memory(self, addr: int, transfer_size: int = 32, now: bool = True, **attrs):
        value = self._probe._do(self._twin.bus_read, addr, transfer_size // 8)
        return value if now else (lambda: value)

    def write_memory_block32(self, addr: int, data, **attrs) -> None:
        self._probe._do(self._twin.write_block, addr, array("I", [d & 0xFFFFFFFF for d in data]).tobytes())

    def read_memory_block32(self, addr: int, size: int, **attrs) -> list[int]:
        return list(array("I", self._probe._do(self._twin.read_block, addr, 4 * size)))

    def write_memory_block8(self, addr: int, data, **attrs) -> None:
        self._probe._do(self._write8, addr, bytes(data))

    def read_memory_block8(self, addr: int, size: int, **attrs) -> list[int]:
        return list(self._probe._do(self._read8, addr, size))

    @staticmethod
    def _split(addr: int, size: int) -> tuple[int, int, int]:
        """(head bytes, word bytes, tail bytes) of an 8-bit block."""
        head = min(size, -addr & 3)
        words = (size - head) & ~3
        return head, words, size - head - words

    def _read8(self, addr: int, size: int) -> bytes:
        head, words, tail = self._split(addr, size)
        twin = self._twin
        out = bytearray(twin.bus_read(addr + i, 1) for i in range(head))
        if words:
            out += twin.read_block(addr + head, words)
        end = addr + head + words
        out += bytes(twin.bus_read(end + i, 1) for i in range(tail))
        return bytes(out)

    def _write8(self, addr: int, data: bytes) -> None:
        head, words, tail = self._split(addr, len(data))
        twin = self._twin
        for i in range(head):
            twin.bus_write(addr + i, 1, data[i])
        if words:
            twin.write_block(addr + head, data[head:head + words])
        for i in range(head + words, len(data)):
            twin.bus_write(addr + i, 1, data[i])
