"""The FLASH interface of the STM32F7 (RM0410 §3) and its F4 ancestor (RM0090):
keys, CR/SR, erase, program, option bytes, read/write protection, and what supply disturbances
do to an operation in flight. What differs between the chips (bank mode bit, OPTCR1, sector
layout, erase times, factory values) comes from the twin's `TwinVariant`.

The flash array and the option bytes live in `NvMemory` (the non-volatile part of the chip,
what a state file saves). `FlashController` is the register block at 0x40023C00; it asks the
power source for a load window and its verdict for every erase/program/option write.

Time: erases hold BSY for their (scaled) duration; programming accounts 16 µs per word on a
programming clock that the twin settles (sleeps up to) whenever the debugger or the next
algorithm call could observe it, so at time scale 1 a flash lasts as long as on silicon while
host work overlaps it as it would overlap the real controller's programming time.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from . import constants as C
from .layout import Sector, sector_at, sector_for_snb
from .power import PowerSource
from .variants import TwinVariant

# SR bits
EOP, OPERR, WRPERR, PGAERR, PGPERR, ERSERR, BSY = 1 << 0, 1 << 1, 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 16
SR_W1C = EOP | OPERR | WRPERR | PGAERR | PGPERR | ERSERR
# CR bits
PG, SER, MER, MER2, STRT, LOCK = 1 << 0, 1 << 1, 1 << 2, 1 << 15, 1 << 16, 1 << 31
# OPTCR bits
OPTLOCK, OPTSTRT = 1 << 0, 1 << 1
NDBANK = 1 << 29
NWRP_SHIFT, NWRP_MASK = 16, 0xFFF << 16
RDP_SHIFT, RDP_MASK = 8, 0xFF << 8
IWDG_SW = 1 << 5
F4_SPRMOD = 1 << 31


def rdp_level(rdp: int) -> int:
    """0, 1 or 2 from an RDP byte (0xAA = 0, 0xCC = 2, anything else = 1)."""
    return 0 if rdp == C.RDP_LEVEL0 else 2 if rdp == C.RDP_LEVEL2 else 1


@dataclass
class NvMemory:
    """Flash array plus option bytes: everything that survives a power cycle."""

    variant: TwinVariant
    flash: bytearray = field(default=None)  # type: ignore[assignment]
    optcr: int = -1                         # stored user bits (OPTCR[31:2])
    optcr1: int = -1
    #: Stored option words whose complement no longer matches (index into the F7 image), left by
    #: an option-byte write cut short (UNCONFIRMED hardware rule, constants.py).
    broken_complements: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.flash is None:
            self.flash = bytearray(b"\xff" * (self.variant.flash_kb * 1024))
        if self.optcr < 0:
            self.optcr = self.variant.optcr_factory & ~0x3
        if self.optcr1 < 0:
            self.optcr1 = self.variant.optcr1_factory

    @property
    def flash_kb(self) -> int:
        return self.variant.flash_kb

    @property
    def rdp(self) -> int:
        return (self.optcr >> RDP_SHIFT) & 0xFF

    def option_image(self, base: int) -> bytes:
        """The 32-byte stored option area at `base`.

        F7 (RM0410 §3.4.1): four words value | ~value << 16 at +0, +8, +0x10, +0x18. F4
        (UNCONFIRMED): the 16-bit option values without complements, bank 2's nWRP at 0x1FFEC008.
        """
        if self.variant.family == "f7":
            words = [self.optcr & 0xFFFC, 0, self.optcr >> 16, 0, self.optcr1 & 0xFFFF, 0,
                     self.optcr1 >> 16, 0]
            out = bytearray()
            for i, w in enumerate(words):
                if i % 2:
                    value = 0xFFFFFFFF
                else:
                    complement = ~w & 0xFFFF
                    if i // 2 in self.broken_complements:
                        complement ^= C.BROKEN_COMPLEMENT_XOR
                    value = w | complement << 16
                out += value.to_bytes(4, "little")
            return bytes(out)
        if base == self.variant.option_images[0]:
            words = [self.optcr & 0xFFFC, 0xFFFFFFFF, self.optcr >> 16, 0xFFFFFFFF]
        else:
            words = [0xFFFFFFFF, 0xFFFFFFFF, self.optcr1 >> 16, 0xFFFFFFFF]
        return b"".join(w.to_bytes(4, "little") for w in words) + b"\xff" * 16


class FlashController:
    """Registers at 0x40023C00 and the operations they start.

    `request_reset(reason)` is called when the power source says a brown-out or an NRST pulse
    hit an operation in flight: the twin resets the core (the operation is left incomplete).
    An erase or option write holds BSY until the instant the power source names and resets
    then (`poll`), so the chip resets when the scope sees the NRST glitch or the VDD sag, not
    when the operation starts; a programming burst resets at the word it was programming then.
    `debug_attached()` tells whether a debugger holds the DP (RDP level 1 then blocks flash).
    """

    def __init__(self, nv: NvMemory, power: PowerSource, time_scale: float,
                 request_reset: Callable[[str], None], debug_attached: Callable[[], bool],
                 on_nv_change: Callable[[], None]):
        self.nv = nv
        self.variant = nv.variant
        self.power = power
        self.time_scale = time_scale
        self._request_reset = request_reset
        self._debug_attached = debug_attached
        self._on_nv_change = on_nv_change
        self.loaded_optcr = nv.optcr | OPTLOCK
        self.loaded_optcr1 = nv.optcr1
        self.loaded_rdp = nv.rdp
        # Programming time accounting (see the module docstring).
        self._pending_words = 0
        self._pending_t0 = 0.0
        self._prog_deadline = 0.0
        #: Erase operations started per sector number (sector and mass erases), for tests and
        #: benchmarks that check how often a tool erases.
        self.erase_counts: Counter[int] = Counter()
        self.reset_registers()
        self.load_options(ok=True)

    # --- reset and option load ----------------------------------------------------------------
    def reset_registers(self) -> None:
        """Peripheral reset: locked, no error, no operation."""
        self.acr = 0
        self.cr = C.CR_RESET
        self.sr = 0
        self._key_stage = 0
        self._optkey_stage = 0
        self._hard_locked = False
        self._opt_hard_locked = False
        self._busy_until = 0.0
        self._load_end = 0.0  # end of the last supply load: the controller does one operation at a time
        self._burst_left = 0
        self._burst_verdict: str | None = None
        self._burst_index = 0
        self._burst_hit = C.PROGRAM_BURST_WORDS // 2   # the word of the burst the verdict hits
        self._burst_hit_at = 0.0                      # and when (time.monotonic())
        self._last_sector: Sector | None = None
        self._finish_due()

    def _finish_due(self) -> None:
        """Whatever reset ends this controller's state, an operation cut short by a scheduled
        disturbance leaves what it had done by the disturbance's instant."""
        due = getattr(self, "_reset_due", None)
        self._reset_due: tuple[float, str, Callable[[], None]] | None = None
        if due is not None:
            due[2]()

    def _schedule_reset(self, verdict: str, delay: float, action: Callable[[], None]) -> None:
        """The operation in flight is hit by `verdict` in `delay` seconds: BSY holds until then,
        then `action` runs (what the cut-short operation leaves) and the core resets."""
        self._busy_until = time.monotonic() + max(0.0, delay)
        self._reset_due = (self._busy_until, verdict, action)

    def poll(self) -> bool:
        """Fire a scheduled disturbance whose instant has passed; True if it fired now."""
        due = self._reset_due
        if due is None or time.monotonic() < due[0]:
            return False
        self._reset_due = None
        due[2]()
        self._request_reset(due[1])
        return True

    def load_options(self, ok: bool) -> None:
        """Load OPTCR/OPTCR1 from the stored option bytes, as at power-up or system reset.

        `ok` is the power source's verdict on this load: a failed load comes up with nWRP = 0
        (every sector write-protected), everything else as stored.
        """
        optcr = (self.nv.optcr & ~0x3) | OPTLOCK
        optcr1 = self.nv.optcr1
        if not ok:
            optcr &= ~NWRP_MASK
            if self.variant.has_optcr1 and self.variant.family == "f4":
                optcr1 &= ~NWRP_MASK
        self.optcr = optcr
        self.optcr1 = optcr1
        self.loaded_optcr = optcr
        self.loaded_optcr1 = optcr1
        self._last_sector = None
        self.loaded_rdp = (optcr >> RDP_SHIFT) & 0xFF

    # --- layout -------------------------------------------------------------------------------
    @property
    def dual_bank(self) -> bool:
        return self.variant.dual_bank(self.loaded_optcr)

    def sectors(self) -> tuple[Sector, ...]:
        return self.variant.sectors(self.dual_bank)

    def _wrp_mask(self) -> int:
        """nWRP bits as loaded (F4: OPTCR1's nWRP are bits 12..23)."""
        mask = (self.loaded_optcr >> NWRP_SHIFT) & 0xFFF
        if self.variant.family == "f4" and self.variant.has_optcr1:
            mask |= ((self.loaded_optcr1 >> NWRP_SHIFT) & 0xFFF) << 12
        return mask

    def protected(self, sector: Sector) -> bool:
        bit = (self._wrp_mask() >> sector.wrp_bit) & 1
        if self.variant.family == "f4" and self.loaded_optcr & F4_SPRMOD:
            return bool(bit)    # SPRMOD = 1: nWRP bits select PCROP (1 = protected)
        return not bit

    @property
    def rdp_level(self) -> int:
        return rdp_level(self.loaded_rdp)

    def flash_read_blocked(self) -> bool:
        """RDP level >= 1 with a debugger attached: flash reads bus-fault."""
        return self.loaded_rdp != C.RDP_LEVEL0 and self._debug_attached()

    # --- register access ----------------------------------------------------------------------
    def read(self, offset: int, from_core: bool = False) -> int:
        reg = offset & 0x1C
        if reg == 0x00:
            return self.acr
        if reg == 0x0C:
            return self._read_sr(from_core)
        if reg == 0x10:
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
        elif reg == 0x0C:
            self.sr &= ~(value & SR_W1C)
        elif reg == 0x10:
            self._write_cr(value)
        elif reg == 0x14:
            self._write_optcr(value)
        elif reg == 0x18:
            if not self.optcr & OPTLOCK:
                self.optcr1 = value

    def snapshot(self) -> tuple[int, ...]:
        """The eight register words at 0x40023C00 as a read sees them now (never waits)."""
        sr = self.sr | (BSY if self._busy_until and self._busy() else 0)
        return (self.acr, 0, 0, sr, self.cr, self.optcr, self.optcr1, 0)

    def _busy(self) -> bool:
        if self._busy_until == 0.0:
            return False
        if time.monotonic() < self._busy_until:
            return True
        # Done: forget the deadline, so that the core's fast paths (which skip the register
        # page updates while no operation is timed) apply again.
        self._busy_until = 0.0
        self.poll()
        return False

    def _read_sr(self, from_core: bool) -> int:
        if self._pending_words:
            self.settle()
        if self._busy_until == 0.0:
            return self.sr
        if from_core and self._busy():
            # The core would spin on BSY: let real time pass instead of burning instructions.
            time.sleep(max(0.0, self._busy_until - time.monotonic()))
        return self.sr | (BSY if self._busy() else 0)

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

    def _write_optkey(self, value: int) -> None:
        if not self.optcr & OPTLOCK or self._opt_hard_locked:
            self._opt_hard_locked = self._opt_hard_locked or bool(self.optcr & OPTLOCK)
            return
        if self._optkey_stage == 0 and value == C.OPTKEY1:
            self._optkey_stage = 1
        elif self._optkey_stage == 1 and value == C.OPTKEY2:
            self._optkey_stage = 0
            self.optcr &= ~OPTLOCK
        else:
            self._optkey_stage = 0
            self._opt_hard_locked = True

    def _write_cr(self, value: int) -> None:
        if self.cr & LOCK:
            return
        if self._busy():
            return
        self.cr = value & 0x8301FFFF & ~STRT
        if value & STRT:
            self.settle()
            self._burst_left = 0
            self._start_erase(value)

    def _write_optcr(self, value: int) -> None:
        if self.optcr & OPTLOCK or self._busy():
            return
        self.optcr = value & ~OPTSTRT
        if value & OPTSTRT:
            self.settle()
            self._program_options()

    # --- operations ---------------------------------------------------------------------------
    def _operate(self, current: float, duration: float, label: str) -> tuple[str | None, float, float]:
        """Draw the operation's current, hold BSY for its (scaled) duration; return the verdict
        and when it hits: (verdict, seconds from now, fraction of the operation done by then).

        The load lasts as long as the operation does on this twin's clock (duration x time
        scale): at time scale 0 the board floors it to a short visible pulse, so compressed
        operations never pile physical seconds of load onto later power cycles.
        """
        t0, t1 = self.power.add_load(current, duration * self.time_scale, label, after=self._load_end)
        self._load_end = t1
        hit = self.power.disturbance_at(t0, t1)
        if self.time_scale > 0:
            self._busy_until = time.monotonic() + duration * self.time_scale
        if hit is None:
            return None, 0.0, 1.0
        verdict, when = hit
        done = min(1.0, max(0.0, (when - t0) / (t1 - t0))) if t1 > t0 else 1.0
        return verdict, max(0.0, when - self.power.now()), done

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
        """Erase the sectors; an erase cut short at fraction `done` of its time has erased that
        fraction of its bytes, in sector order (at least one byte: it had started)."""
        flash = self.nv.flash
        self.erase_counts.update(s.number for s in targets)
        total = sum(s.size for s in targets)
        left = total if done >= 1.0 else max(1, int(done * total))
        for s in targets:
            size = min(s.size, left)
            flash[s.offset:s.offset + size] = b"\xff" * size
            left -= size
            if left <= 0:
                break
        self._on_nv_change()

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
        if not self._pending_words:
            self._pending_t0 = time.monotonic()
        self._pending_words += 1
        if self._burst_left == 0:
            self._start_burst()
        self._burst_left -= 1
        self._burst_index += 1
        verdict = self._burst_verdict
        if verdict is not None and self._burst_index >= self._burst_hit:
            if verdict != "vcap-dip":
                if self._burst_index == self._burst_hit:
                    # The host writes words ahead of the programming clock: this word is
                    # programmed (and the reset hits) at the disturbance's instant, not before.
                    wait = self._burst_hit_at - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    self._request_reset(verdict)
                return self._word(offset, size)
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

    def settle(self) -> None:
        """Let the programming time of the words written since the last call pass (16 µs per
        word, scaled): sleep until the programming clock catches up with real time."""
        n, self._pending_words = self._pending_words, 0
        if not n or self.time_scale <= 0:
            return
        start = self._pending_t0
        if start - self._prog_deadline < C.PROGRAM_CHAIN_S:
            # The debugger fed the next words while the controller was still busy with the last
            # ones (or right after): the controller programs back to back, as silicon does when
            # the probe keeps it fed (a double-buffered flash algorithm); the host's own latency
            # between two pages is not the controller's time.
            start = self._prog_deadline
        deadline = start + n * C.T_PROG_WORD_S * self.time_scale
        self._prog_deadline = deadline
        wait = deadline - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def _start_burst(self) -> None:
        """One supply-load event (and verdict) per burst of PROGRAM_BURST_WORDS words."""
        self._burst_left = C.PROGRAM_BURST_WORDS
        self._burst_index = 0
        self._burst_verdict, delay, done = self._operate(
            C.I_PROGRAM_A, C.T_PROG_WORD_S * C.PROGRAM_BURST_WORDS, "program")
        self._burst_hit_at = time.monotonic() + delay
        # A reset hits the word being programmed at its instant; a VCAP dip spoils the burst's
        # second half (weak programming).
        self._burst_hit = (C.PROGRAM_BURST_WORDS // 2 if self._burst_verdict in (None, "vcap-dip")
                           else max(1, min(C.PROGRAM_BURST_WORDS, math.ceil(done * C.PROGRAM_BURST_WORDS))))
        self._busy_until = 0.0   # BSY per word is too short to matter

    def _program_options(self) -> None:
        """OPTSTRT: write OPTCR/OPTCR1 into the option bytes (RDP 1 -> 0 mass-erases first)."""
        if rdp_level(self.nv.rdp) == 2:
            return   # level 2 is final: option bytes can no longer be changed
        new_optcr = self.optcr & ~0x3
        new_rdp = (new_optcr >> RDP_SHIFT) & 0xFF
        regression = rdp_level(self.nv.rdp) >= 1 and rdp_level(new_rdp) == 0
        duration = C.T_OPTION_WRITE_S
        if regression:
            duration += self.variant.mass_erase_per_mb_s * self.nv.flash_kb / 1024
        verdict, delay, done = self._operate(C.I_OPTION_A, duration, "option bytes")
        if verdict == "vcap-dip":
            self.sr |= OPERR
            return
        if verdict is not None:
            # A reset hits mid-write: BSY until its instant, then what a cut-short write leaves.
            def cut_short() -> None:
                if regression:
                    self._erase(list(self.sectors()), done)
                self._corrupt_options(new_optcr)
                self._on_nv_change()
            self._schedule_reset(verdict, delay, cut_short)
            return
        if regression:
            self._erase(list(self.sectors()))
        bank_bit = NDBANK if self.variant.family == "f7" else (1 << 30)
        old_dual = self.dual_bank
        self.nv.optcr = new_optcr
        self.nv.optcr1 = self.optcr1 if self.variant.has_optcr1 else 0
        self.nv.broken_complements = frozenset()
        # nWRP (and the user bits) act at once; RDP and the bank mode at the next option load.
        keep = RDP_MASK | bank_bit
        self.loaded_optcr = (self.loaded_optcr & keep) | (new_optcr & ~keep) | (self.optcr & 0x3)
        self.loaded_optcr1 = self.nv.optcr1
        self._last_sector = None
        if self.variant.dual_bank(new_optcr) != old_dual and C.BANK_CHANGE_ERASES:
            # UNCONFIRMED (constants.py): the array content after a bank-mode change.
            self._erase(list(self.sectors()))
        self._on_nv_change()

    def _corrupt_options(self, new_optcr: int) -> None:
        """What an option-byte write cut short leaves (UNCONFIRMED rule: see constants.CORRUPT_RDP)."""
        if self.variant.family == "f7":
            self.nv.optcr = ((new_optcr & ~(RDP_MASK | NWRP_MASK)) | (C.CORRUPT_RDP << RDP_SHIFT)
                             | (C.CORRUPT_NWRP << NWRP_SHIFT))
            self.nv.optcr1 = (C.CORRUPT_BOOT_ADD << 16) | C.CORRUPT_BOOT_ADD
            self.nv.broken_complements = C.CORRUPT_BROKEN_WORDS
        else:
            # F4 reports: OPTCR reads 0xCFFFFFFD (F42x: RDP 1, SPRMOD with every nWRP bit =
            # PCROP on all sectors) or 0x0FFFFFEC (F405/407) after power loss mid-write.
            self.nv.optcr = (C.F4_CORRUPT_OPTCR_F42X if self.variant.has_optcr1 or self.variant.dev_id == 0x421
                             else C.F4_CORRUPT_OPTCR_F40X) & ~0x3
            if self.variant.has_optcr1:
                self.nv.optcr1 = 0x0FFF0000
