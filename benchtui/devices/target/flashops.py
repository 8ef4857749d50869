"""Erase, program and verify (a mixin of `TargetLink`).

Sectors are named by their reference-manual numbers (F4/F7 bank 2 from 12, H7 bank 2 from 8,
L4 pages). Erase goes through the flash controller's registers with the chip's sector encoding
(`pyocd_targets.register_erase`), so FLASH_SR is read right after each sector: the evidence of a
failure is what the controller said, not what a flash algorithm left behind. Programming uses
pyOCD's flash loader / builder and algorithm. On a target with no family module (pyOCD's own
target type) erase goes through pyOCD's flash algorithm too, sector by sector of its map.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Sequence

from ...errors import Cancelled, ConfirmationRequired, FirmwareError, TargetError
from ..firmware import FirmwareImage
from .classify import classified
from .identity import ProgramResult, VerifyResult

Progress = Callable[[int, int], None]

#: Read-back block for verify (large blocks keep probe round trips few).
VERIFY_BLOCK = 64 * 1024


class FlashOperations:
    """Erase / program / verify on the link's session. Needs `_target()`, `chip`, `layout()`."""

    _erased: set[int]

    def erase(self, sectors: Sequence[int] | None = None, *, confirm: bool = False,
              progress: Progress | None = None, cancel: threading.Event | None = None) -> None:
        """Erase sectors by number (see `layout()`), or the whole chip (None, needs confirm)."""
        from ..pyocd_targets import register_erase

        target = self._target()
        chip = self.chip
        if sectors is None:
            if not confirm:
                raise ConfirmationRequired("mass erase needs confirmation", where="target")
            self._mass_erase(target, chip, progress)
            return
        layout = self.layout()
        try:
            chosen = layout.check(sectors)
        except ValueError as exc:
            raise TargetError(str(exc)) from None
        erase_one = (lambda s: register_erase(target, chip, s)) if chip is not None \
            else (lambda s: _algo_erase(target, s.start))
        total, done = sum(s.size for s in chosen), 0
        for sector in chosen:
            _check(cancel)
            with classified(f"erasing sector {sector.number} at 0x{sector.start:08X}", self,
                            sectors=[sector.number]):
                self._erased.discard(sector.number)
                erase_one(sector)
            self._erased.add(sector.number)
            done += sector.size
            if progress:
                progress(done, total)

    def _mass_erase(self, target: Any, chip: Any, progress: Progress | None) -> None:
        from ..pyocd_targets import register_erase

        layout = self.layout()
        total = layout.flash_kb * 1024
        numbers = layout.numbers
        self._erased.clear()
        with classified("mass erase", self, sectors=numbers):
            if chip is not None:
                register_erase(target, chip, None)
            else:
                for region in target.memory_map.regions:
                    if region.is_flash and region.flash is not None:
                        _algo_erase(target, None, region)
        self._erased.update(numbers)
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
        self._check_fits(image)
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
            with classified(f"programming {image.path}", self, sectors=sectors):
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

    def _check_fits(self, image: FirmwareImage) -> None:
        """An image (checked against the profile's guess when it was loaded) that does not fit
        the real chip: one line naming the first address outside it."""
        regions = self.flash_regions()
        for start, end in image.ranges():
            a = start
            while a < end:
                inside = next((hi for lo, hi in regions if lo <= a < hi), None)
                if inside is None:
                    layout = self.chip.layout.describe() if self.chip is not None else "its flash"
                    raise FirmwareError(f"{image.path}: 0x{a:08X} is outside the chip's flash "
                                        f"({layout}): the image does not fit this chip")
                a = inside

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
                    raise TargetError(f"0x{address:08X} is not in a flash region of this chip")
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
        read = _unfiltered_reader(target)
        total, done = image.size, 0
        first: int | None = None
        count = 0
        for address, data in image.segments:
            for offset in range(0, len(data), VERIFY_BLOCK):
                _check(cancel)
                want = data[offset:offset + VERIFY_BLOCK]
                at = address + offset
                with classified(f"verifying at 0x{at:08X}", self):
                    got = bytes(read(at, len(want)))
                if got != want:
                    diffs = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
                    if first is None:
                        first = at + diffs[0]
                    count += len(diffs)
                done += len(want)
                if progress:
                    progress(done, total)
        return VerifyResult(count == 0, done, first, count)


def _algo_erase(target: Any, address: int | None, region: Any = None) -> None:
    """Erase one sector (or a whole region: `address` None) with pyOCD's flash algorithm."""
    region = region or target.memory_map.get_region_for_address(address)
    flash = region.flash
    flash.init(flash.Operation.ERASE)
    try:
        if address is None:
            flash.erase_all()
        else:
            flash.erase_sector(address)
    finally:
        flash.cleanup()


def _unfiltered_reader(target: Any) -> Callable[[int, int], Any]:
    """The selected core's MEM-AP block read. The core's own `read_memory_block8` passes every
    byte through pyOCD's software-breakpoint filter, in Python: ~1 s of CPU per verify of the
    demo's 690 KB, on a thread that holds the GIL the console's event loop needs. benchtui sets
    no software breakpoint, and flash cannot hold one: the bytes are the same."""
    ap = getattr(getattr(target, "selected_core", None), "ap", None)
    read = getattr(ap, "read_memory_block8", None)
    return read if callable(read) else target.read_memory_block8


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
