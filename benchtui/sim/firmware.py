"""A stand-in for the seed's test firmware: an Intel HEX image linked at the ITCM flash alias.

The seed programs `stm32f767-board-test-v1.hex`, 688.88 KB at 0x00200000. The virtual bench
makes a deterministic image of that shape (a Cortex-M vector table, then pseudo-random bytes)
so that the demo and the tests flash something the size of the real thing.
"""

from __future__ import annotations

import os
import random
import struct
import tempfile
from pathlib import Path

from intelhex import IntelHex

ITCM_FLASH_BASE = 0x00200000
SEED_IMAGE_SIZE = 705_413  # 688.88 KB, as in the seed's log


def make_test_image(size: int = SEED_IMAGE_SIZE, base: int = ITCM_FLASH_BASE, seed: int = 767) -> bytes:
    """Vector table (SP in DTCM, reset handler in the image) followed by pseudo-random bytes."""
    rng = random.Random(seed)
    vectors = struct.pack("<II", 0x20020000, base + 0x200 | 1)
    vectors += b"".join(struct.pack("<I", base + 0x200 + 4 * i | 1) for i in range(14))
    body = rng.randbytes(max(0, size - len(vectors)))
    return (vectors + body)[:size]


def write_test_hex(path: str | os.PathLike, size: int = SEED_IMAGE_SIZE, base: int = ITCM_FLASH_BASE,
                   seed: int = 767) -> Path:
    """Write the image as Intel HEX (atomically) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ih = IntelHex()
    ih.frombytes(make_test_image(size, base, seed), offset=base)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".hex.tmp")
    os.close(fd)
    ih.write_hex_file(tmp)
    os.replace(tmp, path)
    return path


def ensure_test_firmware(path: str | os.PathLike) -> Path:
    """Create the demo firmware if it is missing (never overwrites a user's file)."""
    path = Path(path)
    if not path.exists():
        write_test_hex(path)
    return path
