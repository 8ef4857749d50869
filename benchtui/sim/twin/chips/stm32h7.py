"""The STM32H7 twin (RM0433 for the H742/H743/H753/H750, RM0468 for the H723/H733): its variants
and its flash controller.

The controller at 0x52002000 has, per bank, KEYR/CR/SR/CCR (bank 2's at +0x100) and the
PRAR/SCAR/WPSN option registers; ACR, OPTKEYR, OPTCR, OPTSR_CUR/PRG, OPTCCR and BOOT are shared
and read the same at +0x100. Programming goes through a 256-bit write buffer per bank: eight
32-bit writes inside one flash word fill it, the last starts the flash-word program (QW); a
write outside the buffer's flash word before it is full is INCERR, a byte written twice is
STRBERR, a write with PG clear is PGSERR; FW forces a partial word out. Sector erase (SER +
SNB + START) and bank erase (BER + START) hold QW/BSY for their time. Option bytes: the _PRG
registers, OPTSTART, OPT_BUSY for the option write's time, after which the _CUR registers
reload; OPTCHANGEERR when the write fails. Register layout from ST's CMSIS headers; the
twin's own UNCONFIRMED choices are in the block below (the device side's in
devices/mcu/stm32h7.py).
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
# UNCONFIRMED (the datasheets' figures as remembered; change them here only)
# ---------------------------------------------------------------------------------------------
#: 256-bit flash-word programming time, typical, by PSIZE (x8, x16, x32, x64): DS12110 /
#: DS13313 as remembered (290 / 180 / 130 / 100 µs); 600 µs is the longest any driver waits.
T_PROG_FLASH_WORD_S = (290e-6, 180e-6, 130e-6, 100e-6)
#: 128 KB sector erase time, typical, by PSIZE (x32 1.1 s typ / 2.2 s max per ST on its forum;
#: x8 2 s, x16 1.8 s, x64 1 s as remembered from DS12110).
T_ERASE_SECTOR_S = (2.0, 1.8, 1.1, 1.0)
#: Bank erase: every sector of the bank, one after the other (no datasheet figure found).
#: Option-byte write: ~300 ms (the Chromium EC's H7 driver: "real delay seems to be around 300ms").
T_OPTION_WRITE_S = 0.3
#: An option-byte load the power source spoils comes up with every sector write-protected
#: (WPSN_CUR = 0), as on the F7; a write cut short leaves RDP level 1 and WPSN = 0.
CORRUPT_RDP, CORRUPT_WPSN = 0xFF, 0x00
#: Debug identity: SW-DP v2, the Cortex-M7's AHB-AP as AP0 with the Cortex-M7 ROM table (the
#: H7's other APs, D3 AHB-AP and APB-AP, are not modelled: pyOCD reaches everything through AP0).
H7_DPIDR, H7_AP_IDR, H7_AP_BASE, H7_CPUID = 0x6BA02477, 0x84770001, 0xE00FE003, 0x411FC271

# Registers (offsets from 0x52002000)
REGS, REGS_SIZE, BANK2 = 0x52002000, 0x164, 0x100
ACR, KEYR, OPTKEYR, CR, SR, CCR, OPTCR, OPTSR_CUR, OPTSR_PRG, OPTCCR = (
    0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24)
PRAR_CUR, PRAR_PRG, SCAR_CUR, SCAR_PRG, WPSN_CUR, WPSN_PRG, BOOT_CUR, BOOT_PRG = (
    0x28, 0x2C, 0x30, 0x34, 0x38, 0x3C, 0x40, 0x44)
SHARED = (ACR, OPTKEYR, OPTCR, OPTSR_CUR, OPTSR_PRG, OPTCCR, BOOT_CUR, BOOT_PRG)
LOCK, PG, SER, BER, FW, START = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 6, 1 << 7
BSY, WBNE, QW, EOP = 1 << 0, 1 << 1, 1 << 2, 1 << 16
WRPERR, PGSERR, STRBERR, INCERR, OPERR = 1 << 17, 1 << 18, 1 << 19, 1 << 21, 1 << 22
SR_W1C = 0x1FEF0000
OPTLOCK, OPTSTART, MER = 1 << 0, 1 << 1, 1 << 4
OPT_BUSY, OPTCHANGEERR, SWAP_BANK_OPT = 1 << 0, 1 << 30, 1 << 31
WORD = 32                                  # bytes of a flash word
FULL_WORD = (1 << WORD) - 1
#: Stored option words, in the device side's REGISTERS order.
W_OPTSR, W_PRAR1, W_SCAR1, W_WPSN1, W_BOOT, W_PRAR2, W_SCAR2, W_WPSN2 = range(8)
FACTORY_WORDS = (0x0006AAD0, 0x00000FFF, 0x00000FFF, 0xFF, 0x1FF00800, 0x00000FFF, 0x00000FFF, 0xFF)
#: OPTSR bits that are option bytes (the rest are status or reserved and read 0).
OPTSR_BITS = 0xA03EFFDC


@dataclass(frozen=True)
class H7Variant(TwinVariant):
    """An STM32H7: one bank (H750, H72x/H73x) or two of 1 MB each (H743/H753 2 MB)."""

    def factory_words(self) -> tuple[int, ...]:
        return FACTORY_WORDS

    @property
    def banks(self) -> int:
        return 2 if self.dev_id == 0x450 and self.flash_kb >= 1024 else 1

    def can_be_dual(self) -> bool:
        return False

    def always_dual(self) -> bool:
        return self.banks == 2

    def dual_bank(self, optcr: int) -> bool:
        return self.banks == 2

    def sectors(self, dual: bool) -> tuple[Sector, ...]:
        return _sectors(self)

    def erase_time_s(self, size: int, psize: int = 3) -> float:
        return T_ERASE_SECTOR_S[psize] * size / (128 * K)

    @property
    def mass_erase_per_mb_s(self) -> float:
        return T_ERASE_SECTOR_S[3] * 8


@lru_cache(maxsize=None)
def _sectors(v: "H7Variant") -> tuple[Sector, ...]:
    per_bank = max(1, v.flash_kb * K // v.banks // (128 * K))
    out = []
    for bank in range(1, v.banks + 1):
        for k in range(per_bank):
            offset = (bank - 1) * 0x100000 + k * 128 * K
            out.append(Sector(k + 8 * (bank - 1), k, offset, 128 * K, k + 8 * (bank - 1), bank))
    return tuple(out)


def _sector_at(v: "H7Variant", offset: int) -> Sector | None:
    return next((s for s in _sectors(v) if s.offset <= offset < s.offset + s.size), None)


class _Bank:
    """The per-bank registers and write buffer."""

    def __init__(self) -> None:
        self.cr = LOCK | 0b11 << 4      # reset value: locked, PSIZE x64 (RM0433 reset 0x31)
        self.sr = 0
        self.key_stage = 0
        self.hard_locked = False
        self.word: int | None = None        # array offset of the flash word being filled
        self.written = 0                    # bit i: byte i of that word was written
        self.old = b""                      # the word's cells before the first write
        self.busy_until = 0.0

    @property
    def buffer(self) -> bool:
        return self.word is not None


class H7FlashController(ControllerBase):
    """The STM32H7 flash controller (see the module docstring)."""

    regs_base = REGS
    regs_size = REGS_SIZE
    unit_s_max = max(T_PROG_FLASH_WORD_S)
    unit_bytes = 32
    status_offsets = frozenset({SR, BANK2 + SR})

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.cur = list(self.nv.words)
        self.loaded_rdp = (self.cur[W_OPTSR] >> 8) & 0xFF
        self.reset_registers()
        self.load_options(ok=True)

    # --- reset and option load ------------------------------------------------------------------
    def reset_registers(self) -> None:
        for b in getattr(self, "banks", ()):
            self._discard(b)     # a flash word left in the write buffer is never programmed
        self.acr = 0x37
        self.banks = [_Bank(), _Bank()]
        self._static: list[int] | None = None
        self.optcr = OPTLOCK
        self._optkey_stage = 0
        self._opt_hard_locked = False
        self._optchangeerr = False
        self._opt_busy_until = 0.0
        self.busy_until = 0.0
        self._load_end = 0.0
        self._reset_bursts()
        self.finish_due()

    def load_options(self, ok: bool) -> None:
        """_CUR (and _PRG) from the stored option bytes; a spoiled load protects every sector."""
        self.cur = list(self.nv.words)
        if not ok:
            self.cur[W_WPSN1] = self.cur[W_WPSN2] = CORRUPT_WPSN
        self.prg = list(self.cur)
        self.loaded_rdp = (self.cur[W_OPTSR] >> 8) & 0xFF

    def hardware_watchdog(self) -> bool:
        return not self.cur[W_OPTSR] & (1 << 4)     # IWDG1_SW = 0

    def boot_address(self) -> int:
        return (self.cur[W_BOOT] & 0xFFFF) << 16     # BOOT_CM7_ADD0 (the BOOT pin low)

    # --- layout ---------------------------------------------------------------------------------
    @property
    def dual_bank(self) -> bool:
        return self.variant.banks == 2

    def sectors(self) -> tuple[Sector, ...]:
        return self.variant.sectors(True)

    def protected(self, sector: Sector) -> bool:
        wpsn = self.cur[W_WPSN1 if sector.bank == 1 else W_WPSN2]
        return not (wpsn >> sector.snb) & 1

    # --- register access ------------------------------------------------------------------------
    def _decode(self, offset: int) -> tuple[int, int]:
        """(bank, register offset within a bank block)."""
        bank = 2 if offset >= BANK2 else 1
        reg = offset - (BANK2 if bank == 2 else 0)
        return bank, reg

    def _opt_busy(self) -> bool:
        return self._opt_busy_until != 0.0 and self.busy() and time.monotonic() < self._opt_busy_until

    def _bank_sr(self, b: _Bank, from_core: bool = False) -> int:
        if self._pending_s:
            self.settle()
        busy = b.busy_until and time.monotonic() < b.busy_until
        if busy and from_core:
            time.sleep(max(0.0, b.busy_until - time.monotonic()))
            busy = False
        if not busy:
            b.busy_until = 0.0
            self.busy()   # fires a scheduled disturbance whose instant has passed
        return b.sr | (BSY | QW if busy else 0) | (WBNE if b.word is not None else 0)

    def read(self, offset: int, from_core: bool = False) -> int:
        bank, reg = self._decode(offset & ~3)
        if bank == 2 and self.variant.banks == 1 and reg not in SHARED:
            return 0
        b = self.banks[bank - 1]
        if reg == ACR:
            return self.acr
        if reg == CR:
            return b.cr
        if reg == SR:
            return self._bank_sr(b, from_core)
        if reg == OPTCR:
            return self.optcr | (SWAP_BANK_OPT if self.cur[W_OPTSR] & SWAP_BANK_OPT else 0)
        if reg == OPTSR_CUR:
            busy = self._opt_busy()
            return (self.cur[W_OPTSR] & OPTSR_BITS) | (OPT_BUSY if busy else 0) \
                | (OPTCHANGEERR if self._optchangeerr else 0)
        if reg == OPTSR_PRG:
            return self.prg[W_OPTSR] & OPTSR_BITS
        which = {PRAR_CUR: (self.cur, 0), PRAR_PRG: (self.prg, 0), SCAR_CUR: (self.cur, 1),
                 SCAR_PRG: (self.prg, 1), WPSN_CUR: (self.cur, 2), WPSN_PRG: (self.prg, 2)}.get(reg)
        if which is not None:
            words, k = which
            return words[(W_PRAR1 if bank == 1 else W_PRAR2) + k]
        if reg == BOOT_CUR:
            return self.cur[W_BOOT]
        if reg == BOOT_PRG:
            return self.prg[W_BOOT]
        return 0

    def write(self, offset: int, value: int) -> None:
        bank, reg = self._decode(offset & ~3)
        value &= 0xFFFFFFFF
        if bank == 2 and self.variant.banks == 1 and reg not in SHARED:
            return
        b = self.banks[bank - 1]
        if reg not in (CR, KEYR, CCR):
            self._static = None
        if reg == ACR:
            self.acr = value & 0x3F
        elif reg == KEYR:
            self._write_key(b, value)
        elif reg == OPTKEYR:
            self._write_optkey(value)
        elif reg == CR:
            self._write_cr(bank, b, value)
        elif reg == CCR:
            b.sr &= ~(value & SR_W1C)
        elif reg == OPTCR:
            self._write_optcr(value)
        elif reg == OPTCCR:
            if value & OPTCHANGEERR:
                self._optchangeerr = False
        elif not self.optcr & OPTLOCK and not self._opt_busy():
            index = {OPTSR_PRG: W_OPTSR, BOOT_PRG: W_BOOT}.get(reg)
            if reg in (PRAR_PRG, SCAR_PRG, WPSN_PRG):
                index = (W_PRAR1 if bank == 1 else W_PRAR2) + (reg - PRAR_PRG) // 8
            if index is not None:
                self.prg[index] = value & (OPTSR_BITS if index == W_OPTSR else 0xFFFFFFFF)

    def _sr_word(self, b: _Bank) -> int:
        busy = b.busy_until and time.monotonic() < b.busy_until
        return b.sr | (BSY | QW if busy else 0) | (WBNE if b.word is not None else 0)

    def snapshot(self) -> tuple[int, ...]:
        """The register block as a read sees it now (never waits); the option words are kept
        between writes that change them."""
        words = self._static
        if words is None:
            words = self._static = [0 if (offset & 0xFF) in (SR, OPTSR_CUR, CR) else self.read(offset)
                                    for offset in range(0, REGS_SIZE, 4)]
        out = list(words)
        b1, b2 = self.banks
        out[CR // 4], out[SR // 4] = b1.cr, self._sr_word(b1)
        if self.variant.banks == 2:
            out[(BANK2 + CR) // 4], out[(BANK2 + SR) // 4] = b2.cr, self._sr_word(b2)
        out[OPTSR_CUR // 4] = out[(BANK2 + OPTSR_CUR) // 4] = \
            (self.cur[W_OPTSR] & OPTSR_BITS) | (OPT_BUSY if self._opt_busy() else 0) \
            | (OPTCHANGEERR if self._optchangeerr else 0)
        return tuple(out)

    def status_token(self) -> object:
        return (self.banks[0].sr, self.banks[1].sr)

    def fast_write(self, offset: int, size: int, value: int) -> bool | None:
        if size != 4 or offset not in (CR, BANK2 + CR):
            return None
        b = self.banks[0 if offset == CR else 1]
        self.write(offset, value)
        return b.cr == value and not b.busy_until

    def _write_key(self, b: _Bank, value: int) -> None:
        """KEY1 then KEY2 unlocks CRx; a wrong key locks it until reset. Keys written while it is
        unlocked are ignored (UNCONFIRMED: RM0433 says a second unlock sequence leaves LOCK set
        until reset; pyOCD's H723 algorithm writes the keys to an unlocked CR, so on silicon they
        cannot hurt an unlocked bank)."""
        if not b.cr & LOCK or b.hard_locked:
            return
        if b.key_stage == 0 and value == C.KEY1:
            b.key_stage = 1
        elif b.key_stage == 1 and value == C.KEY2:
            b.key_stage = 0
            b.cr &= ~LOCK
        else:
            b.key_stage = 0
            b.hard_locked = True

    def _write_optkey(self, value: int) -> None:
        if not self.optcr & OPTLOCK or self._opt_hard_locked:
            return
        if self._optkey_stage == 0 and value == C.OPTKEY1:
            self._optkey_stage = 1
        elif self._optkey_stage == 1 and value == C.OPTKEY2:
            self._optkey_stage = 0
            self.optcr &= ~OPTLOCK
        else:
            self._optkey_stage = 0
            self._opt_hard_locked = True

    def _write_cr(self, bank: int, b: _Bank, value: int) -> None:
        if b.cr & LOCK:
            return
        if value & LOCK:
            b.cr |= LOCK
            return
        if b.busy_until and time.monotonic() < b.busy_until:
            return
        b.cr = value & 0x1FEF87FE & ~START & ~FW
        if value & FW and b.word is not None:
            self._program_word(b)
        if value & START:
            self.settle()
            self._burst_left = 0
            self._start_erase(bank, b, value)

    # --- erase ----------------------------------------------------------------------------------
    def _operate_bank(self, b: _Bank, current: float, duration: float, label: str):
        """The bank's operation: its own load and BSY (the two banks work in parallel)."""
        t0, t1 = self.power.add_load(current, duration * self.time_scale, label)
        hit = self.power.disturbance_at(t0, t1)
        if self.time_scale > 0:
            b.busy_until = time.monotonic() + duration * self.time_scale
            self.busy_until = max(self.busy_until, b.busy_until)
        if hit is None:
            return None, 0.0, 1.0
        verdict, when = hit
        done = min(1.0, max(0.0, (when - t0) / (t1 - t0))) if t1 > t0 else 1.0
        return verdict, max(0.0, when - self.power.now()), done

    def _start_erase(self, bank: int, b: _Bank, value: int) -> None:
        if bool(value & SER) == bool(value & BER) or b.cr & PG or b.word is not None:
            b.sr |= PGSERR
            return
        if self.flash_read_blocked():
            b.sr |= WRPERR       # UNCONFIRMED, as on the F7: RDP 1 with a debugger refuses erases
            return
        mine = [s for s in self.sectors() if s.bank == bank]
        psize = (value >> 4) & 3
        if value & SER:
            snb = (value >> 8) & 7
            targets = [s for s in mine if s.snb == snb]
            if not targets:
                b.sr |= PGSERR
                return
            label = f"erase sector {targets[0].number}"
        else:
            targets = mine
            label = f"bank {bank} erase"
        if any(self.protected(s) for s in targets):
            b.sr |= WRPERR
            return
        duration = sum(self.variant.erase_time_s(s.size, psize) for s in targets)
        verdict, delay, done = self._operate_bank(b, C.I_ERASE_A, duration, label)
        erase = lambda fraction=1.0: self._erase_ranges(  # noqa: E731
            ((s.number, s.offset, s.size) for s in targets), fraction)
        if verdict is None:
            erase()
            b.sr |= EOP
        elif verdict == "vcap-dip":
            total = sum(s.size for s in targets)
            erase((total - targets[-1].size // 2) / total)
            b.sr |= OPERR
        else:
            self._schedule_reset(verdict, delay, lambda: erase(done))
            b.busy_until = self.busy_until

    # --- programming ----------------------------------------------------------------------------
    def program(self, offset: int, size: int, value: int) -> int:
        """A bus write into the flash array: into the bank's write buffer, which the cells show
        at once (an abandoned flash word returns to what it held); the flash word is programmed
        when its 32 bytes are all written (or FW forces it). Returns what the cells hold now."""
        bank = 2 if offset >= 0x100000 else 1
        b = self.banks[bank - 1]
        flash = self.nv.flash
        if b.cr & (LOCK | PG) != PG:
            b.sr |= PGSERR
            return self._cells(offset, size)
        word = offset & ~(WORD - 1)
        if b.word is None:
            sector = _sector_at(self.variant, word)
            if sector is None:
                b.sr |= PGSERR
                return self._cells(offset, size)
            if self.protected(sector) or (self.loaded_rdp != C.RDP_LEVEL0 and self._debug_attached()):
                b.sr |= WRPERR
                return self._cells(offset, size)
            b.word, b.written, b.old = word, 0, bytes(flash[word:word + WORD])
        elif b.word != word:
            b.sr |= INCERR
            self._discard(b)
            return self._cells(offset, size)
        mask = ((1 << size) - 1) << (offset - word)
        if b.written & mask:
            b.sr |= STRBERR
            self._discard(b)
            return self._cells(offset, size)
        b.written |= mask
        new = int.from_bytes(flash[offset:offset + size], "little") & value
        flash[offset:offset + size] = new.to_bytes(size, "little")
        if b.written == FULL_WORD:
            self._program_word(b)
        return new

    def _discard(self, b: _Bank) -> None:
        if b.word is not None:
            self.nv.flash[b.word:b.word + WORD] = b.old
        b.word, b.written = None, 0

    def _program_word(self, b: _Bank) -> None:
        """Program the buffered flash word (bytes not written keep their cells: FW)."""
        outcome = self._account(T_PROG_FLASH_WORD_S[(b.cr >> 4) & 3], C.I_PROGRAM_A)
        if outcome == "reset":
            self._discard(b)
            return
        if outcome == "weak":
            flash = self.nv.flash
            flash[b.word:b.word + WORD] = bytes(x | 0x55 for x in flash[b.word:b.word + WORD])
            b.sr |= OPERR
        b.word, b.written = None, 0
        b.sr |= EOP
        self._on_nv_change()

    def _cells(self, offset: int, size: int) -> int:
        return int.from_bytes(self.nv.flash[offset:offset + size], "little")

    # --- option bytes ---------------------------------------------------------------------------
    def _write_optcr(self, value: int) -> None:
        if self.optcr & OPTLOCK:
            return
        if value & OPTLOCK:
            self.optcr |= OPTLOCK
            return
        if self._opt_busy():
            return
        self.optcr = 0
        if value & MER:   # mass erase: a bank erase on every bank at once
            for bank in range(1, self.variant.banks + 1):
                b = self.banks[bank - 1]
                self._start_erase(bank, b, BER | 0b11 << 4)
        if value & OPTSTART:
            self.settle()
            self._program_options()

    def _program_options(self) -> None:
        """OPTSTART: the _PRG values become the option bytes (RDP 1 -> 0 mass-erases first),
        and the _CUR registers reload when the write is done."""
        old_rdp = rdp_level(self.nv.rdp)
        if old_rdp == 2:
            self._optchangeerr = True
            return
        new = list(self.prg)
        regression = old_rdp >= 1 and rdp_level((new[W_OPTSR] >> 8) & 0xFF) == 0
        duration = T_OPTION_WRITE_S + (self.variant.mass_erase_per_mb_s * self.nv.flash_kb / 1024
                                       if regression else 0.0)
        verdict, delay, done = self._operate(C.I_OPTION_A, duration, "option bytes")
        self._opt_busy_until = self.busy_until
        sectors = list(self.sectors())
        if verdict == "vcap-dip":
            self._optchangeerr = True
            return
        if verdict is not None:
            def cut_short() -> None:
                if regression:
                    self._erase_ranges(((s.number, s.offset, s.size) for s in sectors), done)
                words = list(self.nv.words)
                words[W_OPTSR] = (new[W_OPTSR] & ~0xFF00) | CORRUPT_RDP << 8
                words[W_WPSN1] = words[W_WPSN2] = CORRUPT_WPSN
                self.nv.words[:] = words
                self._on_nv_change()
            self._schedule_reset(verdict, delay, cut_short)
            return
        if regression:
            self._erase_ranges((s.number, s.offset, s.size) for s in sectors)
        # SWAP_BANK acts at the next reset (the memory map does not change under the core).
        swap = self.cur[W_OPTSR] & SWAP_BANK_OPT
        self.nv.words[:] = new
        self.cur = list(new)
        self.cur[W_OPTSR] = (self.cur[W_OPTSR] & ~SWAP_BANK_OPT) | swap
        self.loaded_rdp = (new[W_OPTSR] >> 8) & 0xFF
        self._on_nv_change()


def _h7(name: str, part: str, dev_id: int, flash_kb: int, rev: int, ram: tuple) -> H7Variant:
    return H7Variant(
        name=name, family="h7", part=part, flash_kb=flash_kb, dpidr=H7_DPIDR, ap_idr=H7_AP_IDR,
        ap_base=H7_AP_BASE, cpuid=H7_CPUID, idcode=rev << 16 | dev_id, uc_cpu="CORTEX_M7",
        flash_aliases=(0x08000000,), ram=ram, sysinfo_base=0x1FF1E800, sysinfo_size=0x100,
        uid_addr=0x1FF1E800, flash_size_addr=0x1FF1E880, package_addr=None, package_value=0,
        option_images=(), optcr_factory=0, optcr1_factory=0, has_optcr1=False, boot="boot_add0",
        controller=H7FlashController, iwdg_base=0x58004800, dbgmcu_base=0x5C001000,
        quiet_peripherals=True)


# ITCM, DTCM, AXI SRAM, SRAM1-3, SRAM4 (RM0433 §2.3; RM0468 §2.3 for the H72x/H73x).
_H743_RAM = ((0x00000000, 64 * K), (0x20000000, 128 * K), (0x24000000, 512 * K),
             (0x30000000, 288 * K), (0x38000000, 64 * K))
_H723_RAM = ((0x00000000, 64 * K), (0x20000000, 128 * K), (0x24000000, 128 * K),
             (0x30000000, 32 * K), (0x38000000, 16 * K))

register_variant(_h7("h743zi", "STM32H743ZI", 0x450, 2048, 0x2003, _H743_RAM), "h743", "stm32h743zi")
register_variant(_h7("h750vb", "STM32H750VB", 0x450, 128, 0x2003, _H743_RAM), "h750", "stm32h750vb")
register_variant(_h7("h723zg", "STM32H723ZG", 0x483, 1024, 0x1001, _H723_RAM), "h723", "stm32h723zg")
