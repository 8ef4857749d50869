"""The target's operations as the bench session runs them: probes, connect, option bytes, the
firmware image, erase, program, verify.

A mixin of `BenchSession` (session.py): each blocking driver call runs on the target's owner
thread through the session's `_run`, progress comes back through its `_progress`, log lines
through its `log`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import BenchError, ConfirmationRequired, FirmwareError

if TYPE_CHECKING:
    from ..devices.firmware import FirmwareImage


class TargetOperations:
    """The target half of `BenchSession`; see the module docstring."""

    async def list_probes(self) -> list:
        return await self._run("target", _list_probes)

    async def connect(self, mode: str | None = None, frequency_hz: int | None = None) -> Any:
        """Connect to the target (mode and SWD frequency: the profile's unless given)."""
        try:
            identity = await self._run("target", self.target.connect, mode, frequency_hz)
        except BenchError as exc:
            self.state.target_identity, self.state.target_error = None, exc.one_line()
            raise
        self.state.target_identity, self.state.target_error = identity, None
        self.log("target", f"connected {identity.describe()} "
                           f"(mode {mode or self.profile.target.connect_mode})")
        mismatch = getattr(identity, "profile_mismatch", None)
        if mismatch and mismatch != self._mismatch_said:   # once, not every cycle
            self._mismatch_said = mismatch
            self.log("target", mismatch)
        return identity

    async def disconnect(self) -> None:
        await self._run("target", self.target.disconnect)
        self.state.target_identity = None
        self.log("target", "disconnected")

    async def read_option_bytes(self) -> Any:
        return await self._run("target", self.target.read_option_bytes)

    async def read_option_forensics(self) -> Any:
        """Option bytes plus the stored complements' checks (devices.target.OptionForensics)."""
        return await self._run("target", self.target.option_forensics)

    async def remove_write_protection(self, confirm: bool = False) -> Any:
        ob = await self._run("target", self.target.remove_write_protection, confirm)
        self.log("target", "write protection removed")
        return ob

    async def write_option_bytes(self, new: Any, confirm: bool = False) -> Any:
        ob = await self._run("target", self.target.write_option_bytes, new, confirm=confirm)
        self.log("target", "option bytes written and verified")
        return ob

    def parse_firmware_ahead(self) -> None:
        """Parse the profile's firmware into the file parse cache (devices.firmware), from any
        thread, never raising (the real load reports errors): the first cycle then does not
        parse the seed's 1.9 MB hex (~0.5 s of CPU, GIL held) beside a busy event loop."""
        path = self.profile.target.firmware
        if not path:
            return
        from ..devices.firmware import load_firmware
        try:
            load_firmware(path, aliases=self.profile.target.aliases)
        except Exception:  # noqa: BLE001 - reported by image() when the loop needs it
            pass

    def image(self, path: str | None = None) -> FirmwareImage:
        """The firmware image (cached per path); the profile's firmware by default.

        Blocking (parses the file): call it on the target's owner thread, as the methods below do.
        """
        path = path or self.profile.target.firmware
        if not path:
            raise FirmwareError("no firmware file: set target.firmware in the profile or pick one")
        flash = self.target.flash_regions()   # the chip's once connected: the chip wins
        key = (str(Path(path).resolve()), tuple(flash))
        if key not in self._images:
            from ..devices.firmware import load_firmware
            self._images[key] = load_firmware(path, aliases=self.profile.target.aliases, flash=flash)
        return self._images[key]

    async def check_firmware(self) -> FirmwareImage | None:
        """Read and check the profile's firmware now, on the target's thread: before a run, so
        that a bad file stops it instead of failing every cycle (bench/safety.py)."""
        from .safety import check_firmware
        return await self._run("target", check_firmware, self)

    async def erase(self, which: str | Sequence[int] = "image", *, confirm: bool = False,
                    index: int | None = None, cancel: threading.Event | None = None) -> list[int] | None:
        """Erase the sectors the image covers, a list of sectors, or the whole chip ("chip")."""
        if which == "chip":
            if not confirm:
                raise ConfirmationRequired("mass erase needs confirmation", where="target")
            await self._run("target", self.target.erase, None, confirm=True,
                            progress=self._progress("erase", index), cancel=cancel)
            self.log("target", "mass erase done")
            return None
        sectors = (await self._run("target", lambda: self.target.sectors_for(self.image()))
                   if which == "image" else list(which))
        await self._run("target", self.target.erase, sectors,
                        progress=self._progress("erase", index), cancel=cancel)
        self.log("target", f"erased sectors {format_sectors(sectors)}")
        return sectors

    async def program(self, path: str | None = None, *, index: int | None = None,
                      cancel: threading.Event | None = None) -> Any:
        image = await self._run("target", self.image, path)  # parsing a hex takes a while
        started = time.perf_counter()
        result = await self._run("target", self.target.program, image,
                                 progress=self._progress("program", index), cancel=cancel)
        seconds = time.perf_counter() - started
        self.log("target", f"programmed {image.size / 1024:.1f} KB from {Path(image.path).name} "
                           f"in {seconds:.2f} s ({image.size / 1024 / max(seconds, 1e-6):.0f} KB/s)")
        return result

    async def verify(self, path: str | None = None, *, index: int | None = None,
                     cancel: threading.Event | None = None) -> Any:
        image = await self._run("target", self.image, path)
        result = await self._run("target", self.target.verify, image,
                                 progress=self._progress("verify", index), cancel=cancel)
        if result.ok:
            self.log("target", f"verify OK ({result.bytes_checked / 1024:.1f} KB)")
        else:
            self.log("target", f"verify FAILED: {result.mismatch_count} bytes differ, "
                               f"first at 0x{result.first_mismatch:08X}")
        return result


def _list_probes() -> list:
    from ..devices.target import list_probes
    return list_probes()


def format_sectors(sectors: Sequence[int]) -> str:
    """[0, 1, 2, 3, 5] -> '0-3, 5' (the MCU layouts' notation, imported when first used)."""
    from ..devices.mcu.layout import format_sectors as sectors_text
    return sectors_text(sectors)
