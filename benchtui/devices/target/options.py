"""Option bytes: read, decode, check the stored complements, write with confirmation (a mixin
of `TargetLink`). The family module (devices/mcu/) decodes; this file only moves registers.

Safety: RDP level 2 is refused, always. Every change other than removing write protection needs
`confirm=True`; RDP 1 -> 0 (it mass-erases the flash) needs `confirm_erase=True` as well.
A change of the bank mode (nDBANK / DB1M) is applied by reconnecting under reset, which loads
the option bytes: the layout, the memory map and the sector numbers change with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfirmationRequired, FlashOperationError, NotForThisFamily, SafetyError, TargetError
from ..mcu.base import ComplementCheck, change_lines, verification_errors
from ..mcu.controller import ControllerError
from .classify import classified, flash_error, read_or_unreadable

#: What option-byte forensics say for a target with no family module.
NOT_AVAILABLE = "option-byte forensics: not available for this family (pyOCD's own target type)"


@dataclass(frozen=True)
class OptionForensics:
    """The option bytes as read after power-up, with the stored complements checked."""

    options: Any
    complements: tuple[ComplementCheck, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def complement_errors(self) -> int:
        """Stored words whose complement disagrees (an unreadable word is no error)."""
        return sum(1 for c in self.complements if c.disagrees)

    @property
    def unreadable(self) -> dict[str, str]:
        """'0x1FFF0000' -> 'unreadable (bus fault at 0x1FFF0000)' for each stored word that faulted."""
        return {f"0x{c.address:08X}": c.unreadable or "unreadable" for c in self.complements
                if not c.readable}

    @property
    def available(self) -> bool:
        return self.options is not None

    def to_record(self) -> dict[str, Any]:
        """The `CycleRecord.option_bytes` dict: raw registers, decoded fields, complement checks."""
        if self.options is None:
            return {"available": False, "notes": list(self.notes)}
        record = self.options.to_record()
        record["complements"] = [{"address": f"0x{c.address:08X}",
                                  "value": f"0x{c.value:08X}" if c.readable else c.unreadable,
                                  "what": c.what, "ok": c.ok if c.readable else None}
                                 for c in self.complements]
        record["complement_errors"] = self.complement_errors
        record["stores_complements"] = bool(self.complements)
        record["unreadable"] = self.unreadable
        return record


class OptionByteOperations:
    """Needs `_target()`, `chip`, `family`, `flash_kb()`, `_erased`, `reconnect()`."""

    def _option_family(self) -> Any:
        family = self.family
        if family is None or self.chip is None and self.connected:
            raise NotForThisFamily(f"option bytes: not available for this family (target type "
                                   f"'{self.cfg.target_type}' runs on pyOCD's own target, "
                                   "with no benchtui family module)")
        return family

    def _decode_option_registers(self, target: Any) -> Any:
        family = self._option_family()
        chip = self.chip
        dev_id = chip.dev_id if chip is not None else self.promised[1]
        return family.read_options(target.read32, dev_id, self.flash_kb())

    def read_option_bytes(self) -> Any:
        target = self._target()
        with classified("reading the option bytes", self):
            return self._decode_option_registers(target)

    def option_forensics(self) -> OptionForensics:
        """Option registers plus the stored option words' complement checks (where the part
        stores complements), read now. For a target with no family module: no option bytes,
        one note saying so."""
        target = self._target()
        if self.chip is None:
            return OptionForensics(None, (), (NOT_AVAILABLE,))
        family = self._option_family()
        found: dict[str, str] = {}

        def read32(addr: int) -> int | None:
            return read_or_unreadable(lambda: target.read32(addr), addr, f"0x{addr:08X}", found)

        with classified("reading the option bytes", self):
            ob = self._decode_option_registers(target)
            checks = tuple(family.check_complements(read32, lambda addr: found.get(f"0x{addr:08X}")))
            loaded = tuple(family.load_notes(target.read32))
        notes = tuple(f"stored option word {c.describe()}" for c in checks if c.disagrees) + loaded
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
        unprotect = set(current.without_write_protection().differences(current))
        risky = [f"{st} 0x{old:X} -> 0x{want:X}" for st, old, want in changes
                 if (st, want, old) not in unprotect and not (st.startswith("nWRP") and want & old == old)]
        regression = current.rdp_level == 1 and new.rdp_level == 0
        if risky and not confirm:
            erase = " (RDP 1 -> 0 mass-erases the flash)" if regression else ""
            raise ConfirmationRequired(f"option-byte change needs confirmation: {', '.join(risky)}{erase}",
                                       where="target")
        if regression and not confirm_erase:
            raise ConfirmationRequired("RDP 1 -> 0 mass-erases the whole flash: confirm the erase "
                                       "as well (a second confirmation)", where="target")
        bank_change = current.layout().dual_bank != new.layout().dual_bank
        target = self._target()
        self._erased.clear()
        with classified("writing the option bytes", self):
            try:
                family.program_options(target, new, regression)
            except ControllerError as exc:
                raise flash_error(family, str(exc), exc.sr if exc.sr is not None else 0) from None
        if bank_change or regression or family.options_load_at_reset:
            # The option bytes load at reset; reconnecting under reset loads them.
            self.reconnect()
        found = self.read_option_bytes()
        errors = verification_errors(new, found)
        if errors:
            raise FlashOperationError("option byte programming verification failed: " + "; ".join(errors))
        return found

    # -- the changes people make ------------------------------------------------------------
    def remove_write_protection(self, confirm: bool = False) -> Any:
        """No sector write-protected (every nWRP bit set; L4: every WRP area empty)."""
        ob = self.read_option_bytes()
        return self.write_option_bytes(ob.without_write_protection(), confirm=confirm)

    def set_bor_level(self, level: int, confirm: bool = False) -> Any:
        """BOR level as people name it (0 = off or lowest; the family says how many)."""
        ob = self.read_option_bytes()
        try:
            bits = ob.bor_bits(level)
        except ValueError as exc:
            raise SafetyError(str(exc), where="target") from None
        return self.write_option_bytes(ob.replace(bor_lev=bits), confirm=confirm)

    def set_bank_mode(self, dual: bool, confirm: bool = False) -> Any:
        """Single or dual bank (nDBANK on the F7, DB1M on a 1 MB F42x/F43x, DUALBANK on a
        512 KB L4). The sector layout and numbering change; what the flash holds afterwards is
        not to be relied on."""
        family = self._option_family()
        ob = self.read_option_bytes()
        try:
            new = family.bank_mode_change(ob, dual)
        except ValueError as exc:
            raise TargetError(f"bank mode: {exc}") from None
        return self.write_option_bytes(new, confirm=confirm)

    def describe_change(self, old: Any, new: Any) -> str:
        return ", ".join(change_lines(old, new)) or "no change"
