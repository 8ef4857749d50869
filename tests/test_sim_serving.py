"""`benchtui sim` binds exactly the host it prints; a busy port or a bad state file is one line."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchtui.cli import DEMO_PROFILE

ROOT = Path(__file__).resolve().parent.parent


def _profile(tmp_path: Path, host: str = "127.0.0.1", psu_port: int = 0, probe_port: int = 0) -> Path:
    text = DEMO_PROFILE.read_text()
    text = text.replace("psu_port = 5555", f"psu_port = {psu_port}").replace(
        "probe_port = 5556", f"probe_port = {probe_port}").replace("scope_port = 5557", "scope_port = 0")
    text = text.replace('host = "127.0.0.1"', f'host = "{host}"')
    text = text.replace('firmware = "firmware/board-test-v1.hex"', f'firmware = "{tmp_path / "fw.hex"}"')
    path = tmp_path / "sim.toml"
    path.write_text(text)
    return path


def _sim(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchtui.cli", "sim", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_every_listener_binds_exactly_the_host_it_prints(tmp_path: Path) -> None:
    sim = _sim("--profile", str(_profile(tmp_path, host="127.0.0.2")), "--off")
    try:
        lines = []
        while not lines or lines[-1] not in ("Ctrl-C stops.\n", ""):  # "": it exited
            lines.append(sim.stdout.readline())
        banner = "".join(lines)
        ports = {name: int(port) for name, port in
                 re.findall(r"(PSU|scope|probe) +(?:TCPIP0::|remote:)127\.0\.0\.2:+(\d+)", banner)}
        assert set(ports) == {"PSU", "scope", "probe"}, banner
        for name, port in ports.items():
            assert _accepts("127.0.0.2", port), f"{name} is not on the address it prints"
            assert not _accepts("127.0.0.1", port), f"{name} also listens on another address"
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(30) == 0


@pytest.mark.slow
@pytest.mark.parametrize("which", ["psu", "probe"])
def test_a_busy_port_is_one_line(which: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        profile = _profile(tmp_path, **({"psu_port": port} if which == "psu" else {"probe_port": port}))
        sim = _sim("--profile", str(profile))
        out, err = sim.communicate(timeout=60)
    assert sim.returncode == 2
    assert err.strip().count("\n") == 0, err
    assert err.startswith("benchtui: sim: cannot start the virtual bench: ") and str(port) in err
    assert "in use" in err.lower()


@pytest.mark.slow
@pytest.mark.parametrize("content", [b"garbage\n", None])
def test_a_bad_state_file_is_one_line_naming_it(content, tmp_path: Path) -> None:
    state = tmp_path / "twin.state"
    if content is None:
        state.mkdir()  # a folder where the state file should be
    else:
        state.write_bytes(content)
    sim = _sim("--profile", str(_profile(tmp_path)), "--state-file", str(state))
    out, err = sim.communicate(timeout=60)
    assert sim.returncode == 2
    assert err.strip().count("\n") == 0, err
    assert str(state.name) in err and "Traceback" not in err


def test_only_loopback_counts_as_local() -> None:
    from benchtui.cli.common import is_loopback_host as local

    assert local("127.0.0.1") and local("127.0.0.2") and local("::1") and local("localhost")
    assert not local("0.0.0.0") and not local("192.0.2.1") and not local("bench-pc")
