"""The Cortex-M debug registers of the twin's core (ARMv7-M debug, as pyOCD drives them):
DHCSR (halt, step, status), DCRSR/DCRDR (core registers), DEMCR (vector catch), DFSR, AIRCR
(SYSRESETREQ), the identification space, and running the core in time slices."""

from __future__ import annotations

from . import constants as C

# DHCSR / DEMCR / DFSR bits
C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS = 1 << 0, 1 << 1, 1 << 2, 1 << 3
S_REGRDY, S_HALT, S_LOCKUP, S_RETIRE_ST, S_RESET_ST = 1 << 16, 1 << 17, 1 << 19, 1 << 24, 1 << 25
VC_CORERESET, VC_HARDERR = 1 << 0, 1 << 10
DFSR_HALTED, DFSR_BKPT, DFSR_VCATCH = 1 << 0, 1 << 1, 1 << 3
DHCSR, DCRSR, DCRDR, DEMCR, DFSR, AIRCR = 0xE000EDF0, 0xE000EDF4, 0xE000EDF8, 0xE000EDFC, 0xE000ED30, 0xE000ED0C
PPB_BASE, PPB_END = 0xE0000000, 0xE0100000


class CoreDebug:
    """Mixin of `Stm32Twin`: the PPB as the debugger sees it."""

    def _debug_reset(self) -> None:
        self.dhcsr_ctrl = 0
        self.demcr = 0
        self.dfsr = 0
        self.dcrdr = 0
        self.halted = False
        self.lockup = False
        self.reset_st = True
        self.retire_st = False

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
        """Let the core execute (a time slice or `count` instructions); record why it stopped.

        The flash controller's programming time is settled first: the core cannot start the
        next page before the controller finished the last one."""
        self.flash.settle()
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
