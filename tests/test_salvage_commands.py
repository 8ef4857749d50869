"""The report's salvage advice, pasted as printed: a virtual-bench run whose board comes up with
every sector write-protected, `benchtui report` on its database, then the printed `benchtui ob`
command run as a user would paste it (parsed with shlex, from another folder, by the installed
`benchtui` in its own process) against the same virtual board (its twin state file), and the
option bytes read back with no write protection. On the F7 demo board and on a 2 MB STM32F429
(bank 2's protection in OPTCR1, nWRP2). And the RDP level 1 advice as `ob`'s parser takes it."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchtui.bench.records import CycleRecord, FeatureValue, StepRecord
from benchtui.bench.report import load_report
from benchtui.bench.store import open_store
from benchtui.cli import DEMO_PROFILE, build_parser, main
from benchtui.cli.flash import _parse_sets, cmd_ob

F4_PROFILE = DEMO_PROFILE.with_name("demo-stm32f407.toml")


def _bench_profile(source: Path, folder: Path, firmware: Path, **sim: str) -> Path:
    """`source` with the healthy scenario, a twin state file, a small image and a results
    database, all named relative to the profile (as a user writes them)."""
    shutil.copy(firmware, folder / "fw.hex")
    out = []
    for line in source.read_text(encoding="utf-8").splitlines():
        key = line.split("=", 1)[0].strip()
        if key == "firmware":
            line = 'firmware = "fw.hex"'
        elif key == "database":
            line = 'database = "results.db"'
        elif key == "scenario":
            line = 'scenario = "healthy"'
        elif key == "off_s":
            line = "off_s = 0.05"
        elif key in sim:
            line = f"{key} = {sim[key]}"
        out.append(line)
        if line.strip() == "[sim]":
            out.append('state_file = "twin.state"')
    path = folder / "bench.toml"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _benchtui() -> str:
    """The `benchtui` this interpreter installed (the venv's console script)."""
    here = Path(sys.executable).with_name("benchtui")
    found = str(here) if here.exists() else shutil.which("benchtui")
    assert found, "the benchtui console script is not installed (pip install -e .)"
    return found


@pytest.mark.slow
@pytest.mark.parametrize("board", ["f767zg", "f429zi"])
def test_the_printed_salvage_command_unprotects_the_virtual_board(board, small_firmware, tmp_path, monkeypatch,
                                                                   capsys) -> None:
    bench = tmp_path / "my bench"           # a space: the printed path must be quoted for the shell
    bench.mkdir()
    if board == "f767zg":
        _bench_profile(DEMO_PROFILE, bench, small_firmware)
        protect = ["--set", "nWRP=0x000"]
    else:
        _bench_profile(F4_PROFILE, bench, small_firmware, variant='"f429zi"', target_type='"stm32f429zi"')
        protect = ["--set", "nWRP=0x000", "--set", "nWRP2=0x000"]
    monkeypatch.chdir(bench)
    # The board stores every sector write-protected: each power-up reads it so, each erase fails.
    assert main(["ob", "--profile", "bench.toml", "--virtual", *protect, "--yes"]) == 0
    assert main(["run", "--profile", "bench.toml", "--virtual", "--cycles", "1", "-q"]) == 1
    capsys.readouterr()
    assert main(["report", "results.db"]) == 0
    text = capsys.readouterr().out
    commands = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("$ benchtui ob ")]
    assert len(commands) == 1, text
    printed = commands[0]
    profile = str((bench / "bench.toml").resolve())
    assert shlex.quote(profile) in printed and "--virtual" in printed, printed
    wanted = "--set nWRP=0xFFF --set nWRP2=0xFFF" if board == "f429zi" else "--set nWRP=0xFFF --yes"
    assert wanted in printed, printed
    assert (board == "f429zi") == ("nWRP2" in printed)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    argv = shlex.split(printed)
    assert argv[0] == "benchtui" and argv[argv.index("--profile") + 1] == profile
    done = subprocess.run([_benchtui(), *argv[1:]], cwd=elsewhere, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "100"})
    assert done.returncode == 0, (printed, done.stdout, done.stderr)
    assert "option bytes written and verified: nWRP 0x0 -> 0xFFF" in done.stdout, done.stdout
    assert not list(elsewhere.iterdir())       # nothing landed in the folder it was pasted in

    # Read back from the same virtual board (the state file the pasted command saved).
    monkeypatch.chdir(elsewhere)
    assert main(["ob", "--profile", profile, "--virtual", "--json"]) == 0
    ob = json.loads(capsys.readouterr().out)["option_bytes"]
    assert ob["protected_sectors"] == [] and ob["fields"]["nWRP"] == 0xFFF, ob
    if board == "f429zi":
        assert ob["fields"]["nWRP2"] == 0xFFF and ob["layout"] == "dual bank", ob


def _rdp1_run(path: Path, profile: dict, fields: dict[str, int], dev_id: str) -> Path:
    """One stored cycle whose power-up read RDP level 1 (a run as the engine records it)."""
    steps = (StepRecord("connect", 0.0, 0.1, "pass"), StepRecord("read_identity", 0.1, 0.2, "pass"),
             StepRecord("erase", 0.2, 0.3, "fail", 1, "RdpProtected", "planted"))
    record = CycleRecord(1, 0.0, 1.0, False, "erase", "RdpProtected", "planted", steps,
                         (FeatureValue("ob.rdp_level", 1.0, "", "ob"),
                          FeatureValue("ob.protected_sectors", 0.0, "", "ob")),
                         target={"dev_id": dev_id},
                         option_bytes={"fields": fields, "rdp_level": 1, "protected_sectors": []})
    with open_store(path) as store:
        run_id = store.start_run("rdp1", profile, {}, {}, scenario=None)
        store.add_cycle(run_id, record)
        store.end_run(run_id)
    return path


def test_the_rdp_level_1_advice_carries_both_confirmations_and_parses_as_ob(tmp_path) -> None:
    from benchtui.devices.mcu.stm32f7 import STM32F7

    profile = {"source": "/benches/bench 7/board.toml", "virtual": True,
               "target": {"probe_uid": "benchtui-twin-3"}}
    db = _rdp1_run(tmp_path / "rdp.db", profile, {"RDP": 0x55, "IWDG_SW": 0, "nWRP": 0xFFF}, "0x451")
    with open_store(db, readonly=True) as store:
        salvage = {s.id: s for s in load_report(store).diagnosis.salvage}
    assert set(salvage) == {"rdp1"}
    rdp = salvage["rdp1"]
    (printed,) = rdp.commands
    assert printed == ("benchtui ob --profile '/benches/bench 7/board.toml' --virtual --set RDP=0xAA "
                       "--set IWDG_SW=1 --yes --confirm-erase")
    assert "without benchtui" not in rdp.console and "--confirm-erase" in rdp.console
    # `ob`'s own parser takes it, with both confirmations, and its --set values mean level 0 with
    # the software watchdog on this chip.
    args = build_parser().parse_args(shlex.split(printed)[1:])
    assert args.func is cmd_ob and args.yes and args.confirm_erase and args.virtual
    assert args.profile == "/benches/bench 7/board.toml"
    level1 = STM32F7.factory().replace(rdp=0x55, iwdg_sw=0)
    new = _parse_sets(STM32F7, level1, args.set)
    assert new.rdp_level == 0 and new.iwdg_sw == 1

    # A run on a real bench (a served twin or a USB probe) gets no --virtual, and no watchdog
    # change when the watchdog is already software.
    real = {"source": "/benches/b.toml", "target": {"probe_uid": "remote:127.0.0.1:5556"}}
    db = _rdp1_run(tmp_path / "real.db", real, {"RDP": 0x55, "IWDG_SW": 1}, "0x451")
    with open_store(db, readonly=True) as store:
        (printed,) = load_report(store).diagnosis.salvage[0].commands
    assert printed == "benchtui ob --profile /benches/b.toml --set RDP=0xAA --yes --confirm-erase"


def test_no_unprotect_command_when_nwrp_selects_pcrop(tmp_path) -> None:
    """F42x/F43x with SPRMOD = 1: a set nWRP bit means PCROP, so nWRP=0xFFF would protect
    every sector: the advice prints no command and says why."""
    from benchtui.devices.mcu.stm32f4 import DEV_F42X_43X, STM32F4

    ob = STM32F4.factory(DEV_F42X_43X, 2048).replace(sprmod=1, nwrp=0x003, nwrp2=0)
    assert ob.protected_sectors() == [0, 1]      # the model this advice follows
    steps = (StepRecord("connect", 0.0, 0.1, "pass"), StepRecord("read_identity", 0.1, 0.2, "pass"))
    record = CycleRecord(1, 0.0, 1.0, True, None, None, None, steps,
                         (FeatureValue("ob.protected_sectors", 2.0, "", "ob"),
                          FeatureValue("ob.rdp_level", 0.0, "", "ob")),
                         target={"dev_id": "0x419"}, option_bytes=ob.to_record())
    with open_store(tmp_path / "pcrop.db") as store:
        run_id = store.start_run("pcrop", {"source": "/b/f4.toml"}, {}, {}, scenario=None)
        store.add_cycle(run_id, record)
        store.end_run(run_id)
    with open_store(tmp_path / "pcrop.db", readonly=True) as store:
        salvage = load_report(store).diagnosis.salvage
    assert [s.id for s in salvage] == ["pcrop"]
    assert salvage[0].commands == () and "PCROP-protected (0, 1) (SPRMOD = 1)" in salvage[0].state
    assert "would protect every sector" in salvage[0].cost
