"""The Cortex-M7 (or M4) core of the twin, executed by Unicorn.

RAM and the flash array are mapped straight onto the twin's bytearrays (no copy, no hooks on
reads). The flash controller's register block sits in a RAM-backed page whose words always hold
the true register values, so the flash algorithm's polls of SR and CR cost nothing; only writes
are hooked (the flash array and the flash registers). The core reaches the chip only through
the twin's public `bus.CoreBus` side (memories, the flash controller's public interface, the
MMIO callbacks). A BKPT stops the emulation and reports
"halted": that is how a pyOCD flash-algorithm call returns.
Unicorn is imported here only, so importing the plugin stays cheap.

Unicorn calls a write hook *before* the store lands, so the raw value the core wrote reaches
the backing memory afterwards. When it differs from what the silicon would hold (a W1C write
to SR, a write to a locked CR, a key register, a flash word programmed over 0 bits or refused),
a one-shot read hook ("watch") is armed: it restores the true bytes before the next load of
any address, so the core never observes a raw value. The same watch holds FLASH_SR.BSY while
an operation is timed (time_scale > 0).
"""

from __future__ import annotations

import ctypes
import threading
from struct import pack_into as _pack_into
from typing import TYPE_CHECKING

import unicorn as U
from unicorn import arm_const as A

from . import constants as C

if TYPE_CHECKING:
    from .bus import CoreBus

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


class _RunTimer:
    """One daemon thread that ends a run (`emu_stop`) when its host-time budget is spent.

    A `threading.Timer` per run costs ~0.2 ms of thread start-up; a flash programming session
    makes ~700 runs. `arm` / `disarm` only take a condition variable.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._stop = None          # the armed run's emu_stop, or None
        self._deadline = 0.0
        self._thread: threading.Thread | None = None

    def arm(self, stop, limit_s: float) -> None:
        import time
        with self._cond:
            self._stop, self._deadline = stop, time.monotonic() + limit_s
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="twin-run-timer", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._stop = None

    def _loop(self) -> None:
        import time
        with self._cond:
            while True:
                if self._stop is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._stop()       # under the lock: disarm() returns only once no stop is due
                self._stop = None


_run_timer = _RunTimer()


def _find_raw_hooks():
    """(libunicorn, callback type, handle type) for registering hooks without the binding's
    dispatch layer, or None if this binding does not expose them (then hook_add is used)."""
    try:
        from unicorn.unicorn_py3 import unicorn as binding
        lib, handle_type = binding.uclib, binding.uc_hook_h
    except (ImportError, AttributeError):
        return None
    cfunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int,
                             ctypes.c_int64, ctypes.c_void_p)
    return lib, cfunc, handle_type


_raw_hooks = _find_raw_hooks()


class Core:
    """Unicorn engine + run/halt bookkeeping. Memory lives in the twin."""

    def __init__(self, twin: "CoreBus"):
        self.twin = twin
        uc = U.Uc(U.UC_ARCH_ARM, U.UC_MODE_THUMB | U.UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(getattr(A, f"UC_CPU_ARM_{twin.variant.uc_cpu}"))
        # Unicorn reclaims invalidated translations only when its code buffer is full; with the
        # default 1 GB buffer every page the debugger writes (a flash algorithm's page buffer)
        # left RSS growing ~0.4 MB per 64 KB programmed, for hours. A small buffer is flushed
        # and refilled instead: RSS stays flat.
        uc.ctl_set_tcg_buffer_size(C.TCG_BUFFER_BYTES)
        self.uc = uc
        self._ptrs = []
        self._thunks = []
        rw = U.UC_PROT_ALL
        for base, buf in twin.rams:
            self._map_ptr(base, buf, rw)
        self.flash_array = twin.flash_array
        fsize = len(self.flash_array)
        self._flash_dirty = False
        self._pending_flash: tuple[int, bytes] | None = None
        for base in twin.flash_aliases:
            self._map_ptr(base, self.flash_array, U.UC_PROT_READ | U.UC_PROT_WRITE | U.UC_PROT_EXEC)
            self._hook_write(self._flash_write, base, base, base + fsize - 1)
        flash = twin.flash
        self._regs_base = flash.regs_base
        self._regs_words = flash.regs_size // 4
        regs_page = flash.regs_base & ~(PAGE - 1)
        self._regs_page = bytearray(PAGE)
        self._regs_offset = flash.regs_base - regs_page
        self._published: object = None
        #: A controller whose algorithm writes W1C and key registers per programmed unit (the L4)
        #: is cheaper behind MMIO callbacks than behind a RAM page kept true by one-shot watches.
        self._regs_mmio = bool(getattr(flash, "mmio_registers", False))
        if self._regs_mmio:
            uc.mmio_map(regs_page, PAGE, self._regs_read, regs_page, self._regs_write_mmio, regs_page)
        else:
            self._map_ptr(regs_page, self._regs_page, U.UC_PROT_READ | U.UC_PROT_WRITE)
            self._hook_write(self._reg_write, None, flash.regs_base, flash.regs_base + flash.regs_size - 1)
        for base in twin.peripheral_pages:
            uc.mmio_map(base, PAGE, self._periph_read, base, self._periph_write, base)
        uc.hook_add(U.UC_HOOK_INTR, self._on_interrupt)
        uc.hook_add(U.UC_HOOK_MEM_UNMAPPED, self._on_unmapped)
        self._hook_error: BaseException | None = None
        self._watch: int | None = None     # handle of the armed one-shot read hook
        self._watch_spent = False
        self._stop_reason: str | None = None
        self._dirty: tuple[int, int] | None = None

    def _hook_write(self, fn, user_data, begin: int, end: int) -> None:
        """A write hook on [begin, end]. It runs once or twice per programmed word, so it is
        registered straight with libunicorn when the binding allows: the binding's own
        dispatch (two extra Python frames) would double its cost. Errors raised in `fn` end
        the run and are re-raised by `run`, as the binding does."""
        core = self
        stop = self.uc.emu_stop

        def hook(handle, access, address, size, value, key):
            try:
                fn(None, access, address, size, value, user_data)
            except BaseException as exc:  # noqa: BLE001  (handed to run())
                if core._hook_error is None:
                    core._hook_error = exc
                stop()

        # Uc._uch is the binding's private engine handle (unicorn pinned to 2.1.x; checked by
        # tests/thirdparty/test_internals.py); without it the binding's hook_add is used.
        uch = getattr(self.uc, "_uch", None)
        if _raw_hooks is not None and uch is not None:
            lib, cfunc, handle_type = _raw_hooks
            thunk = cfunc(hook)
            handle = handle_type()
            status = lib.uc_hook_add(uch, ctypes.byref(handle), U.UC_HOOK_MEM_WRITE,
                                     thunk, None, ctypes.c_uint64(begin), ctypes.c_uint64(end))
            if status == 0:
                self._thunks.append(thunk)
                return
        self.uc.hook_add(U.UC_HOOK_MEM_WRITE, fn, user_data, begin, end)

    def _map_ptr(self, base: int, buf: bytearray, perms: int) -> None:
        cbuf = (ctypes.c_char * len(buf)).from_buffer(buf)
        self._ptrs.append(cbuf)
        self.uc.mem_map_ptr(base, len(buf), perms, ctypes.addressof(cbuf))

    # --- the FLASH register page ---------------------------------------------------------------
    def _regs_read(self, uc, offset: int, size: int, page: int) -> int:
        reg = page + offset - self._regs_base
        if not 0 <= reg < self._regs_words * 4:
            return 0
        word = self.twin.flash.read(reg & ~3, True)
        return (word >> (8 * (reg & 3))) & ((1 << (8 * size)) - 1)

    def _regs_write_mmio(self, uc, offset: int, size: int, value: int, page: int) -> None:
        reg = page + offset - self._regs_base
        if 0 <= reg < self._regs_words * 4:
            flash = self.twin.flash
            flash.write(reg & ~3, value << (8 * (reg & 3)) if size < 4 else value)

    def _publish(self) -> None:
        """Write the true FLASH register values into the page the core reads."""
        if self._regs_mmio:
            return
        flash = self.twin.flash
        _pack_into(f"<{self._regs_words}I", self._regs_page, self._regs_offset, *flash.snapshot())
        self._published = flash.status_token()

    def _arm_watch(self) -> None:
        self._watch_spent = False
        if self._watch is None:
            self._watch = self.uc.hook_add(U.UC_HOOK_MEM_READ, self._on_watch, None, 1, 0)

    def _drop_watch(self) -> None:
        """Delete a spent watch (never from inside its own callback: ctypes frees the thunk)."""
        if self._watch is not None and self._watch_spent:
            self.uc.hook_del(self._watch)
            self._watch = None

    def _on_watch(self, uc, access, address: int, size: int, value: int, user_data) -> None:
        if self._watch_spent:
            return
        if self._pending_flash:
            self._fix_flash()
        flash = self.twin.flash
        if flash.busy_until:
            offset = (address & ~3) - self._regs_base
            if offset in flash.status_offsets:
                flash.read(offset, True)   # the core spins on BSY: let real time pass instead
            self._publish()
            if flash.busy():
                return
        else:
            self._publish()
        self._watch_spent = True

    def _fix_flash(self) -> None:
        offset, data = self._pending_flash
        self.flash_array[offset:offset + len(data)] = data
        self._pending_flash = None

    # --- write hooks ---------------------------------------------------------------------------
    def _flash_write(self, uc, access, address: int, size: int, value: int, base: int) -> None:
        if self._pending_flash:
            self._fix_flash()
        if self._watch_spent:
            self._drop_watch()
        offset = address - base
        flash = self.twin.flash
        if flash.program(offset, size, value) != value:
            self._pending_flash = (offset, bytes(self.flash_array[offset:offset + size]))
            self._arm_watch()
        if not self._regs_mmio and flash.status_token() != self._published:
            self._publish()

    def _reg_write(self, uc, access, address: int, size: int, value: int, user_data) -> None:
        if self._pending_flash:
            self._fix_flash()
        if self._watch_spent:
            self._drop_watch()
        flash = self.twin.flash
        offset = address - self._regs_base
        handled = flash.fast_write(offset, size, value)
        if handled is None:
            shift = 8 * (offset & 3)
            flash.write(offset & ~3, value << shift if size < 4 else value)
        elif handled and flash.status_token() == self._published:
            return
        self._publish()
        reg = offset & ~3
        shift = 8 * (offset & 3)
        true = int.from_bytes(self._regs_page[self._regs_offset + reg:self._regs_offset + reg + 4], "little")
        mask = ((1 << (8 * size)) - 1) << shift
        landed = (true & ~mask) | ((value << shift) & mask)   # the page word once the store lands
        if landed != true or flash.busy():
            self._arm_watch()

    # --- MMIO callbacks ------------------------------------------------------------------------
    def flash_changed(self) -> None:
        """Flash content changed behind Unicorn's back: drop translated code from it."""
        self._flash_dirty = True

    def _periph_read(self, uc, offset: int, size: int, base: int) -> int:
        return self.twin.core_read(base + offset, size)

    def _periph_write(self, uc, offset: int, size: int, value: int, base: int) -> None:
        self.twin.core_write(base + offset, size, value)

    def _on_unmapped(self, uc, access, address: int, size: int, value: int, user_data) -> bool:
        """A peripheral page the twin keeps as plain storage is mapped on first use."""
        page = self.twin.scratch_page(address)
        if page is None:
            return False
        self._map_ptr(address & ~(PAGE - 1), page, U.UC_PROT_READ | U.UC_PROT_WRITE)
        return True

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
        if size <= 0:
            return
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
            size = len(self.flash_array)
            for base in self.twin.flash_aliases:
                self.uc.ctl_remove_cache(base, base + size)
            self._flash_dirty = False
        self._stop_reason = None
        self._publish()
        if self.twin.flash.busy() and not self._regs_mmio:
            self._arm_watch()
        if limit_s:
            _run_timer.arm(self.uc.emu_stop, limit_s)
        self._hook_error = None
        try:
            self.uc.emu_start(self.pc | 1, 0xFFFFFFFF, count=count)
        except U.UcError:
            return "fault"
        finally:
            if limit_s:
                _run_timer.disarm()
            if self._pending_flash:
                self._fix_flash()
            if self._watch is not None:
                self._watch_spent = True
                self._drop_watch()
        if self._hook_error is not None:
            error, self._hook_error = self._hook_error, None
            raise error
        return self._stop_reason

    def stop(self, reason: str) -> None:
        """Called from an MMIO callback: end emu_start now (e.g. a reset hit mid-operation)."""
        self._stop_reason = reason
        self.uc.emu_stop()
