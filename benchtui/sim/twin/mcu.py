"""`Stm32Twin`: the STM32F767 as a debugger sees it through SWD.

One object holds the silicon: memories, FLASH interface, IWDG, DBGMCU, the Cortex-M7 debug
registers and the core (Unicorn). Supply and NRST come from a `PowerSource`; the twin asks it
before every debug access (`sync`) and never decides a failure by itself.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import threading
from pathlib import Path

from . import constants as C
from .coresight import SYSTEM_RESET_VALUES, id_space
from .dap import SwdPort
from .faults import BusFault, NoAck
from .flash import IWDG_SW, NDBANK, FlashController, NvMemory
from .power import AlwaysPowered, PowerSource

# DHCSR / DEMCR / DFSR bits
C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS = 1 << 0, 1 << 1, 1 << 2, 1 << 3
S_REGRDY, S_HALT, S_LOCKUP, S_RETIRE_ST, S_RESET_ST = 1 << 16, 1 << 17, 1 << 19, 1 << 24, 1 << 25
VC_CORERESET, VC_HARDERR = 1 << 0, 1 << 10
DFSR_HALTED, DFSR_BKPT, DFSR_VCATCH = 1 << 0, 1 << 1, 1 << 3
DHCSR, DCRSR, DCRDR, DEMCR, DFSR, AIRCR = 0xE000EDF0, 0xE000EDF4, 0xE000EDF8, 0xE000EDFC, 0xE000ED30, 0xE000ED0C
PPB_BASE, PPB_END = 0xE0000000, 0xE0100000
STATE_FORMAT = "benchtui-twin-1"

_ids = itertools.count(1)


class Stm32Twin:
    """An STM32F767 (variant "zi" 2 MB or "zg" 1 MB), single or dual bank.

    `power` defaults to `AlwaysPowered()`; `time_scale` multiplies flash operation times (0 = no
    waiting); `state_file` keeps flash and option bytes across runs (atomic writes).
    """

    ITCM_BASE, SRAM_BASE = C.ITCM_RAM_BASE, C.SRAM_BASE
    FLASH_AXIM_BASE, FLASH_ITCM_BASE = C.FLASH_AXIM_BASE, C.FLASH_ITCM_BASE
    FLASH_REGS_BASE, IWDG_BASE, SYSINFO_BASE = C.FLASH_REGS_BASE, C.IWDG_BASE, C.SYSINFO_BASE

    def __init__(self, variant: str = "zi", *, dual_bank: bool = False, power: PowerSource | None = None,
                 time_scale: float = 0.0, state_file: str | os.PathLike | None = None,
                 name: str | None = None):
        if variant not in C.VARIANT_FLASH_KB:
            raise ValueError(f"twin variant {variant!r} unknown (expected one of {sorted(C.VARIANT_FLASH_KB)})")
        self.variant = variant
        self.name = name or f"twin-{next(_ids)}"
        self.power: PowerSource = power if power is not None else AlwaysPowered()
        self.lock = threading.RLock()
        self.state_file = Path(state_file) if state_file is not None else None
        self.nv = NvMemory(C.VARIANT_FLASH_KB[variant])
        if dual_bank:
            self.nv.optcr &= ~NDBANK
        if self.state_file is not None and self.state_file.exists():
            self._load_state()
        self.itcm = bytearray(C.ITCM_RAM_SIZE)
        self.sram = bytearray(C.SRAM_SIZE)
        self.sysinfo = self._make_sysinfo()
        self._ids = id_space()
        self._nv_dirty = False
        self.core = None
        self.flash = FlashController(self.nv, self.power, time_scale, self._request_reset,
                                     self._debug_attached, self._mark_nv_dirty)
        self.dp = SwdPort(self)
        from .core import Core   # Unicorn is imported only when a twin is built
        self.core = Core(self)
        self._epoch: int | None = None
        self._in_reset = False
        self._pending_reset: str | None = None
        self.reset_log: list[str] = []
        self._power_up()
        self._epoch = self.power.power_epoch()

    # --- identity -----------------------------------------------------------------------------
    @property
    def flash_size(self) -> int:
        return len(self.nv.flash)

    def _make_sysinfo(self) -> bytearray:
        info = bytearray(b"\xff" * C.SYSINFO_SIZE)
        for i, word in enumerate(C.UID_WORDS):
            o = C.UID_ADDR - C.SYSINFO_BASE + 4 * i
            info[o:o + 4] = word.to_bytes(4, "little")
        o = C.FLASH_SIZE_ADDR - C.SYSINFO_BASE
        info[o:o + 2] = self.nv.flash_kb.to_bytes(2, "little")
        o = C.PACKAGE_ADDR - C.SYSINFO_BASE
        info[o:o + 2] = C.PACKAGE_VALUE.to_bytes(2, "little")
        return info

    # --- power, reset ---------------------------------------------------------------------------
    def sync(self) -> None:
        """Follow the power source up to now; raise NoAck when SWD would get no answer."""
        power = self.power
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
        self.itcm[:] = bytes(len(self.itcm))
        self.sram[:] = bytes(len(self.sram))
        self.dp.power_on_reset()
        self.sys_regs = dict(SYSTEM_RESET_VALUES)
        self.dhcsr_ctrl = 0
        self.demcr = 0
        self.dfsr = 0
        self.dcrdr = 0
        self.dbgmcu = {0x4: 0, 0x8: 0, 0xC: 0}
        self.halted = False
        self.lockup = False
        self.reset_st = True
        self.retire_st = False
        self._pending_reset = None
        self.flash.reset_registers()
        self._iwdg_reset()
        self.reset_log.append("power-on")
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

    def _leave_reset(self) -> None:
        """Reset released: option bytes load, the core fetches its vectors (vector catch halts it)."""
        self._in_reset = False
        self.flash.load_options(ok=self.power.option_load_ok())
        if not self.flash.loaded_optcr & IWDG_SW:
            self._iwdg_start()
        boot = (self.flash.optcr1 & 0xFFFF) << 14
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
            self.core._flash_dirty = True

    # --- IWDG -----------------------------------------------------------------------------------
    def _iwdg_reset(self) -> None:
        self.iwdg = {"started": False, "pr": 0, "rlr": 0xFFF, "last": 0.0, "unlocked": False}

    def _iwdg_start(self) -> None:
        self.iwdg["started"] = True
        self.iwdg["last"] = self.power.now()

    def _iwdg_timeout(self) -> float:
        return (self.iwdg["rlr"] + 1) * (4 << min(self.iwdg["pr"], 6)) / C.LSI_HZ

    def _check_iwdg(self) -> None:
        iw = getattr(self, "iwdg", None)
        if not iw or not iw["started"] or (self.halted and self.dbgmcu[0x8] & (1 << 12)):
            return
        if self.power.now() - iw["last"] > self._iwdg_timeout():
            self.system_reset("iwdg")

    def _iwdg_write(self, offset: int, value: int) -> None:
        value &= 0xFFFF
        if offset == 0:
            if value == 0xCCCC:
                self._iwdg_start()
            elif value == 0xAAAA:
                self.iwdg["last"] = self.power.now()
            self.iwdg["unlocked"] = value == 0x5555
        elif offset == 4 and self.iwdg["unlocked"]:
            self.iwdg["pr"] = value & 7
        elif offset == 8 and self.iwdg["unlocked"]:
            self.iwdg["rlr"] = value & 0xFFF

    # --- memory map -----------------------------------------------------------------------------
    def _plain_region(self, addr: int, n: int, from_core: bool) -> tuple[bytearray, int] | None:
        """(buffer, offset) when [addr, addr+n) is plain memory, None for registers."""
        fs = self.flash_size
        for base, buf in ((self.FLASH_AXIM_BASE, None), (self.FLASH_ITCM_BASE, None),
                          (C.SRAM_BASE, self.sram), (C.ITCM_RAM_BASE, self.itcm),
                          (C.SYSINFO_BASE, self.sysinfo)):
            size = fs if buf is None else len(buf)
            if base <= addr and addr + n <= base + size:
                if buf is None:
                    if not from_core and self.flash.flash_read_blocked():
                        raise BusFault(addr)
                    return self.nv.flash, addr - base
                return buf, addr - base
        return None

    def _read_plain(self, addr: int, size: int, from_core: bool = False) -> int:
        region = self._plain_region(addr, size, from_core)
        if region is None:
            raise BusFault(addr)
        buf, off = region
        return int.from_bytes(buf[off:off + size], "little")

    def _is_flash(self, addr: int) -> int | None:
        for base in (self.FLASH_AXIM_BASE, self.FLASH_ITCM_BASE):
            if base <= addr < base + self.flash_size:
                return addr - base
        return None

    def bus_read(self, addr: int, size: int, from_core: bool = False) -> int:
        """One bus read of 1, 2 or 4 bytes (little-endian value)."""
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
        for base, buf in ((C.SRAM_BASE, self.sram), (C.ITCM_RAM_BASE, self.itcm)):
            if base <= addr and addr + size <= base + len(buf):
                buf[addr - base:addr - base + size] = value.to_bytes(size, "little")
                self.core.code_written(addr, size)
                return
        if size != 4:
            value <<= 8 * (addr & 3)
        self._write_register(addr & ~3, value)
        self._apply_pending_reset()

    def read_block(self, addr: int, n: int) -> bytes:
        """Debugger bulk read of plain memory (falls back to word reads for registers)."""
        region = self._plain_region(addr, n, False)
        if region is not None:
            buf, off = region
            return bytes(buf[off:off + n])
        return b"".join(self.bus_read(a, 4).to_bytes(4, "little") for a in range(addr, addr + n, 4))

    def write_block(self, addr: int, data: bytes) -> None:
        """Debugger bulk write of words."""
        for base, buf in ((C.SRAM_BASE, self.sram), (C.ITCM_RAM_BASE, self.itcm)):
            if base <= addr and addr + len(data) <= base + len(buf):
                buf[addr - base:addr - base + len(data)] = data
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
        if C.FLASH_REGS_BASE <= addr < C.FLASH_REGS_BASE + 0x20:
            return self.flash.read(addr - C.FLASH_REGS_BASE, from_core)
        if C.IWDG_BASE <= addr < C.IWDG_BASE + 0x10:
            return {0: 0, 4: self.iwdg["pr"], 8: self.iwdg["rlr"], 0xC: 0}[addr - C.IWDG_BASE]
        if C.OPTION_IMAGE_BASE <= addr < C.OPTION_IMAGE_BASE + C.OPTION_IMAGE_SIZE:
            o = addr - C.OPTION_IMAGE_BASE
            return int.from_bytes(self.nv.option_image()[o:o + 4], "little")
        if C.DBGMCU_BASE <= addr < C.DBGMCU_BASE + 0x10:
            return C.DBGMCU_IDCODE if addr == C.DBGMCU_BASE else self.dbgmcu[addr - C.DBGMCU_BASE]
        if PPB_BASE <= addr < PPB_END and not from_core:
            return self._ppb_read(addr)
        raise BusFault(addr)

    def _write_register(self, addr: int, value: int) -> None:
        value &= 0xFFFFFFFF
        if C.FLASH_REGS_BASE <= addr < C.FLASH_REGS_BASE + 0x20:
            self.flash.write(addr - C.FLASH_REGS_BASE, value)
        elif C.IWDG_BASE <= addr < C.IWDG_BASE + 0x10:
            self._iwdg_write(addr - C.IWDG_BASE, value)
        elif C.DBGMCU_BASE < addr < C.DBGMCU_BASE + 0x10:
            self.dbgmcu[addr - C.DBGMCU_BASE] = value
        elif PPB_BASE <= addr < PPB_END:
            self._ppb_write(addr, value)
        elif not (C.DBGMCU_BASE == addr or C.OPTION_IMAGE_BASE <= addr < C.OPTION_IMAGE_BASE + 0x20):
            raise BusFault(addr)

    def _ppb_read(self, addr: int) -> int:
        if addr == DHCSR:
            return self._read_dhcsr()
        if addr == DCRDR:
            return self.dcrdr
        if addr == DEMCR:
            return self.demcr
        if addr == DFSR:
            return self.dfsr
        if addr == AIRCR:
            return 0xFA050000 | (self.sys_regs.get(AIRCR, 0) & 0x700)
        if addr in self._ids:
            return self._ids[addr]
        return self.sys_regs.get(addr, 0)

    def _ppb_write(self, addr: int, value: int) -> None:
        if addr == DHCSR:
            self._write_dhcsr(value)
        elif addr == DCRSR:
            self._write_dcrsr(value)
        elif addr == DCRDR:
            self.dcrdr = value
        elif addr == DEMCR:
            self.demcr = value & 0x010F07F1
        elif addr == DFSR:
            self.dfsr &= ~value
        elif addr == AIRCR:
            if value >> 16 == 0x05FA:
                self.sys_regs[AIRCR] = value & 0x700
                if value & 0x4:
                    self.system_reset("sysresetreq")
                elif value & 0x1:
                    self.system_reset("vectreset")
        elif addr in self._ids or addr in (0xE000ED00,):
            pass   # read-only identification
        else:
            self.sys_regs[addr] = value

    # --- core debug ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return not (self.halted or self.lockup or self._in_reset)

    def _read_dhcsr(self) -> int:
        if self.running:
            self._run(limit_s=C.RUN_CHUNK_S)
        value = self.dhcsr_ctrl & 0xF
        if self.halted:
            value |= S_HALT | S_REGRDY
        if self.lockup:
            value |= S_LOCKUP
        if self.reset_st or self._in_reset:
            value |= S_RESET_ST
        if self.retire_st:
            value |= S_RETIRE_ST
        self.reset_st = False
        self.retire_st = False
        return value

    def _write_dhcsr(self, value: int) -> None:
        if value >> 16 != 0xA05F:
            return
        self.dhcsr_ctrl = value & 0x2F
        if not value & C_DEBUGEN:
            self.halted = False
            return
        if value & C_HALT:
            if self.running:
                self.halted = True
                self.dfsr |= DFSR_HALTED
            return
        if self.halted:
            self.halted = False
            if value & C_STEP:
                self._run(count=1)
                if self.running:
                    self.halted = True
                    self.dfsr |= DFSR_HALTED

    def _write_dcrsr(self, value: int) -> None:
        regsel = value & 0x7F
        if value & (1 << 16):
            self.core.write_reg(regsel, self.dcrdr)
        else:
            self.dcrdr = self.core.read_reg(regsel)

    def _run(self, limit_s: float = 0.0, count: int = 0) -> None:
        """Let the core execute (a time slice or `count` instructions); record why it stopped."""
        reason = self.core.run(limit_s, count)
        self.retire_st = True
        if self._pending_reset:
            self._apply_pending_reset()
        elif reason == "bkpt":
            self.halted = True
            self.dfsr |= DFSR_BKPT
        elif reason == "fault":
            if self.dhcsr_ctrl & C_DEBUGEN and self.demcr & VC_HARDERR:
                self.halted = True
                self.dfsr |= DFSR_VCATCH
            else:
                self.lockup = True

    # --- persistence --------------------------------------------------------------------------
    def save(self) -> None:
        """Write flash + option bytes to the state file (atomically); no-op without one."""
        if self.state_file is None:
            return
        with self.lock:
            header = json.dumps({"format": STATE_FORMAT, "variant": self.variant,
                                 "optcr": self.nv.optcr, "optcr1": self.nv.optcr1}).encode()
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, suffix=".twin.tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(header + b"\n")
                f.write(self.nv.flash)
            os.replace(tmp, self.state_file)
            self._nv_dirty = False

    def save_if_dirty(self) -> None:
        if self._nv_dirty:
            self.save()

    def _load_state(self) -> None:
        path = self.state_file
        raw = path.read_bytes()
        head, _, body = raw.partition(b"\n")
        try:
            meta = json.loads(head)
        except ValueError:
            raise ValueError(f"twin state file {path}: not a {STATE_FORMAT} file") from None
        if meta.get("format") != STATE_FORMAT or meta.get("variant") != self.variant:
            raise ValueError(f"twin state file {path}: holds variant {meta.get('variant')!r}, "
                             f"expected {self.variant!r}")
        if len(body) != len(self.nv.flash):
            raise ValueError(f"twin state file {path}: flash image is {len(body)} bytes, "
                             f"expected {len(self.nv.flash)}")
        self.nv.flash[:] = body
        self.nv.optcr = int(meta["optcr"])
        self.nv.optcr1 = int(meta["optcr1"])
