"""The STM32L4 twin (RM0351 for the L476, RM0394 for the L432): its variants and its flash
controller at 0x40022000.

KEYR unlocks CR (LOCK, bit 31), OPTKEYR the option bytes (OPTLOCK, bit 30). Page erase (PER +
PNB, BKER for bank 2) and mass erase (MER1/MER2) start with STRT and hold BSY. Programming is by
64-bit double word with PG set: two 32-bit writes, the first at an 8-byte boundary; the second
starts the program (BSY). A narrower write is SIZERR, a misplaced one PGAERR, a double word that
is not erased (unless the data is zero) PROGERR, a page in a WRP area WRPERR, a write with PG
clear PGSERR. The option bytes (OPTR, PCROPx, WRPx) are written with OPTSTRT into the stored
option area (each word followed by its complement, readable at 0x1FFF7800 / 0x1FFFF800) and
load only at the next option-byte load (OBL_LAUNCH, which resets the chip, or a reset); a load
whose value and complement disagree sets SR.OPTVERR. The twin's UNCONFIRMED choices are in the
block below (the device side's in devices/mcu/stm32l4.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from .. import constants as C
from ..controller import ControllerBase, rdp_level
from ..layout import Sector
from ..variants import TwinVariant, register_variant

K = 1024
# ---------------------------------------------------------------------------------------------
# UNCONFIRMED (DS10198 / DS11451 figures as remembered; change them here only)
# ---------------------------------------------------------------------------------------------
T_PROG_DOUBLE_WORD_S = 81.69e-6   # 64-bit programming, typical (90.76 µs max)
T_ERASE_PAGE_S = 22.02e-3         # 2 KB page erase, typical (24.47 ms max)
T_MASS_ERASE_S = 22.13e-3         # one or both banks, typical (24.59 ms max)
T_OPTION_WRITE_S = 22.02e-3       # the option page is erased and rewritten: a page erase's time
#: A spoiled option-byte load: OPTVERR, and bank 1's WRP area A loads as the whole bank (every
#: page write-protected), as the F7 twin's failed load clears nWRP. A write cut short leaves
#: RDP level 1 (0xFF), WRP1A over the whole bank and the stored OPTR's complement broken.
CORRUPT_RDP = 0xFF
#: Debug identity: SW-DP and AHB-AP of a Cortex-M4, ST's ROM table with the DEV_ID.
L4_DPIDR, L4_AP_IDR, L4_AP_BASE, L4_CPUID = 0x2BA01477, 0x24770011, 0xE00FF003, 0x410FC241
#: OPTR bits that do not exist on the part read 1 (reserved).
OPTR_RESERVED_ONES = 0xF0400800

REGS, REGS_SIZE = 0x40022000, 0x54
ACR, PDKEYR, KEYR, OPTKEYR, SR, CR, ECCR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18
WORD_OFFSETS = (0x20, 0x24, 0x28, 0x2C, 0x30, 0x44, 0x48, 0x4C, 0x50)   # OPTR .. WRP2BR
EOP, OPERR, PROGERR, WRPERR, PGAERR, SIZERR, PGSERR = 1, 1 << 1, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7
MISERR, FASTERR, RDERR, OPTVERR, BSY = 1 << 8, 1 << 9, 1 << 14, 1 << 15, 1 << 16
SR_W1C = 0xC3FB
PG, PER, MER1, BKER, MER2, STRT, OPTSTRT, FSTPG = 1, 1 << 1, 1 << 2, 1 << 11, 1 << 15, 1 << 16, 1 << 17, 1 << 18
OBL_LAUNCH, OPTLOCK, LOCK, EOPIE = 1 << 27, 1 << 30, 1 << 31, 1 << 24
FACTORY_WORDS = (0xFFEFF8AA, 0x0000FFFF, 0x00000000, 0x000000FF, 0x000000FF, 0x0000FFFF, 0x00000000,
                 0x000000FF, 0x000000FF)
W_OPTR, W_WRP1A, W_WRP2A = 0, 3, 7
#: Where each stored word sits in the option areas (area base, offset): the value, then ~value.
OPTION_AREAS = (0x1FFF7800, 0x1FFFF800)
_STORED_AT = {0: (0, 0x00), 1: (0, 0x08), 2: (0, 0x10), 3: (0, 0x18), 4: (0, 0x20),
              5: (1, 0x08), 6: (1, 0x10), 7: (1, 0x18), 8: (1, 0x20)}


@dataclass(frozen=True)
class L4Variant(TwinVariant):
    """An STM32L4: 2 KB pages, one bank (L43x) or two of 256 pages (1 MB L47x/L49x)."""

    def factory_words(self) -> tuple[int, ...]:
        return FACTORY_WORDS

    @property
    def banks(self) -> int:
        return 1 if self.dev_id == 0x435 else 2 if self.flash_kb == 1024 else 1

    def can_be_dual(self) -> bool:
        return False

    def always_dual(self) -> bool:
        return self.banks == 2

    def dual_bank(self, optr: int) -> bool:
        return self.banks == 2

    def sectors(self, dual: bool) -> tuple[Sector, ...]:
        return _pages(self)

    def erase_time_s(self, size: int) -> float:
        return T_ERASE_PAGE_S

    @property
    def mass_erase_per_mb_s(self) -> float:
        return T_MASS_ERASE_S


@lru_cache(maxsize=None)
def _pages(v: L4Variant) -> tuple[Sector, ...]:
    pages = v.flash_kb * K // (2 * K)
    per_bank = pages // v.banks
    return tuple(Sector(n, n % per_bank, n * 2 * K, 2 * K, n % per_bank, 1 + n // per_bank)
                 for n in range(pages))


class L4FlashController(ControllerBase):
    """The STM32L4 flash controller (see the module docstring)."""

    regs_base = REGS
    regs_size = REGS_SIZE
    unit_s_max = T_PROG_DOUBLE_WORD_S
    unit_bytes = 8
    mmio_registers = True
    status_offsets = frozenset({SR})

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.reset_registers()
        self.load_options(ok=True)

    # --- reset and option load ------------------------------------------------------------------
    def reset_registers(self) -> None:
        self._discard()
        self.acr = 0x600
        self.cr = LOCK | OPTLOCK
        self.sr = 0
        self._key_stage = self._optkey_stage = 0
        self._hard_locked = self._opt_hard_locked = False
        self._dw: int | None = None         # array offset of the double word being written
        self._dw_old = b""
        self._dw_half = False
        self.busy_until = 0.0
        self._load_end = 0.0
        self._reset_bursts()
        self.finish_due()

    def load_options(self, ok: bool) -> None:
        """The option registers from the stored option bytes (an option-byte load)."""
        self.regs = list(self.nv.words)
        broken = bool(self.nv.broken_complements)
        if not ok or broken:
            self.sr |= OPTVERR
            self.regs[W_WRP1A] = (0xFF << 16) | 0x00     # WRP1A: pages 0..255 (the whole bank)
        self.loaded_rdp = self.regs[W_OPTR] & 0xFF

    def hardware_watchdog(self) -> bool:
        return not self.regs[W_OPTR] & (1 << 16)

    def option_image_word(self, addr: int) -> int | None:
        for area, base in enumerate(OPTION_AREAS):
            if area == 1 and self.variant.banks == 1:
                continue     # no bank 2, no bank-2 option area: a bus fault
            if base <= addr < base + 0x28:
                offset = addr - base
                for index, (a, at) in _STORED_AT.items():
                    if a == area and offset in (at, at + 4):
                        if index >= 5 and self.variant.banks == 1:
                            return 0xFFFFFFFF
                        value = self.nv.words[index]
                        if offset == at:
                            return value
                        comp = ~value & 0xFFFFFFFF
                        return comp ^ 0xFF if index in self.nv.broken_complements else comp
                return 0xFFFFFFFF
        return None

    # --- layout ---------------------------------------------------------------------------------
    @property
    def dual_bank(self) -> bool:
        return self.variant.banks == 2

    def sectors(self) -> tuple[Sector, ...]:
        return _pages(self.variant)

    def protected(self, page: Sector) -> bool:
        first = W_WRP1A if page.bank == 1 else W_WRP2A
        for word in self.regs[first:first + 2]:
            strt, end = word & 0xFF, (word >> 16) & 0xFF
            if strt <= page.snb <= end:
                return True
        return False

    # --- register access ------------------------------------------------------------------------
    def _sr(self, from_core: bool = False) -> int:
        if self._pending_s:
            self.settle()
        if self.busy_until and from_core and self.busy():
            time.sleep(max(0.0, self.busy_until - time.monotonic()))
        return self.sr | (BSY if self.busy_until and self.busy() else 0)

    def read(self, offset: int, from_core: bool = False) -> int:
        reg = offset & ~3
        if reg == ACR:
            return self.acr
        if reg == SR:
            return self._sr(from_core)
        if reg == CR:
            return self.cr
        if reg in WORD_OFFSETS:
            index = WORD_OFFSETS.index(reg)
            if index >= 5 and self.variant.banks == 1:
                return 0
            value = self.regs[index]
            return value | OPTR_RESERVED_ONES if index == W_OPTR else value
        return 0

    def write(self, offset: int, value: int) -> None:
        reg = offset & ~3
        value &= 0xFFFFFFFF
        if reg == ACR:
            self.acr = value & 0x7F07
        elif reg == KEYR:
            self._write_key(value)
        elif reg == OPTKEYR:
            self._write_optkey(value)
        elif reg == SR:
            self.sr &= ~(value & SR_W1C)
        elif reg == CR:
            self._write_cr(value)
        elif reg in WORD_OFFSETS and not self.cr & OPTLOCK and not self.busy():
            index = WORD_OFFSETS.index(reg)
            if index < 5 or self.variant.banks == 2:
                self.regs[index] = value & ~OPTR_RESERVED_ONES if index == W_OPTR else value

    def snapshot(self) -> tuple[int, ...]:
        sr = self.sr | (BSY if self.busy_until and self.busy() else 0)
        words = [0] * (REGS_SIZE // 4)
        words[ACR // 4], words[SR // 4], words[CR // 4] = self.acr, sr, self.cr
        for index, reg in enumerate(WORD_OFFSETS):
            words[reg // 4] = self.read(reg)
        return tuple(words)

    def status_token(self) -> object:
        return self.sr

    def fast_write(self, offset: int, size: int, value: int) -> bool | None:
        if offset != CR or size != 4:
            return None
        self.write(CR, value)
        return self.cr == value and not self.busy_until

    def _write_key(self, value: int) -> None:
        if not self.cr & LOCK or self._hard_locked:
            return
        if self._key_stage == 0 and value == C.KEY1:
            self._key_stage = 1
        elif self._key_stage == 1 and value == C.KEY2:
            self._key_stage = 0
            self.cr &= ~LOCK
        else:
            self._key_stage = 0
            self._hard_locked = True

    def _write_optkey(self, value: int) -> None:
        if self.cr & LOCK or not self.cr & OPTLOCK or self._opt_hard_locked:
            return
        if self._optkey_stage == 0 and value == C.OPTKEY1:
            self._optkey_stage = 1
        elif self._optkey_stage == 1 and value == C.OPTKEY2:
            self._optkey_stage = 0
            self.cr &= ~OPTLOCK
        else:
            self._optkey_stage = 0
            self._opt_hard_locked = True

    def _write_cr(self, value: int) -> None:
        if self.cr & LOCK:
            return
        if self.busy():
            return
        if value & OBL_LAUNCH:
            self._request_reset("obl_launch")     # the option-byte load runs under system reset
            return
        locks = value & (LOCK | OPTLOCK)
        self.cr = (value & 0x0704FFFF & ~(STRT | OPTSTRT)) | (self.cr & OPTLOCK) | locks
        if value & STRT:
            self.settle()
            self._burst_left = 0
            self._start_erase(value)
        if value & OPTSTRT and not self.cr & OPTLOCK:
            self.settle()
            self._program_options()

    # --- erase ----------------------------------------------------------------------------------
    def _start_erase(self, value: int) -> None:
        mass = value & (MER1 | MER2)
        if bool(value & PER) == bool(mass) or self._dw is not None:
            self.sr |= PGSERR
            return
        if self.flash_read_blocked():
            self.sr |= WRPERR
            return
        pages = self.sectors()
        if value & PER:
            bank = 2 if value & BKER else 1
            pnb = (value >> 3) & 0xFF
            targets = [p for p in pages if p.bank == bank and p.snb == pnb]
            if not targets:
                self.sr |= PGSERR
                return
            duration, label = T_ERASE_PAGE_S, f"erase page {targets[0].number}"
        else:
            banks = ({1} if value & MER1 else set()) | ({2} if value & MER2 else set())
            targets = [p for p in pages if p.bank in banks]
            duration, label = T_MASS_ERASE_S, "mass erase"
        if any(self.protected(p) for p in targets):
            self.sr |= WRPERR
            return
        verdict, delay, done = self._operate(C.I_ERASE_A, duration, label)
        erase = lambda fraction=1.0: self._erase_ranges(  # noqa: E731
            ((p.number, p.offset, p.size) for p in targets), fraction)
        if verdict is None:
            erase()
            if self.cr & EOPIE:
                self.sr |= EOP
        elif verdict == "vcap-dip":
            total = sum(p.size for p in targets)
            erase((total - targets[-1].size // 2) / total)
            self.sr |= OPERR
        else:
            self._schedule_reset(verdict, delay, lambda: erase(done))

    # --- programming ----------------------------------------------------------------------------
    def program(self, offset: int, size: int, value: int) -> int:
        """A bus write into the flash array: half of a double word; the second half programs it.
        The cells show a half written at once (an abandoned double word returns to what it held)."""
        flash = self.nv.flash
        if self.cr & (LOCK | PG) != PG:
            self.sr |= PGSERR
            return self._cells(offset, size)
        if size != 4:
            self.sr |= SIZERR
            self._discard()
            return self._cells(offset, size)
        dw = offset & ~7
        if self._dw is None:
            if offset != dw:
                self.sr |= PGAERR
                return self._cells(offset, size)
            page = self.sectors()[dw // (2 * K)]
            if self.protected(page) or (self.loaded_rdp != C.RDP_LEVEL0 and self._debug_attached()):
                self.sr |= WRPERR
                return self._cells(offset, size)
            self._dw, self._dw_old = dw, bytes(flash[dw:dw + 8])
        elif offset != self._dw + 4:
            self.sr |= PGAERR
            self._discard()
            return self._cells(offset, size)
        flash[offset:offset + 4] = value.to_bytes(4, "little")
        if offset == dw:
            return value
        data = bytes(flash[dw:dw + 8])
        old = self._dw_old
        if old != b"\xff" * 8 and data != bytes(8):
            self.sr |= PROGERR
            self._discard()
            return self._cells(offset, size)
        outcome = self._account(T_PROG_DOUBLE_WORD_S, C.I_PROGRAM_A)
        if outcome == "reset":
            self._discard()
            return self._cells(offset, size)
        if outcome == "weak":
            flash[dw:dw + 8] = bytes(x | 0x55 for x in data)
            self.sr |= OPERR
        self._dw = None
        if self.cr & EOPIE:
            self.sr |= EOP    # EOP is set only with its interrupt enabled (RM0351 FLASH_SR)
        self._on_nv_change()
        return self._cells(offset, size)

    def _discard(self) -> None:
        dw = getattr(self, "_dw", None)
        if dw is not None:
            self.nv.flash[dw:dw + 8] = self._dw_old
        self._dw = None

    def _cells(self, offset: int, size: int) -> int:
        return int.from_bytes(self.nv.flash[offset:offset + size], "little")

    # --- option bytes ---------------------------------------------------------------------------
    def _program_options(self) -> None:
        """OPTSTRT: the option registers become the stored option bytes (RDP 1 -> 0 mass-erases
        first). They act at the next option-byte load."""
        old_rdp = rdp_level(self.nv.rdp)
        if old_rdp == 2:
            return
        new = list(self.regs)
        regression = old_rdp >= 1 and rdp_level(new[W_OPTR] & 0xFF) == 0
        duration = T_OPTION_WRITE_S + (T_MASS_ERASE_S if regression else 0.0)
        verdict, delay, done = self._operate(C.I_OPTION_A, duration, "option bytes")
        pages = list(self.sectors())
        if verdict == "vcap-dip":
            self.sr |= OPERR
            return
        if verdict is not None:
            def cut_short() -> None:
                if regression:
                    self._erase_ranges(((p.number, p.offset, p.size) for p in pages), done)
                words = list(self.nv.words)
                words[W_OPTR] = (new[W_OPTR] & ~0xFF) | CORRUPT_RDP
                words[W_WRP1A] = 0xFF << 16
                self.nv.words[:] = words
                self.nv.broken_complements = frozenset({W_OPTR})
                self._on_nv_change()
            self._schedule_reset(verdict, delay, cut_short)
            return
        if regression:
            self._erase_ranges((p.number, p.offset, p.size) for p in pages)
        self.nv.words[:] = new
        self.nv.broken_complements = frozenset()
        self.sr |= EOP
        self._on_nv_change()


def _l4(name: str, part: str, dev_id: int, rev: int, flash_kb: int, sram1_kb: int, sram2_kb: int) -> L4Variant:
    return L4Variant(
        name=name, family="l4", part=part, flash_kb=flash_kb, dpidr=L4_DPIDR, ap_idr=L4_AP_IDR,
        ap_base=L4_AP_BASE, cpuid=L4_CPUID, idcode=rev << 16 | dev_id, uc_cpu="CORTEX_M4",
        flash_aliases=(0x08000000, 0x00000000),
        ram=((0x20000000, sram1_kb * K), (0x10000000, sram2_kb * K)),
        ram_aliases=((0x10000000, 0x20000000 + sram1_kb * K),),
        sysinfo_base=0x1FFF7500, sysinfo_size=0x100, uid_addr=0x1FFF7590, flash_size_addr=0x1FFF75E0,
        package_addr=None, package_value=0, option_images=(), optcr_factory=0, optcr1_factory=0,
        has_optcr1=False, boot="flash", controller=L4FlashController, rdp_shift=0,
        quiet_peripherals=True)


register_variant(_l4("l476rg", "STM32L476RG", 0x415, 0x1007, 1024, 96, 32), "l476", "stm32l476rg")
register_variant(_l4("l432kc", "STM32L432KC", 0x435, 0x1001, 256, 48, 16), "l432", "stm32l432kc")
