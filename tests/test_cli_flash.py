"""`benchtui flash`, `erase`, `ob`: on the virtual bench (--virtual) and against a served twin by
probe uid; exit codes 0 (done), 1 (the board failed), 2 (setup or missing confirmation)."""

from __future__ import annotations

import json

import pytest

from benchtui.cli import DEMO_PROFILE, main

P = str(DEMO_PROFILE)


@pytest.fixture
def served():
    """A 1 MB twin served over TCP: its state lasts across commands (unlike --virtual)."""
    import pyocd  # noqa: F401
    from benchtui.sim.twin.mcu import Stm32Twin
    from benchtui.sim.twin.server import serve_twin

    twin = Stm32Twin("zg", seed=3)
    server = serve_twin(twin)
    yield twin, server.uid
    server.stop()


def test_flash_erase_ob_on_the_virtual_bench(small_firmware, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["flash", "--profile", P, "--virtual", str(small_firmware)]) == 0
    out = capsys.readouterr()
    line = out.out.strip().splitlines()[-1]
    assert line.startswith("flashed board-test-small.hex: 48.0 KB") and "KB/s" in line
    assert "erased 2 sector(s) 0-1" in line and "verify OK" in line
    assert "UID " in out.err and "1024 KB single bank" in out.err

    assert main(["erase", "--profile", P, "--virtual", "--sectors", "0-3,7"]) == 0
    assert "erased sector(s) 0-3, 7" in capsys.readouterr().out
    assert main(["erase", "--profile", P, "--virtual", "--chip"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["erase", "--profile", P, "--virtual", "--sectors", "3-1"]) == 2
    assert main(["erase", "--profile", P, "--virtual", "--sectors", "12"]) == 2
    assert "sector 12 does not exist" in capsys.readouterr().err

    assert main(["ob", "--profile", P, "--virtual", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert len(record["board_uid"]) == 24 and record["target"]["layout"] == "single bank"
    assert record["option_bytes"]["optcr"] == "0xFFFFAAFD"
    assert record["option_bytes"]["complement_errors"] == 0


@pytest.mark.slow
def test_served_twin_by_probe_uid(served, small_firmware, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    twin, uid = served
    run = lambda *a: main([a[0], "--profile", P, "--probe", uid, *a[1:]])  # noqa: E731

    assert run("ob", "--set", "nWRP=0xFFE") == 2                   # no --yes: nothing written
    assert "add --yes" in capsys.readouterr().err
    assert twin.nv.optcr >> 16 & 0xFFF == 0xFFF
    assert run("ob", "--set", "nWRP=0xFFE", "--yes") == 0
    out = capsys.readouterr().out
    assert "nWRP 0xFFF -> 0xFFE" in out and "write-protected sectors: 0" in out and "(factory 0xFFF)" in out
    # The board fails: exit code 1, the error names the sector and FLASH_SR.
    assert run("flash", str(small_firmware)) == 1
    err = capsys.readouterr().err
    assert "sector 0 is write-protected" in err and "WRPERR" in err
    assert run("ob", "--set", "nWRP=0xFFF", "--yes") == 0
    assert run("flash", str(small_firmware)) == 0
    capsys.readouterr()

    assert run("ob", "--set", "RDP=2", "--yes") == 2
    assert "RDP level 2" in capsys.readouterr().err
    assert run("ob", "--set", "RDP=1", "--yes") == 0
    capsys.readouterr()
    assert run("ob", "--set", "RDP=0", "--yes") == 2                # the second confirmation
    assert "--confirm-erase" in capsys.readouterr().err
    assert bytes(twin.nv.flash[:4]) != b"\xff" * 4
    assert run("ob", "--set", "RDP=0", "--yes", "--confirm-erase") == 0
    assert "RDP 0x55 -> 0xAA" in capsys.readouterr().out
    assert twin.nv.flash[:48 * 1024] == b"\xff" * (48 * 1024)     # the regression mass-erased

    assert run("ob", "--set", "nDBANK=0", "--yes") == 0             # bank mode: the chip re-sectors
    out = capsys.readouterr().out
    assert "1024 KB dual bank: sectors 0-7 (bank 1), 12-19 (bank 2)" in out
    assert run("erase", "--sectors", "12-13") == 0
    assert dict(twin.flash.erase_counts).get(12) == 1
