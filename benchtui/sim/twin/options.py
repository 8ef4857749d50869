"""The option bytes of the STM32F7 / STM32F4 twin (RM0410 §3.4, RM0090 §3.7): the OPTCR/OPTCR1
registers, their load at reset, their stored image with complements (F7), OPTKEYR and OPTSTRT
programming, and what a write cut short by a reset leaves behind (a mixin of flash.py's
`FlashController`)."""

from __future__ import annotations

from . import constants as C
from .controller import rdp_level

OPTLOCK, OPTSTRT = 1 << 0, 1 << 1
NDBANK = 1 << 29
NWRP_SHIFT, NWRP_MASK = 16, 0xFFF << 16
RDP_SHIFT, RDP_MASK = 8, 0xFF << 8
IWDG_SW = 1 << 5
F4_DB1M = 1 << 30
OPTERR = 1 << 1   # FLASH_SR.OPERR: an option write the supply spoiled


class FxOptionBytes:
    """OPTCR / OPTCR1 of the F2/F4/F7 lineage. Needs the ControllerBase machinery."""

    optcr: int
    optcr1: int

    # --- load at reset --------------------------------------------------------------------------
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

    def hardware_watchdog(self) -> bool:
        """IWDG_SW = 0 as loaded: the independent watchdog starts at reset."""
        return not self.loaded_optcr & IWDG_SW

    def boot_address(self) -> int:
        """Where the core fetches its vectors: BOOT_ADD0 << 14 (F7), the flash alias at 0 (F4)."""
        return (self.optcr1 & 0xFFFF) << 14 if self.variant.boot == "boot_add0" else 0

    def _wrp_mask(self) -> int:
        """nWRP bits as loaded (F4: OPTCR1's nWRP are bits 12..23)."""
        mask = (self.loaded_optcr >> NWRP_SHIFT) & 0xFFF
        if self.variant.family == "f4" and self.variant.has_optcr1:
            mask |= ((self.loaded_optcr1 >> NWRP_SHIFT) & 0xFFF) << 12
        return mask

    # --- the stored image ---------------------------------------------------------------------
    def option_image_word(self, addr: int) -> int | None:
        """The stored option area word at `addr`, or None outside every stored area."""
        for base in self.variant.option_images:
            if base <= addr < base + C.OPTION_IMAGE_SIZE:
                o = addr - base
                return int.from_bytes(self.option_image(base)[o:o + 4], "little")
        return None

    def option_image(self, base: int) -> bytes:
        """The 32-byte stored option area at `base`.

        F7 (RM0410 §3.4.1): four words value | ~value << 16 at +0, +8, +0x10, +0x18. F4
        (UNCONFIRMED): the 16-bit option values without complements, bank 2's nWRP at 0x1FFEC008.
        """
        nv = self.nv
        if self.variant.family == "f7":
            words = [nv.optcr & 0xFFFC, 0, nv.optcr >> 16, 0, nv.optcr1 & 0xFFFF, 0, nv.optcr1 >> 16, 0]
            out = bytearray()
            for i, w in enumerate(words):
                if i % 2:
                    value = 0xFFFFFFFF
                else:
                    complement = ~w & 0xFFFF
                    if i // 2 in nv.broken_complements:
                        complement ^= C.BROKEN_COMPLEMENT_XOR
                    value = w | complement << 16
                out += value.to_bytes(4, "little")
            return bytes(out)
        if base == self.variant.option_images[0]:
            words = [nv.optcr & 0xFFFC, 0xFFFFFFFF, nv.optcr >> 16, 0xFFFFFFFF]
        else:
            words = [0xFFFFFFFF, 0xFFFFFFFF, nv.optcr1 >> 16, 0xFFFFFFFF]
        return b"".join(w.to_bytes(4, "little") for w in words) + b"\xff" * 16

    # --- registers ------------------------------------------------------------------------------
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

    def _write_optcr(self, value: int) -> None:
        if self.optcr & OPTLOCK or self.busy():
            return
        self.optcr = value & ~OPTSTRT
        if value & OPTSTRT:
            self.settle()
            self._program_options()

    # --- programming ----------------------------------------------------------------------------
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
            self.sr |= OPTERR
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
        bank_bit = NDBANK if self.variant.family == "f7" else F4_DB1M
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
        """What an option-byte write cut short leaves (UNCONFIRMED rule, constants.py)."""
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
