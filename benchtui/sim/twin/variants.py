"""The chips the twin can be: STM32F767 (ZG 1 MB, ZI 2 MB) and STM32F4 parts.

A `TwinVariant` is what differs between them as a debugger and the flash controller see it:
debug identity (DP IDR, AHB-AP IDR, CPUID, DBGMCU IDCODE, ROM table), where the system
information lives (unique ID, flash-size word, package word, option-byte image), the memory
map (flash aliases, RAM), the factory option bytes, how the bank mode is selected and the sector
layout. The FLASH interface itself (registers, keys, sequences) is the same lineage on both and
lives in flash.py.

Every value no public primary source confirmed for the F4 is marked UNCONFIRMED below (the
F7's are in constants.py); the device side's copy is in benchtui/devices/mcu/.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from . import constants as C
from .layout import Sector, f4_sectors, f7_sectors

K = 1024


@dataclass(frozen=True)
class TwinVariant:
    name: str
    family: str                 # "f7" or "f4"
    part: str                   # what a sticker says: "STM32F767ZG"
    flash_kb: int
    dpidr: int
    ap_idr: int
    ap_base: int                # AHB-AP BASE register (ROM table address | format | present)
    cpuid: int
    idcode: int                 # DBGMCU IDCODE (REV_ID << 16 | DEV_ID)
    uc_cpu: str                 # Unicorn CPU model name (arm_const.UC_CPU_ARM_<name>)
    flash_aliases: tuple[int, ...]      # where the flash array is mapped (first = main address)
    ram: tuple[tuple[int, int], ...]    # (base, size) of RAM regions
    sysinfo_base: int
    sysinfo_size: int
    uid_addr: int
    flash_size_addr: int
    package_addr: int | None
    package_value: int
    option_images: tuple[int, ...]      # addresses of the stored option-byte areas (0x20 each)
    optcr_factory: int
    optcr1_factory: int
    has_optcr1: bool
    #: The chip boots from: "boot_add0" (F7: OPTCR1.BOOT_ADD0 << 14) or "flash" (F4: BOOT0 = 0).
    boot: str

    @property
    def dev_id(self) -> int:
        return self.idcode & 0xFFF

    def can_be_dual(self) -> bool:
        return self.family == "f7" or (self.dev_id == 0x419 and self.flash_kb == 1024)

    def always_dual(self) -> bool:
        return self.family == "f4" and self.dev_id == 0x419 and self.flash_kb == 2048

    def dual_bank(self, optcr: int) -> bool:
        """Bank mode selected by the loaded OPTCR: nDBANK = 0 (F7), DB1M = 1 (1 MB F42x/F43x)."""
        if self.family == "f7":
            return not optcr & C.NDBANK
        if self.always_dual():
            return True
        return self.can_be_dual() and bool(optcr & F4_DB1M)

    def with_bank_mode(self, optcr: int, dual: bool) -> int:
        """OPTCR (stored bits) with the bank mode set."""
        if self.family == "f7":
            return optcr & ~C.NDBANK if dual else optcr | C.NDBANK
        if not self.can_be_dual():
            raise ValueError(f"twin variant {self.name!r} ({self.part}) has no bank mode to change")
        return optcr | F4_DB1M if dual else optcr & ~F4_DB1M

    def sectors(self, dual: bool) -> tuple[Sector, ...]:
        if self.family == "f7":
            return f7_sectors(self.flash_kb, dual)
        return f4_sectors(self.flash_kb, dual)

    def erase_time_s(self, size: int) -> float:
        table = C.T_ERASE_BY_SIZE_S if self.family == "f7" else F4_T_ERASE_BY_SIZE_S
        for limit, seconds in table:
            if size <= limit:
                return seconds
        return table[-1][1]

    @property
    def mass_erase_per_mb_s(self) -> float:
        return C.T_MASS_ERASE_PER_MB_S if self.family == "f7" else F4_T_MASS_ERASE_PER_MB_S


# --- STM32F4: UNCONFIRMED choices (not read in RM0090 / DS8626 themselves) ---------------------
#: DB1M is OPTCR bit 30 (RM0090 as remembered); with it a 1 MB F42x/F43x has bank 2 (sectors
#: 12..19) at 0x08080000 (layout.py).
F4_DB1M = 1 << 30
#: Debug identity of a Cortex-M4 STM32F4: SW-DP 0x2BA01477, AHB-AP 0x24770011, CPUID r0p1,
#: ROM table at 0xE00FF000 with ST's designer code and the DEV_ID as part number (pyOCD logs).
F4_DPIDR = 0x2BA01477
F4_AP_IDR = 0x24770011
F4_AP_BASE = 0xE00FF003
F4_CPUID = 0x410FC241
#: REV_IDs chosen for the twins (F407 rev Z, F429 rev Y, F446 rev A).
F4_IDCODES = {0x413: 0x10016413, 0x419: 0x10036419, 0x421: 0x10000421}
#: Typical x32 erase times (DS8626 as remembered): 16 KB 0.25 s, 64 KB 0.55 s, 128 KB 1 s; mass 8 s/MB.
F4_T_ERASE_BY_SIZE_S = ((16 * K, 0.25), (64 * K, 0.55), (128 * K, 1.0))
F4_T_MASS_ERASE_PER_MB_S = 8.0
#: System memory block of the F4: OTP 0x1FFF7800.., UID 0x1FFF7A10, flash size 0x1FFF7A22; no
#: package word on these parts.
F4_SYSINFO_BASE, F4_SYSINFO_SIZE = 0x1FFF7800, 0x800


def _f7(name: str, flash_kb: int) -> TwinVariant:
    return TwinVariant(
        name=name, family="f7", part=f"STM32F767{name.upper()}", flash_kb=flash_kb,
        dpidr=C.DPIDR, ap_idr=C.AHB_AP_IDR, ap_base=C.AP_BASE, cpuid=C.CPUID,
        idcode=C.DBGMCU_IDCODE, uc_cpu="CORTEX_M7",
        flash_aliases=(C.FLASH_AXIM_BASE, C.FLASH_ITCM_BASE),
        ram=((C.ITCM_RAM_BASE, C.ITCM_RAM_SIZE), (C.SRAM_BASE, C.SRAM_SIZE)),
        sysinfo_base=C.SYSINFO_BASE, sysinfo_size=C.SYSINFO_SIZE, uid_addr=C.UID_ADDR,
        flash_size_addr=C.FLASH_SIZE_ADDR, package_addr=C.PACKAGE_ADDR, package_value=C.PACKAGE_VALUE,
        option_images=(C.OPTION_IMAGE_BASE,), optcr_factory=C.OPTCR_FACTORY,
        optcr1_factory=C.OPTCR1_FACTORY, has_optcr1=True, boot="boot_add0")


def _f4(name: str, part: str, dev_id: int, flash_kb: int, sram_kb: int) -> TwinVariant:
    f42x = dev_id == 0x419
    return TwinVariant(
        name=name, family="f4", part=part, flash_kb=flash_kb, dpidr=F4_DPIDR, ap_idr=F4_AP_IDR,
        ap_base=F4_AP_BASE, cpuid=F4_CPUID, idcode=F4_IDCODES[dev_id], uc_cpu="CORTEX_M4",
        flash_aliases=(0x08000000, 0x00000000), ram=((0x20000000, sram_kb * K),),
        sysinfo_base=F4_SYSINFO_BASE, sysinfo_size=F4_SYSINFO_SIZE, uid_addr=0x1FFF7A10,
        flash_size_addr=0x1FFF7A22, package_addr=None, package_value=0,
        option_images=(0x1FFFC000, 0x1FFEC000) if f42x else (0x1FFFC000,),
        optcr_factory=0x0FFFAAED, optcr1_factory=0x0FFF0000 if f42x else 0, has_optcr1=f42x,
        boot="flash")


VARIANTS: dict[str, TwinVariant] = {
    "zg": _f7("zg", 1024),
    "zi": _f7("zi", 2048),
    "f405rg": _f4("f405rg", "STM32F405RG", 0x413, 1024, 128),
    "f407vg": _f4("f407vg", "STM32F407VG", 0x413, 1024, 128),
    "f407ve": _f4("f407ve", "STM32F407VE", 0x413, 512, 128),
    "f429zg": _f4("f429zg", "STM32F429ZG", 0x419, 1024, 192),
    "f429zi": _f4("f429zi", "STM32F429ZI", 0x419, 2048, 192),
    "f446re": _f4("f446re", "STM32F446RE", 0x421, 512, 128),
}
#: Other names people use for the F7 twins.
ALIASES = {"f767zg": "zg", "f767zi": "zi"}


def variant(name: str) -> TwinVariant:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in VARIANTS:
        raise ValueError(f"twin variant {name!r} unknown (expected one of "
                         f"{', '.join(sorted(VARIANTS) + sorted(ALIASES))})")
    return VARIANTS[key]


@lru_cache(maxsize=None)
def uid_for_seed(seed: int) -> bytes:
    """The 96-bit unique ID of a virtual board made from its seed (12 bytes, as stored).

    Shaped like ST's: X/Y wafer coordinates (word 0), wafer number and lot number in ASCII
    (RM0410 §45.1 layout); every seed gives another board.
    """
    rng = random.Random(f"benchtui-board-uid-{seed}")
    x, y = rng.randrange(1, 160), rng.randrange(1, 160)
    wafer = rng.randrange(1, 26)
    lot = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(7))
    return x.to_bytes(2, "little") + y.to_bytes(2, "little") + bytes([wafer]) + lot.encode("ascii")


#: UID of a twin built without a seed or UID (the value the twin always had).
DEFAULT_UID = b"".join(w.to_bytes(4, "little") for w in C.UID_WORDS)
