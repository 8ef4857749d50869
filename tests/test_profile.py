"""Profile validation: every shipped profile loads; every broken profile gives its one-line error."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from benchtui.errors import ProfileError
from benchtui.profile import SIM_SCENARIOS, STEP_NAMES, bundled, load_profile, parse_profile

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [bundled.path(name) for name in bundled.names()]
BROKEN = sorted((Path(__file__).parent / "profiles" / "broken").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_profiles_load(path: Path) -> None:
    profile = load_profile(path)
    assert profile.source == str(path)
    assert {"VDD", "VCAP1", "VCAP2", "NRST"} <= set(profile.scope.channels)
    assert profile.psu.voltage <= profile.psu.max_voltage


def test_shipped_profiles_cover_both_real_benches_and_the_virtual_one() -> None:
    drivers = {(p.psu.driver, p.scope.driver, p.sim is not None) for p in map(load_profile, SHIPPED)}
    assert ("rigol-dp800", "rigol-ds1000z", False) in drivers
    assert ("keysight-e36300", "keysight-infiniivision", False) in drivers
    assert any(sim for *_, sim in drivers)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_profile_gives_its_expected_one_line_error(path: Path) -> None:
    first_line = path.read_bytes().split(b"\n", 1)[0].decode("ascii")  # some are not UTF-8 below
    expected = re.match(r"# expect: (.*)", first_line).group(1).strip()
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    assert expected in message
    assert message.startswith(str(path)), "the error names the file"
    assert "\n" not in message


def test_errors_name_the_line_of_the_bad_key() -> None:
    path = next(p for p in BROKEN if p.stem == "typo-psu-key")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("volatge"))
    with pytest.raises(ProfileError, match=rf"{re.escape(str(path))}:{line}: "):
        load_profile(path)


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such profile file"):
        load_profile(tmp_path / "nope.toml")


def test_profile_is_frozen_and_relative_paths_resolve_against_its_folder(tmp_path: Path) -> None:
    copy = bundled.copy(bundled.DEMO, tmp_path / "mine")
    profile = load_profile(copy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.psu.voltage = 9.0  # type: ignore[misc]
    assert Path(profile.target.firmware) == tmp_path / "mine" / "firmware" / "board-test-v1.hex"
    assert Path(profile.store.database) == tmp_path / "mine" / "benchtui-demo.db"


@pytest.mark.parametrize("how", ["package path", "top-level profiles/ link", "bare name", "name.toml"])
def test_a_bundled_profile_makes_its_files_in_the_data_folder_never_beside_itself(
        how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bundled.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)   # an empty working folder: a bare name is not a file here
    ref = {"package path": bundled.path(bundled.DEMO),
           "top-level profiles/ link": ROOT / "profiles" / f"{bundled.DEMO}.toml",
           "bare name": bundled.DEMO, "name.toml": f"{bundled.DEMO}.toml"}[how]
    profile = load_profile(ref)
    assert Path(profile.target.firmware) == tmp_path / "data" / "firmware" / "board-test-v1.hex"
    assert Path(profile.store.database) == tmp_path / "data" / "benchtui-demo.db"
    assert Path(profile.source).resolve() == bundled.path(bundled.DEMO).resolve()


def test_a_file_in_the_working_folder_wins_over_a_bundled_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{bundled.DEMO}.toml").write_text(bundled.text(bundled.DEMO).replace(
        'database = "benchtui-demo.db"', 'database = "here.db"'))
    assert Path(load_profile(f"{bundled.DEMO}.toml").store.database) == tmp_path / "here.db"


def test_an_unknown_bare_name_says_where_the_bundled_ones_are(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProfileError, match=r"demo-stm32f76: no such profile file, nor a bundled profile"):
        load_profile("demo-stm32f76")


def test_the_top_level_profiles_folder_is_the_package_data() -> None:
    """The design card's profiles/ is a link to benchtui/profiles/, which the wheel ships."""
    assert (ROOT / "profiles").is_symlink()
    assert (ROOT / "profiles").resolve() == Path(str(bundled.folder())).resolve()
    assert sorted(p.stem for p in (ROOT / "profiles").glob("*.toml")) == bundled.names()


def test_copy_writes_an_editable_copy_and_keeps_an_existing_one(tmp_path: Path) -> None:
    written = bundled.copy("rigol-dp832-ds1054z-stlink", tmp_path)
    assert written.read_text() == bundled.text("rigol-dp832-ds1054z-stlink")
    written.write_text("# mine\n")
    with pytest.raises(ProfileError, match="exists; not overwritten"):
        bundled.copy("rigol-dp832-ds1054z-stlink", tmp_path)
    assert written.read_text() == "# mine\n"
    bundled.copy("rigol-dp832-ds1054z-stlink", tmp_path, force=True)
    assert written.read_text() == bundled.text("rigol-dp832-ds1054z-stlink")
    with pytest.raises(ProfileError, match="no bundled profile 'rigol-dp832-ds1054z' .did you mean"):
        bundled.copy("rigol-dp832-ds1054z", tmp_path)


def test_defaults_fill_optional_sections() -> None:
    text = (Path(__file__).parent / "profiles" / "broken" / "negative-wait.toml").read_text()
    profile = parse_profile(text.replace("off_s = -1", "off_s = 1"))
    assert profile.cycle.steps == STEP_NAMES
    assert profile.sim is None
    assert profile.target.connect_mode == "under-reset"


def test_sim_scenario_names_match_the_simulator() -> None:
    from benchtui.sim.scenarios import SCENARIOS

    assert set(SIM_SCENARIOS) == set(SCENARIOS)


def _host(resource: str) -> str:
    parts = resource.split("::")
    assert parts[0].upper().startswith("TCPIP"), resource
    return parts[1].split(",")[0]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_real_bench_examples_use_documentation_addresses_and_the_virtual_one_loopback(path: Path) -> None:
    """Example real-bench profiles point at 192.0.2.0/24 (RFC 5737: reaches nothing), so that a
    new user trying one gets "not reachable", not some LAN device's answer. The suite only loads
    them: tests/netguard refuses (and fails the session on) any connect beyond loopback."""
    import ipaddress

    profile = load_profile(path)
    hosts = {_host(profile.psu.resource), _host(profile.scope.resource)}
    if profile.sim is None:
        docs = ipaddress.ip_network("192.0.2.0/24")
        assert all(ipaddress.ip_address(h) in docs for h in hosts), hosts
        assert not profile.target.probe_uid.startswith("remote:")
    else:
        assert hosts == {"127.0.0.1"} and profile.sim.host == "127.0.0.1"
        assert profile.target.probe_uid.startswith("remote:127.0.0.1:")


def test_the_suite_refuses_connections_beyond_loopback() -> None:
    """The guard is live in this process and in Python subprocesses of the suite."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s, pytest.raises(PermissionError, match="127.0.0.1 only"):
        s.connect(("192.0.2.50", 9))
    child = subprocess.run([sys.executable, "-c", "import socket; socket.socket().connect(('192.0.2.51', 9))"],
                           capture_output=True, text=True, timeout=60)
    assert "netguard" in child.stderr and child.returncode != 0
    log = os.environ["BENCHTUI_NETGUARD_LOG"]
    lines = open(log, encoding="utf-8").read().splitlines()
    ours = ("('192.0.2.50', 9)", "('192.0.2.51', 9)")
    assert all(any(o in x for x in lines) for o in ours), lines
    # These two were on purpose: take them back out so the session does not fail on them.
    kept = [x for x in lines if not any(o in x for o in ours)]
    with open(log, "w", encoding="utf-8") as fh:
        fh.write("".join(x + "\n" for x in kept))
