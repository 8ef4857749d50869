"""`TargetLink`: one pyOCD session to the profile's target — connect, identity, memory, layout.

The link reaches the target through a probe uid (a USB probe, `remote:HOST:PORT` for a pyOCD
probe server, or any probe plugin). For a target type of a family benchtui knows (devices/mcu/),
or the family `[target] family` names, it connects with that family's chip-mapped pyOCD target
type: the memory map pyOCD uses is the chip's own (flash-size word, bank mode), and the
profile's target type only says what to expect. With `family = "generic"` (or a target type no
family knows) pyOCD's own target type and flash algorithm do everything; option bytes are then
not available.
Flash operations live in `flashops.py`, option-byte operations in `options.py`, the mapping of
pyOCD exceptions in `classify.py`.

Threading: a pyOCD session must be used from the thread that created it. Every method of a
connected `TargetLink` must run on the thread that called `connect()`; the caller guarantees
it with an owner thread (`devices.owner.DeviceOwner`) and the link checks it.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ...errors import NoSwdAck, ProbeNotFound, ProfileError, TargetError
from ...profile import TargetConfig
from ..firmware import FirmwareImage
from ..mcu import GENERIC, McuFamily, check_family_name, family_by_name, family_for_target_type
from ..mcu import base as mb
from ..mcu.base import FlashLayout
from .classify import classified, pyocd_exceptions, read_or_unreadable
from .flashops import FlashOperations
from .identity import ProbeInfo, TargetIdentity, profile_mismatch, uid_hex
from .options import OptionByteOperations


def promised_part(cfg: TargetConfig) -> tuple[McuFamily, int, int] | None:
    """(family, dev_id, flash KB) the profile asks for: None for the generic family or a target
    type no family knows (then pyOCD's own target type does the work)."""
    try:
        choice = check_family_name(getattr(cfg, "family", "auto"))
    except ValueError as exc:
        raise ProfileError(f"[target] {exc}") from None
    if choice == GENERIC:
        return None
    promised = family_for_target_type(cfg.target_type)
    named = family_by_name(choice)
    if named is None or (promised is not None and promised[0] is named):
        return promised
    part = next(iter(named.parts.values()))
    return named, part.dev_id, part.flash_sizes_kb[-1]


def list_probes() -> list[ProbeInfo]:
    """Every probe pyOCD can see right now (never prompts, never waits)."""
    pyocd_exceptions()
    from pyocd.core.helpers import ConnectHelper

    with classified("listing probes"):
        probes = ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False)
    return [ProbeInfo(p.unique_id, p.description, p.vendor_name, p.product_name) for p in probes]


class TargetLink(FlashOperations, OptionByteOperations):
    """One pyOCD session to the profile's target. See the module docstring for threading."""

    def __init__(self, cfg: TargetConfig, *, source: str | None = None):
        self.cfg = cfg
        #: The profile file `cfg` came from: a bad target type is an error naming its line.
        self.source = source
        self._session: Any = None
        self._identity: TargetIdentity | None = None
        self._thread: int | None = None
        #: Sector numbers this link erased in this session and nothing has written since.
        self._erased: set[int] = set()
        #: (family, dev_id, flash KB) the profile's target type promises, or None.
        self.promised = promised_part(cfg)

    # -- connection -----------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._session is not None

    @property
    def identity(self) -> TargetIdentity | None:
        return self._identity

    @property
    def probe(self) -> Any:
        """The pyOCD probe of the open session, or None."""
        return self._session.probe if self._session is not None else None

    @property
    def chip(self) -> Any:
        """What the chip-mapped target read at connect (devices.pyocd_targets.ChipInfo), or None."""
        if self._session is None or self.promised is None:
            return None
        return getattr(self._session.board.target, "chip", None)

    @property
    def family(self) -> McuFamily | None:
        chip = self.chip
        if chip is not None:
            return chip.family
        return self.promised[0] if self.promised else None

    def connect(self, connect_mode: str | None = None,
                frequency_hz: int | None = None) -> TargetIdentity:
        """Open a session (under reset by default, per the profile) and read the identity."""
        if self.connected:
            self.disconnect()
        self._erased.clear()
        pyocd_exceptions()
        from pyocd.core.session import Session

        from .types import check_target_type
        check_target_type(self.cfg.target_type, self.source)   # before pyOCD's own traceback

        from ..pyocd_targets import ConnectHint, set_connect_hint

        probe = self._find_probe()
        target_type = self.promised[0].pyocd_target_type if self.promised else self.cfg.target_type
        options = {
            "connect_mode": connect_mode or self.cfg.connect_mode,
            "frequency": frequency_hz or self.cfg.frequency_hz,
            "target_override": target_type,
            "hide_programming_progress": True,
            "resume_on_disconnect": False,  # the bench power-cycles; never run unknown code
            "no_config": True,
            "smart_flash": True,
            "chip_erase": "sector",
            **dict(self.cfg.pyocd_options),
        }
        # Session.__init__ chdirs to project_dir: give it the current one.
        session = Session(probe, options=options, project_dir=os.getcwd())
        if self.promised:
            set_connect_hint(session, ConnectHint(*self.promised))
        self._thread = threading.get_ident()
        try:
            with classified(f"connecting to {self.cfg.probe_uid}"):
                session.open()
                _check_core(session)
            self._session = session
            self._identity = self._read_identity()
        except BaseException:
            self._session = None
            _close_quietly(session)
            raise
        return self._identity

    def reconnect(self) -> TargetIdentity:
        """Disconnect and connect again under reset: the option bytes are loaded anew (a new
        bank mode takes effect)."""
        self.disconnect()
        return self.connect()

    def _find_probe(self) -> Any:
        from pyocd.core.helpers import ConnectHelper

        uid = self.cfg.probe_uid
        if uid.startswith("remote:"):
            # pyOCD's own remote client waits forever for a reply: use one whose waits end.
            from .remote import TimedTCPClientProbe
            with classified(f"finding probe {uid}"):
                return TimedTCPClientProbe(uid)
        try:
            with classified(f"finding probe {uid}"):
                probes = ConnectHelper.get_all_connected_probes(blocking=False, unique_id=uid,
                                                                print_wait_message=False)
        except ProbeNotFound:
            raise
        except TargetError as exc:  # e.g. "unknown debug probe type 'x'" for a 'x:...' uid
            raise ProbeNotFound(str(exc)) from None
        exact = [p for p in probes if p.unique_id == uid or uid.endswith(p.unique_id)]
        if exact or len(probes) == 1:
            return (exact or probes)[0]
        if not probes:
            raise ProbeNotFound(f"no probe with uid '{uid}' is connected",
                                hint="check the USB cable or the probe server; see the probe list")
        raise ProbeNotFound(f"probe uid '{uid}' matches {len(probes)} probes "
                            f"({', '.join(p.unique_id for p in probes)}): give the full uid")

    def disconnect(self) -> None:
        """Close the session (the core is left halted; the probe is released)."""
        session, self._session, self._identity = self._session, None, None
        self._erased.clear()
        if session is not None:
            _close_quietly(session)

    def _target(self) -> Any:
        if self._session is None:
            raise TargetError(f"target on {self.cfg.probe_uid} is not connected")
        if threading.get_ident() != self._thread:
            raise TargetError("pyOCD session used from a thread other than the one that "
                              "connected it (run target calls on the target's owner thread)")
        return self._session.board.target

    def _read_identity(self) -> TargetIdentity:
        target = self._target()
        chip = self.chip
        unreadable: dict[str, str] = {}
        with classified("reading the target identity", self):
            dp_idr = target.dp.dpidr.idr
            cpuid = target.read32(mb.CPUID)
            # a chip without a family module may not have DBGMCU where an STM32 has it
            idcode = chip.idcode if chip is not None else read_or_unreadable(
                lambda: target.read32(mb.DBGMCU_IDCODE), mb.DBGMCU_IDCODE, "idcode", unreadable) or 0
        dev_id, rev_id = idcode & 0xFFF, idcode >> 16
        if chip is None:   # a target type benchtui has no family module for
            kb = sum(r.length for r in target.memory_map.regions if r.is_flash) // 1024
            return TargetIdentity(dp_idr, cpuid, dev_id, rev_id, f"0x{rev_id:04X}",
                                  f"{self.cfg.target_type} (pyOCD target type)", kb,
                                  self.cfg.target_type, self._session.probe.unique_id,
                                  family=GENERIC, layout=generic_layout(target.memory_map),
                                  unreadable=unreadable)
        family = chip.family
        unreadable = dict(chip.unreadable)
        with classified("reading the unique ID and package", self):
            raw = read_or_unreadable(lambda: target.read_memory_block8(family.uid_address, 12),
                                     family.uid_address, "uid", unreadable)
            uid = uid_hex(bytes(raw)) if raw is not None else None
            package = None
            if family.package_address is not None:
                word = read_or_unreadable(lambda: target.read16(family.package_address),
                                          family.package_address, "package", unreadable)
                package = family.package_name(word) if word is not None else None
        mismatch = profile_mismatch(self.cfg.target_type, self.promised, family, chip.dev_id, chip.flash_kb)
        return TargetIdentity(dp_idr, cpuid, chip.dev_id, rev_id, family.revision(rev_id),
                              family.part_name(chip.dev_id), chip.flash_kb, self.cfg.target_type,
                              self._session.probe.unique_id, family=family.name, uid=uid,
                              package=package, layout=chip.layout, flash_kb_source=chip.flash_kb_source,
                              profile_mismatch=mismatch, notes=tuple(chip.notes), unreadable=unreadable)

    # -- flash layout ---------------------------------------------------------------------
    def flash_kb(self) -> int:
        if self._identity is not None:
            return self._identity.flash_kb
        return self.promised[2] if self.promised else 1024

    def layout(self) -> FlashLayout:
        """The chip's sectors (when connected), else those the profile's target type promises
        (factory option bytes: single bank where the part has a choice). On pyOCD's own target
        type: its memory map's sectors, numbered from 0 in address order."""
        chip = self.chip
        if chip is not None:
            return chip.layout
        if self._session is not None:
            return generic_layout(self._session.board.target.memory_map)
        if self.promised:
            family, dev_id, kb = self.promised
            return family.layout(dev_id, kb, family.factory(dev_id, kb))
        raise TargetError(f"no flash layout known for target type '{self.cfg.target_type}' "
                          "before connecting")

    def flash_regions(self) -> list[tuple[int, int]]:
        """[(start, end)] of the target's flash (the chip's when connected)."""
        return self.layout().regions()

    def sectors_for(self, image: FirmwareImage) -> list[int]:
        """Numbers of the sectors the image touches (RM0410 / RM0090 numbering)."""
        layout = self.layout()
        return sorted({s.number for start, end in image.ranges() for s in layout.covering(start, end)})

    # -- memory ---------------------------------------------------------------------------
    def read_memory(self, address: int, size: int) -> bytes:
        target = self._target()
        with classified(f"reading {size} bytes at 0x{address:08X}", self):
            return bytes(target.read_memory_block8(address, size))

    def flash_status(self) -> int:
        """FLASH_SR (bank 1's) as read now."""
        target = self._target()
        family = self.family
        if family is None:
            raise TargetError("FLASH_SR: not available for this family (pyOCD's own target type)")
        with classified("reading FLASH_SR", self):
            return target.read32(family.sr_address())

    # -- evidence (never raises) ----------------------------------------------------------
    def evidence_sr(self, sector: Any = None) -> int | None:
        try:
            return self._session.board.target.read32(self.family.sr_address(sector))
        except Exception:
            return None

    def evidence_reset(self) -> bool:
        """After a flash-algorithm failure: FLASH_CR reads locked again with no error flag in
        FLASH_SR, which only a reset leaves (the algorithm unlocked it; False when unknown)."""
        try:
            family = self.family
            if family is None or self.chip is None:
                return False
            read32 = self._session.board.target.read32
            return family.controller_locked(read32) and not read32(family.sr_address()) & family.sr_errors
        except Exception:
            return False

    def evidence_option_bytes(self) -> Any:
        try:
            return self._decode_option_registers(self._session.board.target)
        except Exception:
            return None


def generic_layout(memory_map: Any) -> FlashLayout:
    """The sectors of pyOCD's memory map (a target type with no family module): each flash
    region's sectors in address order, numbered from 0."""
    from ..mcu.layout import Sector

    sectors, number = [], 0
    for region in sorted((r for r in memory_map.regions if r.is_flash), key=lambda r: r.start):
        size = region.sector_size or region.length
        for start in range(region.start, region.end + 1, size):
            sectors.append(Sector(number, start, size, number, number, 1))
            number += 1
    kb = sum(s.size for s in sectors) // 1024
    return FlashLayout(kb, False, tuple(sectors))


def _check_core(session: Any) -> None:
    """pyOCD's discovery logs and swallows an SWD error while it initialises a core, leaving a
    core without registers: the next flash-algorithm call then dies with KeyError('pc'). Such a
    connect is a failed connect (retried by the loop), not a time bomb."""
    core = getattr(session.board.target, "selected_core", None)
    registers = getattr(core, "core_registers", None)
    if core is None or registers is None or not getattr(registers, "by_name", None) \
            or "pc" not in registers.by_name:
        raise NoSwdAck("the core did not initialise (an SWD error during pyOCD's discovery): "
                       "no core registers", hint="check SWD wiring; connect again")


def _close_quietly(session: Any) -> None:
    try:
        session.close()
    except Exception:
        pass
