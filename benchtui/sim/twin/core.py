"""The Cortex-M7 core of the twin, executed by Unicorn.

RAM is mapped straight onto the twin's bytearrays (no copy, no hooks); the flash array and the
peripherals the flash algorithm touches are MMIO callbacks into the twin. A BKPT stops the
emulation and reports "halted": that is how a pyOCD flash-algorithm call returns.
Unicorn is imported here only, so importing the plugin stays cheap.
"""

from __future__ import annotations

import ctypes
import threading
from struct import pack_into as _pack_into
from typing import TYPE_CHECKING

import unicorn as U
from unicorn import arm_const as A

if TYPE_CHECKING:
    from .mcu import Stm32Twin

EXCP_BKPT = 7
EXCP_EXCEPTION_EXIT = 8
PAGE = 0x1000

# DCRSR REGSEL -> Unicorn register
_CORE_REGS = {i: getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)}
_CORE_REGS.update({13: A.UC_ARM_REG_SP, 14: A.UC_ARM_REG_LR, 15: A.UC_ARM_REG_PC,
                   16: A.UC_ARM_REG_XPSR, 17: A.UC_ARM_REG_MSP, 18: A.UC_ARM_REG_PSP,
                   0x21: A.UC_ARM_REG_FPSCR})
_CORE_REGS.update({0x40 + i: A.UC_ARM_REG_S0 + i for i in range(32)})
REG_CFBP = 20


class Core:
    """Unicorn engine + run/halt bookkeeping. Memory lives in the twin."""

    def __init__(self, twin: "Stm32Twin"):
        self.twin = twin
        uc = U.Uc(U.UC_ARCH_ARM, U.UC_MODE_THUMB | U.UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M7)
        self.uc = uc
        self._ptrs = []
        rw = U.UC_PROT_ALL
        self._map_ptr(twin.ITCM_BASE, twin.itcm, rw)
        self._map_ptr(twin.SRAM_BASE, twin.sram, rw)
        # Flash is plain memory for reads (both aliases point at the twin's array). A core write
        # lands raw after the write hook, so the hook lets the FLASH interface program the word
        # and queues the true result, restored before anything can observe the raw value.
        fsize = len(twin.nv.flash)
        self._pending_fix: tuple[int, int, bytes] | None = None
        self._flash_dirty = False
        for base in (twin.FLASH_AXIM_BASE, twin.FLASH_ITCM_BASE):
            self._map_ptr(base, twin.nv.flash, U.UC_PROT_READ | U.UC_PROT_WRITE | U.UC_PROT_EXEC)
            uc.hook_add(U.UC_HOOK_MEM_WRITE, self._flash_write, base, base, base + fsize - 1)
        # The flash algorithm polls FLASH_SR/CR for every word. Memory hooks on a RAM-backed page
        # are much cheaper than MMIO callbacks: the read hook refreshes the backing bytes.
        flash_page = twin.FLASH_REGS_BASE & ~(PAGE - 1)
        self._regs_page = bytearray(PAGE)
        self._regs_view = memoryview(self._regs_page)
        self._regs_offset = twin.FLASH_REGS_BASE - flash_page
        self._map_ptr(flash_page, self._regs_page, U.UC_PROT_READ | U.UC_PROT_WRITE)
        # CR (read twice per programmed word) is not hooked: its word is kept true in the page.
        uc.hook_add(U.UC_HOOK_MEM_READ, self._flash_reg_read, None,
                    twin.FLASH_REGS_BASE, twin.FLASH_REGS_BASE + 0x0F)
        uc.hook_add(U.UC_HOOK_MEM_READ, self._flash_reg_read, None,
                    twin.FLASH_REGS_BASE + 0x14, twin.FLASH_REGS_BASE + 0x1F)
        self._cr_fix = False
        uc.hook_add(U.UC_HOOK_MEM_WRITE, self._flash_reg_write, None,
                    twin.FLASH_REGS_BASE, twin.FLASH_REGS_BASE + 0x1F)
        for base in (twin.IWDG_BASE & ~(PAGE - 1), twin.SYSINFO_BASE & ~(PAGE - 1)):
            uc.mmio_map(base, PAGE, self._periph_read, base, self._periph_write, base)
        uc.hook_add(U.UC_HOOK_INTR, self._on_interrupt)
        self._stop_reason: str | None = None
        self._dirty: tuple[int, int] | None = None

    def _map_ptr(self, base: int, buf: bytearray, perms: int) -> None:
        cbuf = (ctypes.c_char * len(buf)).from_buffer(buf)
        self._ptrs.append(cbuf)
        self.uc.mem_map_ptr(base, len(buf), perms, ctypes.addressof(cbuf))

    # --- MMIO callbacks ----------------------------------------------------------------------
    def _flash_write(self, uc, access, address: int, size: int, value: int, base: int) -> None:
        if self._pending_fix:
            self._fix_flash()
        offset = address - base
        self.twin.flash.program(offset, size, value)
        self._pending_fix = (offset, size, bytes(self.twin.nv.flash[offset:offset + size]))
        self._sync_cr()

    def _sync_cr(self) -> None:
        _pack_into("<I", self._regs_page, self._regs_offset + 0x10, self.twin.flash.cr)
        self._cr_fix = False

    def _fix_flash(self) -> None:
        offset, size, data = self._pending_fix
        self.twin.nv.flash[offset:offset + size] = data
        self._pending_fix = None

    def flash_changed(self) -> None:
        """Flash content changed behind Unicorn's back: drop translated code from it."""
        self._flash_dirty = True

    def _flash_reg_read(self, uc, access, address: int, size: int, value: int, user_data) -> None:
        if self._pending_fix:
            self._fix_flash()
        if self._cr_fix:
            self._sync_cr()
        offset = address & 0x1C
        flash = self.twin.flash
        if offset == 0x0C and not flash._busy_until:
            word = flash.sr
        else:
            word = flash.read(offset, True)
        _pack_into("<I", self._regs_page, self._regs_offset + offset, word)

    def _flash_reg_write(self, uc, access, address: int, size: int, value: int, user_data) -> None:
        if self._pending_fix:
            self._fix_flash()
        offset = address - self.twin.FLASH_REGS_BASE
        self.twin.flash.write(offset & 0x1C, value << (8 * (offset & 3)) if size < 4 else value)
        if offset & 0x1C == 0x10:
            self._cr_fix = True   # the raw value lands after this hook; fixed at the next one
        else:
            self._sync_cr()

    def _periph_read(self, uc, offset: int, size: int, base: int) -> int:
        return self.twin.core_read(base + offset, size)

    def _periph_write(self, uc, offset: int, size: int, value: int, base: int) -> None:
        self.twin.core_write(base + offset, size, value)

    def _on_interrupt(self, uc, intno: int, user_data) -> None:
        if intno == EXCP_EXCEPTION_EXIT:
            return
        self._stop_reason = "bkpt" if intno == EXCP_BKPT else "fault"
        uc.emu_stop()

    # --- registers -----------------------------------------------------------------------------
    def read_reg(self, regsel: int) -> int:
        if regsel == REG_CFBP:
            r = self.uc.reg_read
            return ((r(A.UC_ARM_REG_CONTROL) & 0xFF) << 24 | (r(A.UC_ARM_REG_FAULTMASK) & 1) << 16
                    | (r(A.UC_ARM_REG_BASEPRI) & 0xFF) << 8 | (r(A.UC_ARM_REG_PRIMASK) & 1))
        reg = _CORE_REGS.get(regsel)
        if reg is None:
            return 0
        value = self.uc.reg_read(reg) & 0xFFFFFFFF
        if regsel == 16:
            value |= 1 << 24   # M-profile is always Thumb
        return value

    def write_reg(self, regsel: int, value: int) -> None:
        if regsel == REG_CFBP:
            w = self.uc.reg_write
            w(A.UC_ARM_REG_PRIMASK, value & 1)
            w(A.UC_ARM_REG_BASEPRI, (value >> 8) & 0xFF)
            w(A.UC_ARM_REG_FAULTMASK, (value >> 16) & 1)
            w(A.UC_ARM_REG_CONTROL, (value >> 24) & 0xFF)
            return
        reg = _CORE_REGS.get(regsel)
        if reg is not None:
            self.uc.reg_write(reg, value & ~1 if regsel == 15 else value)

    def reset(self, sp: int, pc: int) -> None:
        """Architectural reset state with the given initial SP and reset vector."""
        w = self.uc.reg_write
        w(A.UC_ARM_REG_CONTROL, 0)
        w(A.UC_ARM_REG_PRIMASK, 0)
        w(A.UC_ARM_REG_MSP, sp & ~3)
        w(A.UC_ARM_REG_SP, sp & ~3)
        w(A.UC_ARM_REG_LR, 0xFFFFFFFF)
        w(A.UC_ARM_REG_XPSR, 1 << 24)
        w(A.UC_ARM_REG_PC, pc & ~1)

    @property
    def pc(self) -> int:
        return self.uc.reg_read(A.UC_ARM_REG_PC)

    # --- execution -----------------------------------------------------------------------------
    def code_written(self, addr: int, size: int) -> None:
        """The debugger wrote RAM: translated blocks there may be stale."""
        lo, hi = addr, addr + size
        if self._dirty:
            lo, hi = min(lo, self._dirty[0]), max(hi, self._dirty[1])
        self._dirty = (lo, hi)

    def run(self, limit_s: float = 0.0, count: int = 0) -> str | None:
        """Run for up to `limit_s` host seconds (or `count` instructions). Returns "bkpt",
        "fault", "reset" or None (still running)."""
        if self._dirty:
            self.uc.ctl_remove_cache(self._dirty[0], self._dirty[1])
            self._dirty = None
        if self._flash_dirty:
            size = len(self.twin.nv.flash)
            for base in (self.twin.FLASH_AXIM_BASE, self.twin.FLASH_ITCM_BASE):
                self.uc.ctl_remove_cache(base, base + size)
            self._flash_dirty = False
        self._stop_reason = None
        self._sync_cr()
        timer = threading.Timer(limit_s, self.uc.emu_stop) if limit_s else None
        if timer:
            timer.start()
        try:
            self.uc.emu_start(self.pc | 1, 0xFFFFFFFF, count=count)
        except U.UcError:
            return "fault"
        finally:
            if timer:
                timer.cancel()
            if self._pending_fix:
                self._fix_flash()
            self._sync_cr()
        return self._stop_reason

    def stop(self, reason: str) -> None:
        """Called from an MMIO callback: end emu_start now (e.g. a reset hit mid-operation)."""
        self._stop_reason = reason
        self.uc.emu_stop()
