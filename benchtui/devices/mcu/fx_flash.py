"""The flash-controller sequences of the STM32F2/F4/F7 lineage (RM0090 §3.5-3.6, RM0410 §3.3):
sector and mass erase through FLASH_CR (SNB, MER/MER2, STRT, wait BSY) and option-byte
programming through FLASH_OPTCR (OPTKEYR unlock, OPTCR1 then OPTCR, OPTSTRT, wait BSY, relock).
A mixin of the F4 and F7 family classes."""

from __future__ import annotations

from typing import Any

from . import registers as R
from .controller import Bus, ControllerError, unlock, wait_clear
from .layout import FlashLayout, Sector


class FxFlashController:
    """Needs `sr_errors`, `describe_sr` and `option_registers` (McuFamily)."""

    sr_errors: int
    describe_sr: Any
    option_registers: Any

    def sr_address(self, sector: Sector | None = None) -> int:
        return R.FLASH_SR

    def erase(self, bus: Bus, layout: FlashLayout, sector: Sector | None) -> None:
        """Erase one sector, or the whole chip (`sector` None): unlock, clear SR, CR = PSIZE |
        SER | SNB (or MER[|MER2]), STRT, wait BSY; ControllerError with FLASH_SR on a flag, with
        `reset` when FLASH_CR comes back locked (the chip was reset meanwhile)."""
        if sector is None:
            cr = R.CR_PSIZE_X32 | R.CR_MER | (R.CR_MER2 if layout.dual_bank else 0)
            what, timeout_s, address, number = "mass erase", R.MASS_ERASE_TIMEOUT_S, None, None
        else:
            cr = R.CR_PSIZE_X32 | R.CR_SER | sector.snb << R.CR_SNB_SHIFT
            what, timeout_s = f"sector {sector.number} erase", R.SECTOR_ERASE_TIMEOUT_S
            address, number = sector.start, sector.number
        unlock(bus, R.FLASH_CR, R.CR_LOCK, R.FLASH_KEYR, (R.KEY1, R.KEY2), "FLASH_CR")
        bus.write32(R.FLASH_SR, self.sr_errors)      # clear stale flags (write 1)
        bus.write32(R.FLASH_CR, cr)
        bus.write32(R.FLASH_CR, cr | R.CR_STRT)
        try:
            sr = wait_clear(bus, R.FLASH_SR, R.SR_BSY, timeout_s, what)
        except ControllerError as exc:
            exc.sector, exc.address = number, address
            raise
        if bus.read32(R.FLASH_CR) & R.CR_LOCK:
            raise ControllerError(f"{what}: the chip was reset during the operation (FLASH_CR locked "
                                  f"again, FLASH_SR=0x{sr:08X})", sr=sr, sector=number, address=address,
                                  reset=True)
        bus.write32(R.FLASH_CR, 0)
        if sr & self.sr_errors:
            raise ControllerError(f"{what}: {self.describe_sr(sr)}", sr=sr, sector=number, address=address)

    def program_options(self, bus: Bus, new: Any, regression: bool) -> None:
        """OPTKEYR unlock, OPTCR1, OPTCR, OPTSTRT, wait BSY, relock (RM0410 §3.4.2; OpenOCD stm32f2x.c)."""
        optcr, optcr1 = new.encode()[:2]
        optcr &= ~(R.OPTCR_OPTLOCK | R.OPTCR_OPTSTRT)
        optcr_addr, optcr1_addr = self.option_registers(new.dev_id)
        timeout = R.OPTION_WRITE_TIMEOUT_S + (R.MASS_ERASE_TIMEOUT_S if regression else 0)
        unlock(bus, optcr_addr, R.OPTCR_OPTLOCK, R.FLASH_OPTKEYR, (R.OPTKEY1, R.OPTKEY2),
               "the option bytes (FLASH_OPTCR)")
        try:
            bus.write32(R.FLASH_SR, self.sr_errors)  # clear stale error flags (write 1)
            if optcr1_addr is not None:
                bus.write32(optcr1_addr, optcr1)
            bus.write32(optcr_addr, optcr)
            bus.write32(optcr_addr, optcr | R.OPTCR_OPTSTRT)
            sr = wait_clear(bus, R.FLASH_SR, R.SR_BSY, timeout, "option-byte write")
        finally:
            bus.write32(optcr_addr, bus.read32(optcr_addr) | R.OPTCR_OPTLOCK)
        if sr & self.sr_errors:
            raise ControllerError(f"option-byte write failed: {self.describe_sr(sr)}", sr=sr)


__all__ = ["FxFlashController"]
