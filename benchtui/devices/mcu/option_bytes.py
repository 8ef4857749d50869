"""Option bytes and FLASH_SR flags: the part every family shares (each family gives its own field
table and texts)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable

from typing import TYPE_CHECKING

from .layout import FlashLayout, format_sectors
from .registers import BOR_LEVEL_TO_BITS, BOR_TEXT, OPTCR_OPTLOCK, RDP_LEVEL0, RDP_LEVEL2

if TYPE_CHECKING:
    from .base import McuFamily

# ---------------------------------------------------------------------------------------------
# FLASH_SR
# ---------------------------------------------------------------------------------------------

def decode_flags(flags: dict[str, tuple[int, str]], sr: int) -> tuple[str, ...]:
    return tuple(name for name, (bit, _) in flags.items() if sr & bit)


def describe_flags(flags: dict[str, tuple[int, str]], sr: int) -> str:
    names = decode_flags(flags, sr)
    if not names:
        return f"FLASH_SR=0x{sr:08X}: no flag set"
    return f"FLASH_SR=0x{sr:08X}: " + "; ".join(f"{n} ({flags[n][1]})" for n in names)


# ---------------------------------------------------------------------------------------------
# Option bytes: the part shared by every family (fields come from a table per family)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplementCheck:
    """One stored option word that carries its complement: does it agree with itself?

    `value` is None when the word could not be read; `unreadable` then says why
    ("unreadable (bus fault at 0x1FFF0000)"): neither agreeing nor disagreeing.
    """

    address: int
    value: int | None
    what: str
    unreadable: str | None = None

    @property
    def readable(self) -> bool:
        return self.value is not None

    @property
    def ok(self) -> bool:
        return self.value is not None and (self.value & 0xFFFF) ^ (self.value >> 16) == 0xFFFF

    @property
    def disagrees(self) -> bool:
        return self.value is not None and not self.ok

    def describe(self) -> str:
        if self.value is None:
            return f"0x{self.address:08X} {self.what}: {self.unreadable or 'unreadable'}"
        state = "ok" if self.ok else (f"complement disagrees: 0x{self.value & 0xFFFF:04X} stored with "
                                      f"0x{self.value >> 16:04X}, expected 0x{~self.value & 0xFFFF:04X}")
        return f"0x{self.address:08X} {self.what}: 0x{self.value:08X} {state}"


@dataclass(frozen=True)
class OptionField:
    st_name: str
    register: int      # 0 = OPTCR, 1 = OPTCR1
    shift: int
    width: int


class OptionBytesBase:
    """Shared behaviour of a family's option bytes (a frozen dataclass with one int per field).

    `dev_id` and `flash_kb` are not option bytes: they say which layout the nWRP bits apply to
    and are ignored when comparing. Subclasses give `FIELDS`, `FLAG_TEXT` and `FAMILY`.
    """

    FIELDS: ClassVar[dict[str, OptionField]]
    FLAG_TEXT: ClassVar[dict[str, tuple[str, str]]]
    FAMILY: ClassVar["McuFamily"]
    dev_id: int
    flash_kb: int

    def __post_init__(self) -> None:
        for name, f in self.FIELDS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value < (1 << f.width):
                raise ValueError(f"option byte {f.st_name}: {value!r} does not fit in {f.width} bit(s)")
            object.__setattr__(self, name, int(value))

    # -- registers ------------------------------------------------------------------------
    @classmethod
    def decode(cls, optcr: int, optcr1: int = 0, *, flash_kb: int | None = None,
               dev_id: int | None = None) -> Any:
        """Decode register values (OPTLOCK/OPTSTRT are control bits, not option bytes)."""
        regs = (optcr, optcr1)
        values = {name: (regs[f.register] >> f.shift) & ((1 << f.width) - 1)
                  for name, f in cls.FIELDS.items()}
        extra = {}
        if flash_kb is not None:
            extra["flash_kb"] = flash_kb
        if dev_id is not None:
            extra["dev_id"] = dev_id
        return cls(**values, **extra)  # type: ignore[call-arg]

    def encode(self) -> tuple[int, int]:
        """(OPTCR, OPTCR1) with OPTLOCK set and OPTSTRT clear, as they read when locked."""
        regs = [0, 0]
        for name, f in self.FIELDS.items():
            regs[f.register] |= getattr(self, name) << f.shift
        return regs[0] | OPTCR_OPTLOCK, regs[1]

    @property
    def optcr(self) -> int:
        return self.encode()[0]

    @property
    def optcr1(self) -> int:
        return self.encode()[1]

    def replace(self, **changes: Any) -> Any:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def field_names(self) -> list[str]:
        """The fields this part has (a family may list fields only some of its parts have)."""
        return list(self.FIELDS)

    # -- meaning --------------------------------------------------------------------------
    @property
    def rdp_level(self) -> int:
        """0 (0xAA), 2 (0xCC) or 1 (any other byte)."""
        rdp = getattr(self, "rdp")
        return 0 if rdp == RDP_LEVEL0 else 2 if rdp == RDP_LEVEL2 else 1

    @property
    def bor_level(self) -> int:
        """BOR level as people name it: 0 = off, 1..3 = BOR L1..L3."""
        return {bits: level for level, bits in BOR_LEVEL_TO_BITS.items()}[getattr(self, "bor_lev")]

    @property
    def dual_bank(self) -> bool:
        return self.layout().dual_bank

    def layout(self) -> FlashLayout:
        return self.FAMILY.layout(self.dev_id, self.flash_kb, self)

    def wrp_mask(self) -> int:
        """All nWRP bits as one number (bit i = nWRP bit i; 1 = not protected)."""
        return getattr(self, "nwrp")

    def with_wrp_mask(self, mask: int) -> Any:
        return self.replace(nwrp=mask & ((1 << self.FIELDS["nwrp"].width) - 1))

    def sector_protection(self) -> dict[int, bool]:
        """Sector number -> True if write-protected, for the layout these bytes select."""
        mask = self.wrp_mask()
        return {s.number: not (mask >> s.wrp_bit) & 1 for s in self.layout()}

    def protected_sectors(self) -> list[int]:
        return [n for n, p in self.sector_protection().items() if p]

    def with_protection(self, sectors: Iterable[int], protect: bool = True) -> Any:
        """A copy with the nWRP bits of `sectors` cleared (protect) or set (unprotect)."""
        layout = self.layout()
        mask = self.wrp_mask()
        for number in sectors:
            sector = layout.get(number)
            if sector is None:
                raise ValueError(f"sector {number} does not exist on this {layout.describe()}")
            bit = 1 << sector.wrp_bit
            mask = mask & ~bit if protect else mask | bit
        return self.with_wrp_mask(mask)

    def fields(self) -> list[tuple[str, int]]:
        """[(ST name, raw value)] in register order."""
        return [(self.FIELDS[n].st_name, getattr(self, n)) for n in self.field_names()]

    def describe(self) -> list[tuple[str, str, str]]:
        """[(ST name, raw value as hex, meaning)] for display."""
        out = []
        for name in self.field_names():
            f = self.FIELDS[name]
            value = getattr(self, name)
            digits = max(1, (f.width + 3) // 4)
            out.append((f.st_name, f"0x{value:0{digits}X}", self._meaning(name, value)))
        return out

    def _meaning(self, name: str, value: int) -> str:
        if name == "rdp":
            return {0: "level 0, no protection", 1: "level 1, flash read-protected from debug",
                    2: "level 2, debug disabled for good"}[self.rdp_level]
        if name == "bor_lev":
            return BOR_TEXT[value]
        if name in ("nwrp", "nwrp2"):
            prot = self.protected_sectors()
            return "no sector write-protected" if not prot else \
                f"write-protected sectors: {format_sectors(prot)}"
        return self.FLAG_TEXT[name][value]

    def differences(self, other: "OptionBytesBase") -> list[tuple[str, int, int]]:
        """[(ST name, value here, value there)] for every field that differs."""
        theirs = dict(other.fields())
        return [(st, a, theirs[st]) for st, a in self.fields() if st in theirs and theirs[st] != a]

    def differences_from_factory(self) -> list[tuple[str, int, int]]:
        """[(ST name, value, factory value)] for every field not at its factory default."""
        return self.differences(self.FAMILY.factory(self.dev_id, self.flash_kb))

    def to_record(self) -> dict[str, Any]:
        """Plain data for a cycle record / JSON output."""
        return {"optcr": f"0x{self.optcr:08X}", "optcr1": f"0x{self.optcr1:08X}",
                "fields": {st: value for st, value in self.fields()},
                "rdp_level": self.rdp_level, "protected_sectors": self.protected_sectors(),
                "layout": self.layout().mode,
                "factory_differences": [[st, v, f] for st, v, f in self.differences_from_factory()]}


def verification_errors(expected: OptionBytesBase, found: OptionBytesBase) -> list[str]:
    """CubeProgrammer-style lines: 'Expected value for Option Byte "IWDG_STOP": 0x0, found: 0x1'."""
    return [f'Expected value for Option Byte "{st}": 0x{want:X}, found: 0x{got:X}'
            for st, want, got in expected.differences(found)]


def change_lines(old: OptionBytesBase, new: OptionBytesBase) -> list[str]:
    """['nWRP 0xFFF -> 0x000', 'RDP 0xAA -> 0xFF'] for every field that differs."""
    return [f"{st} 0x{a:X} -> 0x{b:X}" for st, a, b in old.differences(new)]


__all__ = ["ComplementCheck", "OptionBytesBase", "OptionField", "change_lines", "decode_flags",
           "describe_flags", "verification_errors"]
