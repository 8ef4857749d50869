"""Option bytes: read, decode, check the stored complements, write with confirmation (a mixin
of `TargetLink`). The family module (devices/mcu/) decodes; this file only moves registers.

Safety: RDP level 2 is refused, always. Every change other than removing write protection needs
`confirm=True`; RDP 1 -> 0 (it mass-erases the flash) needs `confirm_erase=True` as well.
A change of the bank mode (nDBANK / DB1M) is applied by reconnecting under reset, which loads
the option bytes: the layout, the memory map and the sector numbers change with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfirmationRequired, FlashOperationError, SafetyError, TargetError
from ..mcu import base as mb
from ..mcu.base import ComplementCheck, change_lines, verification_errors
from .classify import classified, flash_error

#: Poll period while waiting for FLASH_SR.BSY after OPTSTRT.
BSY_POLL_S = 0.002


@dataclass(frozen=True)
class OptionForensics:
    """The option bytes as read after power-up, with the stored complements checked."""

    options: Any
    complements: tuple[ComplementCheck, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def complement_errors(self) -> int:
        return sum(1 for c in self.complements if not c.ok)

    def to_record(self) -> dict[str, Any]:
        """The `CycleRecord.option_bytes` dict: raw registers, decoded fields, complement checks."""
        record = self.options.to_record()
        record["complements"] = [{"address": f"0x{c.address:08X}", "value": f"0x{c.value:08X}",
                                  "what": c.what, "ok": c.ok} for c in self.complements]
        record["complement_errors"] = self.complement_errors
        record["stores_complements"] = bool(self.complements)
        return record


class OptionByteOperations:
    """Needs `_target()`, `chip`, `family`, `flash_kb()`, `_erased`, `reconnect()`."""

    def _option_family(self) -> Any:
        family = self.family
        if family is None or self.chip is None and self.connected:
            raise TargetError(f"option bytes: benchtui knows no option-byte layout for target type "
                              f"'{self.cfg.target_type}'")
        return family

    def _decode_option_registers(self, target: Any) -> Any:
        family = self._option_family()
        chip = self.chip
        dev_id = chip.dev_id if chip is not None else self.promised[1]
        optcr_addr, optcr1_addr = family.option_registers(dev_id)
        optcr = target.read32(optcr_addr)
        optcr1 = target.read32(optcr1_addr) if optcr1_addr is not None else 0
        return family.decode_options(dev_id, self.flash_kb(), optcr, optcr1)

    def read_option_bytes(self) -> Any:
        target = self._target()
        with classified("reading the option bytes", self):
            return self._decode_option_registers(target)

    def option_forensics(self) -> OptionForensics:
        """Option registers plus the stored option words' complement checks (where the part
        stores complements), read now."""
        target = self._target()
        family = self._option_family()
        with classified("reading the option bytes", self):
            ob = self._decode_option_registers(target)
            checks = tuple(family.check_complements(target.read32))
        notes = tuple(f"stored option word {c.describe()}" for c in checks if not c.ok)
        return OptionForensics(ob, checks, notes)

    def write_option_bytes(self, new: Any, *, confirm: bool = False, confirm_erase: bool = False) -> Any:
        """Program the option bytes, then read them back and verify every field.

        Refused: RDP level 2 (irreversible), always. Needs `confirm=True`: any change other than
        removing write protection; RDP 1 -> 0 (mass-erases the flash) needs `confirm_erase` too.
        A bank-mode change reconnects (under reset) so that it takes effect. Returns what was
        read back.
        """
        family = self._option_family()
        current = self.read_option_bytes()
        new = new.replace(flash_kb=current.flash_kb, dev_id=current.dev_id)
        if new.rdp_level == 2:
            raise SafetyError("refused: RDP level 2 (0xCC) disables debug for good and cannot be undone",
                              where="target")
        changes = current.differences(new)
        if not changes:
            return current
        risky = [f"{st} 0x{old:X} -> 0x{want:X}" for st, old, want in changes
                 if not (st.startswith("nWRP") and want & old == old)]
        regression = current.rdp_level == 1 and new.rdp_level == 0
        if risky and not confirm:
            erase = " (RDP 1 -> 0 mass-erases the flash)" if regression else ""
            raise ConfirmationRequired(f"option-byte change needs confirmation: {', '.join(risky)}{erase}",
                                       where="target")
        if regression and not confirm_erase:
            raise ConfirmationRequired("RDP 1 -> 0 mass-erases the whole flash: confirm the erase "
                                       "as well (a second confirmation)", where="target")
        bank_change = current.layout().dual_bank != new.layout().dual_bank
        self._program_option_registers(family, new, regression)
        if bank_change or regression:
            # RDP and the bank mode load at reset; reconnecting under reset loads them.
            self.reconnect()
        found = self.read_option_bytes()
        errors = verification_errors(new, found)
        if errors:
            raise FlashOperationError("option byte programming verification failed: " + "; ".join(errors))
        return found

    def _program_option_registers(self, family: Any, new: Any, regression: bool) -> None:
        """OPTKEYR unlock, OPTCR1, OPTCR, OPTSTRT, wait BSY, relock (RM0410 §3.4.2; OpenOCD stm32f2x.c)."""
        target = self._target()
        self._erased.clear()
        optcr, optcr1 = new.encode()
        optcr &= ~(mb.OPTCR_OPTLOCK | mb.OPTCR_OPTSTRT)
        optcr_addr, optcr1_addr = family.option_registers(new.dev_id)
        timeout = mb.OPTION_WRITE_TIMEOUT_S + (mb.MASS_ERASE_TIMEOUT_S if regression else 0)
        with classified("writing the option bytes", self):
            if target.read32(optcr_addr) & mb.OPTCR_OPTLOCK:
                target.write32(mb.FLASH_OPTKEYR, mb.OPTKEY1)
                target.write32(mb.FLASH_OPTKEYR, mb.OPTKEY2)
                if target.read32(optcr_addr) & mb.OPTCR_OPTLOCK:
                    raise FlashOperationError("option bytes stay locked after the OPTKEYR sequence "
                                              "(wrong key order locks them until reset)")
            try:
                target.write32(mb.FLASH_SR, family.sr_errors)  # clear stale error flags (write 1)
                if optcr1_addr is not None:
                    target.write32(optcr1_addr, optcr1)
                target.write32(optcr_addr, optcr)
                target.write32(optcr_addr, optcr | mb.OPTCR_OPTSTRT)
                sr = self._wait_not_busy(target, family, timeout, "option-byte write")
            finally:
                target.write32(optcr_addr, target.read32(optcr_addr) | mb.OPTCR_OPTLOCK)
        if sr & family.sr_errors:
            raise flash_error(family, f"option-byte write failed: {family.describe_sr(sr)}", sr)

    def _wait_not_busy(self, target: Any, family: Any, timeout_s: float, what: str) -> int:
        deadline = time.monotonic() + timeout_s
        while True:
            sr = target.read32(mb.FLASH_SR)
            if not sr & mb.SR_BSY:
                return sr
            if time.monotonic() > deadline:
                raise flash_error(family, f"{what}: FLASH_SR.BSY still set after {timeout_s:.0f} s", sr)
            time.sleep(BSY_POLL_S)

    # -- the changes people make ------------------------------------------------------------
    def remove_write_protection(self, confirm: bool = False) -> Any:
        """Set every nWRP bit (no sector write-protected)."""
        ob = self.read_option_bytes()
        return self.write_option_bytes(ob.with_wrp_mask((1 << 24) - 1), confirm=confirm)

    def set_bor_level(self, level: int, confirm: bool = False) -> Any:
        """BOR level 0 (off) .. 3 (2.70-3.60 V)."""
        if level not in mb.BOR_LEVEL_TO_BITS:
            raise SafetyError(f"BOR level {level!r} does not exist (0 = off, 1, 2, 3)", where="target")
        ob = self.read_option_bytes().replace(bor_lev=mb.BOR_LEVEL_TO_BITS[level])
        return self.write_option_bytes(ob, confirm=confirm)

    def set_bank_mode(self, dual: bool, confirm: bool = False) -> Any:
        """Single or dual bank (nDBANK on the F7, DB1M on a 1 MB F42x/F43x). The sector layout
        and numbering change; what the flash holds afterwards is not to be relied on."""
        family = self._option_family()
        ob = self.read_option_bytes()
        try:
            new = family.bank_mode_change(ob, dual)
        except ValueError as exc:
            raise TargetError(f"bank mode: {exc}") from None
        return self.write_option_bytes(new, confirm=confirm)

    def describe_change(self, old: Any, new: Any) -> str:
        return ", ".join(change_lines(old, new)) or "no change"
