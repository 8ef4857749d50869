"""STM32F405/407/415/417 (0x413), F42x/F43x (0x419) and F446 (0x421): the F7's ancestor.

Same FLASH interface address, keys, CR/SR/PSIZE scheme and 16/64/128 KB sector pattern; no
nDBANK or BOOT_ADDx (boot by pins); the F42x/F43x add OPTCR1 (nWRP of bank 2), DB1M (two 512 KB
banks on a 1 MB part), SPRMOD (PCROP) and BFB2. Facts from RM0090 §3 (embedded flash memory interface), cross-read
with the F4 HAL (stm32f4xx_hal_flash_ex.c: bank-2 sectors 12..23, SNB + 4, bank-2 nWRP in OPTCR1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .base import (RDP_LEVEL0, SR_BSY, SR_EOP, SR_OPERR, SR_PGAERR, SR_PGPERR, SR_RDERR, SR_SEQERR,
                   SR_WRPERR, FlashLayout, K, McuFamily, OptionBytesBase, OptionField, Part,
                   make_bank)

# ---------------------------------------------------------------------------------------------
# UNCONFIRMED choices (these could not be read in a primary source: RM0090, DS8626). Change them here only; the twin's copy is sim/twin/variants.py.
# ---------------------------------------------------------------------------------------------
#: Bank 2 of a 1 MB F42x/F43x with DB1M = 1 starts right after bank 1's 512 KB (RM0090 as
#: remembered) and holds sectors 12..19 (SNB 0x10..0x17, nWRP in OPTCR1 bits 0..7, as the HAL
#: treats every sector >= 12).
BANK2_BASE_DB1M = 0x08080000
#: Typical x32 erase times, DS8626 as remembered (s): 16 KB, 64 KB, 128 KB; mass erase per MB.
ERASE_TIME_S = {16 * K: 0.25, 64 * K: 0.55, 128 * K: 1.0}
#: The option bytes as stored at 0x1FFFC000 carry no complement word readable by a debugger
#: (unlike the F7): complement checks report nothing for the F4.
STORES_COMPLEMENTS = False
#: The F405/407/42x have no package word: the package is reported unknown.
PACKAGE_REG = None

DEV_F405_407 = 0x413
DEV_F42X_43X = 0x419
DEV_F446 = 0x421
UID_ADDR = 0x1FFF7A10
FLASH_SIZE_REG = 0x1FFF7A22
OPTION_AREA = 0x1FFFC000
OPTION_AREA_BANK2 = 0x1FFEC000
FACTORY_OPTCR = 0x0FFFAAED
FACTORY_OPTCR1 = 0x0FFF0000
FLASH_BASE = 0x08000000
BANK2_BASE_2MB = 0x08100000
SR_PGSERR = SR_SEQERR
SR_ERRORS = 0x1F2

SR_FLAGS: dict[str, tuple[int, str]] = {
    "EOP": (SR_EOP, "end of operation"),
    "OPERR": (SR_OPERR, "operation error: the flash controller aborted the operation"),
    "WRPERR": (SR_WRPERR, "write-protection error: a sector the operation touched is write-protected (nWRP=0)"),
    "PGAERR": (SR_PGAERR, "programming alignment error"),
    "PGPERR": (SR_PGPERR, "programming parallelism error: access width differs from PSIZE"),
    "PGSERR": (SR_PGSERR, "programming sequence error"),
    "RDERR": (SR_RDERR, "read protection error: a PCROP-protected sector was read"),
    "BSY": (SR_BSY, "busy: an operation is still in progress"),
}

_FIELDS = {
    "bor_lev": OptionField("BOR_LEV", 0, 2, 2),
    "bfb2": OptionField("BFB2", 0, 4, 1),
    "wdg_sw": OptionField("WDG_SW", 0, 5, 1),
    "nrst_stop": OptionField("nRST_STOP", 0, 6, 1),
    "nrst_stdby": OptionField("nRST_STDBY", 0, 7, 1),
    "rdp": OptionField("RDP", 0, 8, 8),
    "nwrp": OptionField("nWRP", 0, 16, 12),
    "db1m": OptionField("DB1M", 0, 30, 1),
    "sprmod": OptionField("SPRMOD", 0, 31, 1),
    "nwrp2": OptionField("nWRP2", 1, 16, 12),
}
_FLAG_TEXT = {
    "bfb2": ("boot from bank 1", "dual-bank boot (boot from bank 2 if it holds valid code)"),
    "wdg_sw": ("hardware watchdog (IWDG starts at reset)", "software watchdog"),
    "nrst_stop": ("reset on Stop entry", "no reset on Stop entry"),
    "nrst_stdby": ("reset on Standby entry", "no reset on Standby entry"),
    "db1m": ("single bank (1 MB)", "dual bank: two 512 KB banks (1 MB parts)"),
    "sprmod": ("nWRP = write protection", "nWRP = PCROP (read/write protection) selection"),
}

_PARTS = {
    DEV_F405_407: Part(DEV_F405_407, "STM32F405/407/415/417", (512, 1024),
                       missing_fields=("bfb2", "db1m", "sprmod", "nwrp2"), has_optcr1=False),
    DEV_F42X_43X: Part(DEV_F42X_43X, "STM32F42x/F43x", (1024, 2048)),
    DEV_F446: Part(DEV_F446, "STM32F446", (256, 512),
                   missing_fields=("bfb2", "db1m", "nwrp2"), has_optcr1=False),
}


@dataclass(frozen=True)
class OptionBytes(OptionBytesBase):
    """The user option bytes of an STM32F4 as read from FLASH_OPTCR (and OPTCR1 on F42x/43x)."""

    FIELDS: ClassVar = _FIELDS
    FLAG_TEXT: ClassVar = _FLAG_TEXT

    rdp: int = RDP_LEVEL0
    bor_lev: int = 0b11
    bfb2: int = 0
    wdg_sw: int = 1
    nrst_stop: int = 1
    nrst_stdby: int = 1
    nwrp: int = 0xFFF
    db1m: int = 0
    sprmod: int = 0
    nwrp2: int = 0xFFF
    flash_kb: int = field(default=1024, compare=False)
    dev_id: int = field(default=DEV_F405_407, compare=False)

    def field_names(self) -> list[str]:
        part = _PARTS.get(self.dev_id)
        missing = part.missing_fields if part else ()
        return [name for name in self.FIELDS if name not in missing]

    def wrp_mask(self) -> int:
        return self.nwrp | self.nwrp2 << 12

    def with_wrp_mask(self, mask: int) -> "OptionBytes":
        part = _PARTS.get(self.dev_id)
        nwrp2 = (mask >> 12) & 0xFFF if part is None or part.has_optcr1 else self.nwrp2
        return self.replace(nwrp=mask & 0xFFF, nwrp2=nwrp2)

    def sector_protection(self) -> dict[int, bool]:
        # With SPRMOD = 1 the nWRP bits select PCROP instead: 1 = protected (HAL note).
        mask = self.wrp_mask()
        active = 1 if self.sprmod else 0
        return {s.number: (mask >> s.wrp_bit) & 1 == active for s in self.layout()}


def _single(flash_kb: int) -> tuple[int, ...]:
    big = (flash_kb * K - 4 * 16 * K - 64 * K) // (128 * K)
    return (16 * K,) * 4 + (64 * K,) + (128 * K,) * big


class Stm32F4(McuFamily):
    name = "STM32F4"
    parts = _PARTS
    rev_names = {0x1000: "A", 0x1001: "Z", 0x1003: "Y", 0x1007: "1", 0x2001: "3"}
    uid_address = UID_ADDR
    flash_size_address = FLASH_SIZE_REG
    package_address = PACKAGE_REG
    pyocd_target_type = "benchtui_stm32f4"
    target_types = {
        "stm32f405rg": (DEV_F405_407, 1024), "stm32f405vg": (DEV_F405_407, 1024),
        "stm32f405zg": (DEV_F405_407, 1024), "stm32f407vg": (DEV_F405_407, 1024),
        "stm32f407ve": (DEV_F405_407, 512), "stm32f407zg": (DEV_F405_407, 1024),
        "stm32f407ig": (DEV_F405_407, 1024), "stm32f415rg": (DEV_F405_407, 1024),
        "stm32f417ig": (DEV_F405_407, 1024),
        "stm32f427vi": (DEV_F42X_43X, 2048), "stm32f427zi": (DEV_F42X_43X, 2048),
        "stm32f427zg": (DEV_F42X_43X, 1024), "stm32f429zi": (DEV_F42X_43X, 2048),
        "stm32f429zg": (DEV_F42X_43X, 1024), "stm32f429xi": (DEV_F42X_43X, 2048),
        "stm32f429xg": (DEV_F42X_43X, 1024), "stm32f437zi": (DEV_F42X_43X, 2048),
        "stm32f439zi": (DEV_F42X_43X, 2048), "stm32f439xi": (DEV_F42X_43X, 2048),
        "stm32f439xg": (DEV_F42X_43X, 1024),
        "stm32f446re": (DEV_F446, 512), "stm32f446rc": (DEV_F446, 256), "stm32f446ze": (DEV_F446, 512),
    }
    sr_flags = SR_FLAGS
    sr_errors = SR_ERRORS
    option_bytes_class = OptionBytes
    page_size = 0x1000
    ram = (0x20000000, 0x20000)

    def package_name(self, word: int | None) -> str | None:
        return None

    def layout(self, dev_id: int, flash_kb: int, ob: OptionBytesBase | None) -> FlashLayout:
        part = _PARTS.get(dev_id)
        if part is None or flash_kb not in part.flash_sizes_kb:
            sizes = part.flash_sizes_kb if part else ()
            raise ValueError(f"no STM32F4 sector layout for {flash_kb} KB on DEV_ID 0x{dev_id:03X}"
                             + (f" (expected {' or '.join(map(str, sizes))} KB)" if sizes else ""))
        if dev_id == DEV_F42X_43X and flash_kb == 2048:
            sizes = _single(1024)
            return FlashLayout(2048, True, self._bank(sizes, FLASH_BASE, 0, 1)
                               + self._bank(sizes, BANK2_BASE_2MB, 12, 2))
        if dev_id == DEV_F42X_43X and ob is not None and getattr(ob, "db1m", 0):
            sizes = _single(512)
            return FlashLayout(1024, True, self._bank(sizes, FLASH_BASE, 0, 1)
                               + self._bank(sizes, BANK2_BASE_DB1M, 12, 2))
        return FlashLayout(flash_kb, False, self._bank(_single(flash_kb), FLASH_BASE, 0, 1))

    @staticmethod
    def _bank(sizes, base: int, first: int, bank: int):
        # SNB: bank 2 sector 12+k is written as 0x10 + k (HAL: "add offset of 4 above sector 11");
        # nWRP bit = sector number (bits 12.. live in OPTCR1).
        return make_bank(sizes, base, first_number=first, snb_base=0x10 if bank == 2 else 0,
                         wrp=lambda k: first + k, bank=bank)

    def erase_time_s(self, size: int) -> float:
        return ERASE_TIME_S.get(size, 1.0)

    def factory(self, dev_id: int = DEV_F405_407, flash_kb: int = 1024) -> OptionBytes:
        part = _PARTS.get(dev_id)
        optcr1 = FACTORY_OPTCR1 if part is None or part.has_optcr1 else 0
        ob = OptionBytes.decode(FACTORY_OPTCR, optcr1, flash_kb=flash_kb, dev_id=dev_id)
        return ob if optcr1 else ob.replace(nwrp2=0)

    def decode_options(self, dev_id: int, flash_kb: int, optcr: int, optcr1: int) -> OptionBytes:
        ob = super().decode_options(dev_id, flash_kb, optcr, optcr1)
        part = _PARTS.get(dev_id)
        return ob if part is None or part.has_optcr1 else ob.replace(nwrp2=0)

    def complement_words(self) -> list[tuple[int, str]]:
        return []

    def bank_mode_change(self, ob: OptionBytesBase, dual: bool) -> OptionBytes:
        if ob.dev_id == DEV_F42X_43X and ob.flash_kb == 1024:
            return ob.replace(db1m=1 if dual else 0)
        if ob.dev_id == DEV_F42X_43X:
            raise ValueError("a 2 MB STM32F42x/F43x always has two banks: nothing to change")
        raise ValueError(f"the {self.part_name(ob.dev_id)} has a single bank: no bank mode to change")


STM32F4 = Stm32F4()
OptionBytes.FAMILY = STM32F4
