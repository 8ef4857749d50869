"""The independent watchdog at 0x40003000 (pyOCD's F767 algorithm starts and feeds it when
IWDG_SW = 0): keys, prescaler, reload, and the reset it causes when nobody feeds it."""

from __future__ import annotations

from . import constants as C


class Iwdg:
    """Mixin of `Stm32Twin`."""

    def _iwdg_reset(self) -> None:
        self.iwdg = {"started": False, "pr": 0, "rlr": 0xFFF, "last": 0.0, "unlocked": False}

    def _iwdg_start(self) -> None:
        self.iwdg["started"] = True
        self.iwdg["last"] = self.power.now()

    def _iwdg_timeout(self) -> float:
        return (self.iwdg["rlr"] + 1) * (4 << min(self.iwdg["pr"], 6)) / C.LSI_HZ

    def _check_iwdg(self) -> None:
        iw = getattr(self, "iwdg", None)
        if not iw or not iw["started"] or (self.halted and self.dbgmcu.get(0x8, 0) & (1 << 12)):
            return
        if self.power.now() - iw["last"] > self._iwdg_timeout():
            self.system_reset("iwdg")

    def _iwdg_read(self, offset: int) -> int:
        return {0: 0, 4: self.iwdg["pr"], 8: self.iwdg["rlr"], 0xC: 0}[offset]

    def _iwdg_write(self, offset: int, value: int) -> None:
        value &= 0xFFFF
        if offset == 0:
            if value == 0xCCCC:
                self._iwdg_start()
            elif value == 0xAAAA:
                self.iwdg["last"] = self.power.now()
            self.iwdg["unlocked"] = value == 0x5555
        elif offset == 4 and self.iwdg["unlocked"]:
            self.iwdg["pr"] = value & 7
        elif offset == 8 and self.iwdg["unlocked"]:
            self.iwdg["rlr"] = value & 0xFFF
