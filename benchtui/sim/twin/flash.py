"""The FLASH interface of the STM32F7 (RM0410 §3) and its F4 ancestor (RM0090): keys, CR/SR, erase
and program, and what supply disturbances do to an operation in flight. The option bytes (OPTCR,
OPTCR1, their stored image, OPTSTRT) are in options.py; what every chip's controller shares
(the physics, BSY, the programming clock) in controller.py. What differs between the F7 and the
F4 (bank mode bit, OPTCR1, sector layout, erase times, factory values) comes from the twin's
`TwinVariant`.

Time: erases hold BSY for their (scaled) duration; programming accounts 16 µs per word on a
programming clock that the twin settles (sleeps up to) whenever the debugger or the next
algorithm call could observe it, so at time scale 1 a flash lasts as long as on silicon while
host work overlaps it as it would overlap the real controller's programming time.
"""

from __future__ import annotations

import time

from . import constants as C
from .controller import ControllerBase, NvMemory, rdp_level  # noqa: F401  (NvMemory: old import path)
from .layout import Sector, sector_at, sector_for_snb
from .options import FxOptionBytes, IWDG_SW, NWRP_MASK, NWRP_SHIFT, RDP_SHIFT  # noqa: F401

# SR bits
EOP, OPERR, WRPERR, PGAERR, PGPERR, ERSERR, BSY = 1 << 0, 1 << 1, 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 16
SR_W1C = EOP | OPERR | WRPERR | PGAERR | PGPERR | ERSERR
# CR bits
PG, SER, MER, MER2, STRT, LOCK = 1 << 0, 1 << 1, 1 << 2, 1 << 15, 1 << 16, 1 << 31
SR_OFFSET, CR_OFFSET = 0x0C, 0x10


class FlashController(FxOptionBytes, ControllerBase):
    """Registers at 0x40023C00 and the operations they start (see ControllerBase for resets)."""

    regs_base = C.FLASH_REGS_BASE
    regs_size = 0x20
    status_offsets = frozenset({SR_OFFSET})

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.loaded_optcr = self.nv.optcr | 1
        self.loaded_optcr1 = self.nv.optcr1
        self.loaded_rdp = self.nv.rdp
        self.reset_registers()
        self.load_options(ok=True)

    # --- reset ----------------------------------------------------------------------------------
    def reset_registers(self) -> None:
        """Peripheral reset: locked, no error, no operation."""
        self.acr = 0
        self.cr = C.CR_RESET
        self.sr = 0
        self._key_stage = 0
        self._optkey_stage = 0
        self._hard_locked = False
        self._opt_hard_locked = False
        self.busy_until = 0.0
        self._load_end = 0.0  # end of the last supply load: the controller does one operation at a time
        self._reset_bursts()
        self._last_sector: Sector | None = None
        self.finish_due()

    # --- layout -------------------------------------------------------------------------------
    @property
    def dual_bank(self) -> bool:
        return self.variant.dual_bank(self.loaded_optcr)

    def sectors(self) -> tuple[Sector, ...]:
        return self.variant.sectors(self.dual_bank)

    def protected(self, sector: Sector) -> bool:
        bit = (self._wrp_mask() >> sector.wrp_bit) & 1
        if self.variant.family == "f4" and self.loaded_optcr & (1 << 31):
            return bool(bit)    # SPRMOD = 1: nWRP bits select PCROP (1 = protected)
        return not bit

    # --- register access ----------------------------------------------------------------------
    def read(self, offset: int, from_core: bool = False) -> int:
        reg = offset & 0x1C
        if reg == 0x00:
            return self.acr
        if reg == SR_OFFSET:
            return self._read_sr(from_core)
        if reg == CR_OFFSET:
            return self.cr
        if reg == 0x14:
            return self.optcr
        if reg == 0x18:
            return self.optcr1
        return 0

    def write(self, offset: int, value: int) -> None:
        reg = offset & 0x1C
        value &= 0xFFFFFFFF
        if reg == 0x00:
            self.acr = value & 0xB0F
        elif reg == 0x04:
            self._write_key(value)
        elif reg == 0x08:
            self._write_optkey(value)
        elif reg == SR_OFFSET:
            self.sr &= ~(value & SR_W1C)
        elif reg == CR_OFFSET:
            self._write_cr(value)
        elif reg == 0x14:
            self._write_optcr(value)
        elif reg == 0x18:
            if not self.optcr & 1:
                self.optcr1 = value

    def snapshot(self) -> tuple[int, ...]:
        """The eight register words at 0x40023C00 as a read sees them now (never waits)."""
        sr = self.sr | (BSY if self.busy_until and self.busy() else 0)
        return (self.acr, 0, 0, sr, self.cr, self.optcr, self.optcr1, 0)

    def status_token(self) -> object:
        return self.sr

    def fast_write(self, offset: int, size: int, value: int) -> bool | None:
        # The flash algorithm's PG set/clear around every word: nothing else changes and the raw
        # store is the true value, so the page needs no update.
        if offset != CR_OFFSET or size != 4:
            return None
        self.write(CR_OFFSET, value)
        return self.cr == value and (not self.busy_until or not self.busy())

    def _read_sr(self, from_core: bool) -> int:
        if self._pending_s:
            self.settle()
        if self.busy_until == 0.0:
            return self.sr
        if from_core and self.busy():
            # The core would spin on BSY: let real time pass instead of burning instructions.
            time.sleep(max(0.0, self.busy_until - time.monotonic()))
        return self.sr | (BSY if self.busy() else 0)

    def _write_key(self, value: int) -> None:
        """KEY1 then KEY2 unlocks CR; any other write locks it until the next reset."""
        if not self.cr & LOCK or self._hard_locked:
            self._hard_locked = self._hard_locked or bool(self.cr & LOCK)
            return
        if self._key_stage == 0 and value == C.KEY1:
            self._key_stage = 1
        elif self._key_stage == 1 and value == C.KEY2:
            self._key_stage = 0
            self.cr &= ~LOCK
        else:
            self._key_stage = 0
            self._hard_locked = True

    def _write_cr(self, value: int) -> None:
        if self.cr & LOCK:
            return
        if self.busy():
            return
        self.cr = value & 0x8301FFFF & ~STRT
        if value & STRT:
            self.settle()
            self._burst_left = 0
            self._start_erase(value)

    # --- operations ---------------------------------------------------------------------------
    def _blocked_by_rdp(self) -> bool:
        # UNCONFIRMED: RDP level 1 with a debugger attached refuses erase/program with WRPERR.
        return self.flash_read_blocked()

    def _start_erase(self, value: int) -> None:
        mass = value & (MER | MER2)
        if value & SER and mass or not (value & SER or mass):
            self.sr |= ERSERR
            return
        if self._blocked_by_rdp():
            self.sr |= WRPERR
            return
        if value & SER:
            sector = sector_for_snb(self.sectors(), (value >> 3) & 0x1F)
            if sector is None:
                self.sr |= ERSERR
                return
            targets = [sector]
            duration = self.variant.erase_time_s(sector.size)
            label = f"erase sector {sector.number}"
        else:
            banks = {1} if (value & MER) else set()
            if value & MER2:
                if not self.dual_bank:
                    self.sr |= ERSERR
                    return
                banks.add(2)
            targets = [s for s in self.sectors() if s.bank in banks]
            duration = self.variant.mass_erase_per_mb_s * sum(s.size for s in targets) / (1024 * 1024)
            label = "mass erase"
        if any(self.protected(s) for s in targets):
            self.sr |= WRPERR
            return
        verdict, delay, done = self._operate(C.I_ERASE_A, duration, label)
        if verdict is None:
            self._erase(targets)
        elif verdict == "vcap-dip":
            # Too little core voltage: the erase stops halfway through the last sector.
            total = sum(s.size for s in targets)
            self._erase(targets, (total - targets[-1].size // 2) / total)
            self.sr |= OPERR | ERSERR
        else:
            # A reset hits mid-erase: BSY until the instant it hits, then the sectors are erased
            # as far as the erase had come and the core resets.
            self._schedule_reset(verdict, delay, lambda: self._erase(targets, done))

    def _erase(self, targets: list[Sector], done: float = 1.0) -> None:
        self._erase_ranges(((s.number, s.offset, s.size) for s in targets), done)

    def program(self, offset: int, size: int, value: int) -> int:
        """A bus write of `size` bytes into the flash array (core or debugger); returns the
        value the location holds afterwards.

        This runs once per programmed word: the checks are ordered for the common case.
        """
        cr = self.cr
        if cr & (LOCK | PG) != PG:
            return self._refuse(ERSERR, offset, size)
        if offset % size:
            return self._refuse(PGAERR, offset, size)
        if size != 1 << ((cr >> 8) & 3):
            return self._refuse(PGPERR, offset, size)
        sector = self._last_sector
        if sector is None or not sector.offset <= offset < sector.offset + sector.size:
            sector = sector_at(self.sectors(), offset)
            if sector is None:
                return self._refuse(PGAERR, offset, size)
            if self.protected(sector):
                return self._refuse(WRPERR, offset, size)
            self._last_sector = sector   # a writable sector: later words skip the checks above
        if self.loaded_rdp != C.RDP_LEVEL0 and self._debug_attached():
            return self._refuse(WRPERR, offset, size)
        outcome = self._account(C.T_PROG_WORD_S, C.I_PROGRAM_A)
        if outcome == "reset":
            return self._word(offset, size)
        if outcome == "weak":
            value |= 0x55555555 & ((1 << (8 * size)) - 1)   # weak programming: some bits stay 1
            self.sr |= OPERR
        flash = self.nv.flash
        old = int.from_bytes(flash[offset:offset + size], "little")
        new = old & value
        if new != old:
            flash[offset:offset + size] = new.to_bytes(size, "little")
            self._on_nv_change()
        return new

    def _word(self, offset: int, size: int) -> int:
        return int.from_bytes(self.nv.flash[offset:offset + size], "little")

    def _refuse(self, error: int, offset: int, size: int) -> int:
        """A program write the interface rejects: set the error, leave the array as it was."""
        self.sr |= error
        return self._word(offset, size)
