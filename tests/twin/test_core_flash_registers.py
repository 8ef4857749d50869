"""What the emulated core sees of the FLASH interface, instruction by instruction.

The twin keeps the FLASH registers in mapped memory and hooks only writes, so these tests run
small Thumb programs (stock pyOCD session: load, set registers, resume, wait for BKPT) whose
loads follow their stores in the same basic block: a raw store value must never be visible.
"""

from __future__ import annotations

import struct

from .conftest import open_session

FLASH_REGS, KEY1, KEY2 = 0x40023C00, 0x45670123, 0xCDEF89AB
CODE = 0x20000000
PG_PSIZE32, PG_PSIZE8 = 0x201, 0x001
PGPERR = 1 << 6


def str_(rt: int, rn: int, offset: int) -> int:
    return 0x6000 | (offset // 4) << 6 | rn << 3 | rt


def ldr(rt: int, rn: int, offset: int) -> int:
    return 0x6800 | (offset // 4) << 6 | rn << 3 | rt


BKPT = 0xBE00


def run(session, code: list[int], **regs: int) -> dict[str, int]:
    """Load `code` at CODE, set registers, run to the BKPT and return r0-r7."""
    target = session.target
    halfwords = code + [BKPT] * (len(code) % 2 + 1)
    target.write_memory_block8(CODE, list(struct.pack(f"<{len(halfwords)}H", *halfwords)))
    for name, value in regs.items():
        target.write_core_register(name, value)
    target.write_core_register("pc", CODE)
    target.write_core_register("xpsr", 1 << 24)
    target.resume()
    for _ in range(100):
        if target.is_halted():
            break
    assert target.is_halted()
    assert target.read_core_register("pc") == CODE + 2 * len(code)
    return {f"r{i}": target.read_core_register(f"r{i}") for i in range(8)}


def test_register_reads_right_after_writes_see_the_silicon_values(uid, tmp_path):
    with open_session(uid, tmp_path) as session:
        out = run(session, [
            str_(1, 0, 0x0C), ldr(2, 0, 0x0C),     # SR is write-1-to-clear: stays 0
            str_(3, 0, 0x10), ldr(4, 0, 0x10),     # CR is locked: the write is ignored
            str_(5, 0, 0x04), ldr(6, 0, 0x04),     # KEYR reads 0
        ], r0=FLASH_REGS, r1=0xF0, r3=PG_PSIZE32, r5=KEY1)
        assert out["r2"] == 0
        assert out["r4"] == 0x80000000
        assert out["r6"] == 0
        assert session.target.read32(FLASH_REGS + 0x10) == 0x80000000


def test_programming_only_clears_bits_as_the_core_reads_it_back(uid, tmp_path):
    with open_session(uid, tmp_path) as session:
        out = run(session, [
            str_(1, 0, 0x04), str_(2, 0, 0x04),    # unlock
            str_(3, 0, 0x10),                      # PG, 32-bit
            str_(5, 4, 0), str_(6, 4, 0),          # program twice over the same word
            ldr(7, 4, 0),
        ], r0=FLASH_REGS, r1=KEY1, r2=KEY2, r3=PG_PSIZE32, r4=0x08000000,
            r5=0xFFFF00FF, r6=0x0F0F0F0F)
        assert out["r7"] == 0x0F0F000F
        assert session.target.read32(0x08000000) == 0x0F0F000F


def test_refused_program_write_leaves_flash_and_sets_the_error(uid, tmp_path):
    with open_session(uid, tmp_path) as session:
        out = run(session, [
            str_(1, 0, 0x04), str_(2, 0, 0x04),
            str_(3, 0, 0x10),                      # PG with PSIZE x8 ...
            str_(5, 4, 0),                         # ... and a word write: PGPERR
            ldr(6, 4, 0), ldr(7, 0, 0x0C),
        ], r0=FLASH_REGS, r1=KEY1, r2=KEY2, r3=PG_PSIZE8, r4=0x08000100, r5=0x12345678)
        assert out["r6"] == 0xFFFFFFFF
        assert out["r7"] & PGPERR
        assert session.target.read32(0x08000100) == 0xFFFFFFFF
