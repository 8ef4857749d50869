"""The pyOCD target link: connect, identify, option bytes, erase, program, verify.

`TargetLink` wraps one pyOCD `Session` to an STM32F76x/F77x reached through a probe uid (a USB
probe, `remote:HOST:PORT` for a pyOCD probe server, or any probe plugin). Every pyOCD
exception is classified at this edge into the project's error tree with its evidence: the
fault address, the decoded FLASH_SR flags, the write-protected sectors named from OPTCR.

Threading: a pyOCD session must be used from the thread that created it. Every method of a
connected `TargetLink` must run on the thread that called `connect()`; the caller guarantees
it with an owner thread (`devices.owner.DeviceOwner`) and the link checks it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from ..errors import (BenchError, Cancelled, ConfirmationRequired, CoreReset, FlashOperationError,
                      NoSwdAck, ProbeLost, ProbeNotFound, SafetyError, TargetError, TransferFault,
                      WriteProtected)
from ..profile import TargetConfig
from . import stm32f7 as f7
from .firmware import FirmwareImage

Progress = Callable[[int, int], None]

#: Read-back block for verify (large blocks keep probe round trips few).
VERIFY_BLOCK = 64 * 1024
#: Poll period while waiting for FLASH_SR.BSY after OPTSTRT.
BSY_POLL_S = 0.002
NO_ACK_TEXT = "no SWD ACK: target unpowered or wiring"


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

    def describe(self) -> str:
        """'STM32F76x/F77x (0x451 rev Z), 1024 KB'."""
        return f"{self.part} (0x{self.dev_id:03X} rev {self.revision}), {self.flash_kb} KB"


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


def _pyocd() -> Any:
    """Import pyOCD lazily (it loads every probe plugin on import) and register our targets."""
    import pyocd.core.exceptions as exc  # noqa: F401  (loads pyocd)

    from . import pyocd_targets  # noqa: F401  (registers stm32f767zg)
    return exc


def list_probes() -> list[ProbeInfo]:
    """Every probe pyOCD can see right now (never prompts, never waits)."""
    _pyocd()
    from pyocd.core.helpers import ConnectHelper

    with _classified("listing probes"):
        probes = ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False)
    return [ProbeInfo(p.unique_id, p.description, p.vendor_name, p.product_name) for p in probes]


class TargetLink:
    """One pyOCD session to the profile's target. See the module docstring for threading."""

    def __init__(self, cfg: TargetConfig):
        self.cfg = cfg
        self._session: Any = None
        self._identity: TargetIdentity | None = None
        self._thread: int | None = None
        #: Sector indices this link erased in this session and nothing has written since.
        self._erased: set[int] = set()

    # -- connection -----------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._session is not None

    @property
    def identity(self) -> TargetIdentity | None:
        return self._identity

    def connect(self, connect_mode: str | None = None,
                frequency_hz: int | None = None) -> TargetIdentity:
        """Open a session (under reset by default, per the profile) and read the identity."""
        if self.connected:
            self.disconnect()
        self._erased.clear()
        _pyocd()
        from pyocd.core.session import Session

        probe = self._find_probe()
        options = {
            "connect_mode": connect_mode or self.cfg.connect_mode,
            "frequency": frequency_hz or self.cfg.frequency_hz,
            "target_override": self.cfg.target_type,
            "hide_programming_progress": True,
            "resume_on_disconnect": False,  # the bench power-cycles; never run unknown code
            "no_config": True,
            "smart_flash": True,
            "chip_erase": "sector",
        }
        # Session.__init__ chdirs to project_dir: give it the current one.
        session = Session(probe, options=options, project_dir=os.getcwd())
        self._thread = threading.get_ident()
        try:
            with _classified(f"connecting to {self.cfg.probe_uid}"):
                session.open()
            self._session = session
            self._identity = self._read_identity()
        except BaseException:
            self._session = None
            _close_quietly(session)
            raise
        return self._identity

    def _find_probe(self) -> Any:
        from pyocd.core.helpers import ConnectHelper

        uid = self.cfg.probe_uid
        try:
            with _classified(f"finding probe {uid}"):
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
        with _classified("reading the target identity"):
            dp_idr = target.dp.dpidr.idr
            cpuid = target.read32(0xE000ED00)
            idcode = target.read32(f7.DBGMCU_IDCODE)
        dev_id, rev_id = idcode & 0xFFF, idcode >> 16
        flash_kb = self._flash_kb(target)
        part = "STM32F76x/F77x" if dev_id == f7.DEV_ID_F76X else f"unknown part 0x{dev_id:03X}"
        return TargetIdentity(dp_idr, cpuid, dev_id, rev_id, f7.REV_NAMES.get(rev_id, f"0x{rev_id:04X}"),
                              part, flash_kb, self.cfg.target_type, self._session.probe.unique_id)

    def _flash_kb(self, target: Any) -> int:
        from .pyocd_targets import FLASH_KB

        try:
            with _classified("reading the flash size"):
                kb = target.read16(f7.FLASH_SIZE_REG)
        except TransferFault:
            kb = 0
        if kb in (1024, 2048):
            return kb
        # Unreadable or implausible (corrupted system area): trust the target type.
        return FLASH_KB.get(self.cfg.target_type, 1024)

    # -- flash layout ---------------------------------------------------------------------
    def flash_kb(self) -> int:
        from .pyocd_targets import FLASH_KB

        if self._identity is not None:
            return self._identity.flash_kb
        return FLASH_KB.get(self.cfg.target_type, 1024)

    def flash_regions(self) -> list[tuple[int, int]]:
        """[(start, end)] of the target's flash (from the identity when connected)."""
        return [(f7.FLASH_AXIM_BASE, f7.FLASH_AXIM_BASE + self.flash_kb() * 1024)]

    def layout(self) -> list[f7.Sector]:
        """Sectors of the flash pyOCD programs: the single-bank layout of the target type."""
        return f7.sector_layout(self.flash_kb(), dual_bank=False)

    def sectors_for(self, image: FirmwareImage) -> list[int]:
        """Indices of the sectors the image touches."""
        layout = self.layout()
        return sorted({i for start, end in image.ranges() for i in f7.sectors_covering(layout, start, end)})

    # -- memory ---------------------------------------------------------------------------
    def read_memory(self, address: int, size: int) -> bytes:
        target = self._target()
        with _classified(f"reading {size} bytes at 0x{address:08X}", self):
            return bytes(target.read_memory_block8(address, size))

    def flash_status(self) -> int:
        """FLASH_SR as read now."""
        target = self._target()
        with _classified("reading FLASH_SR", self):
            return target.read32(f7.FLASH_SR)

    # -- option bytes ---------------------------------------------------------------------
    def read_option_bytes(self) -> f7.OptionBytes:
        target = self._target()
        with _classified("reading the option bytes", self):
            optcr = target.read32(f7.FLASH_OPTCR)
            optcr1 = target.read32(f7.FLASH_OPTCR1)
        return f7.OptionBytes.decode(optcr, optcr1, flash_kb=self.flash_kb())

    def write_option_bytes(self, new: f7.OptionBytes, *, confirm: bool = False) -> f7.OptionBytes:
        """Program the option bytes, then read them back and verify every field.

        Refused: RDP level 2 (irreversible), always. Needs `confirm=True`: any change other than
        removing write protection (RDP 1 -> 0 mass-erases the flash). Returns what was read back.
        """
        current = self.read_option_bytes()
        new = dataclasses.replace(new, flash_kb=current.flash_kb)
        if new.rdp_level == 2:
            raise SafetyError("refused: RDP level 2 (0xCC) disables debug for good and cannot be undone",
                              where="target")
        changes = current.differences(new)
        if not changes:
            return current
        risky = [f"{st} 0x{old:X} -> 0x{want:X}" for st, old, want in changes
                 if not (st == "nWRP" and want & old == old)]
        if risky and not confirm:
            erase = " (RDP 1 -> 0 mass-erases the flash)" if current.rdp_level == 1 and new.rdp_level == 0 else ""
            raise ConfirmationRequired(f"option-byte change needs confirmation: {', '.join(risky)}{erase}",
                                       where="target")
        self._program_option_registers(new)
        found = self.read_option_bytes()
        errors = f7.verification_errors(new, found)
        if errors:
            raise FlashOperationError("option byte programming verification failed: " + "; ".join(errors))
        return found

    def _program_option_registers(self, new: f7.OptionBytes) -> None:
        """OPTKEYR unlock, OPTCR1, OPTCR, OPTSTRT, wait BSY, relock (stm32f7.md §1.9)."""
        target = self._target()
        self._erased.clear()
        optcr, optcr1 = new.encode()
        optcr &= ~(f7.OPTCR_OPTLOCK | f7.OPTCR_OPTSTRT)
        with _classified("writing the option bytes", self):
            if target.read32(f7.FLASH_OPTCR) & f7.OPTCR_OPTLOCK:
                target.write32(f7.FLASH_OPTKEYR, f7.OPTKEY1)
                target.write32(f7.FLASH_OPTKEYR, f7.OPTKEY2)
                if target.read32(f7.FLASH_OPTCR) & f7.OPTCR_OPTLOCK:
                    raise FlashOperationError("option bytes stay locked after the OPTKEYR sequence "
                                              "(wrong key order locks them until reset)")
            try:
                target.write32(f7.FLASH_SR, f7.SR_ERRORS)  # clear stale error flags (write 1)
                target.write32(f7.FLASH_OPTCR1, optcr1)
                target.write32(f7.FLASH_OPTCR, optcr)
                target.write32(f7.FLASH_OPTCR, optcr | f7.OPTCR_OPTSTRT)
                sr = self._wait_not_busy(target, f7.OPTION_WRITE_TIMEOUT_S, "option-byte write")
            finally:
                target.write32(f7.FLASH_OPTCR, target.read32(f7.FLASH_OPTCR) | f7.OPTCR_OPTLOCK)
        if sr & f7.SR_ERRORS:
            raise _flash_error(f"option-byte write failed: {f7.describe_sr(sr)}", sr)

    def _wait_not_busy(self, target: Any, timeout_s: float, what: str) -> int:
        deadline = time.monotonic() + timeout_s
        while True:
            sr = target.read32(f7.FLASH_SR)
            if not sr & f7.SR_BSY:
                return sr
            if time.monotonic() > deadline:
                raise _flash_error(f"{what}: FLASH_SR.BSY still set after {timeout_s:.0f} s", sr)
            time.sleep(BSY_POLL_S)

    def remove_write_protection(self, confirm: bool = False) -> f7.OptionBytes:
        """Set every nWRP bit (no sector write-protected)."""
        return self.write_option_bytes(self.read_option_bytes().replace(nwrp=0xFFF), confirm=confirm)

    def set_bor_level(self, level: int, confirm: bool = False) -> f7.OptionBytes:
        """BOR level 0 (off) .. 3 (2.70-3.60 V)."""
        if level not in f7.BOR_LEVEL_TO_BITS:
            raise SafetyError(f"BOR level {level!r} does not exist (0 = off, 1, 2, 3)", where="target")
        ob = self.read_option_bytes().replace(bor_lev=f7.BOR_LEVEL_TO_BITS[level])
        return self.write_option_bytes(ob, confirm=confirm)

    # -- erase / program / verify ---------------------------------------------------------
    def erase(self, sectors: Sequence[int] | None = None, *, confirm: bool = False,
              progress: Progress | None = None, cancel: threading.Event | None = None) -> None:
        """Erase sectors by index (see `layout()`), or the whole chip (None, needs confirm)."""
        target = self._target()
        if sectors is None:
            if not confirm:
                raise ConfirmationRequired("mass erase needs confirmation", where="target")
            self._mass_erase(target, progress)
            return
        layout = self.layout()
        by_index = {s.index: s for s in layout}
        bad = [i for i in sectors if i not in by_index]
        if bad:
            raise TargetError(f"sector {bad[0]} does not exist (0..{len(layout) - 1} on "
                              f"{self.flash_kb()} KB)")
        chosen = [by_index[i] for i in sorted(set(sectors))]
        total, done = sum(s.size for s in chosen), 0
        flash = None
        try:
            for sector in chosen:
                _check(cancel)
                region_flash = target.memory_map.get_region_for_address(sector.start).flash
                with _classified(f"erasing sector {sector.index} at 0x{sector.start:08X}", self,
                                 sectors=[sector.index], diagnose=sector):
                    if region_flash is not flash:
                        if flash is not None:
                            flash.cleanup()
                        flash = region_flash
                        flash.init(flash.Operation.ERASE)
                    self._erased.discard(sector.index)
                    flash.erase_sector(sector.start)
                self._erased.add(sector.index)
                done += sector.size
                if progress:
                    progress(done, total)
        finally:
            if flash is not None:
                _cleanup_quietly(flash)

    def _mass_erase(self, target: Any, progress: Progress | None) -> None:
        flash = target.memory_map.get_boot_memory().flash
        total = self.flash_kb() * 1024
        all_sectors = [s.index for s in self.layout()]
        self._erased.clear()
        try:
            with _classified("mass erase", self, sectors=all_sectors):
                flash.init(flash.Operation.ERASE)
                flash.erase_all()
        finally:
            _cleanup_quietly(flash)
        self._erased.update(all_sectors)
        if progress:
            progress(total, total)

    def erased_sectors(self) -> list[int]:
        """Sectors this link erased in this session that nothing has programmed since."""
        return sorted(self._erased)

    def program(self, image: FirmwareImage, *, progress: Progress | None = None,
                cancel: threading.Event | None = None, erased: bool | None = None) -> ProgramResult:
        """Program the image with pyOCD's flash loader, erasing only what must be erased.

        `erased` says whether the image's sectors are already erased:
          * None (default): skip the erase pass exactly when this link erased every sector the
            image touches in this session (`erase()`) and nothing programmed them since;
            otherwise pyOCD's loader erases (and skips pages already holding the data).
          * True: the caller's bench step erased them; TargetError if this link did not.
          * False: always let pyOCD's loader decide what to erase.
        Skipping the pass matters on silicon: the loader would erase the same sectors again.
        Progress is reported as (bytes done, image size); `cancel` is honoured at page
        granularity (the loader is interrupted from its progress callback).
        """
        target = self._target()
        total = image.size
        sectors = self.sectors_for(image)
        missing = [i for i in sectors if i not in self._erased]
        if erased and missing:
            raise TargetError(f"sector {missing[0]} was not erased by this link in this session: "
                              f"erase sectors {', '.join(map(str, missing))} first")
        skip_erase = erased is not False and not missing
        started = time.perf_counter()
        self._erased.difference_update(sectors)   # whatever happens next, they are written
        try:
            with _classified(f"programming {image.path}", self, sectors=sectors):
                if skip_erase:
                    self._program_erased(image, _fraction_reporter(total, progress, cancel))
                else:
                    self._program_with_loader(image, _loader_reporter(total, progress, cancel))
        except BaseException:
            for region in target.memory_map.regions:
                if region.is_flash and region.flash is not None:
                    _cleanup_quietly(region.flash)
            raise
        return ProgramResult(total, time.perf_counter() - started)

    def _program_with_loader(self, image: FirmwareImage, report: Callable[[float], None]) -> None:
        """pyOCD's MemoryLoader: sector-erase what differs (smart flash), then program."""
        from pyocd.flash.loader import MemoryLoader

        loader = MemoryLoader(self._session, progress=report)
        for address, data in image.segments:
            loader.add_data(address, data)
        loader.commit()

    def _program_erased(self, image: FirmwareImage, report: Callable[[float], None]) -> None:
        """pyOCD's FlashBuilder per flash region, program pass only: every page of the image is
        programmed (smart flash off: erased pages never match), no erase, no read-back of the
        unwritten rest of a sector (keep_unwritten off: it is erased already)."""
        target = self._target()
        builders: dict[Any, Any] = {}
        for address, data in image.segments:
            while data:
                region = target.memory_map.get_region_for_address(address)
                if region is None or not region.is_flash or region.flash is None:
                    raise TargetError(f"0x{address:08X} is not in a flash region of {self.cfg.target_type}")
                builder = builders.get(region)
                if builder is None:
                    builder = builders[region] = region.flash.get_flash_builder()
                    builder.log_performance = False
                n = min(len(data), region.end - address + 1)
                builder.add_data(address, data[:n])
                address, data = address + n, data[n:]
        total = sum(b.buffered_data_size for b in builders.values()) or 1
        done = 0
        for region in sorted(builders, key=lambda r: r.start):
            builder = builders[region]
            share, base = builder.buffered_data_size / total, done / total
            builder.program(progress_cb=lambda f, base=base, share=share: report(base + f * share),
                            smart_flash=False, keep_unwritten=False)
            done += builder.buffered_data_size

    def verify(self, image: FirmwareImage, *, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> VerifyResult:
        """Read the image's ranges back in large blocks and compare byte for byte."""
        target = self._target()
        total, done = image.size, 0
        first: int | None = None
        count = 0
        for address, data in image.segments:
            for offset in range(0, len(data), VERIFY_BLOCK):
                _check(cancel)
                want = data[offset:offset + VERIFY_BLOCK]
                at = address + offset
                with _classified(f"verifying at 0x{at:08X}", self):
                    got = bytes(target.read_memory_block8(at, len(want)))
                if got != want:
                    diffs = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
                    if first is None:
                        first = at + diffs[0]
                    count += len(diffs)
                done += len(want)
                if progress:
                    progress(done, total)
        return VerifyResult(count == 0, done, first, count)

    # -- evidence -------------------------------------------------------------------------
    def _evidence_sr(self, diagnose: f7.Sector | None = None) -> int | None:
        """FLASH_SR after a failure. pyOCD's algorithm clears the error flags before it
        returns, so for a failed sector erase the erase is retried once at register level
        (RM0410 sequence) and FLASH_SR is read right after it."""
        try:
            target = self._session.board.target
            sr = target.read32(f7.FLASH_SR)
            if diagnose is None or sr & f7.SR_ERRORS:
                return sr
            return self._register_erase(target, diagnose)
        except Exception:
            return None

    def _register_erase(self, target: Any, sector: f7.Sector) -> int:
        """Erase one sector with the FLASH registers; return FLASH_SR when BSY clears."""
        self._erased.discard(sector.index)
        if target.read32(f7.FLASH_CR) & f7.CR_LOCK:
            target.write32(f7.FLASH_KEYR, f7.KEY1)
            target.write32(f7.FLASH_KEYR, f7.KEY2)
        target.write32(f7.FLASH_SR, f7.SR_ERRORS)
        cr = f7.CR_PSIZE_X32 | f7.CR_SER | sector.snb << f7.CR_SNB_SHIFT
        target.write32(f7.FLASH_CR, cr)
        target.write32(f7.FLASH_CR, cr | f7.CR_STRT)
        try:
            return self._wait_not_busy(target, f7.SECTOR_ERASE_TIMEOUT_S, f"sector {sector.index} erase")
        finally:
            target.write32(f7.FLASH_CR, f7.CR_LOCK)

    def _evidence_option_bytes(self) -> f7.OptionBytes | None:
        try:
            target = self._session.board.target
            return f7.OptionBytes.decode(target.read32(f7.FLASH_OPTCR), target.read32(f7.FLASH_OPTCR1),
                                         flash_kb=self.flash_kb())
        except Exception:
            return None


# ---------------------------------------------------------------------------------------------
# Error classification
# ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _classified(what: str, link: TargetLink | None = None, sectors: Sequence[int] = (),
                diagnose: f7.Sector | None = None) -> Iterator[None]:
    """Turn pyOCD exceptions raised while doing `what` into errors.py classes with evidence."""
    exc_mod = _pyocd()
    try:
        yield
    except BenchError:
        raise
    except exc_mod.TransferFaultError as exc:
        address = exc.fault_address
        where = f" at 0x{address:08X}" if address is not None else ""
        hint = None
        ob = link._evidence_option_bytes() if link is not None else None
        if ob is not None and ob.rdp_level == 1:
            hint = f"RDP level 1 (RDP=0x{ob.rdp:02X}): flash reads fault while a debugger is connected"
        raise TransferFault(f"{what}: bus fault{where}", address=address, hint=hint) from None
    except exc_mod.FlashFailure as exc:
        raise _classify_flash_failure(what, exc, link, sectors, diagnose) from None
    except exc_mod.ProbeDisconnected as exc:
        raise ProbeLost(f"{what}: probe disconnected ({exc})") from None
    except exc_mod.CoreRegisterAccessError as exc:
        # pyOCD found the core running where the algorithm should have halted it.
        raise CoreReset(f"{what}: the core reset or left the flash algorithm ({exc})",
                        hint="look at NRST and VDD during the operation") from None
    except (exc_mod.TransferError, exc_mod.ProbeError) as exc:
        raise NoSwdAck(f"{what}: {NO_ACK_TEXT} ({exc})") from None
    except exc_mod.TimeoutError as exc:
        raise FlashOperationError(f"{what}: timed out ({exc})") from None
    except exc_mod.Error as exc:
        # pyOCD wraps a failed DP connect ("Target not detected") around the probe's error.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, exc_mod.ProbeDisconnected):
            raise ProbeLost(f"{what}: probe disconnected ({cause})") from None
        if isinstance(cause, (exc_mod.TransferError, exc_mod.ProbeError)) \
                and not isinstance(cause, exc_mod.TransferFaultError):
            raise NoSwdAck(f"{what}: {NO_ACK_TEXT} ({cause})") from None
        raise TargetError(f"{what}: {exc}") from None
    except ConnectionRefusedError as exc:  # a remote probe server that is not running
        raise ProbeNotFound(f"{what}: nothing answers ({exc})",
                            hint="is the probe server running?") from None
    except (OSError, EOFError) as exc:  # remote probe socket gone
        raise ProbeLost(f"{what}: probe connection lost ({exc})") from None


def _classify_flash_failure(what: str, exc: Any, link: TargetLink | None,
                            sectors: Sequence[int], diagnose: f7.Sector | None) -> FlashOperationError:
    """Read FLASH_SR (and OPTCR for WRPERR) and name the cause."""
    sr = link._evidence_sr(diagnose) if link is not None else None
    ob = link._evidence_option_bytes() if link is not None else None
    address = getattr(exc, "address", None)
    protected = [i for i in sectors if ob is not None and ob.sector_protection().get(i)]
    code = getattr(exc, "result_code", None)
    detail = f"flash algorithm returned {code}" if code is not None else str(exc)
    evidence = f"; {f7.describe_sr(sr)}" if sr is not None else "; FLASH_SR unreadable"
    if (sr is not None and sr & f7.SR_WRPERR) or protected:
        names = protected or (ob.protected_sectors() if ob is not None else [])
        which = (f"sector {names[0]} is" if len(names) == 1 else
                 f"sectors {', '.join(map(str, names))} are") if names else "a sector is"
        optcr = f" (OPTCR 0x{ob.optcr:08X})" if ob is not None else ""
        return WriteProtected(f"{what}: {which} write-protected{optcr}{evidence}",
                              sr=sr, flags=f7.decode_sr(sr or 0), address=address,
                              hint="remove write protection (option bytes nWRP) first")
    # The flags first: they are what differs between failures (and what a table column shows).
    flags = " ".join(f7.decode_sr(sr)) if sr is not None else "FLASH_SR unreadable"
    if not flags and diagnose is not None:
        # The algorithm clears FLASH_SR; the diagnostic re-erase went through: the fault came and went.
        flags = "intermittent (a diagnostic re-erase showed no error flag)"
    return FlashOperationError(f"{what}: {flags or 'no error flag'} ({detail}){evidence}", sr=sr,
                               flags=f7.decode_sr(sr or 0), address=address)


def _flash_error(message: str, sr: int) -> FlashOperationError:
    cls = WriteProtected if sr & f7.SR_WRPERR else FlashOperationError
    return cls(message, sr=sr, flags=f7.decode_sr(sr))


def _loader_reporter(total: int, progress: Progress | None,
                     cancel: threading.Event | None) -> Callable[[float], None]:
    """MemoryLoader reports 0..1 for the erase pass, then 0..1 again for the program pass:
    count only programmed bytes (0 while erasing), so the callback sees a monotonic count."""
    phase = {"programming": False, "last": 0.0}

    def report(fraction: float) -> None:
        _check(cancel)
        if fraction < phase["last"] - 1e-9:
            phase["programming"] = True
        phase["last"] = fraction
        if progress:
            done = int(fraction * total) if phase["programming"] else 0
            progress(min(total, done), total)
    return report


def _fraction_reporter(total: int, progress: Progress | None,
                       cancel: threading.Event | None) -> Callable[[float], None]:
    """A program-only pass: 0..1 maps straight onto the image's bytes."""
    def report(fraction: float) -> None:
        _check(cancel)
        if progress:
            progress(min(total, int(fraction * total + 0.5)), total)
    return report


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled by the user")


def _cleanup_quietly(flash: Any) -> None:
    try:
        flash.cleanup()
    except Exception:
        pass


def _close_quietly(session: Any) -> None:
    try:
        session.close()
    except Exception:
        pass
