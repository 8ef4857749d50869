"""Identity and forensics degrade word by word: a twin that bus-faults on its UID, package word,
flash-size word or stored option area is still flashed, erased, read and looped on, and every
unreadable word is shown and stored as "unreadable (bus fault at 0x...)"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchtui.cli import DEMO_PROFILE, main
from benchtui.errors import ProfileError
from benchtui.profile import SimConfig, load_profile, parse_profile

from .conftest import config, register

ALL_WORDS = ["uid", "package", "flash_size", "options"]
F7 = {"uid": 0x1FF0F420, "package": 0x1FF0F7E0, "flash_size": 0x1FF0F442, "options": 0x1FFF0000}


def faulty_profile(tmp_path: Path, firmware: Path, words=ALL_WORDS, variant: str = "zg") -> Path:
    """The demo profile on a twin that faults on `words`, with a small image and its own db."""
    text = DEMO_PROFILE.read_text()
    text = text.replace('firmware = "firmware/board-test-v1.hex"', f'firmware = "{firmware}"')
    text = text.replace('variant = "zg"', f'variant = "{variant}"\nfault_words = {json.dumps(list(words))}')
    text = text.replace('database = "benchtui-demo.db"', f'database = "{tmp_path / "f.db"}"')
    path = tmp_path / "faulty.toml"
    path.write_text(text)
    return path


def test_the_twin_faults_only_the_debuggers_reads_of_the_named_words():
    from benchtui.sim.twin.faults import FAULT_WORDS, BusFault
    from benchtui.sim.twin.mcu import Stm32Twin

    assert FAULT_WORDS == SimConfig.__dataclass_fields__["fault_words"].metadata["choices"]
    twin = Stm32Twin("zg", fault_words=("uid", "package"), fault_addresses=(0x1FFF0008,))
    for address in (0x1FF0F420, 0x1FF0F42A, 0x1FF0F7E0, 0x1FFF0008):
        with pytest.raises(BusFault) as info:
            twin.bus_read(address, 2)
        assert info.value.address == address
    with pytest.raises(BusFault) as info:       # a block read faults at its first bad word
        twin.read_block(0x1FF0F400, 0x40)
    assert info.value.address == 0x1FF0F420
    assert twin.bus_read(0x1FF0F442, 2) == 1024          # the flash-size word still reads
    word = twin.bus_read(0x1FFF0000, 4)                  # so does the option area
    assert (word & 0xFFFF) ^ (word >> 16) == 0xFFFF
    assert twin.bus_read(0x1FF0F420, 4, from_core=True) == int.from_bytes(twin.uid[:4], "little")
    clean = Stm32Twin("zg")
    assert clean.read_block(0x1FF0F420, 12) == clean.uid


def test_a_fault_word_the_twin_does_not_know_is_a_profile_error(tmp_path):
    text = DEMO_PROFILE.read_text().replace('variant = "zg"', 'variant = "zg"\nfault_words = ["udi"]')
    with pytest.raises(ProfileError) as info:
        parse_profile(text, source="p.toml")
    assert "sim.fault_words" in str(info.value) and "did you mean 'uid'" in str(info.value)


@pytest.mark.parametrize("variant", ["zg", "f429zi"])
def test_connect_reads_what_it_can_and_names_each_unreadable_word(variant):
    from benchtui.devices.target import TargetLink
    from benchtui.sim.twin.mcu import Stm32Twin

    twin = Stm32Twin(variant, fault_words=tuple(ALL_WORDS))
    target_type = "stm32f767zg" if variant == "zg" else "stm32f429zi"
    cfg = config(register(twin))
    link = TargetLink(type(cfg)(**{**cfg.__dict__, "target_type": target_type}))
    try:
        ident = link.connect()
        v = twin.variant
        assert ident.uid is None and ident.uid_text == f"unreadable (bus fault at 0x{v.uid_addr:08X})"
        assert ident.unreadable["flash_size"] == f"unreadable (bus fault at 0x{v.flash_size_addr:08X})"
        assert ident.flash_kb == v.flash_kb and ident.flash_kb_source == "profile"
        if v.package_addr is not None:
            assert ident.package_text == f"unreadable (bus fault at 0x{v.package_addr:08X})"
        record = ident.to_record()
        assert record["uid"] == ident.uid_text and record["unreadable"] == ident.unreadable
        assert "UID unreadable (bus fault at" in ident.describe()
        forensics = link.option_forensics()        # OPTCR reads: the option bytes decode
        assert forensics.options.rdp_level == 0 and forensics.complement_errors == 0
        if variant == "zg":
            assert forensics.unreadable == {f"0x{0x1FFF0000 + 8 * i:08X}":
                                            f"unreadable (bus fault at 0x{0x1FFF0000 + 8 * i:08X})"
                                            for i in range(4)}
            assert forensics.to_record()["complements"][0]["ok"] is None
        assert link.read_memory(0x08000000, 16) == b"\xff" * 16   # the link is still good
    finally:
        link.disconnect()


def test_a_faulting_word_does_not_hide_a_lost_link(monkeypatch):
    """Only a bus fault on the word degrades: no SWD ACK still fails the connect."""
    from benchtui.devices.target import TargetLink
    from benchtui.errors import NoSwdAck
    from benchtui.sim.twin.mcu import Stm32Twin
    from benchtui.sim.twin.power import AlwaysPowered

    class Unpowered(AlwaysPowered):
        def powered(self) -> bool:
            return False

    twin = Stm32Twin("zg", fault_words=tuple(ALL_WORDS), power=Unpowered())
    link = TargetLink(config(register(twin)))
    with pytest.raises(NoSwdAck):
        link.connect()


@pytest.mark.slow
def test_flash_erase_ob_run_go_on_with_every_identity_word_unreadable(tmp_path, small_firmware, capsys,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = str(faulty_profile(tmp_path, small_firmware))
    assert main(["flash", "--profile", p, "--virtual"]) == 0
    out = capsys.readouterr()
    assert "verify OK" in out.out
    assert f"UID unreadable (bus fault at 0x{F7['uid']:08X})" in out.err
    assert f"package unreadable (bus fault at 0x{F7['package']:08X})" in out.err

    assert main(["erase", "--profile", p, "--virtual", "--sectors", "1"]) == 0
    assert "erased sector(s) 1" in capsys.readouterr().out

    assert main(["ob", "--profile", p, "--virtual"]) == 0
    out = capsys.readouterr().out
    assert f"UID      unreadable (bus fault at 0x{F7['uid']:08X})" in out
    assert f"flash-size word unreadable (bus fault at 0x{F7['flash_size']:08X})" in out
    assert f"0x{F7['options']:08X} RDP/user (OPTCR[15:0]): unreadable (bus fault at 0x{F7['options']:08X})" in out
    assert "RDP         0xAA" in out

    assert main(["ob", "--profile", p, "--virtual", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["board_uid"] is None
    assert record["target"]["package"] == f"unreadable (bus fault at 0x{F7['package']:08X})"
    assert record["option_bytes"]["unreadable"][f"0x{F7['options']:08X}"].startswith("unreadable (bus fault")

    assert main(["ob", "--profile", p, "--virtual", "--set", "BOR=2", "--yes"]) == 0
    assert "BOR" in capsys.readouterr().out

    assert main(["run", "--profile", p, "--virtual", "--cycles", "2", "--db", str(tmp_path / "f.db")]) in (0, 1)
    err = capsys.readouterr()
    assert "status completed" in err.out + err.err
    assert f"UID unreadable (bus fault at 0x{F7['uid']:08X})" in err.out + err.err

    from benchtui.bench.store import open_store
    with open_store(str(tmp_path / "f.db"), readonly=True) as store:
        run = store.runs()[-1]
        cycles = store.cycles(run.id)
    assert len(cycles) == 2
    assert all(c.target["uid"] == f"unreadable (bus fault at 0x{F7['uid']:08X})" for c in cycles)
    assert all(c.option_bytes["unreadable"] for c in cycles)


def test_check_reports_the_unreadable_words_on_an_ok_probe_line(tmp_path, small_firmware, capsys):
    from benchtui.cli import start_virtual_bench

    profile = load_profile(faulty_profile(tmp_path, small_firmware))
    vb, live = start_virtual_bench(profile)
    try:
        vb.front_panel_on(3.3, 0.5)
        text = (tmp_path / "faulty.toml").read_text()
        for old, new in (("TCPIP0::127.0.0.1::5555::SOCKET", live.psu.resource),
                         ("TCPIP0::127.0.0.1::5557::SOCKET", live.scope.resource),
                         ("remote:127.0.0.1:5556", live.target.probe_uid)):
            text = text.replace(old, new)
        (tmp_path / "live.toml").write_text(text)
        assert main(["check", "--profile", str(tmp_path / "live.toml")]) == 0
    finally:
        vb.stop()
    out = capsys.readouterr().out
    assert "ok   probe" in out and f"UID unreadable (bus fault at 0x{F7['uid']:08X})" in out
    assert "stored option words 0x1FFF0000, 0x1FFF0008, 0x1FFF0010, 0x1FFF0018 unreadable" in out
