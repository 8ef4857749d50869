"""Discovery of the probes: every probe pyOCD lists and the ones named, each with the target that
answers behind it (attached without reset: DBGMCU IDCODE, the family's flash-size word, the 96-bit
UID, each word on its own: an unreadable word is "unreadable (bus fault at 0x...)")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ...errors import BenchError
from .. import transports as tr

#: DBGMCU IDCODE of the STM32 families benchtui knows (F4/F7/L4 at 0xE0042000, H7 at 0x5C001000).
IDCODE_ADDRESSES = (0xE0042000, 0x5C001000)


@dataclass(frozen=True)
class FoundTarget:
    idcode: int | None
    dev_id: int | None
    family: str | None
    part: str
    flash_kb: int | None
    uid: str | None
    #: The profile target type that names this chip (None: no family module knows it).
    target_type: str | None
    #: Words that could not be read: name -> "unreadable (bus fault at 0x...)".
    unreadable: dict[str, str] = field(default_factory=dict)
    package: str | None = None

    def describe(self) -> str:
        parts = [self.part]
        if self.idcode is not None:
            parts.append(f"IDCODE 0x{self.idcode:08X}")
        parts.append(f"{self.flash_kb} KB flash" if self.flash_kb else
                     f"flash size {self.unreadable.get('flash_size', 'unknown')}")
        parts.append(f"UID {self.uid or self.unreadable.get('uid', 'unknown')}")
        if self.target_type:
            parts.append(f"target_type {self.target_type}")
        return ", ".join(parts)


@dataclass(frozen=True)
class FoundProbe:
    uid: str
    vendor: str
    product: str
    firmware: str | None
    target: FoundTarget | None = None
    #: Why no target answered (no SWD ACK, ...) or why the probe could not be opened.
    error: str | None = None


def probe_firmware(probe: Any) -> str | None:
    """The probe's firmware version, where its pyOCD driver knows it after opening.

    pyOCD keeps it on the probe's link object (`STLink.version_str`, CMSIS-DAP
    `DAPAccessCMSISDAP.firmware_version`), a private member of the probe: isolated here and
    tested for in tests/test_discovery.py; a probe without it shows "unknown".
    """
    public = getattr(probe, "firmware_version", None)
    if isinstance(public, str):
        return public
    link = getattr(probe, "_link", None)
    for name in ("version_str", "firmware_version"):
        try:
            value = getattr(link, name, None)
            value = value() if callable(value) else value
        except Exception:  # noqa: BLE001 - a probe that cannot say
            value = None
        if isinstance(value, str) and value:
            return value
    return None


def identify_target(uid: str, frequency_hz: int = 1_000_000) -> tuple[FoundTarget | None, str | None, str | None]:
    """(target, firmware, error): attach to the target behind probe `uid` (no reset, no halt)
    and read its IDCODE, flash size and UID, each word on its own."""
    from ...profile import TargetConfig
    from ..mcu import family_for_dev_id
    from ..target import TargetLink

    link = TargetLink(TargetConfig(probe_uid=uid, target_type="cortex_m", connect_mode="attach",
                                   frequency_hz=frequency_hz))
    try:
        link.connect()
        firmware = probe_firmware(link.probe)
        idcode = None
        for address in IDCODE_ADDRESSES:
            try:
                word = int.from_bytes(link.read_memory(address, 4), "little")
            except BenchError:
                continue
            if word & 0xFFF:
                idcode = word
                break
        if idcode is None:
            return FoundTarget(None, None, None, "Cortex-M (no STM32 DBGMCU IDCODE)", None, None,
                               None), firmware, None
        dev_id = idcode & 0xFFF
        family = family_for_dev_id(dev_id)
        if family is None:
            return FoundTarget(idcode, dev_id, None, f"unknown part 0x{dev_id:03X}", None, None,
                               None), firmware, None
        unreadable: dict[str, str] = {}

        def word(name: str, address: int, size: int) -> int | None:
            try:
                return int.from_bytes(link.read_memory(address, size), "little")
            except BenchError as exc:
                if getattr(exc, "address", None) is None and "bus fault" not in str(exc):
                    raise
                unreadable[name] = f"unreadable (bus fault at 0x{getattr(exc, 'address', None) or address:08X})"
                return None

        kb = word("flash_size", family.flash_size_address, 2)
        raw = word("uid", family.uid_address, 12)
        uid_text = None
        if raw is not None:
            data = raw.to_bytes(12, "little")
            uid_text = "".join(f"{int.from_bytes(data[i:i + 4], 'little'):08X}" for i in (0, 4, 8))
        package = None
        if family.package_address is not None:
            pkg = word("package", family.package_address, 2)
            package = family.package_name(pkg) if pkg is not None else None
        if kb is not None and not family.plausible_flash_kb(dev_id, kb):
            unreadable["flash_size"] = f"implausible (reads 0x{kb:04X})"
            kb = None
        return FoundTarget(idcode, dev_id, family.name, family.part_name(dev_id), kb, uid_text,
                           target_type_for(family, dev_id, kb, package), unreadable, package), firmware, None
    except BenchError as exc:
        return None, None, exc.one_line()
    finally:
        try:
            link.disconnect()
        except BenchError:
            pass


def target_type_for(family: Any, dev_id: int, flash_kb: int | None, package: str | None) -> str | None:
    """The family's profile target type for this part and flash size; the package's pin-count
    letter picks among equals (LQFP144 -> 'Z', LQFP176 -> 'I', LQFP100 -> 'V', LQFP64 -> 'R')."""
    if flash_kb is None:
        return None
    names = [n for n, (d, kb) in family.target_types.items() if d == dev_id and kb == flash_kb]
    if not names:
        return None
    letter = {"LQFP144": "z", "LQFP176": "i", "LQFP100": "v", "LQFP64": "r", "LQFP208": "b"}.get(
        (package or "").split(" ")[0])
    if letter:
        for name in names:
            if name[-2] == letter:
                return name
    return names[0]


def discover_probes(named: Iterable[str] = (), list_usb: bool = True,
                    identify_targets: bool = True) -> tuple[list[FoundProbe], list[str]]:
    """Every probe pyOCD lists (if `list_usb`) and each `named` one, with its target."""
    from ..target import list_probes

    notes: list[str] = []
    seen: list[tuple[str, str, str]] = []
    if list_usb:
        try:
            seen = [(p.uid, p.vendor, p.product) for p in list_probes()]
        except BenchError as exc:
            notes.append(f"probes: cannot list them: {exc.one_line()}")
        notes.extend(stlink_permission_notes({uid for uid, _, _ in seen}))
    for uid in named:
        if uid not in (s[0] for s in seen):
            vendor, product = ("pyOCD probe server", uid) if uid.startswith("remote:") else ("", uid)
            seen.append((uid, vendor, product))
    found = []
    for uid, vendor, product in seen:
        if not identify_targets:
            found.append(FoundProbe(uid, vendor, product, None))
            continue
        target, firmware, error = identify_target(uid)
        found.append(FoundProbe(uid, vendor, product, firmware, target, error))
    return found, notes


def stlink_permission_notes(listed_uids: set[str]) -> list[str]:
    """One line per ST-LINK on USB that this user may not open (pyOCD skips it)."""
    notes = []
    for dev in tr.usb_devices(tr.STLINK_VID):
        if dev.idProduct not in tr.STLINK_PIDS:
            continue
        if tr.usb_node_denied(dev.bus, dev.address) or tr.strings_denied(dev):
            notes.append(tr.usb_permission_hint(tr.STLINK_PIDS[dev.idProduct], dev.idVendor,
                                                dev.idProduct, dev.bus, dev.address))
    return notes
