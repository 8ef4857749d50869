"""`Stm32Twin`: an STM32 (F7, F4, H7, L4) as a debugger sees it through SWD.

One object holds the silicon: memories, the flash controller (flash.py for the F4/F7, the
family's module in chips/ otherwise; controller.py is what they share), IWDG (iwdg.py),
DBGMCU, the Cortex-M debug registers (debug.py) and the core (core.py, Unicorn). What differs
between the chips is a `TwinVariant` (variants.py). Supply and NRST come from a `PowerSource`;
the twin asks it before every debug access (`sync`) and never decides a failure by itself.
It is the `bus.SystemBus` the DAP and the core reach the chip through.
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

from .coresight import id_space, system_reset_values
from .dap import SwdPort
from .debug import PPB_BASE, PPB_END, VC_CORERESET, C_DEBUGEN, DFSR_VCATCH, CoreDebug
from .controller import NvMemory
from .faults import BusFault, NoAck, fault_ranges, first_fault
from .flash import FlashController
from .iwdg import Iwdg
from .persistence import StateFile
from .power import AlwaysPowered, PowerSource
from .variants import DEFAULT_UID, TwinVariant, uid_for_seed, variant as find_variant

_ids = itertools.count(1)
#: The DBGMCU register window (IDCODE, CR, the peripheral freeze registers).
DBGMCU_SIZE = 0x100
#: Host time a flash-algorithm call may take beyond its physical time (the twin emulates the
#: algorithm): the longest call seen was 0.36 s, in an nrst-noise run at time scale 1 with
#: `stress-ng --cpu 2` beside it on 2 cores; pyOCD's default is 10 s.
ALGO_HOST_ALLOWANCE_S = 2.0


class Stm32Twin(CoreDebug, Iwdg, StateFile):
    """An STM32 of `variant` ("zg", "zi", "f407vg", ... see variants.VARIANTS).

    `dual_bank` starts it in dual-bank mode (F7: nDBANK = 0; 1 MB F42x: DB1M = 1). `power`
    defaults to `AlwaysPowered()`; `time_scale` multiplies flash operation times (0 = no
    waiting, 1 = real time); `state_file` keeps flash and option bytes across runs (atomic
    writes). The 96-bit unique ID is `uid` (12 bytes) if given, else derived from `seed` (each
    virtual board its own), else a fixed default. `fault_words` (faults.FAULT_WORDS) and
    `fault_addresses` (32-bit words) bus-fault when a debugger reads them, as they do on some
    clones, other revisions and chips in odd states; the core's own reads are not affected.
    """

    def __init__(self, variant: str = "zi", *, dual_bank: bool = False, power: PowerSource | None = None,
                 time_scale: float = 0.0, state_file: str | os.PathLike | None = None,
                 name: str | None = None, uid: bytes | None = None, seed: int | None = None,
                 fault_words: tuple[str, ...] = (), fault_addresses: tuple[int, ...] = ()):
        self.variant: TwinVariant = find_variant(variant)
        v = self.variant
        #: [start, end) ranges a debugger read bus-faults on.
        self.fault_ranges = fault_ranges(v, fault_words, fault_addresses)
        self.name = name or f"twin-{next(_ids)}"
        self.power: PowerSource = power if power is not None else AlwaysPowered()
        self.lock = threading.RLock()
        self.state_file = Path(state_file) if state_file is not None else None
        if uid is not None and len(uid) != 12:
            raise ValueError(f"twin UID must be 12 bytes (96 bits), got {len(uid)}")
        self.uid: bytes = uid if uid is not None else uid_for_seed(seed) if seed is not None else DEFAULT_UID
        self.seed = seed
        self.nv = NvMemory(v)
        if dual_bank:
            if not v.can_be_dual() and not v.always_dual():
                raise ValueError(f"twin variant {v.name!r} ({v.part}) has a single bank only")
            if v.can_be_dual():
                self.nv.words[0] = v.with_bank_mode(self.nv.words[0], True)
        if self.state_file is not None and self.state_file.exists():
            self._load_state()
        self.rams: list[tuple[int, bytearray]] = [(base, bytearray(size)) for base, size in v.ram]
        for base, alias in v.ram_aliases:   # the same cells seen at a second address
            self.rams.append((alias, next(buf for b, buf in self.rams if b == base)))
        self.flash_aliases = v.flash_aliases
        self.iwdg_base, self.dbgmcu_base = v.iwdg_base, v.dbgmcu_base
        self._scratch: dict[int, bytearray] = {}
        self.sysinfo = self._make_sysinfo()
        self._ids = id_space(v)
        self._nv_dirty = False
        self.core = None
        controller = v.controller or FlashController
        self.flash = controller(self.nv, self.power, time_scale, self._request_reset,
                                self._debug_attached, self._mark_nv_dirty)
        self.flash_regs = (self.flash.regs_base, self.flash.regs_base + self.flash.regs_size)
        self.dp = SwdPort(self)
        from .core import Core   # Unicorn is imported only when a twin is built
        self.core = Core(self)
        self._epoch: int | None = None
        self._in_reset = False
        self._pending_reset: str | None = None
        self.reset_log: list[str] = []
        self._power_up()
        self._epoch = self.power.power_epoch()

    # --- what a debugger may assume -----------------------------------------------------------
    def flash_algo_timeouts(self) -> dict[str, float]:
        """pyOCD's flash-algorithm timeouts for this twin (session option name -> seconds).

        pyOCD waits for a flash-algorithm call to halt for up to 5-240 s, sized for any chip; a
        core reset mid-call (NRST, brown-out) leaves the core running, and pyOCD waits all of it.
        The twin's operation times are known: twice the longest call's scaled time (the
        datasheet maxima are about twice the typical times the twin uses) plus
        ALGO_HOST_ALLOWANCE_S for emulating the algorithm on a loaded host.
        """
        v, scale = self.variant, self.flash.time_scale
        sizes = [s.size for s in v.sectors(self.flash.dual_bank)]
        physical = {
            # one call programs at most a page; a page is never larger than the smallest sector
            "flash.timeout.program": min(sizes) / self.flash.unit_bytes * self.flash.unit_s_max,
            "flash.timeout.erase_sector": v.erase_time_s(max(sizes)),
            "flash.timeout.erase_all": v.mass_erase_per_mb_s * sum(sizes) / (1024 * 1024),
            "flash.timeout.init": 0.0,
            "flash.timeout.analyzer": 0.0,
        }
        return {name: round(ALGO_HOST_ALLOWANCE_S + 2 * seconds * scale, 3)
                for name, seconds in physical.items()}

    # --- identity -----------------------------------------------------------------------------
    @property
    def uid_hex(self) -> str:
        """The UID as ST tools print it: 24 hex digits, word 0 first."""
        return "".join(f"{int.from_bytes(self.uid[i:i + 4], 'little'):08X}" for i in (0, 4, 8))

    @property
    def flash_size(self) -> int:
        return len(self.nv.flash)

    @property
    def flash_array(self) -> bytearray:
        """The flash cells (the core maps them at every flash alias)."""
        return self.nv.flash

    def scratch_page(self, addr: int) -> bytearray | None:
        """The storage of a peripheral page the twin does not model (RCC, PWR, timers...), on a
        variant whose peripheral bus answers there (`quiet_peripherals`): it reads back what
        was written, zero from reset. None where the bus would fault."""
        if not self.variant.quiet_peripherals or not 0x40000000 <= addr < 0x60000000:
            return None
        page = addr & ~0xFFF
        if page in (self.flash_regs[0] & ~0xFFF, self.iwdg_base & ~0xFFF, self.dbgmcu_base & ~0xFFF):
            return None
        return self._scratch.setdefault(page, bytearray(0x1000))

    @property
    def peripheral_pages(self) -> tuple[int, ...]:
        """4 KB pages the core reaches through MMIO callbacks (core_read/core_write)."""
        pages = {self.iwdg_base & ~0xFFF, self.variant.sysinfo_base & ~0xFFF, self.dbgmcu_base & ~0xFFF}
        for base in self.variant.option_images:
            pages.add(base & ~0xFFF)
        return tuple(sorted(pages - {self.flash_regs[0] & ~0xFFF}))

    def set_uid(self, uid: bytes) -> None:
        """Give the chip another 96-bit unique ID (a swapped board is another chip)."""
        self.uid = bytes(uid)
        self.sysinfo = self._make_sysinfo()

    def _make_sysinfo(self) -> bytearray:
        v = self.variant
        info = bytearray(b"\xff" * v.sysinfo_size)
        o = v.uid_addr - v.sysinfo_base
        info[o:o + 12] = self.uid
        o = v.flash_size_addr - v.sysinfo_base
        info[o:o + 2] = v.flash_kb.to_bytes(2, "little")
        if v.package_addr is not None:
            o = v.package_addr - v.sysinfo_base
            info[o:o + 2] = v.package_value.to_bytes(2, "little")
        return info

    # --- power, reset ---------------------------------------------------------------------------
    def sync(self) -> None:
        """Follow the power source up to now; raise NoAck when SWD would get no answer."""
        power = self.power
        if self.flash.poll():   # a disturbance scheduled by a flash operation has hit by now
            self._apply_pending_reset()
        if not power.powered():
            raise NoAck("target unpowered")
        epoch = power.power_epoch()
        if epoch != self._epoch:
            self._epoch = epoch
            self._power_up()
        if not power.swd_ok() or self.flash.rdp_level == 2:
            raise NoAck("no SWD acknowledge")
        if power.nrst_low():
            if not self._in_reset:
                self._enter_reset("nrst")
        elif self._in_reset:
            self._leave_reset()
        self._check_iwdg()

    def _power_up(self) -> None:
        """Power-on reset: RAM, core, debug logic and peripherals start from scratch."""
        for _, buf in self.rams:
            buf[:] = bytes(len(buf))
        for buf in self._scratch.values():
            buf[:] = bytes(len(buf))
        self.dp.power_on_reset()
        self.sys_regs = system_reset_values(self.variant)
        self._debug_reset()
        self.dbgmcu: dict[int, int] = {}
        self._pending_reset = None
        self.flash.reset_registers()
        self._iwdg_reset()
        self.reset_log.append("power-on")
        del self.reset_log[:-64]
        self._in_reset = True
        self._leave_reset()

    def _enter_reset(self, reason: str) -> None:
        self._in_reset = True
        self.reset_st = True
        self.halted = False
        self.lockup = False
        self.flash.reset_registers()
        self._iwdg_reset()
        self.reset_log.append(reason)
        del self.reset_log[:-64]   # a long soak must not grow the log without bound

    def _leave_reset(self) -> None:
        """Reset released: option bytes load, the core fetches its vectors (vector catch halts it)."""
        self._in_reset = False
        self.flash.load_options(ok=self.power.option_load_ok())
        if self.flash.hardware_watchdog():
            self._iwdg_start()
        boot = self.flash.boot_address()
        sp, pc = self._vector(boot), self._vector(boot + 4)
        self.retire_st = False
        if sp is None or pc is None:
            self.lockup = True
            return
        self.core.reset(sp, pc)
        if self.dhcsr_ctrl & C_DEBUGEN and self.demcr & VC_CORERESET:
            self.halted = True
            self.dfsr |= DFSR_VCATCH

    def system_reset(self, reason: str = "sysresetreq") -> None:
        """A system reset (SYSRESETREQ, IWDG, brown-out or NRST pulse): debug registers survive."""
        self._enter_reset(reason)
        self._leave_reset()

    def _request_reset(self, reason: str) -> None:
        """The FLASH interface saw a reset hit an operation in flight."""
        self._pending_reset = reason
        self.core.stop("reset")

    def _apply_pending_reset(self) -> None:
        if self._pending_reset:
            reason, self._pending_reset = self._pending_reset, None
            self.system_reset(reason)

    def _vector(self, addr: int) -> int | None:
        try:
            return self._read_plain(addr, 4, from_core=True)
        except BusFault:
            return None

    def _debug_attached(self) -> bool:
        return self.dp.debug_powered

    def _mark_nv_dirty(self) -> None:
        self._nv_dirty = True
        if self.core is not None:
            self.core.flash_changed()

    # --- memory map -----------------------------------------------------------------------------
    def _plain_region(self, addr: int, n: int, from_core: bool) -> tuple[bytearray, int] | None:
        """(buffer, offset) when [addr, addr+n) is plain memory, None for registers."""
        fs = self.flash_size
        for base in self.flash_aliases:
            if base <= addr and addr + n <= base + fs:
                if not from_core and self.flash.flash_read_blocked():
                    raise BusFault(addr)
                return self.nv.flash, addr - base
        for base, buf in self.rams:
            if base <= addr and addr + n <= base + len(buf):
                return buf, addr - base
        base = self.variant.sysinfo_base
        if base <= addr and addr + n <= base + len(self.sysinfo):
            return self.sysinfo, addr - base
        return None

    def _read_plain(self, addr: int, size: int, from_core: bool = False) -> int:
        region = self._plain_region(addr, size, from_core)
        if region is None:
            raise BusFault(addr)
        buf, off = region
        return int.from_bytes(buf[off:off + size], "little")

    def _is_flash(self, addr: int) -> int | None:
        for base in self.flash_aliases:
            if base <= addr < base + self.flash_size:
                return addr - base
        return None

    def _ram_at(self, addr: int, n: int) -> tuple[bytearray, int] | None:
        for base, buf in self.rams:
            if base <= addr and addr + n <= base + len(buf):
                return buf, addr - base
        return None

    def _check_faults(self, addr: int, n: int) -> None:
        if self.fault_ranges:
            hit = first_fault(self.fault_ranges, addr, n)
            if hit is not None:
                raise BusFault(hit)

    def bus_read(self, addr: int, size: int, from_core: bool = False) -> int:
        """One bus read of 1, 2 or 4 bytes (little-endian value)."""
        if not from_core:
            self._check_faults(addr, size)
        region = self._plain_region(addr, size, from_core)
        if region is not None:
            buf, off = region
            return int.from_bytes(buf[off:off + size], "little")
        word = self._read_register(addr & ~3, from_core)
        shift = 8 * (addr & 3)
        return (word >> shift) & ((1 << (8 * size)) - 1)

    def bus_write(self, addr: int, size: int, value: int) -> None:
        """One bus write of 1, 2 or 4 bytes."""
        value &= (1 << (8 * size)) - 1
        offset = self._is_flash(addr)
        if offset is not None:
            self.flash.program(offset, size, value)
            self._apply_pending_reset()
            return
        ram = self._ram_at(addr, size)
        if ram is not None:
            buf, off = ram
            buf[off:off + size] = value.to_bytes(size, "little")
            self.core.code_written(addr, size)
            return
        if size != 4:
            value <<= 8 * (addr & 3)
        self._write_register(addr & ~3, value)
        self._apply_pending_reset()

    def read_block(self, addr: int, n: int) -> bytes:
        """Debugger bulk read of plain memory (falls back to word reads for registers)."""
        self._check_faults(addr, n)
        region = self._plain_region(addr, n, False)
        if region is not None:
            buf, off = region
            return bytes(buf[off:off + n])
        return b"".join(self.bus_read(a, 4).to_bytes(4, "little") for a in range(addr, addr + n, 4))

    def write_block(self, addr: int, data: bytes) -> None:
        """Debugger bulk write of words."""
        ram = self._ram_at(addr, len(data))
        if ram is not None:
            buf, off = ram
            buf[off:off + len(data)] = data
            self.core.code_written(addr, len(data))
            return
        for i in range(0, len(data), 4):
            self.bus_write(addr + i, 4, int.from_bytes(data[i:i + 4], "little"))

    # --- core-side access (Unicorn MMIO) ----------------------------------------------------------
    def core_read(self, addr: int, size: int) -> int:
        try:
            return self.bus_read(addr, size, from_core=True)
        except BusFault:
            self.core.stop("fault")
            return 0

    def core_write(self, addr: int, size: int, value: int) -> None:
        offset = self._is_flash(addr)
        if offset is not None:
            self.flash.program(offset, size, value)
            return
        try:
            if size != 4:
                value <<= 8 * (addr & 3)
            self._write_register(addr & ~3, value)
        except BusFault:
            self.core.stop("fault")

    # --- registers --------------------------------------------------------------------------------
    def _read_register(self, addr: int, from_core: bool) -> int:
        lo, hi = self.flash_regs
        if lo <= addr < hi:
            return self.flash.read(addr - lo, from_core)
        if self.iwdg_base <= addr < self.iwdg_base + 0x10:
            return self._iwdg_read(addr - self.iwdg_base)
        word = self.flash.option_image_word(addr)
        if word is not None:
            return word
        dbg = self.dbgmcu_base
        if dbg <= addr < dbg + DBGMCU_SIZE:
            return self.variant.idcode if addr == dbg else self.dbgmcu.get(addr - dbg, 0)
        if PPB_BASE <= addr < PPB_END and not from_core:
            return self._ppb_read(addr)
        if addr & ~0xFFF == self.iwdg_base & ~0xFFF:
            return 0   # the watchdogs' APB page: an absent register reads 0 (no bus error)
        page = self.scratch_page(addr)
        if page is not None:
            return int.from_bytes(page[addr & 0xFFC:(addr & 0xFFC) + 4], "little")
        raise BusFault(addr)

    def _write_register(self, addr: int, value: int) -> None:
        value &= 0xFFFFFFFF
        lo, hi = self.flash_regs
        dbg = self.dbgmcu_base
        if lo <= addr < hi:
            self.flash.write(addr - lo, value)
        elif self.iwdg_base <= addr < self.iwdg_base + 0x10:
            self._iwdg_write(addr - self.iwdg_base, value)
        elif dbg < addr < dbg + DBGMCU_SIZE:
            self.dbgmcu[addr - dbg] = value
        elif PPB_BASE <= addr < PPB_END:
            self._ppb_write(addr, value)
        elif not (dbg == addr or self.flash.option_image_word(addr) is not None
                  or addr & ~0xFFF == self.iwdg_base & ~0xFFF):
            page = self.scratch_page(addr)
            if page is None:
                raise BusFault(addr)
            page[addr & 0xFFC:(addr & 0xFFC) + 4] = value.to_bytes(4, "little")
