"""The stock pyOCD command line, as subprocesses, against a twin served over TCP."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from intelhex import IntelHex

from benchtui.sim.twin.mcu import Stm32Twin
from benchtui.sim.twin.server import serve_twin


@pytest.fixture(params=["single", "dual"])
def served(request):
    """The twin served over TCP, in both bank modes (the stock CLI must work with either)."""
    twin = Stm32Twin("zi", dual_bank=request.param == "dual")
    server = serve_twin(twin)
    yield twin, server
    server.stop()


def pyocd(*args: str, cwd) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pyocd", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_server_uid_names_loopback_port():
    server = serve_twin(Stm32Twin("zg"))
    try:
        assert server.uid == f"remote:127.0.0.1:{server.port}"
        assert server.port > 0
    finally:
        server.stop()


@pytest.mark.slow
def test_commander_reads_optcr(served, tmp_path):
    _, server = served
    res = pyocd("commander", "-u", server.uid, "-t", "stm32f767zi", "-M", "under-reset",
                "-c", "read32 0x40023C14", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    twin = served[0]
    assert ("dfffaafd" if twin.flash.dual_bank else "ffffaafd") in res.stdout.lower()


@pytest.mark.slow
def test_flash_then_chip_erase(served, tmp_path):
    twin, server = served
    data = random.Random(3).randbytes(40 * 1024)
    ih = IntelHex()
    ih.frombytes(data, offset=0x08000000)
    ih.write_hex_file(str(tmp_path / "small.hex"))
    res = pyocd("flash", "-u", server.uid, "-t", "stm32f767zi", "-M", "under-reset",
                str(tmp_path / "small.hex"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert bytes(twin.nv.flash[:len(data)]) == data
    res = pyocd("erase", "--chip", "-u", server.uid, "-t", "stm32f767zi", "-M", "under-reset",
                cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert twin.nv.flash == b"\xff" * len(twin.nv.flash)
