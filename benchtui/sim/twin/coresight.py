"""Read-only CoreSight identification space of the twin: ROM tables and component ID
registers (STM32F767: as pyOCD logs the chain of a NUCLEO-F767ZI, mbed-ce/mbed-os PR #36; STM32F4: the Cortex-M4 ROM table with ST's identity),
plus the reset values of the system registers the debugger probes (CPUID, FPU, caches,
DWT/FPB capabilities)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .variants import TwinVariant


def _id_regs(base: int, pidr: int, cidr: int, extra: dict[int, int] | None = None) -> dict[int, int]:
    regs = {base + 0xFD0: (pidr >> 32) & 0xFF}
    for i in range(4):
        regs[base + 0xFE0 + 4 * i] = (pidr >> (8 * i)) & 0xFF
        regs[base + 0xFF0 + 4 * i] = (cidr >> (8 * i)) & 0xFF
    for off, value in (extra or {}).items():
        regs[base + off] = value
    return regs


def _rom(base: int, entries: list[int], pidr: int) -> dict[int, int]:
    regs = _id_regs(base, pidr, 0xB105100D, {0xFCC: 1})
    for i, entry in enumerate(entries + [0]):
        regs[base + 4 * i] = entry
    return regs


def id_space(variant: "TwinVariant") -> dict[int, int]:
    """Address -> value of every read-only ID/ROM word the twin serves."""
    if variant.family == "f4":
        return _f4_id_space(variant.dev_id)
    regs: dict[int, int] = {}
    regs |= _rom(0xE00FD000, [0x00001003, 0xFFF43003], 0x00_000A0451)            # ST system ROM
    regs |= _rom(0xE00FE000, [0x00001003, 0xFFF43003], 0x04_000BB4C8)            # Cortex-M7 ROM
    regs |= _rom(0xE00FF000, [0xFFF0F003, 0xFFF02003, 0xFFF03003, 0xFFF01003], 0x04_000BB4C7)
    regs |= _id_regs(0xE000E000, 0x04_000BB00C, 0xB105E00D)                      # SCS
    regs |= _id_regs(0xE0001000, 0x04_000BB002, 0xB105E00D)                      # DWT
    regs |= _id_regs(0xE0002000, 0x04_000BB00E, 0xB105E00D)                      # FPB
    regs |= _id_regs(0xE0000000, 0x04_000BB001, 0xB105E00D)                      # ITM
    regs |= _id_regs(0xE0041000, 0x04_000BB975, 0xB105900D,
                     {0xFBC: 0x47724A13, 0xFCC: 0x13})                            # ETM
    regs |= _id_regs(0xE0040000, 0x04_000BB9A9, 0xB105900D,
                     {0xFC8: 0xCA1, 0xFCC: 0x11})                                 # TPIU
    return regs


def _f4_id_space(dev_id: int) -> dict[int, int]:
    """Cortex-M4 STM32F4: one ROM table at 0xE00FF000 carrying ST's JEP106 code and the DEV_ID
    as part number (UNCONFIRMED revision nibbles), listing SCS, DWT, FPB, ITM, TPIU, ETM."""
    regs: dict[int, int] = {}
    regs |= _rom(0xE00FF000, [0xFFF0F003, 0xFFF02003, 0xFFF03003, 0xFFF01003, 0xFFF41003,
                              0xFFF42003], 0x00_000A0000 | dev_id)
    regs |= _id_regs(0xE000E000, 0x04_000BB00C, 0xB105E00D)                      # SCS-M4
    regs |= _id_regs(0xE0001000, 0x04_003BB002, 0xB105E00D)                      # DWT
    regs |= _id_regs(0xE0002000, 0x04_002BB003, 0xB105E00D)                      # FPB
    regs |= _id_regs(0xE0000000, 0x04_003BB001, 0xB105E00D)                      # ITM
    regs |= _id_regs(0xE0040000, 0x04_000BB9A1, 0xB105900D, {0xFCC: 0x11})       # TPIU-M4
    regs |= _id_regs(0xE0041000, 0x04_000BB925, 0xB105900D, {0xFCC: 0x13})       # ETM-M4
    return regs


def system_reset_values(variant: "TwinVariant") -> dict[int, int]:
    """Reset values of the system registers (read/write unless the twin handles them)."""
    values = dict(SYSTEM_RESET_VALUES)
    values[0xE000ED00] = variant.cpuid
    if variant.family == "f4":   # Cortex-M4F: no caches, single-precision FPU, 6 FPB comparators
        for addr in (0xE000ED78, 0xE000ED7C, 0xE000ED80, 0xE000EF48):
            values.pop(addr, None)
        values.update({0xE000EF40: 0x10110021, 0xE000EF44: 0x11000011, 0xE0002000: 0x00000260})
    return values


#: Reset values of system registers (read/write unless handled specially by the twin).
#: Cache and FPU identification values are UNCONFIRMED (typical Cortex-M7 r1p0 with DP FPU).
SYSTEM_RESET_VALUES = {
    0xE000E004: 0x00000003,   # ICTR
    0xE000ED00: 0x411FC270,   # CPUID (per variant, system_reset_values)
    0xE000ED78: 0x09000003,   # CLIDR
    0xE000ED7C: 0x8303C003,   # CTR
    0xE000ED80: 0xF003E019,   # CCSIDR
    0xE000ED90: 0x00000800,   # MPU_TYPE: 8 regions
    0xE000EF34: 0xC0000000,   # FPCCR
    0xE000EF40: 0x10110221,   # MVFR0
    0xE000EF44: 0x12000011,   # MVFR1
    0xE000EF48: 0x00000040,   # MVFR2
    0xE0001000: 0x40000000,   # DWT_CTRL: 4 comparators
    0xE0002000: 0x10000180,   # FP_CTRL: FPBv2, 8 code + 1 literal comparators
}
