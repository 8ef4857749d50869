"""STM32L432/L433/L442/L443 (DEV_ID 0x435, RM0394) and STM32L475/L476/L486 (0x415), L496/L4A6
(0x461, RM0351): flash layouts, page numbering, WRP areas, option bytes, FLASH_SR and the
register sequences of their flash controller.

Pages, not sectors: 2 KB each (256 per bank), numbered 0.. through the whole flash (bank 2's
page k of a 1 MB part is number 256 + k; PNB k with BKER set). Dual bank on the 1 MB parts and,
with the DUALBANK option, on the 512/256 KB L47x/L49x. 64-bit double-word programming with
ECC. Option bytes: OPTR (RDP, BOR_LEV, the reset and watchdog bits, BFB2, DUALBANK, ...), two
write-protection areas per bank (WRPxA/WRPxB: pages STRT..END, none when STRT > END), one PCROP
area per bank; stored in flash with each word followed by its complement (the option-byte
loader sets FLASH_SR.OPTVERR when they disagree). Written option bytes act only after the next
option-byte load (OBL_LAUNCH or a reset). Register offsets and bits follow ST's CMSIS headers
(stm32l476xx.h, stm32l432xx.h) and OpenOCD's stm32l4x.c; what they do not say is in the
UNCONFIRMED block, and nowhere else on the device side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable

from .base import (AlgoSource, ComplementCheck, FlashLayout, K, McuFamily, OptionBytesBase, OptionField,
                   Part, Sector)
from .controller import Bus, ControllerError, unlock, wait_clear
from .layout import format_sectors, make_bank
from .registers import KEY1, KEY2, OPTKEY1, OPTKEY2, RDP_LEVEL0
from .registry import register_family

# ---------------------------------------------------------------------------------------------
# UNCONFIRMED (change here only; the twin's copy is sim/twin/chips/stm32l4.py)
# ---------------------------------------------------------------------------------------------
#: Typical page erase time (DS10198 STM32L476 as remembered: 22.02 ms typ, 24.47 ms max).
PAGE_ERASE_TYP_S = 0.022
#: Factory option bytes: OPTR 0xFFEFF8AA (RDP 0xAA, BOR level 0, every reset/watchdog bit 1,
#: BFB2 0, DUALBANK 1), no WRP area (STRT 0xFF > END 0x00), no PCROP area (STRT 0xFFFF > END 0).
FACTORY_WORDS = (0xFFEFF8AA, 0x0000FFFF, 0x00000000, 0x000000FF, 0x000000FF, 0x0000FFFF, 0x00000000,
                 0x000000FF, 0x000000FF)
#: The stored option bytes (RM0351 §3.4.1 as remembered): bank 1's at 0x1FFF7800 (OPTR,
#: PCROP1SR, PCROP1ER, WRP1AR, WRP1BR at +0, +8, +0x10, +0x18, +0x20), bank 2's PCROP2/WRP2
#: at 0x1FFFF808.., each 32-bit value followed by its complement.
OPTION_AREA_1, OPTION_AREA_2 = 0x1FFF7800, 0x1FFFF800

# ---------------------------------------------------------------------------------------------
# Registers (CMSIS stm32l476xx.h FLASH_TypeDef at 0x40022000)
# ---------------------------------------------------------------------------------------------
FLASH_REGS = 0x40022000
ACR, PDKEYR, KEYR, OPTKEYR, SR, CR, ECCR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18
OPTR, PCROP1SR, PCROP1ER, WRP1AR, WRP1BR = 0x20, 0x24, 0x28, 0x2C, 0x30
PCROP2SR, PCROP2ER, WRP2AR, WRP2BR = 0x44, 0x48, 0x4C, 0x50
SR_EOP, SR_OPERR, SR_PROGERR, SR_WRPERR, SR_PGAERR, SR_SIZERR, SR_PGSERR = (
    1 << 0, 1 << 1, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7)
SR_MISERR, SR_FASTERR, SR_RDERR, SR_OPTVERR, SR_BSY = 1 << 8, 1 << 9, 1 << 14, 1 << 15, 1 << 16
SR_ERRORS = (SR_OPERR | SR_PROGERR | SR_WRPERR | SR_PGAERR | SR_SIZERR | SR_PGSERR | SR_MISERR
             | SR_FASTERR | SR_RDERR)
CR_PG, CR_PER, CR_MER1, CR_PNB_SHIFT, CR_BKER, CR_MER2, CR_STRT, CR_OPTSTRT = (
    1 << 0, 1 << 1, 1 << 2, 3, 1 << 11, 1 << 15, 1 << 16, 1 << 17)
CR_OBL_LAUNCH, CR_OPTLOCK, CR_LOCK = 1 << 27, 1 << 30, 1 << 31
UID_ADDR = 0x1FFF7590
FLASH_SIZE_REG = 0x1FFF75E0
PAGE = 2 * K
PAGE_ERASE_TIMEOUT_S = 1.0            # OpenOCD's FLASH_ERASE_TIMEOUT (250 ms) with a margin
MASS_ERASE_TIMEOUT_S = 5.0
OPTION_WRITE_TIMEOUT_S = 5.0

DEV_L43X_L44X = 0x435
DEV_L47X_L48X = 0x415
DEV_L49X_L4AX = 0x461

SR_FLAGS: dict[str, tuple[int, str]] = {
    "EOP": (SR_EOP, "end of operation"),
    "OPERR": (SR_OPERR, "operation error: the flash controller aborted the operation"),
    "PROGERR": (SR_PROGERR, "programming error: the double word was not erased before programming"),
    "WRPERR": (SR_WRPERR, "write-protection error: a page the operation touched is in a WRP area"),
    "PGAERR": (SR_PGAERR, "programming alignment error: not a whole, aligned double word"),
    "SIZERR": (SR_SIZERR, "size error: a write that is not 32 bits wide"),
    "PGSERR": (SR_PGSERR, "programming sequence error"),
    "MISERR": (SR_MISERR, "fast programming data miss"),
    "FASTERR": (SR_FASTERR, "fast programming error"),
    "RDERR": (SR_RDERR, "PCROP read error: a PCROP-protected area was read"),
    "OPTVERR": (SR_OPTVERR, "option validity error: the option bytes loaded are not the ones written "
                            "(a stored value and its complement disagree)"),
    "BSY": (SR_BSY, "busy: an operation is in progress"),
}

_FIELDS = {
    "rdp": OptionField("RDP", 0, 0, 8),
    "bor_lev": OptionField("BOR_LEV", 0, 8, 3),
    "nrst_stop": OptionField("nRST_STOP", 0, 12, 1),
    "nrst_stdby": OptionField("nRST_STDBY", 0, 13, 1),
    "nrst_shdw": OptionField("nRST_SHDW", 0, 14, 1),
    "iwdg_sw": OptionField("IWDG_SW", 0, 16, 1),
    "iwdg_stop": OptionField("IWDG_STOP", 0, 17, 1),
    "iwdg_stdby": OptionField("IWDG_STDBY", 0, 18, 1),
    "wwdg_sw": OptionField("WWDG_SW", 0, 19, 1),
    "bfb2": OptionField("BFB2", 0, 20, 1),
    "dualbank": OptionField("DUALBANK", 0, 21, 1),
    "nboot1": OptionField("nBOOT1", 0, 23, 1),
    "sram2_pe": OptionField("SRAM2_PE", 0, 24, 1),
    "sram2_rst": OptionField("SRAM2_RST", 0, 25, 1),
    "nswboot0": OptionField("nSWBOOT0", 0, 26, 1),
    "nboot0": OptionField("nBOOT0", 0, 27, 1),
    "pcrop1_strt": OptionField("PCROP1_STRT", 1, 0, 16),
    "pcrop1_end": OptionField("PCROP1_END", 2, 0, 16),
    "pcrop_rdp": OptionField("PCROP_RDP", 2, 31, 1),
    "wrp1a_strt": OptionField("WRP1A_STRT", 3, 0, 8),
    "wrp1a_end": OptionField("WRP1A_END", 3, 16, 8),
    "wrp1b_strt": OptionField("WRP1B_STRT", 4, 0, 8),
    "wrp1b_end": OptionField("WRP1B_END", 4, 16, 8),
    "pcrop2_strt": OptionField("PCROP2_STRT", 5, 0, 16),
    "pcrop2_end": OptionField("PCROP2_END", 6, 0, 16),
    "wrp2a_strt": OptionField("WRP2A_STRT", 7, 0, 8),
    "wrp2a_end": OptionField("WRP2A_END", 7, 16, 8),
    "wrp2b_strt": OptionField("WRP2B_STRT", 8, 0, 8),
    "wrp2b_end": OptionField("WRP2B_END", 8, 16, 8),
}
_BANK2 = ("pcrop2_strt", "pcrop2_end", "wrp2a_strt", "wrp2a_end", "wrp2b_strt", "wrp2b_end")
_AREAS = {1: ("wrp1a", "wrp1b"), 2: ("wrp2a", "wrp2b")}
_FLAG_TEXT = {
    "nrst_stop": ("reset on Stop entry", "no reset on Stop entry"),
    "nrst_stdby": ("reset on Standby entry", "no reset on Standby entry"),
    "nrst_shdw": ("reset on Shutdown entry", "no reset on Shutdown entry"),
    "iwdg_sw": ("hardware independent watchdog (starts at reset)", "software independent watchdog"),
    "iwdg_stop": ("IWDG frozen in Stop", "IWDG runs in Stop"),
    "iwdg_stdby": ("IWDG frozen in Standby", "IWDG runs in Standby"),
    "wwdg_sw": ("hardware window watchdog", "software window watchdog"),
    "bfb2": ("boot from bank 1", "dual-bank boot (boot from bank 2 if it holds valid code)"),
    "dualbank": ("single bank", "dual bank"),
    "nboot1": ("boot from embedded SRAM1 with BOOT0 = 1", "boot from system memory with BOOT0 = 1"),
    "sram2_pe": ("SRAM2 parity check on", "SRAM2 parity check off"),
    "sram2_rst": ("SRAM2 erased on system reset", "SRAM2 kept on system reset"),
    "nswboot0": ("BOOT0 from nBOOT0", "BOOT0 from the BOOT0 pin"),
    "nboot0": ("nBOOT0 = 0", "nBOOT0 = 1"),
    "pcrop_rdp": ("PCROP areas kept on RDP regression", "PCROP areas erased on RDP regression"),
}
BOR_LEVELS = {0: (0b000, "BOR level 0 (about 1.7 V)"), 1: (0b001, "BOR level 1 (about 2.0 V)"),
              2: (0b010, "BOR level 2 (about 2.2 V)"), 3: (0b011, "BOR level 3 (about 2.5 V)"),
              4: (0b100, "BOR level 4 (about 2.8 V)")}

_PARTS = {
    DEV_L43X_L44X: Part(DEV_L43X_L44X, "STM32L43x/L44x", (128, 256),
                        missing_fields=("bfb2", "dualbank", *_BANK2), has_optcr1=False),
    DEV_L47X_L48X: Part(DEV_L47X_L48X, "STM32L47x/L48x", (256, 512, 1024),
                        missing_fields=("nswboot0", "nboot0")),
    DEV_L49X_L4AX: Part(DEV_L49X_L4AX, "STM32L49x/L4Ax", (256, 512, 1024)),
}


def _dual(dev_id: int, flash_kb: int, dualbank: int) -> bool:
    if dev_id == DEV_L43X_L44X:
        return False
    return flash_kb == 1024 or bool(dualbank)


@dataclass(frozen=True)
class OptionBytes(OptionBytesBase):
    """The user option bytes of an STM32L4: OPTR, PCROPxSR/ER, WRPxAR/BR."""

    FIELDS: ClassVar = _FIELDS
    FLAG_TEXT: ClassVar = _FLAG_TEXT
    REGISTERS: ClassVar = ("OPTR", "PCROP1SR", "PCROP1ER", "WRP1AR", "WRP1BR", "PCROP2SR", "PCROP2ER",
                           "WRP2AR", "WRP2BR")
    LOCKED_BITS: ClassVar = ()
    BOR_LEVELS: ClassVar = BOR_LEVELS
    WRP_FIELDS: ClassVar = ()

    rdp: int = RDP_LEVEL0
    bor_lev: int = 0
    nrst_stop: int = 1
    nrst_stdby: int = 1
    nrst_shdw: int = 1
    iwdg_sw: int = 1
    iwdg_stop: int = 1
    iwdg_stdby: int = 1
    wwdg_sw: int = 1
    bfb2: int = 0
    dualbank: int = 1
    nboot1: int = 1
    sram2_pe: int = 1
    sram2_rst: int = 1
    nswboot0: int = 1
    nboot0: int = 1
    pcrop1_strt: int = 0xFFFF
    pcrop1_end: int = 0
    pcrop_rdp: int = 0
    wrp1a_strt: int = 0xFF
    wrp1a_end: int = 0
    wrp1b_strt: int = 0xFF
    wrp1b_end: int = 0
    pcrop2_strt: int = 0xFFFF
    pcrop2_end: int = 0
    wrp2a_strt: int = 0xFF
    wrp2a_end: int = 0
    wrp2b_strt: int = 0xFF
    wrp2b_end: int = 0
    flash_kb: int = field(default=1024, compare=False)
    dev_id: int = field(default=DEV_L47X_L48X, compare=False)

    def field_names(self) -> list[str]:
        part = _PARTS.get(self.dev_id)
        missing = set(part.missing_fields if part else ())
        if not self.dual_bank:
            missing |= set(_BANK2)
        return [name for name in self.FIELDS if name not in missing]

    def _banks(self) -> list[int]:
        return [1, 2] if self.dual_bank else [1]

    def wrp_ranges(self, bank: int) -> list[tuple[int, int]]:
        """[(first page, last page)] (page index within the bank) of the bank's WRP areas."""
        out = []
        for area in _AREAS[bank]:
            strt, end = getattr(self, f"{area}_strt"), getattr(self, f"{area}_end")
            if strt <= end:
                out.append((strt, end))
        return out

    def sector_protection(self) -> dict[int, bool]:
        ranges = {bank: self.wrp_ranges(bank) for bank in self._banks()}
        return {s.number: any(a <= s.snb <= b for a, b in ranges.get(s.bank, ())) for s in self.layout()}

    def wrp_mask(self) -> int:
        """Bit n set = page number n not write-protected (for readers that want one number)."""
        return sum(1 << n for n, p in self.sector_protection().items() if not p)

    def with_wrp_mask(self, mask: int) -> "OptionBytes":
        protected = [s.number for s in self.layout() if not (mask >> s.number) & 1]
        return self._with_protected(protected)

    def with_protection(self, sectors: Iterable[int], protect: bool = True) -> "OptionBytes":
        layout = self.layout()
        current = set(self.protected_sectors())
        for n in sectors:
            if layout.get(n) is None:
                raise ValueError(f"page {n} does not exist on this {layout.describe()}")
        wanted = current | set(sectors) if protect else current - set(sectors)
        return self._with_protected(sorted(wanted))

    def _with_protected(self, pages: list[int]) -> "OptionBytes":
        """WRP areas that protect exactly `pages` (at most two runs per bank)."""
        layout = self.layout()
        changes: dict[str, int] = {}
        for bank in (1, 2):
            if bank not in self._banks():
                continue
            indexes = sorted(layout.get(n).snb for n in pages if layout.get(n).bank == bank)
            runs: list[list[int]] = []
            for i in indexes:
                if runs and runs[-1][1] == i - 1:
                    runs[-1][1] = i
                else:
                    runs.append([i, i])
            if len(runs) > 2:
                raise ValueError(f"bank {bank}: pages {format_sectors(pages)} need {len(runs)} WRP areas; "
                                 "an STM32L4 bank has two (WRPxA, WRPxB)")
            for area, run in zip(_AREAS[bank], runs + [[0xFF, 0]] * (2 - len(runs))):
                changes[f"{area}_strt"], changes[f"{area}_end"] = run
        return self.replace(**changes)

    def without_write_protection(self) -> "OptionBytes":
        return self._with_protected([])

    def unprotect_settings(self) -> list[str]:
        clear = self.without_write_protection()
        names = [n for n in self.field_names() if n.startswith("wrp")]
        return [f"{self.FIELDS[n].st_name}=0x{getattr(clear, n):X}" for n in names]

    def pcrop_area(self, bank: int) -> tuple[int, int] | None:
        """[start, end) address of the bank's PCROP area (double-word offsets), or None."""
        strt, end = getattr(self, f"pcrop{bank}_strt"), getattr(self, f"pcrop{bank}_end")
        if strt > end:
            return None
        base = 0x08000000 if bank == 1 else 0x08000000 + self.flash_kb * K // 2
        return base + strt * 8, base + (end + 1) * 8

    def _meaning(self, name: str, value: int) -> str:
        if name.startswith("wrp"):
            bank = int(name[3])
            ranges = self.wrp_ranges(bank)
            return (f"bank {bank}: no WRP area" if not ranges else
                    f"bank {bank} write-protected pages {', '.join(f'{a}-{b}' for a, b in ranges)} "
                    "(page index in the bank)")
        if name.startswith("pcrop") and name != "pcrop_rdp":
            bank = int(name[5])
            area = self.pcrop_area(bank)
            return (f"no PCROP area in bank {bank}" if area is None
                    else f"PCROP area 0x{area[0]:08X}-0x{area[1] - 1:08X}")
        return super()._meaning(name, value)


@register_family
class Stm32L4(McuFamily):
    name = "STM32L4"
    parts = _PARTS
    rev_names = {0x1000: "A", 0x1001: "Z", 0x1003: "Y", 0x1007: "4", 0x2001: "2"}
    uid_address = UID_ADDR
    flash_size_address = FLASH_SIZE_REG
    package_address = None
    pyocd_target_type = "benchtui_stm32l4"
    extra_pyocd_types = ("stm32l476rg", "stm32l476vg", "stm32l476zg", "stm32l496zg")
    target_types = {
        "stm32l432kc": (DEV_L43X_L44X, 256), "stm32l432kb": (DEV_L43X_L44X, 128),
        "stm32l433rc": (DEV_L43X_L44X, 256), "stm32l433cc": (DEV_L43X_L44X, 256),
        "stm32l475xc": (DEV_L47X_L48X, 256), "stm32l475xe": (DEV_L47X_L48X, 512),
        "stm32l475xg": (DEV_L47X_L48X, 1024), "stm32l475vg": (DEV_L47X_L48X, 1024),
        "stm32l476rg": (DEV_L47X_L48X, 1024), "stm32l476vg": (DEV_L47X_L48X, 1024),
        "stm32l476zg": (DEV_L47X_L48X, 1024), "stm32l476re": (DEV_L47X_L48X, 512),
        "stm32l496zg": (DEV_L49X_L4AX, 1024), "stm32l496vg": (DEV_L49X_L4AX, 1024),
        "stm32l496rg": (DEV_L49X_L4AX, 1024), "stm32l496ae": (DEV_L49X_L4AX, 512),
    }
    sr_flags = SR_FLAGS
    sr_errors = SR_ERRORS
    sr_wrperr = SR_WRPERR
    cr_lock = (FLASH_REGS + CR, CR_LOCK)
    option_bytes_class = OptionBytes
    page_size = 0x400
    ram = (0x20000000, 0xC000)        # SRAM1 of the smallest part (48 KB, L43x)
    options_load_at_reset = True

    def package_name(self, word: int | None) -> str | None:
        return None

    def layout(self, dev_id: int, flash_kb: int, ob: OptionBytesBase | None) -> FlashLayout:
        part = _PARTS.get(dev_id)
        if part is None or flash_kb not in part.flash_sizes_kb:
            sizes = part.flash_sizes_kb if part else ()
            raise ValueError(f"no STM32L4 page layout for {flash_kb} KB on DEV_ID 0x{dev_id:03X}"
                             + (f" (expected {' or '.join(map(str, sizes))} KB)" if sizes else ""))
        pages = flash_kb * K // PAGE
        dual = _dual(dev_id, flash_kb, getattr(ob, "dualbank", 1) if ob is not None else 0
                     if flash_kb < 1024 else 1)
        if not dual:
            return FlashLayout(flash_kb, False, make_bank([PAGE] * pages, 0x08000000, first_number=0,
                                                          snb_base=0, wrp=lambda k: k, bank=1))
        half = pages // 2
        bank1 = make_bank([PAGE] * half, 0x08000000, first_number=0, snb_base=0, wrp=lambda k: k, bank=1)
        bank2 = make_bank([PAGE] * half, 0x08000000 + half * PAGE, first_number=half, snb_base=0,
                          wrp=lambda k: k, bank=2)
        return FlashLayout(flash_kb, True, bank1 + bank2)

    def erase_time_s(self, size: int) -> float:
        return PAGE_ERASE_TYP_S

    def algo_source(self, dev_id: int) -> AlgoSource:
        # pyOCD's STM32L4 algorithm, without its on-target CRC analyzer (smart flash compares by
        # reading back), as for the F4.
        module = "target_STM32L432xx" if dev_id == DEV_L43X_L44X else "target_STM32L475xx"
        return AlgoSource(f"pyocd.target.builtin.{module}", overrides=(("analyzer_supported", False),))

    # -- option bytes ---------------------------------------------------------------------------
    def option_registers(self, dev_id: int) -> tuple[int | None, ...]:
        two = dev_id != DEV_L43X_L44X
        return tuple(FLASH_REGS + r if (r < PCROP2SR or two) else None
                     for r in (OPTR, PCROP1SR, PCROP1ER, WRP1AR, WRP1BR, PCROP2SR, PCROP2ER, WRP2AR, WRP2BR))

    def decode_options(self, dev_id: int, flash_kb: int, *words: int) -> OptionBytes:
        ob = OptionBytes.decode(*words, flash_kb=flash_kb, dev_id=dev_id)
        part = _PARTS.get(dev_id)
        absent = set(part.missing_fields if part else ()) | (set() if ob.dual_bank else set(_BANK2))
        return ob.replace(**{n: getattr(OptionBytes, n) for n in absent})

    def factory(self, dev_id: int = DEV_L47X_L48X, flash_kb: int = 1024) -> OptionBytes:
        return self.decode_options(dev_id, flash_kb, *FACTORY_WORDS)

    def complement_words(self) -> list[tuple[int, str]]:
        bank1 = [(OPTION_AREA_1 + 8 * i, name) for i, name in
                 enumerate(("OPTR", "PCROP1SR", "PCROP1ER", "WRP1AR", "WRP1BR"))]
        bank2 = [(OPTION_AREA_2 + 8 * i, name) for i, name in
                 enumerate(("PCROP2SR", "PCROP2ER", "WRP2AR", "WRP2BR"), start=1)]
        return bank1 + bank2

    def check_complements(self, read32: Callable[[int], int | None],
                          unreadable: Callable[[int], str | None] = lambda addr: None) -> list[ComplementCheck]:
        """Each stored option value and the complement in the word after it (`read32` gives None
        for a word that bus-faults; bank 2's area faults on a single-bank part and is left out);
        OPTVERR, the loader's own verdict, is reported by `load_notes`."""
        checks = []
        for address, what in self.complement_words():
            value, comp = read32(address), read32(address + 4)
            if value is None and comp is None and address >= OPTION_AREA_2:
                continue
            if value is None or comp is None:
                why = unreadable(address if value is None else address + 4) or "unreadable"
                checks.append(ComplementCheck(address, None, what, why, width=32))
                continue
            checks.append(ComplementCheck(address, value, what, width=32, complement=comp))
        return checks

    def load_notes(self, read32: Callable[[int], int]) -> list[str]:
        sr = read32(FLASH_REGS + SR)
        return ["FLASH_SR.OPTVERR set: the option bytes loaded at reset are not the ones written"] \
            if sr & SR_OPTVERR else []

    def bank_mode_change(self, ob: OptionBytesBase, dual: bool) -> OptionBytes:
        if ob.dev_id == DEV_L43X_L44X:
            raise ValueError(f"the {self.part_name(ob.dev_id)} has a single bank: no bank mode to change")
        if ob.flash_kb == 1024:
            raise ValueError("a 1 MB STM32L4 always has two banks: nothing to change")
        return ob.replace(dualbank=1 if dual else 0)

    # -- the flash controller -------------------------------------------------------------------
    def sr_address(self, sector: Sector | None = None) -> int:
        return FLASH_REGS + SR

    def erase(self, bus: Bus, layout: FlashLayout, sector: Sector | None) -> None:
        """Page erase (PER + PNB [+ BKER]) or mass erase (MER1 [+ MER2]), STRT, wait BSY
        (RM0351 §3.3.6)."""
        if sector is None:
            cr = CR_MER1 | (CR_MER2 if layout.dual_bank else 0)
            what, timeout_s, number, address = "mass erase", MASS_ERASE_TIMEOUT_S, None, None
        else:
            cr = CR_PER | sector.snb << CR_PNB_SHIFT | (CR_BKER if sector.bank == 2 else 0)
            what, timeout_s, number, address = (f"page {sector.number} erase", PAGE_ERASE_TIMEOUT_S,
                                                sector.number, sector.start)
        unlock(bus, FLASH_REGS + CR, CR_LOCK, FLASH_REGS + KEYR, (KEY1, KEY2), "FLASH_CR")
        wait_clear(bus, FLASH_REGS + SR, SR_BSY, timeout_s, what)
        bus.write32(FLASH_REGS + SR, SR_ERRORS | SR_EOP)      # clear stale flags (write 1)
        bus.write32(FLASH_REGS + CR, cr)
        bus.write32(FLASH_REGS + CR, cr | CR_STRT)
        try:
            sr = wait_clear(bus, FLASH_REGS + SR, SR_BSY, timeout_s, what)
        except ControllerError as exc:
            exc.sector, exc.address = number, address
            raise
        if bus.read32(FLASH_REGS + CR) & CR_LOCK:
            raise ControllerError(f"{what}: the chip was reset during the operation (FLASH_CR locked "
                                  f"again, FLASH_SR=0x{sr:08X})", sr=sr, sector=number, address=address,
                                  reset=True)
        bus.write32(FLASH_REGS + CR, 0)
        if sr & SR_ERRORS:
            raise ControllerError(f"{what}: {self.describe_sr(sr)}", sr=sr, sector=number, address=address)

    def program_options(self, bus: Bus, new: Any, regression: bool) -> None:
        """KEYR then OPTKEYR unlock, the option registers, OPTSTRT, wait BSY, relock (RM0351
        §3.4.2; OpenOCD stm32l4_write_option). They act at the next option-byte load."""
        words = new.encode()
        addresses = self.option_registers(new.dev_id)
        if not new.dual_bank:
            addresses = addresses[:5]
        unlock(bus, FLASH_REGS + CR, CR_LOCK, FLASH_REGS + KEYR, (KEY1, KEY2), "FLASH_CR")
        unlock(bus, FLASH_REGS + CR, CR_OPTLOCK, FLASH_REGS + OPTKEYR, (OPTKEY1, OPTKEY2),
               "the option bytes (FLASH_CR.OPTLOCK)")
        timeout = OPTION_WRITE_TIMEOUT_S + (MASS_ERASE_TIMEOUT_S if regression else 0)
        try:
            wait_clear(bus, FLASH_REGS + SR, SR_BSY, timeout, "option-byte write")
            bus.write32(FLASH_REGS + SR, SR_ERRORS | SR_EOP)
            for address, value in zip(addresses, words):
                if address is not None:
                    bus.write32(address, value)
            bus.write32(FLASH_REGS + CR, CR_OPTSTRT)
            sr = wait_clear(bus, FLASH_REGS + SR, SR_BSY, timeout, "option-byte write")
        finally:
            bus.write32(FLASH_REGS + CR, CR_LOCK | CR_OPTLOCK)
        if sr & SR_ERRORS:
            raise ControllerError(f"option-byte write failed: {self.describe_sr(sr)}", sr=sr)


STM32L4: Stm32L4 = Stm32L4.INSTANCE  # type: ignore[attr-defined]

__all__ = ["DEV_L43X_L44X", "DEV_L47X_L48X", "DEV_L49X_L4AX", "FLASH_REGS", "OptionBytes", "SR_FLAGS",
           "STM32L4"]
