"""What a connect finds out: the probe, the chip (family, part, revision, flash, layout), the
board (96-bit unique ID, package), and how that compares with what the profile promised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..mcu.base import FlashLayout


@dataclass(frozen=True)
class ProbeInfo:
    uid: str
    description: str
    vendor: str
    product: str


@dataclass(frozen=True)
class TargetIdentity:
    dp_idr: int
    cpuid: int
    dev_id: int
    rev_id: int
    revision: str
    part: str
    flash_kb: int
    target_type: str
    probe_uid: str
    family: str = ""
    #: The 96-bit unique ID as 24 hex digits (word at the UID address first), or None.
    uid: str | None = None
    package: str | None = None
    layout: FlashLayout | None = field(default=None, compare=False)
    #: Where flash_kb came from: "chip" (the flash-size word) or "profile" (the word was unreadable).
    flash_kb_source: str = "chip"
    #: One line when the profile's target type promised another part or flash size (the chip wins).
    profile_mismatch: str | None = None
    notes: tuple[str, ...] = ()
    #: Identity words that bus-faulted, by name ("uid", "package", "flash_size") -> how they
    #: are shown and stored: "unreadable (bus fault at 0x1FF0F7E0)". The rest was read.
    unreadable: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def uid_text(self) -> str:
        """The UID, or why there is none ('unreadable (bus fault at 0x...)')."""
        return self.uid or self.unreadable.get("uid", "unknown")

    @property
    def package_text(self) -> str:
        return self.package or self.unreadable.get("package", "unknown")

    def describe(self) -> str:
        """'STM32F76x/F77x (0x451 rev Z), 1024 KB single bank, LQFP144, UID 0031...'."""
        mode = f" {self.layout.mode}" if self.layout is not None else ""
        text = f"{self.part} (0x{self.dev_id:03X} rev {self.revision}), {self.flash_kb} KB{mode}"
        if "flash_size" in self.unreadable:
            text += f" (flash-size word {self.unreadable['flash_size']}: assumed)"
        if self.package or "package" in self.unreadable:
            text += f", {self.package or 'package ' + self.unreadable['package']}"
        if self.uid or "uid" in self.unreadable:
            text += f", UID {self.uid_text}"
        return text

    def to_record(self) -> dict[str, Any]:
        """The `CycleRecord.target` dict: part, dev_id, rev, flash_kb, package, layout, ..."""
        return {"part": self.part, "family": self.family, "dev_id": f"0x{self.dev_id:03X}",
                "rev": self.revision, "rev_id": f"0x{self.rev_id:04X}", "flash_kb": self.flash_kb,
                "flash_kb_source": self.flash_kb_source,
                "package": self.package or self.unreadable.get("package"),
                "uid": self.uid or self.unreadable.get("uid"),
                "layout": self.layout.mode if self.layout is not None else None,
                "sectors": self.layout.describe() if self.layout is not None else None,
                "target_type": self.target_type, "profile_mismatch": self.profile_mismatch,
                "cpuid": f"0x{self.cpuid:08X}", "dp_idr": f"0x{self.dp_idr:08X}",
                "unreadable": dict(self.unreadable)}


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    bytes_checked: int
    first_mismatch: int | None = None
    mismatch_count: int = 0


@dataclass(frozen=True)
class ProgramResult:
    bytes: int
    seconds: float


def uid_hex(raw: bytes) -> str:
    """12 UID bytes (little-endian words at UID, UID+4, UID+8) -> 24 hex digits, word 0 first,
    as ST tools print the unique ID."""
    words = [int.from_bytes(raw[i:i + 4], "little") for i in range(0, 12, 4)]
    return "".join(f"{w:08X}" for w in words)


def profile_mismatch(target_type: str, promised: tuple[Any, int, int] | None, family: Any,
                     dev_id: int, flash_kb: int) -> str | None:
    """One line when the profile's target type promises another part or size than the chip."""
    if promised is None:
        return None
    p_family, p_dev, p_kb = promised
    if p_family is family and p_dev == dev_id and p_kb == flash_kb:
        return None
    chip = f"{family.part_name(dev_id)} with {flash_kb} KB"
    want = f"{p_family.part_name(p_dev)} with {p_kb} KB"
    return (f"profile target_type '{target_type}' expects {want}; the chip is {chip}: "
            f"using the chip's flash layout")
