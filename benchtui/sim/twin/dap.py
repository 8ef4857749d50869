"""SW-DP and AHB-AP (MEM-AP) of the twin at register level (ADIv5).

The DP holds CTRL/STAT power handshakes, SELECT and sticky errors; AP#0 turns CSW/TAR/DRW/BDx
accesses into bus reads and writes on the twin. Bus faults set STICKYERR and raise BusFault
with the faulting address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from array import array

from .faults import BusFault

if TYPE_CHECKING:
    from .bus import DapBus

# DP registers (A[3:2])
DP_IDR_ABORT, DP_CTRL_STAT, DP_SELECT_RESEND, DP_RDBUFF = 0x0, 0x4, 0x8, 0xC
CSYSPWRUPACK, CSYSPWRUPREQ, CDBGPWRUPACK, CDBGPWRUPREQ = 1 << 31, 1 << 30, 1 << 29, 1 << 28
STICKYORUN, STICKYCMP, STICKYERR, WDATAERR = 1 << 1, 1 << 4, 1 << 5, 1 << 7
# AP registers
CSW, TAR, DRW, BD0, CFG, BASE, IDR = 0x00, 0x04, 0x0C, 0x10, 0xF4, 0xF8, 0xFC
CSW_SIZE, CSW_ADDRINC = 0x7, 0x30
CSW_DEVICEEN = 1 << 6
CSW_FIXED_ONES = CSW_DEVICEEN
SIZES = {0: 1, 1: 2, 2: 4}


class SwdPort:
    """DP + AP#0 state. Access it only under the twin's lock, after `twin.sync()`."""

    def __init__(self, twin: "DapBus"):
        self.twin = twin
        self.power_on_reset()

    def power_on_reset(self) -> None:
        self.ctrl = 0
        self.select = 0
        self.sticky = 0
        self.rdbuff = 0
        self.csw = 0x03000042 & ~CSW_SIZE | 2    # 32-bit, no increment
        self.tar = 0

    @property
    def debug_powered(self) -> bool:
        return bool(self.ctrl & CDBGPWRUPREQ)

    # --- DP -----------------------------------------------------------------------------------
    def read_dp(self, addr: int) -> int:
        reg = addr & 0xC
        if reg == DP_IDR_ABORT:
            return self.twin.variant.dpidr
        if reg == DP_CTRL_STAT:
            acks = (CSYSPWRUPACK if self.ctrl & CSYSPWRUPREQ else 0) | (
                CDBGPWRUPACK if self.ctrl & CDBGPWRUPREQ else 0)
            return (self.ctrl & 0x5F000F0D) | acks | self.sticky
        if reg == DP_SELECT_RESEND:
            return self.rdbuff
        return self.rdbuff

    def write_dp(self, addr: int, value: int) -> None:
        reg = addr & 0xC
        if reg == DP_IDR_ABORT:
            if value & (1 << 1):
                self.sticky &= ~STICKYCMP
            if value & (1 << 2):
                self.sticky &= ~STICKYERR
            if value & (1 << 3):
                self.sticky &= ~WDATAERR
            if value & (1 << 4):
                self.sticky &= ~STICKYORUN
        elif reg == DP_CTRL_STAT:
            self.ctrl = value & ~(CSYSPWRUPACK | CDBGPWRUPACK | STICKYERR | STICKYCMP | STICKYORUN | WDATAERR)
        elif reg == DP_SELECT_RESEND:
            self.select = value

    # --- AP -----------------------------------------------------------------------------------
    def _ap_reg(self, addr: int) -> tuple[int, int]:
        """(apsel, register offset) from SELECT and A[3:2]."""
        return (self.select >> 24) & 0xFF, (self.select & 0xF0) | (addr & 0xC)

    @property
    def size(self) -> int:
        return SIZES.get(self.csw & CSW_SIZE, 4)

    def _advance(self, n: int = 1) -> None:
        if self.csw & CSW_ADDRINC:
            step = self.size * n
            self.tar = (self.tar & ~0x3FF) | ((self.tar + step) & 0x3FF)

    def read_ap(self, addr: int) -> int:
        apsel, reg = self._ap_reg(addr)
        if apsel != 0:
            return 0
        if reg == CSW:
            return self.csw | CSW_FIXED_ONES
        if reg == TAR:
            return self.tar
        if reg == IDR:
            return self.twin.variant.ap_idr
        if reg == BASE:
            return self.twin.variant.ap_base
        if reg == CFG:
            return 0
        if reg == DRW:
            value = self._bus_read(self.tar)
            self._advance()
            return value
        if BD0 <= reg < BD0 + 0x10:
            return self._bus_read((self.tar & ~0xF) | (reg - BD0), size=4)
        return 0

    def write_ap(self, addr: int, value: int) -> None:
        apsel, reg = self._ap_reg(addr)
        if apsel != 0:
            return
        value &= 0xFFFFFFFF
        if reg == CSW:
            size = value & CSW_SIZE
            self.csw = (value & ~CSW_SIZE) | (size if size in SIZES else 2)
        elif reg == TAR:
            self.tar = value
        elif reg == DRW:
            self._bus_write(self.tar, value)
            self._advance()
        elif BD0 <= reg < BD0 + 0x10:
            self._bus_write((self.tar & ~0xF) | (reg - BD0), value, size=4)

    def _bus_read(self, address: int, size: int | None = None) -> int:
        size = size or self.size
        try:
            value = self.twin.bus_read(address, size)
        except BusFault:
            self.sticky |= STICKYERR
            raise
        return value << (8 * (address & 3)) if size < 4 else value

    def _bus_write(self, address: int, value: int, size: int | None = None) -> None:
        size = size or self.size
        if size < 4:
            value = (value >> (8 * (address & 3))) & ((1 << (8 * size)) - 1)
        try:
            self.twin.bus_write(address, size, value)
        except BusFault:
            self.sticky |= STICKYERR
            raise

    # --- bulk DRW -------------------------------------------------------------------------------
    def _bulk_ok(self, addr: int) -> bool:
        apsel, reg = self._ap_reg(addr)
        return apsel == 0 and reg == DRW and self.size == 4 and (self.csw & CSW_ADDRINC) == 0x10

    def read_ap_multiple(self, addr: int, count: int) -> list[int]:
        if not self._bulk_ok(addr):
            return [self.read_ap(addr) for _ in range(count)]
        out: list[int] = []
        while count:
            chunk = min(count, (0x400 - (self.tar & 0x3FF)) // 4)
            data = self._bulk_read(self.tar, chunk * 4)
            out.extend(array("I", data))
            self._advance(chunk)
            count -= chunk
        return out

    def write_ap_multiple(self, addr: int, values) -> None:
        if not self._bulk_ok(addr):
            for v in values:
                self.write_ap(addr, v)
            return
        values = list(values)
        i = 0
        while i < len(values):
            chunk = min(len(values) - i, (0x400 - (self.tar & 0x3FF)) // 4)
            data = array("I", values[i:i + chunk]).tobytes()
            self._bulk_write(self.tar, data)
            self._advance(chunk)
            i += chunk

    def _bulk_read(self, address: int, n: int) -> bytes:
        try:
            return self.twin.read_block(address, n)
        except BusFault:
            self.sticky |= STICKYERR
            raise

    def _bulk_write(self, address: int, data: bytes) -> None:
        try:
            self.twin.write_block(address, data)
        except BusFault:
            self.sticky |= STICKYERR
            raise
