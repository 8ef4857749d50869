"""A firmware file too big for the chip is one line, and nothing of it is read.

The files are sparse (2 GiB on disk as a hole): a .bin, a .hex, and an ELF whose one load segment
claims 2 GiB at 0x08000000. Before the size checks, reading them took 3 bytes of RSS per byte of
file for the .bin and the ELF (`read_bytes()` for the parse cache's hash, then the data) and 2
for the .hex: 786 / 531 / 788 MB for 256 MiB files, about 6 / 4 / 6 GB for these.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from benchtui.cli import DEMO_PROFILE

from .conftest import ROOT, finish, start_cli

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"

SIZE = 2 * 1024 ** 3
FLASH = (0x08000000, 0x08200000)  # the STM32F767ZI's 2 MiB
#: What loading may add to the process, at most: a few times the flash size (nothing is read).
GROWTH_BYTES = 3 * (FLASH[1] - FLASH[0])


def sparse_elf(path: Path, size: int, paddr: int = FLASH[0]) -> Path:
    """An ELF32 ARM executable whose single PT_LOAD segment fills the file from 4 KiB on."""
    offset = 4096
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, paddr, 52, 0, 0x05000000, 52, 32, 1, 40, 0, 0)
    program = struct.pack("<IIIIIIII", 1, offset, paddr, paddr, size - offset, size - offset, 5, 4096)
    with path.open("wb") as f:
        f.write(header + program)
        f.truncate(size)
    return path


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as f:
        f.truncate(size)
    return path


@pytest.fixture(scope="module")
def huge(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("huge")
    return {".bin": sparse(folder / "huge.bin", SIZE), ".hex": sparse(folder / "huge.hex", SIZE),
            ".elf": sparse_elf(folder / "huge.elf", SIZE)}


#: Run in a fresh interpreter: the peak RSS (VmHWM, which exec resets) before and after loading.
LOAD = """
import sys
from benchtui.devices.firmware import load_firmware
from benchtui.errors import FirmwareError

def hwm():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))

before = hwm()
try:
    load_firmware(sys.argv[1], flash=[(int(sys.argv[2]), int(sys.argv[3]))])
    print("LOADED")
except FirmwareError as exc:
    print(exc.one_line())
print(hwm() - before)
"""


@pytest.mark.parametrize("kind", [".bin", ".hex", ".elf"])
def test_a_2_gib_file_is_refused_unread_with_memory_bounded(kind, huge):
    done = subprocess.run([sys.executable, "-c", LOAD, str(huge[kind]), *map(str, FLASH)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    message, growth = done.stdout.splitlines()
    assert message.startswith(f"firmware: {huge[kind]}: ") and "2 GiB" in message, message
    assert "2 MiB of flash" in message and "nothing was read" in message, message
    assert int(growth) < GROWTH_BYTES, f"loading grew the process by {int(growth) / 2**20:.0f} MiB"


def test_flash_of_a_2_gib_file_is_one_line_from_the_cli(huge, tmp_path):
    proc = start_cli("flash", "--profile", str(DEMO_PROFILE), "--virtual", "-q", str(huge[".bin"]),
                     cwd=tmp_path)
    done = finish(proc, timeout=120)
    assert done.returncode == 2, done.stderr
    # The demo's STM32F767ZG has 1 MiB: the chip's flash, read at connect, is the bound.
    assert done.error_lines[-1] == (
        f"benchtui: firmware: {huge['.bin']}: 2 GiB is more than a .bin image for this target can be "
        "(at most 1 MiB for 1 MiB of flash); nothing was read"), done.stderr
    assert "Traceback" not in done.stderr
    assert done.peak_rss_mb < 250, f"peak RSS {done.peak_rss_mb:.0f} MB"
