"""`benchtui discover`: every simulated family found and identified through pyvisa-py by the
resources the tests name (127.0.0.1 only), the twin's target read through pyOCD, unsupported
instruments with their closest family, and no broadcast unless --lan."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from benchtui.cli import main
from benchtui.devices.discovery import discover, host_resources, identify_resource
from benchtui.errors import BenchError

EXPECTED_PSU = {"rigol-dp832": "rigol-dp800", "rigol-dp831a": "rigol-dp800",
                "keysight-e36312a": "keysight-e36300", "keysight-edu36311a": "keysight-e36300",
                "siglent-spd3303x": "siglent-spd3303x", "rohde-hmc8043": "rohde-hmc804x",
                # serial supplies, each asked in its own protocol (no SCPI *IDN? on a VISA session)
                "korad-ka3005p": "korad-ka3005p", "korad-ka3305p": "korad-ka3005p",
                "riden-rd6006": "riden-rd6000", "riden-rd6012": "riden-rd6000", "riden-rd6018": "riden-rd6000"}
EXPECTED_SCOPE = {"rigol-ds1054z": "rigol-ds1000z", "rigol-dho924": "rigol-dho",
                  "keysight-dsox3034t": "keysight-infiniivision",
                  "keysight-dsox2024a": "keysight-infiniivision",
                  "siglent-sds1104x-e": "siglent-sds1000x-e",
                  "siglent-sds2104x-plus": "siglent-sds2000x-plus", "tektronix-mso54": "tektronix-mso",
                  "rohde-rtb2004": "rohde-rtb", "rohde-rtm3004": "rohde-rtb"}


@pytest.fixture(scope="module")
def every_family():
    """Every simulated PSU and scope model served at once on 127.0.0.1 (pairs on one board)."""
    from benchtui.sim.board import BoardModel
    from benchtui.sim.instruments import PSU_MODELS, SCOPE_MODELS, start_instruments

    assert set(EXPECTED_PSU) == set(PSU_MODELS) and set(EXPECTED_SCOPE) == set(SCOPE_MODELS)
    board = BoardModel("healthy", seed=1)
    psus, scopes = list(EXPECTED_PSU), list(EXPECTED_SCOPE)
    servers, resources = [], {}
    for k in range(max(len(psus), len(scopes))):
        psu, scope = psus[k % len(psus)], scopes[k % len(scopes)]
        # The serial supplies on a pseudo-terminal and on a loopback socket serial URL by turns.
        s = start_instruments(board, psu_model=psu, scope_model=scope, psu_line=("pty", "socket")[k % 2])
        servers.append(s)
        resources[s.psu_resource] = ("psu", psu)
        resources[s.scope_resource] = ("scope", scope)
    yield resources
    for s in servers:
        s.stop()


@pytest.mark.slow
def test_discover_identifies_every_simulated_family_by_its_resource(every_family, capsys):
    args = ["discover"] + [a for r in every_family for a in ("--resource", r)] + ["--json"]
    assert main(args) == 0
    found = json.loads(capsys.readouterr().out)
    by_resource = {i["resource"]: i for i in found["instruments"]}
    assert set(by_resource) == set(every_family)
    for resource, (kind, model) in every_family.items():
        item = by_resource[resource]
        expected = (EXPECTED_PSU if kind == "psu" else EXPECTED_SCOPE)[model]
        assert (item["kind"], item["driver"], item["error"]) == (kind, expected, None), item
    channels = {i["model"]: i["channels"] for i in found["instruments"] if i["kind"] == "psu"}
    assert (channels["DP832"], channels["KA3305P"], channels["KA3005P"], channels["RD6018"]) == \
        ([1, 2, 3], [1, 2], [1], [1])
    assert any(r.startswith("ASRL/dev/") for r in by_resource) and any(r.startswith("ASRLsocket://") for r in by_resource)
    assert found["probes"] == [] and {t["name"] for t in found["transports"]} >= {
        "TCPIP SOCKET", "USB INSTR (USB-TMC)", "ASRL INSTR (serial)"}


def test_an_instrument_no_driver_drives_is_not_supported_with_its_closest_family():
    from benchtui.sim.board import BoardModel
    from benchtui.sim.instruments import start_instruments

    with start_instruments(BoardModel("healthy", seed=1)) as s:
        s.scope.IDN = "RIGOL TECHNOLOGIES,DS2072A,DS2A0000001,00.03.06"
        s.psu.IDN = "ACME INSTRUMENTS,PS-9000,1234,V1.0"
        scope = identify_resource(s.scope_resource, 3000)
        meter = identify_resource(s.psu_resource, 3000)
    assert (scope.driver, scope.closest, scope.kind) == (None, "rigol-ds1000z", "scope")
    assert scope.describe() == "not supported (closest family: rigol-ds1000z)"
    assert (meter.driver, meter.closest, meter.describe()) == (None, None, "not supported")


def test_the_closest_family_is_the_same_maker_with_the_longest_model_prefix_in_common():
    from benchtui.devices.identify import Identification, identify_any

    assert identify_any("RIGOL TECHNOLOGIES,DS2072A,DS2A1,00.03") == Identification("scope", None, "rigol-ds1000z")
    assert identify_any("RIGOL TECHNOLOGIES,DP711,DP7A1,00.01") == Identification("psu", None, "rigol-dp800")
    assert identify_any("RIGOL TECHNOLOGIES,DHO804,DHO8A,00.01") == Identification("scope", "rigol-dho", "rigol-dho")
    assert identify_any("Siglent Technologies,SDS1202X,SDS1X,1.1").closest == "siglent-sds1000x-e"
    assert identify_any("KEYSIGHT TECHNOLOGIES,E36106B,MY1,1.0").closest == "keysight-e36300"
    # a serial family is never the driver of a newline *IDN?, but it is the closest family
    assert identify_any("KORAD KD6005P V2.0 SN:1") == Identification("psu", None, "korad-ka3005p")
    assert identify_any("ACME INSTRUMENTS,PS-9000,1234,V1.0") == Identification(None, None, None)


def test_every_registered_family_can_be_the_closest_and_every_own_link_family_can_be_asked():
    """A new dialect says who makes it and its model prefixes (the closest family of a model no
    driver handles); one with a link of its own (`open`) also has its own question (`probe`)."""
    from benchtui.devices.identify import dialects_of

    for kind in ("psu", "scope"):
        for d in dialects_of(kind):
            if d.DRIVER in ("scpi", "scpi-multi"):       # the generic SCPI drivers: no maker
                continue
            assert d.MAKERS and d.FAMILY_MODELS, d.DRIVER
            if callable(getattr(d, "open", None)):
                assert callable(getattr(d, "probe", None)) and d.QUESTION, d.DRIVER


def test_a_serial_line_is_asked_each_family_in_its_own_protocol_then_scpi():
    """A serial line with nothing on it (a pseudo-terminal no one answers): the Korad's *IDN?
    without a terminator, the Riden's Modbus read of register 0, then a bare terminator and
    SCPI's *IDN?; one line says what was asked."""
    import tty

    from benchtui.sim.serialbus.riden_rd6000 import with_crc

    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        found = identify_resource(f"ASRL{os.ttyname(slave)}::INSTR", 200, "serial")
        sent = os.read(master, 4096)
    finally:
        os.close(master)
        os.close(slave)
    assert sent == b"*IDN?" + with_crc(bytes([1, 3, 0, 0, 0, 1])) + b"\n" + b"*IDN?\n"
    assert found.identity is None and found.error == (
        "no reply to SCPI's '*IDN?' within 200 ms, nor to '*IDN?' without a terminator "
        "(korad-ka3005p) or a Modbus read of the model register (riden-rd6000) within 200 ms")


def _one_shot_server(reply: bytes) -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.recv(100)
            conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_a_web_server_is_no_instrument_and_a_silent_port_says_so():
    srv, port = _one_shot_server(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with srv:
        found = identify_resource(f"TCPIP0::127.0.0.1::{port}::SOCKET", 2000)
    assert found.identity is None and "not an instrument identity" in found.error
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    with silent:
        found = identify_resource(f"TCPIP0::127.0.0.1::{silent.getsockname()[1]}::SOCKET", 300)
    assert found.error == "no reply to '*IDN?' within 300 ms"


def test_host_names_expand_to_what_is_tried():
    assert host_resources("127.0.0.1:5025") == ["TCPIP0::127.0.0.1::5025::SOCKET"]
    assert host_resources("[::1]:5555") == ["TCPIP0::::1::5555::SOCKET"]
    assert host_resources("192.0.2.9") == ["TCPIP0::192.0.2.9::5025::SOCKET", "TCPIP0::192.0.2.9::5555::SOCKET",
                                           "TCPIP0::192.0.2.9::4000::SOCKET", "TCPIP0::192.0.2.9::inst0::INSTR",
                                           "TCPIP0::192.0.2.9::hislip0::INSTR"]
    with pytest.raises(BenchError, match="not a port number"):
        host_resources("127.0.0.1:http")


def test_host_with_port_finds_the_instrument(every_family):
    resource = next(r for r, (kind, model) in every_family.items() if model == "rigol-ds1054z")
    port = resource.split("::")[2]
    found = discover(hosts=[f"127.0.0.1:{port}"])
    assert [i.driver for i in found.instruments] == ["rigol-ds1000z"]
    assert found.probes == ()


def test_a_probe_named_by_uid_reads_its_target_word_by_word():
    from benchtui.sim.twin.mcu import Stm32Twin
    from benchtui.sim.twin.server import serve_twin

    twin = Stm32Twin("f429zi", seed=5, fault_words=("uid",))
    server = serve_twin(twin)
    try:
        found = discover(probes=[server.uid])
    finally:
        server.stop()
    (probe,) = found.probes
    assert probe.error is None and probe.uid == server.uid
    t = probe.target
    from benchtui.devices.mcu import STM32F4
    assert (t.family, t.dev_id, t.flash_kb) == ("STM32F4", 0x419, 2048)
    assert STM32F4.target_types[t.target_type] == (0x419, 2048)   # no package word: first of them
    assert t.idcode == twin.variant.idcode and t.uid is None
    assert t.unreadable == {"uid": "unreadable (bus fault at 0x1FFF7A10)"}


def test_an_unpowered_target_is_named_as_such():
    from benchtui.sim.board import BoardModel
    from benchtui.sim.twin.mcu import Stm32Twin
    from benchtui.sim.twin.server import serve_twin

    board = BoardModel("healthy", seed=1)        # the PSU output is off: no SWD answer
    server = serve_twin(Stm32Twin("zg", power=board))
    try:
        (probe,) = discover(probes=[server.uid]).probes
    finally:
        server.stop()
    assert probe.target is None and "no SWD ACK" in probe.error


def test_the_probe_firmware_version_is_where_pyocd_keeps_it():
    """discovery.probe_firmware reads pyOCD's link objects (private members): still there?"""
    from pyocd.probe.pydapaccess.dap_access_cmsis_dap import DAPAccessCMSISDAP
    from pyocd.probe.stlink.stlink import STLink

    assert isinstance(STLink.version_str, property)
    assert isinstance(DAPAccessCMSISDAP.firmware_version, property)


@pytest.mark.slow
def test_discover_on_benchtui_sim_finds_the_bench_by_its_resources(tmp_path):
    """The virtual bench served by `benchtui sim` in another process, found as a user would."""
    from tests.test_cli import _free_port

    from benchtui.cli import DEMO_PROFILE

    ports = [_free_port() for _ in range(3)]
    text = DEMO_PROFILE.read_text()
    for old, new in zip(("5555", "5556", "5557"), ports):
        text = text.replace(f"= {old}", f"= {new}").replace(f"::{old}::", f"::{new}::").replace(f":{old}\"", f":{new}\"")
    profile = tmp_path / "sim.toml"
    profile.write_text(text)
    (tmp_path / "firmware").mkdir()
    sim = subprocess.Popen([sys.executable, "-m", "benchtui.cli", "sim", "--profile", str(profile)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        lines = []
        for line in sim.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C stops"):
                break
        assert any("PSU" in x for x in lines), lines
        psu, scope = (f"TCPIP0::127.0.0.1::{ports[0]}::SOCKET", f"TCPIP0::127.0.0.1::{ports[2]}::SOCKET")
        out = subprocess.run([sys.executable, "-m", "benchtui.cli", "discover", "--resource", psu, "--resource",
                              scope, "--probe", f"remote:127.0.0.1:{ports[1]}"], capture_output=True,
                             text=True, timeout=120)
    finally:
        sim.terminate()
        sim.wait(30)
    assert out.returncode == 0, out.stderr
    assert "PSU: driver rigol-dp800, channels 1-3" in out.stdout
    assert "scope: driver rigol-ds1000z" in out.stdout
    assert "target: STM32F76x/F77x, IDCODE 0x10016451, 1024 KB flash, UID " in out.stdout
    assert "target_type stm32f767zg" in out.stdout


def test_plain_discover_sends_nothing_to_the_network(capsys):
    """No resource named, no --lan: local USB and serial ports only (netguard would fail the
    session on a broadcast)."""
    assert main(["discover", "--timeout-ms", "200"]) == 0
    out = capsys.readouterr().out
    assert "nothing was sent to the network" in out


@pytest.mark.slow
def test_lan_discovery_broadcasts_only_when_asked(tmp_path):
    """--lan runs pyvisa-py's VXI-11 broadcast: under the guard it is refused, and discover says
    so in one line instead of a traceback."""
    log = tmp_path / "netguard.log"
    env = {**os.environ, "BENCHTUI_NETGUARD_LOG": str(log),
           "PYTHONPATH": str(Path(__file__).resolve().parent / "netguard")}
    out = subprocess.run([sys.executable, "-m", "benchtui.cli", "discover", "--lan", "--resource",
                          "TCPIP0::127.0.0.1::1::SOCKET"], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert "LAN discovery (VXI-11 broadcast) failed: netguard" in out.stdout
    assert log.exists() and "broadcast" in log.read_text()
