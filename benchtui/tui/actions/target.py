"""Target actions: connect, read option bytes, flash / program / verify, erase, remove protection.

Every action that needs the target connects the same way as `c` does (identity, then option
bytes); destructive ones ask first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on

from ...bench.target_ops import format_sectors
from ...errors import VerifyMismatch
from ..dialogs import FilePickerDialog, SectorDialog
from ..messages import ConnectModeChanged
from ..panels import OverviewPanel, TargetPanel
from .base import ConsoleBase


class TargetActions(ConsoleBase):

    @on(ConnectModeChanged)
    def connect_mode_changed(self, message: ConnectModeChanged) -> None:
        self.state.target.connect_mode = message.mode

    def option_bytes_read(self, ob: Any) -> None:
        """Option bytes just read from the connected target: the target tab and overview show them."""
        self.state.target.option_bytes_read(ob)
        self.changed(TargetPanel, OverviewPanel)

    def action_toggle_connect(self) -> None:
        if self.session.state.target_connected:
            self.act("target", "disconnect", self.session.disconnect)
            return
        mode = self.state.target.connect_mode
        self.act("target", f"connect ({mode})", lambda: self._connect(mode))

    async def _connect(self, mode: str) -> None:
        """Connect, show the identity at once, then read and show the option bytes and WRP map."""
        await self.session.connect(mode)
        self.connection_changed()
        self.option_bytes_read(await self.session.read_option_bytes())

    async def _ensure_connected(self) -> None:
        """Every action that needs the target connects the same way as `c` (identity + option bytes)."""
        if not self.session.state.target_connected:
            await self._connect(self.state.target.connect_mode)

    def action_read_option_bytes(self) -> None:
        async def work() -> None:
            await self._ensure_connected()
            self.option_bytes_read(await self.session.read_option_bytes())
        self.act("target", "read option bytes", work)

    def action_flash(self, path: str | None = None) -> None:
        """Program (the loader erases the sectors the image covers) and verify, after confirmation."""
        path = path or self.profile.target.firmware
        if not path:
            self.action_program()
            return
        self.confirm("Flash the target?", f"Erase the sectors {Path(path).name} covers, program it and "
                     f"verify.\n{path}", "Flash", lambda: self.act("target", "flash", lambda: self._flash(path)))

    async def _flash(self, path: str) -> None:
        await self._ensure_connected()
        self.log_line("user", f"flash {path}")
        await self.session.program(path)
        await self._verify(path)

    async def _verify(self, path: str | None) -> None:
        result = await self.session.verify(path)
        if not result.ok:
            raise VerifyMismatch(f"{result.mismatch_count} bytes differ, first at 0x{result.first_mismatch:08X}",
                                 first_address=result.first_mismatch, count=result.mismatch_count)
        self.notify(f"verify OK ({result.bytes_checked / 1024:.1f} KB)")

    def action_program(self) -> None:
        def picked(path: str | None) -> None:
            if path:
                self.action_flash(path)
        self.push_screen(FilePickerDialog(self.profile.target.firmware), picked)

    def action_verify(self) -> None:
        async def work() -> None:
            await self._ensure_connected()
            await self._verify(None)
        self.act("target", "verify", work)

    def action_erase_sectors(self) -> None:
        async def work() -> Any:
            await self._ensure_connected()
            return await self.session.read_option_bytes()

        def choose(ob: Any) -> None:
            if ob is None:
                return
            self.option_bytes_read(ob)
            sectors = [(n, f"sector {n}" + ("  (write-protected)" if p else ""))
                       for n, p in sorted(ob.sector_protection().items())]
            self.push_screen(SectorDialog(sectors), erase)

        def erase(chosen: list[int] | None) -> None:
            if not chosen:
                self.log_line("user", "erase sectors: cancelled")
                return
            self.act("target", f"erase sectors {format_sectors(chosen)}",
                     lambda: self.session.erase(chosen, confirm=True))
        self.act("target", "read option bytes", work, then=choose)

    def action_erase_chip(self) -> None:
        self.confirm("Mass-erase the whole chip?", "Every sector of the flash will be erased. "
                     "This cannot be undone.", "Erase chip",
                     lambda: self.act("target", "mass erase", self._erase_chip))

    async def _erase_chip(self) -> None:
        await self._ensure_connected()
        await self.session.erase("chip", confirm=True)

    def action_remove_wrp(self) -> None:
        self.confirm("Remove write protection?", "Writes the option bytes with every nWRP bit set "
                     "(all sectors writable) and verifies them.", "Remove WRP",
                     lambda: self.act("target", "remove write protection", self._remove_wrp))

    async def _remove_wrp(self) -> None:
        await self._ensure_connected()
        ob = await self.session.remove_write_protection(confirm=True)
        self.option_bytes_read(ob if ob is not None else await self.session.read_option_bytes())
