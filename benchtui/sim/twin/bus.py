"""The small protocols the twin's parts speak to each other through (no part reaches into
another's private state): the `SystemBus` the DAP's MEM-AP and the core's MMIO callbacks reach
the chip through, the `CoreBus` the Unicorn core maps, and the `FlashInterface` every chip's
flash controller offers (controller.py)."""

from __future__ import annotations

from typing import Any, Protocol


class FlashInterface(Protocol):
    regs_base: int
    regs_size: int
    status_offsets: frozenset[int]
    busy_until: float

    def busy(self) -> bool: ...
    def read(self, offset: int, from_core: bool = False) -> int: ...
    def write(self, offset: int, value: int) -> None: ...
    def snapshot(self) -> tuple[int, ...]: ...
    def status_token(self) -> object: ...
    def fast_write(self, offset: int, size: int, value: int) -> bool | None: ...
    def program(self, offset: int, size: int, value: int) -> int: ...
    def settle(self) -> None: ...


class SystemBus(Protocol):
    """Bus reads and writes of 1, 2 or 4 bytes and bulk transfers (BusFault on an error)."""

    def bus_read(self, addr: int, size: int, from_core: bool = False) -> int: ...
    def bus_write(self, addr: int, size: int, value: int) -> None: ...
    def read_block(self, addr: int, n: int) -> bytes: ...
    def write_block(self, addr: int, data: bytes) -> None: ...


class DapBus(SystemBus, Protocol):
    """What the SW-DP / MEM-AP reach: the system bus and the chip's debug identity."""

    variant: Any   # variants.TwinVariant: dpidr, ap_idr, ap_base


class CoreBus(SystemBus, Protocol):
    """What the core maps: RAM, the flash cells at their aliases, the flash controller's
    register block, and peripheral pages reached through `core_read` / `core_write`."""

    variant: Any   # variants.TwinVariant: uc_cpu
    rams: list[tuple[int, bytearray]]
    flash_aliases: tuple[int, ...]
    flash: FlashInterface

    @property
    def flash_array(self) -> bytearray: ...
    @property
    def peripheral_pages(self) -> tuple[int, ...]: ...
    def scratch_page(self, addr: int) -> bytearray | None: ...
    def core_read(self, addr: int, size: int) -> int: ...
    def core_write(self, addr: int, size: int, value: int) -> None: ...
