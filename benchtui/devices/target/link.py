"""`TargetLink`: one pyOCD session to the profile's target — connect, identity, memory, layout.

The link reaches the target through a probe uid (a USB probe, `remote:HOST:PORT` for a pyOCD
probe server, or any probe plugin). For a target type of a family benchtui knows (devices/mcu/)
it connects with that family's chip-mapped pyOCD target type: the memory map pyOCD uses is the
chip's own (flash-size word, bank mode), and the profile's target type only says what to expect.
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

from ...errors import NoSwdAck, ProbeNotFound, TargetError, TransferFault
from ...profile import TargetConfig
from ..firmware import FirmwareImage
from ..mcu import McuFamily, family_for_target_type
from ..mcu import base as mb
from ..mcu.base import FlashLayout
from .classify import classified, pyocd_exceptions
from .flashops import FlashOperations
from .identity import ProbeInfo, TargetIdentity, profile_mismatch, uid_hex
from .options import OptionByteOperations


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
        self.promised = family_for_target_type(cfg.target_type)

    # -- connection -----------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._session is not None

    @property
    def identity(self) -> TargetIdentity | None:
        return self._identity

    @property
    def chip(self) -> Any:
        """What the chip-mapped target read at connect (devices.pyocd_targets.ChipInfo), or None."""
        if self._session is None:
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
        with classified("reading the target identity", self):
            dp_idr = target.dp.dpidr.idr
            cpuid = target.read32(mb.CPUID)
            idcode = chip.idcode if chip is not None else target.read32(mb.DBGMCU_IDCODE)
        dev_id, rev_id = idcode & 0xFFF, idcode >> 16
        if chip is None:   # a target type benchtui has no family module for
            kb = sum(r.length for r in target.memory_map.regions if r.is_flash) // 1024
            return TargetIdentity(dp_idr, cpuid, dev_id, rev_id, f"0x{rev_id:04X}",
                                  f"unknown part 0x{dev_id:03X}", kb, self.cfg.target_type,
                                  self._session.probe.unique_id)
        family = chip.family
        uid = package = None
        with classified("reading the unique ID and package", self):
            try:
                uid = uid_hex(bytes(target.read_memory_block8(family.uid_address, 12)))
            except TransferFault:
                uid = None
            if family.package_address is not None:
                try:
                    package = family.package_name(target.read16(family.package_address))
                except TransferFault:
                    package = None
        mismatch = profile_mismatch(self.cfg.target_type, self.promised, family, chip.dev_id, chip.flash_kb)
        return TargetIdentity(dp_idr, cpuid, chip.dev_id, rev_id, family.revision(rev_id),
                              family.part_name(chip.dev_id), chip.flash_kb, self.cfg.target_type,
                              self._session.probe.unique_id, family=family.name, uid=uid,
                              package=package, layout=chip.layout, flash_kb_source=chip.flash_kb_source,
                              profile_mismatch=mismatch, notes=tuple(chip.notes))

    # -- flash layout ---------------------------------------------------------------------
    def flash_kb(self) -> int:
        if self._identity is not None:
            return self._identity.flash_kb
        return self.promised[2] if self.promised else 1024

    def layout(self) -> FlashLayout:
        """The chip's sectors (when connected), else those the profile's target type promises
        (factory option bytes: single bank where the part has a choice)."""
        chip = self.chip
        if chip is not None:
            return chip.layout
        if self.promised:
            family, dev_id, kb = self.promised
            return family.layout(dev_id, kb, family.factory(dev_id, kb))
        raise TargetError(f"no flash layout known for target type '{self.cfg.target_type}' "
                          "before connecting")

    def flash_regions(self) -> list[tuple[int, int]]:
        """[(start, end)] of the target's flash (the chip's when connected)."""
        if self._session is not None and self.chip is None:
            return [(r.start, r.end + 1) for r in self._session.board.target.memory_map.regions
                    if r.is_flash]
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
        """FLASH_SR as read now."""
        target = self._target()
        with classified("reading FLASH_SR", self):
            return target.read32(mb.FLASH_SR)

    # -- evidence (never raises) ----------------------------------------------------------
    def evidence_sr(self) -> int | None:
        try:
            return self._session.board.target.read32(mb.FLASH_SR)
        except Exception:
            return None

    def evidence_option_bytes(self) -> Any:
        try:
            return self._decode_option_registers(self._session.board.target)
        except Exception:
            return None


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
