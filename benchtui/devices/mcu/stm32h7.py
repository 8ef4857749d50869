"""STM32H742/H743/H753/H750 (DEV_ID 0x450, RM0433) and STM32H723/H733/H725/H735/H730 (0x483,
RM0468): flash layouts, sector numbering, write protection, option bytes, FLASH_SR, and the
register sequences of their flash controller.

Not the F4/F7 controller: registers at 0x52002000 with a KEYR/CR/SR/CCR per bank (bank 2's at
+0x100), 128 KB sectors (8 per bank on the 2 MB parts), 256-bit flash-word programming, option
bytes through OPTKEYR / OPTCR / OPTSR_CUR and _PRG / OPTCCR, write protection per sector and bank
(WPSN_CUR1/2: a 0 bit protects), a PCROP area and a secure area per bank (PRAR, SCAR), RDP,
BOR_LEV and SWAP_BANK. Register offsets and bits follow ST's CMSIS device headers
(stm32h743xx.h, stm32h723xx.h) and OpenOCD's stm32h7x.c; what neither says is in the
UNCONFIRMED block below, and nowhere else on the device side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .base import AlgoSource, FlashLayout, K, McuFamily, OptionBytesBase, OptionField, Part, Sector
from .controller import Bus, ControllerError, unlock, wait_clear
from .layout import make_bank
from .registers import KEY1, KEY2, OPTKEY1, OPTKEY2, RDP_LEVEL0
from .registry import register_family

# ---------------------------------------------------------------------------------------------
# UNCONFIRMED choices: the notes and headers do not say; change them here only (the twin's copy
# is in sim/twin/stm32h7.py).
# ---------------------------------------------------------------------------------------------
#: Sector numbers: bank 2's sector k is named 8 + k whatever the bank size (as the F4/F7 name
#: bank 2 from 12): `--sectors 8-15` is bank 2 of a 2 MB part.
BANK2_FIRST_NUMBER = 8
#: Factory option bytes (RM0433 §4.4 as remembered): RDP 0xAA, BOR off, software watchdog, no
#: reset on Stop/Standby entry, IWDG runs in Stop/Standby, no PCROP or secure area (start >
#: end), no sector protected, boot from 0x08000000 / system memory 0x1FF00000.
FACTORY = dict(rdp=0xAA, bor_lev=0b00, iwdg1_sw=1, nrst_stop_d1=1, nrst_stby_d1=1, fz_iwdg_stop=1,
               fz_iwdg_sdby=1, st_ram_size=0, security=0, io_hslv=0, swap_bank=0,
               prot_area_start1=0xFFF, prot_area_end1=0x000, dmep1=0, sec_area_start1=0xFFF,
               sec_area_end1=0x000, dmes1=0, nwrp1=0xFF, boot_cm7_add0=0x0800, boot_cm7_add1=0x1FF0,
               prot_area_start2=0xFFF, prot_area_end2=0x000, dmep2=0, sec_area_start2=0xFFF,
               sec_area_end2=0x000, dmes2=0, nwrp2=0xFF)
#: BOR thresholds (DS12110 as remembered, rising edge).
BOR_LEVELS = {0: (0b00, "BOR off (VBOR0, about 1.67 V)"), 1: (0b01, "BOR level 1 (about 2.1 V)"),
              2: (0b10, "BOR level 2 (about 2.4 V)"), 3: (0b11, "BOR level 3 (about 2.7 V)")}
#: Typical 128 KB sector erase in x64 parallelism (DS12110: 1 s x64; 1.1 s typ / 2.2 s max in
#: x32 per ST on its forum; 4 s max in x8).
SECTOR_ERASE_TYP_S = 1.0
#: DBGMCU_CR value at connect (pyOCD's STM32H723 target: D1/D2/D3 Sleep/Stop/Standby debug).
DBGMCU_CR_VALUE = 0x3F

# ---------------------------------------------------------------------------------------------
# Registers (CMSIS stm32h743xx.h FLASH_TypeDef; bank 2's KEYR/CR/SR/CCR/PRAR/SCAR/WPSN at +0x100)
# ---------------------------------------------------------------------------------------------
FLASH_REGS = 0x52002000
BANK2_REGS = 0x100
ACR, KEYR, OPTKEYR, CR, SR, CCR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
OPTCR, OPTSR_CUR, OPTSR_PRG, OPTCCR = 0x18, 0x1C, 0x20, 0x24
PRAR_CUR, PRAR_PRG, SCAR_CUR, SCAR_PRG, WPSN_CUR, WPSN_PRG = 0x28, 0x2C, 0x30, 0x34, 0x38, 0x3C
BOOT_CUR, BOOT_PRG = 0x40, 0x44
CR_LOCK, CR_PG, CR_SER, CR_BER, CR_PSIZE_X64, CR_FW, CR_START, CR_SNB_SHIFT = (
    1 << 0, 1 << 1, 1 << 2, 1 << 3, 0b11 << 4, 1 << 6, 1 << 7, 8)
SR_BSY, SR_WBNE, SR_QW, SR_CRC_BUSY, SR_EOP = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 16
SR_WRPERR, SR_PGSERR, SR_STRBERR, SR_INCERR, SR_OPERR = 1 << 17, 1 << 18, 1 << 19, 1 << 21, 1 << 22
SR_RDPERR, SR_RDSERR, SR_SNECCERR, SR_DBECCERR, SR_CRCEND, SR_CRCRDERR = (
    1 << 23, 1 << 24, 1 << 25, 1 << 26, 1 << 27, 1 << 28)
SR_ERRORS = (SR_WRPERR | SR_PGSERR | SR_STRBERR | SR_INCERR | SR_OPERR | SR_RDPERR | SR_RDSERR
             | SR_SNECCERR | SR_DBECCERR | SR_CRCRDERR)
OPTCR_OPTLOCK, OPTCR_OPTSTART, OPTCR_MER = 1 << 0, 1 << 1, 1 << 4
OPTSR_OPT_BUSY, OPTSR_OPTCHANGEERR = 1 << 0, 1 << 30
OPTCCR_CLR_OPTCHANGEERR = 1 << 30
DBGMCU_IDCODE = 0x5C001000
UID_ADDR = 0x1FF1E800
FLASH_SIZE_REG = 0x1FF1E880
BANK1_BASE, BANK2_BASE = 0x08000000, 0x08100000
SECTOR = 128 * K
SECTOR_ERASE_TIMEOUT_S = 10.0      # OpenOCD's FLASH_ERASE_TIMEOUT (4 s max in x8)
BANK_ERASE_TIMEOUT_S = 30.0        # OpenOCD's MASS_ERASE_TIMEOUT
OPTION_WRITE_TIMEOUT_S = 10.0

DEV_H74X_H75X = 0x450
DEV_H72X_H73X = 0x483

SR_FLAGS: dict[str, tuple[int, str]] = {
    "BSY": (SR_BSY, "busy: an operation is in progress"),
    "WBNE": (SR_WBNE, "write buffer not empty: a flash word is only partly written"),
    "QW": (SR_QW, "operation queued or in progress"),
    "EOP": (SR_EOP, "end of operation"),
    "WRPERR": (SR_WRPERR, "write-protection error: a sector the operation touched is write-protected (WPSN=0)"),
    "PGSERR": (SR_PGSERR, "programming sequence error: a write with PG clear, or an erase request ignored"),
    "STRBERR": (SR_STRBERR, "strobe error: a byte of the write buffer written twice"),
    "INCERR": (SR_INCERR, "inconsistency error: a new flash word started before the last was complete"),
    "OPERR": (SR_OPERR, "operation error: the flash controller aborted the operation"),
    "RDPERR": (SR_RDPERR, "read-protection error: a PCROP area was read"),
    "RDSERR": (SR_RDSERR, "secure-area error: the secure area was read"),
    "SNECCERR": (SR_SNECCERR, "single ECC error, corrected"),
    "DBECCERR": (SR_DBECCERR, "double ECC error: a flash word read back corrupt"),
    "CRCRDERR": (SR_CRCRDERR, "CRC read error"),
}

_FIELDS = {
    # OPTSR (word 0)
    "bor_lev": OptionField("BOR_LEV", 0, 2, 2),
    "iwdg1_sw": OptionField("IWDG1_SW", 0, 4, 1),
    "nrst_stop_d1": OptionField("NRST_STOP_D1", 0, 6, 1),
    "nrst_stby_d1": OptionField("NRST_STBY_D1", 0, 7, 1),
    "rdp": OptionField("RDP", 0, 8, 8),
    "fz_iwdg_stop": OptionField("FZ_IWDG_STOP", 0, 17, 1),
    "fz_iwdg_sdby": OptionField("FZ_IWDG_SDBY", 0, 18, 1),
    "st_ram_size": OptionField("ST_RAM_SIZE", 0, 19, 2),
    "security": OptionField("SECURITY", 0, 21, 1),
    "io_hslv": OptionField("IO_HSLV", 0, 29, 1),
    "swap_bank": OptionField("SWAP_BANK", 0, 31, 1),
    # PRAR1, SCAR1, WPSN1, BOOT (words 1-4)
    "prot_area_start1": OptionField("PROT_AREA_START1", 1, 0, 12),
    "prot_area_end1": OptionField("PROT_AREA_END1", 1, 16, 12),
    "dmep1": OptionField("DMEP1", 1, 31, 1),
    "sec_area_start1": OptionField("SEC_AREA_START1", 2, 0, 12),
    "sec_area_end1": OptionField("SEC_AREA_END1", 2, 16, 12),
    "dmes1": OptionField("DMES1", 2, 31, 1),
    "nwrp1": OptionField("WPSN1", 3, 0, 8),
    "boot_cm7_add0": OptionField("BOOT_CM7_ADD0", 4, 0, 16),
    "boot_cm7_add1": OptionField("BOOT_CM7_ADD1", 4, 16, 16),
    # PRAR2, SCAR2, WPSN2 (words 5-7, dual-bank parts)
    "prot_area_start2": OptionField("PROT_AREA_START2", 5, 0, 12),
    "prot_area_end2": OptionField("PROT_AREA_END2", 5, 16, 12),
    "dmep2": OptionField("DMEP2", 5, 31, 1),
    "sec_area_start2": OptionField("SEC_AREA_START2", 6, 0, 12),
    "sec_area_end2": OptionField("SEC_AREA_END2", 6, 16, 12),
    "dmes2": OptionField("DMES2", 6, 31, 1),
    "nwrp2": OptionField("WPSN2", 7, 0, 8),
}
_BANK2_FIELDS = ("swap_bank", "prot_area_start2", "prot_area_end2", "dmep2", "sec_area_start2",
                 "sec_area_end2", "dmes2", "nwrp2")
_FLAG_TEXT = {
    "iwdg1_sw": ("hardware independent watchdog (starts at reset)", "software independent watchdog"),
    "nrst_stop_d1": ("reset on D1 Stop entry", "no reset on D1 Stop entry"),
    "nrst_stby_d1": ("reset on D1 Standby entry", "no reset on D1 Standby entry"),
    "fz_iwdg_stop": ("IWDG frozen in Stop", "IWDG runs in Stop"),
    "fz_iwdg_sdby": ("IWDG frozen in Standby", "IWDG runs in Standby"),
    "security": ("secure access mode off", "secure access mode on"),
    "io_hslv": ("I/O high-speed at low voltage off", "I/O high-speed at low voltage on (VDD < 2.7 V only)"),
    "swap_bank": ("banks not swapped", "banks swapped: bank 2 at 0x08000000"),
    "dmep1": ("PCROP area 1 kept on RDP regression", "PCROP area 1 erased on RDP regression"),
    "dmep2": ("PCROP area 2 kept on RDP regression", "PCROP area 2 erased on RDP regression"),
    "dmes1": ("secure area 1 kept on RDP regression", "secure area 1 erased on RDP regression"),
    "dmes2": ("secure area 2 kept on RDP regression", "secure area 2 erased on RDP regression"),
}
_ST_RAM = {0: "2 KB", 1: "4 KB", 2: "8 KB", 3: "16 KB"}

_PARTS = {
    DEV_H74X_H75X: Part(DEV_H74X_H75X, "STM32H742/H743/H753/H750", (128, 1024, 2048)),
    DEV_H72X_H73X: Part(DEV_H72X_H73X, "STM32H723/H733/H725/H735/H730", (128, 512, 1024),
                        missing_fields=_BANK2_FIELDS, has_optcr1=False),
}


def dual_bank(dev_id: int, flash_kb: int) -> bool:
    """Two banks (each with its own controller) on the 1 MB and 2 MB H74x/H75x."""
    return dev_id == DEV_H74X_H75X and flash_kb >= 1024


@dataclass(frozen=True)
class OptionBytes(OptionBytesBase):
    """The user option bytes of an STM32H7 as read from FLASH_OPTSR_CUR and the _CUR registers."""

    FIELDS: ClassVar = _FIELDS
    FLAG_TEXT: ClassVar = _FLAG_TEXT
    REGISTERS: ClassVar = ("OPTSR", "PRAR1", "SCAR1", "WPSN1", "BOOT", "PRAR2", "SCAR2", "WPSN2")
    LOCKED_BITS: ClassVar = ()
    BOR_LEVELS: ClassVar = BOR_LEVELS
    WRP_FIELDS: ClassVar = ("nwrp1", "nwrp2")

    rdp: int = RDP_LEVEL0
    bor_lev: int = FACTORY["bor_lev"]
    iwdg1_sw: int = 1
    nrst_stop_d1: int = 1
    nrst_stby_d1: int = 1
    fz_iwdg_stop: int = 1
    fz_iwdg_sdby: int = 1
    st_ram_size: int = 0
    security: int = 0
    io_hslv: int = 0
    swap_bank: int = 0
    prot_area_start1: int = 0xFFF
    prot_area_end1: int = 0
    dmep1: int = 0
    sec_area_start1: int = 0xFFF
    sec_area_end1: int = 0
    dmes1: int = 0
    nwrp1: int = 0xFF
    boot_cm7_add0: int = 0x0800
    boot_cm7_add1: int = 0x1FF0
    prot_area_start2: int = 0xFFF
    prot_area_end2: int = 0
    dmep2: int = 0
    sec_area_start2: int = 0xFFF
    sec_area_end2: int = 0
    dmes2: int = 0
    nwrp2: int = 0xFF
    flash_kb: int = field(default=2048, compare=False)
    dev_id: int = field(default=DEV_H74X_H75X, compare=False)

    def field_names(self) -> list[str]:
        missing = () if dual_bank(self.dev_id, self.flash_kb) else _BANK2_FIELDS
        return [name for name in self.FIELDS if name not in missing]

    def wrp_mask(self) -> int:
        return self.nwrp1 | self.nwrp2 << 8

    def with_wrp_mask(self, mask: int) -> "OptionBytes":
        nwrp2 = (mask >> 8) & 0xFF if dual_bank(self.dev_id, self.flash_kb) else self.nwrp2
        return self.replace(nwrp1=mask & 0xFF, nwrp2=nwrp2)

    def area(self, kind: str, bank: int) -> tuple[int, int] | None:
        """[start, end) of the PCROP ("prot") or secure ("sec") area of a bank, or None (the
        start lies above the end: no area). 256-byte granularity from the bank's base."""
        start = getattr(self, f"{kind}_area_start{bank}")
        end = getattr(self, f"{kind}_area_end{bank}")
        if start > end:
            return None
        base = BANK1_BASE if bank == 1 else BANK2_BASE
        return base + start * 256, base + (end + 1) * 256

    def _meaning(self, name: str, value: int) -> str:
        if name.startswith(("prot_area_", "sec_area_")):
            kind, bank = ("prot" if name.startswith("prot") else "sec"), int(name[-1])
            area = self.area(kind, bank)
            what = "PCROP" if kind == "prot" else "secure"
            return (f"no {what} area in bank {bank}" if area is None else
                    f"{what} area 0x{area[0]:08X}-0x{area[1] - 1:08X}")
        if name.startswith("boot_cm7_add"):
            return f"boot address 0x{value << 16:08X}"
        if name == "st_ram_size":
            return f"secure user memory RAM: {_ST_RAM[value]}"
        return super()._meaning(name, value)


@register_family
class Stm32H7(McuFamily):
    name = "STM32H7"
    parts = _PARTS
    rev_names = {0x1000: "A", 0x1001: "Z", 0x1003: "Y", 0x2001: "X", 0x2003: "V"}
    uid_address = UID_ADDR
    flash_size_address = FLASH_SIZE_REG
    package_address = None
    pyocd_target_type = "benchtui_stm32h7"
    extra_pyocd_types = ("stm32h743zi", "stm32h743vi", "stm32h750vb", "stm32h723zg")
    target_types = {
        **{f"stm32h743{p}i": (DEV_H74X_H75X, 2048) for p in "vzibx"},
        **{f"stm32h753{p}i": (DEV_H74X_H75X, 2048) for p in "vzibx"},
        **{f"stm32h743{p}g": (DEV_H74X_H75X, 1024) for p in "vzi"},
        **{f"stm32h750{p}b": (DEV_H74X_H75X, 128) for p in "vzibx"},
        **{f"stm32h723{p}g": (DEV_H72X_H73X, 1024) for p in "vz"},
        **{f"stm32h723{p}e": (DEV_H72X_H73X, 512) for p in "vz"},
        **{f"stm32h733{p}g": (DEV_H72X_H73X, 1024) for p in "vz"},
        "stm32h743xx": (DEV_H74X_H75X, 2048), "stm32h750xx": (DEV_H74X_H75X, 128),
        "stm32h723xx": (DEV_H72X_H73X, 1024),
    }
    sr_flags = SR_FLAGS
    sr_errors = SR_ERRORS
    sr_wrperr = SR_WRPERR
    cr_lock = (FLASH_REGS + CR, CR_LOCK)
    option_bytes_class = OptionBytes
    page_size = 0x400
    ram = (0x20000000, 0x20000)    # DTCM, where pyOCD's H7 algorithms load
    idcode_address = DBGMCU_IDCODE
    dbgmcu_cr = (DBGMCU_IDCODE + 4, DBGMCU_CR_VALUE)

    def package_name(self, word: int | None) -> str | None:
        return None

    # -- layout ---------------------------------------------------------------------------------
    def layout(self, dev_id: int, flash_kb: int, ob: OptionBytesBase | None) -> FlashLayout:
        part = _PARTS.get(dev_id)
        if part is None or flash_kb not in part.flash_sizes_kb:
            sizes = part.flash_sizes_kb if part else ()
            raise ValueError(f"no STM32H7 sector layout for {flash_kb} KB on DEV_ID 0x{dev_id:03X}"
                             + (f" (expected {' or '.join(map(str, sizes))} KB)" if sizes else ""))
        if not dual_bank(dev_id, flash_kb):
            count = max(1, flash_kb * K // SECTOR)
            return FlashLayout(flash_kb, False, make_bank([SECTOR] * count, BANK1_BASE, first_number=0,
                                                          snb_base=0, wrp=lambda k: k, bank=1))
        count = flash_kb * K // 2 // SECTOR
        swapped = ob is not None and getattr(ob, "swap_bank", 0) == 1
        base1, base2 = (BANK2_BASE, BANK1_BASE) if swapped else (BANK1_BASE, BANK2_BASE)
        bank1 = make_bank([SECTOR] * count, base1, first_number=0, snb_base=0, wrp=lambda k: k, bank=1)
        bank2 = make_bank([SECTOR] * count, base2, first_number=BANK2_FIRST_NUMBER, snb_base=0,
                          wrp=lambda k: 8 + k, bank=2)
        return FlashLayout(flash_kb, True, tuple(sorted(bank1 + bank2, key=lambda s: s.start)))

    def erase_time_s(self, size: int) -> float:
        return SECTOR_ERASE_TYP_S

    def algo_source(self, dev_id: int) -> AlgoSource:
        module = "target_STM32H723xx" if dev_id == DEV_H72X_H73X else "target_STM32H743xx"
        return AlgoSource(f"pyocd.target.builtin.{module}")

    # -- option bytes -----------------------------------------------------------------------------
    def option_registers(self, dev_id: int) -> tuple[int | None, ...]:
        two = dev_id != DEV_H72X_H73X
        b2 = FLASH_REGS + BANK2_REGS
        return (FLASH_REGS + OPTSR_CUR, FLASH_REGS + PRAR_CUR, FLASH_REGS + SCAR_CUR,
                FLASH_REGS + WPSN_CUR, FLASH_REGS + BOOT_CUR, b2 + PRAR_CUR if two else None,
                b2 + SCAR_CUR if two else None, b2 + WPSN_CUR if two else None)

    def decode_options(self, dev_id: int, flash_kb: int, *words: int) -> OptionBytes:
        ob = self.option_bytes_class.decode(*words, flash_kb=flash_kb, dev_id=dev_id)
        if not dual_bank(dev_id, flash_kb):
            ob = ob.replace(**{n: getattr(OptionBytes, n) for n in _BANK2_FIELDS})
        return ob

    def factory(self, dev_id: int = DEV_H74X_H75X, flash_kb: int = 2048) -> OptionBytes:
        return OptionBytes(**FACTORY, flash_kb=flash_kb, dev_id=dev_id)

    def complement_words(self) -> list[tuple[int, str]]:
        return []   # the H7's stored option bytes are not mapped: only the _CUR registers read

    def bank_mode_change(self, ob: OptionBytesBase, dual: bool) -> OptionBytes:
        raise ValueError("an STM32H7's banks are fixed (SWAP_BANK swaps them: ob --set SWAP_BANK=1)")

    # -- the flash controller ---------------------------------------------------------------------
    @staticmethod
    def _regs(bank: int) -> int:
        return FLASH_REGS + (BANK2_REGS if bank == 2 else 0)

    def sr_address(self, sector: Sector | None = None) -> int:
        return self._regs(sector.bank if sector is not None else 1) + SR

    def erase(self, bus: Bus, layout: FlashLayout, sector: Sector | None) -> None:
        """Sector erase (SER + SNB + START) on the sector's bank, or every bank at once (BER +
        START on each, then wait for each: the banks erase in parallel); wait QW (RM0433 §4.3.10)."""
        if sector is None:
            banks = sorted({s.bank for s in layout})
            jobs = [(b, CR_BER | CR_PSIZE_X64, None) for b in banks]
            what, timeout_s = "mass erase", BANK_ERASE_TIMEOUT_S
        else:
            jobs = [(sector.bank, CR_SER | CR_PSIZE_X64 | sector.snb << CR_SNB_SHIFT, sector)]
            what, timeout_s = f"sector {sector.number} erase", SECTOR_ERASE_TIMEOUT_S
        for bank, cr, _ in jobs:
            regs = self._regs(bank)
            unlock(bus, regs + CR, CR_LOCK, regs + KEYR, (KEY1, KEY2), f"FLASH_CR{bank}")
            wait_clear(bus, regs + SR, SR_QW, timeout_s, what)
            bus.write32(regs + CCR, SR_ERRORS | SR_EOP)       # clear stale flags
            bus.write32(regs + CR, cr)
            bus.write32(regs + CR, cr | CR_START)
        for bank, cr, one in jobs:
            regs = self._regs(bank)
            number = one.number if one is not None else None
            address = one.start if one is not None else None
            try:
                sr = wait_clear(bus, regs + SR, SR_QW | SR_BSY, timeout_s, what)
            except ControllerError as exc:
                exc.sector, exc.address = number, address
                raise
            if bus.read32(regs + CR) & CR_LOCK:
                raise ControllerError(f"{what}: the chip was reset during the operation (FLASH_CR{bank} "
                                      f"locked again, FLASH_SR{bank}=0x{sr:08X})", sr=sr, sector=number,
                                      address=address, reset=True)
            bus.write32(regs + CR, CR_PSIZE_X64)
            if sr & SR_ERRORS:
                bus.write32(regs + CCR, sr & (SR_ERRORS | SR_EOP))
                raise ControllerError(f"{what}: {self.describe_sr(sr)}", sr=sr, sector=number,
                                      address=address)

    def program_options(self, bus: Bus, new: Any, regression: bool) -> None:
        """OPTKEYR unlock, the _PRG registers, clear OPTCHANGEERR, OPTSTART, wait OPT_BUSY in
        OPTSR_CUR, check OPTCHANGEERR, relock (RM0433 §4.4.3; OpenOCD stm32h7_write_option)."""
        words = new.encode()
        two = dual_bank(new.dev_id, new.flash_kb)
        b2 = FLASH_REGS + BANK2_REGS
        targets = [(FLASH_REGS + OPTSR_PRG, words[0]), (FLASH_REGS + PRAR_PRG, words[1]),
                   (FLASH_REGS + SCAR_PRG, words[2]), (FLASH_REGS + WPSN_PRG, words[3]),
                   (FLASH_REGS + BOOT_PRG, words[4])]
        if two:
            targets += [(b2 + PRAR_PRG, words[5]), (b2 + SCAR_PRG, words[6]), (b2 + WPSN_PRG, words[7])]
        optcr = FLASH_REGS + OPTCR
        unlock(bus, optcr, OPTCR_OPTLOCK, FLASH_REGS + OPTKEYR, (OPTKEY1, OPTKEY2),
               "the option bytes (FLASH_OPTCR)")
        timeout = OPTION_WRITE_TIMEOUT_S + (BANK_ERASE_TIMEOUT_S if regression else 0)
        try:
            for address, value in targets:
                bus.write32(address, value)
            bus.write32(FLASH_REGS + OPTCCR, OPTCCR_CLR_OPTCHANGEERR)
            bus.write32(optcr, OPTCR_OPTSTART)
            status = wait_clear(bus, FLASH_REGS + OPTSR_CUR, OPTSR_OPT_BUSY, timeout, "option-byte write")
        finally:
            bus.write32(optcr, OPTCR_OPTLOCK)
        if status & OPTSR_OPTCHANGEERR:
            raise ControllerError("option-byte write failed: OPTCHANGEERR (the option bytes did not "
                                  f"change; FLASH_OPTSR_CUR=0x{status:08X})",
                                  sr=bus.read32(FLASH_REGS + SR))


STM32H7: Stm32H7 = Stm32H7.INSTANCE  # type: ignore[attr-defined]

__all__ = ["DEV_H72X_H73X", "DEV_H74X_H75X", "FLASH_REGS", "OptionBytes", "SR_FLAGS", "STM32H7",
           "dual_bank"]
