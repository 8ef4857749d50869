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
    """One stored option value that carries its complement: does it agree with itself?

    `width` 16 (F7): one 32-bit word, value in [15:0], complement in [31:16]. `width` 32 (L4):
    the value word, and its complement in the next word (`complement`). `value` is None when the
    word could not be read; `unreadable` then says why ("unreadable (bus fault at 0x1FFF0000)"):
    neither agreeing nor disagreeing.
    """

    address: int
    value: int | None
    what: str
    unreadable: str | None = None
    width: int = 16
    complement: int | None = None

    @property
    def readable(self) -> bool:
        return self.value is not None and (self.width == 16 or self.complement is not None)

    def _pair(self) -> tuple[int, int]:
        assert self.value is not None
        if self.width == 16:
            return self.value & 0xFFFF, self.value >> 16
        return self.value, (self.complement if self.complement is not None else 0)

    @property
    def ok(self) -> bool:
        if not self.readable:
            return False
        value, comp = self._pair()
        return value ^ comp == (1 << self.width) - 1

    @property
    def disagrees(self) -> bool:
        return self.readable and not self.ok

    def describe(self) -> str:
        if not self.readable:
            return f"0x{self.address:08X} {self.what}: {self.unreadable or 'unreadable'}"
        value, comp = self._pair()
        digits = self.width // 4
        state = "ok" if self.ok else (f"complement disagrees: 0x{value:0{digits}X} stored with "
                                      f"0x{comp:0{digits}X}, expected 0x{~value & ((1 << self.width) - 1):0{digits}X}")
        shown = f"0x{self.value:08X}" if self.width == 16 else f"0x{value:08X}/0x{comp:08X}"
        return f"0x{self.address:08X} {self.what}: {shown} {state}"


@dataclass(frozen=True)
class OptionField:
    st_name: str
    register: int      # index into the family's REGISTERS (F4/F7: 0 = OPTCR, 1 = OPTCR1)
    shift: int
    width: int


class OptionBytesBase:
    """Shared behaviour of a family's option bytes (a frozen dataclass with one int per field).

    `dev_id` and `flash_kb` are not option bytes: they say which layout the nWRP bits apply to
    and are ignored when comparing. Subclasses give `FIELDS`, `FLAG_TEXT` and `FAMILY`; the
    register words are named by `REGISTERS` (F4/F7: OPTCR, OPTCR1), the BOR encoding by
    `BOR_LEVELS`, the write-protection fields by `WRP_FIELDS`.
    """

    FIELDS: ClassVar[dict[str, OptionField]]
    FLAG_TEXT: ClassVar[dict[str, tuple[str, str]]]
    FAMILY: ClassVar["McuFamily"]
    REGISTERS: ClassVar[tuple[str, ...]] = ("OPTCR", "OPTCR1")
    #: Bits set in each register word as it reads when locked (F4/F7: OPTCR.OPTLOCK).
    LOCKED_BITS: ClassVar[tuple[int, ...]] = (OPTCR_OPTLOCK, 0)
    #: BOR level as people name it (0 = off / lowest) -> (BOR_LEV bits, text).
    BOR_LEVELS: ClassVar[dict[int, tuple[int, str]]] = {
        level: (bits, BOR_TEXT[bits]) for level, bits in BOR_LEVEL_TO_BITS.items()}
    #: Fields whose bits say "sector not write-protected" when set (nWRP-like).
    WRP_FIELDS: ClassVar[tuple[str, ...]] = ("nwrp",)
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
    def decode(cls, *words: int, flash_kb: int | None = None, dev_id: int | None = None) -> Any:
        """Decode register values, in `REGISTERS` order (missing words read 0; control bits such
        as OPTLOCK/OPTSTRT are not option bytes)."""
        regs = tuple(words) + (0,) * (len(cls.REGISTERS) - len(words))
        values = {name: (regs[f.register] >> f.shift) & ((1 << f.width) - 1)
                  for name, f in cls.FIELDS.items()}
        extra = {}
        if flash_kb is not None:
            extra["flash_kb"] = flash_kb
        if dev_id is not None:
            extra["dev_id"] = dev_id
        return cls(**values, **extra)  # type: ignore[call-arg]

    def encode(self) -> tuple[int, ...]:
        """The register words (`REGISTERS` order) as they read when locked (F4/F7: OPTLOCK set,
        OPTSTRT clear)."""
        regs = list(self.LOCKED_BITS) + [0] * (len(self.REGISTERS) - len(self.LOCKED_BITS))
        for name, f in self.FIELDS.items():
            regs[f.register] |= getattr(self, name) << f.shift
        return tuple(regs)

    def registers(self) -> list[tuple[str, int]]:
        """[(register name, value)] as `encode` makes them."""
        return list(zip(self.REGISTERS, self.encode()))

    def register_text(self) -> str:
        """'OPTCR 0x... OPTCR1 0x...' (every register word of the family)."""
        return "   ".join(f"{name} 0x{value:08X}" for name, value in self.registers())

    @property
    def optcr(self) -> int:
        """The first option register word (OPTCR on F4/F7, OPTSR on H7, OPTR on L4)."""
        return self.encode()[0]

    @property
    def optcr1(self) -> int:
        """The second option register word (0 where the family has one only)."""
        words = self.encode()
        return words[1] if len(words) > 1 else 0

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
        """BOR level as people name it (F4/F7/H7: 0 = off, 1..3; L4: 0..4)."""
        bits = getattr(self, "bor_lev")
        return next((level for level, (b, _) in self.BOR_LEVELS.items() if b == bits), -1)

    @classmethod
    def bor_bits(cls, level: int) -> int:
        """The BOR_LEV bits of a level as people name it; ValueError naming the levels."""
        if level not in cls.BOR_LEVELS:
            raise ValueError(f"BOR level {level!r} does not exist on this chip "
                             f"(levels {', '.join(map(str, sorted(cls.BOR_LEVELS)))})")
        return cls.BOR_LEVELS[level][0]

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

    def without_write_protection(self) -> Any:
        """A copy with no sector write-protected."""
        return self.with_wrp_mask((1 << 64) - 1)

    def unprotect_settings(self) -> list[str]:
        """`--set` arguments that remove every write protection ('nWRP=0xFFF', ...)."""
        clear = self.without_write_protection()
        names = [n for n in self.field_names() if getattr(clear, n) != getattr(self, n)
                 or n in self.WRP_FIELDS]
        return [f"{self.FIELDS[n].st_name}=0x{getattr(clear, n):X}" for n in names]

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
            return next((text for bits, text in self.BOR_LEVELS.values() if bits == value),
                        f"reserved BOR_LEV 0x{value:X}")
        if name in self.WRP_FIELDS:
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
                "registers": {name: f"0x{value:08X}" for name, value in self.registers()},
                "family": self.FAMILY.name, "unprotect": self.unprotect_settings(),
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
