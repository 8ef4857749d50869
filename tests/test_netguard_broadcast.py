"""tests/netguard refuses broadcast and multicast as it refuses connects beyond loopback: the
suite's discovery tests can then only name 127.0.0.1 resources, and `discover --lan` (VXI-11
portmapper broadcast, mDNS) is refused wherever a test might reach it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

NETGUARD = Path(__file__).resolve().parent / "netguard"


def guarded(code: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `code` in a Python child with the guard installed and its own refusal log (so that
    refusals made on purpose do not fail the session)."""
    log = tmp_path / "netguard.log"
    env = {**os.environ, "BENCHTUI_NETGUARD_LOG": str(log), "PYTHONPATH": str(NETGUARD)}
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                           text=True, timeout=60, env=env)
    return child, log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("code, refused", [
    ("s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "s.sendto(b'x', ('255.255.255.255', 111))", "datagram to ('255.255.255.255', 111)"),
    ("s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "s.sendto(b'x', 0, ('192.0.2.255', 111))", "datagram to ('192.0.2.255', 111)"),
    ("s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)", "broadcast/multicast socket option"),
    ("s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,\n"
     "             socket.inet_aton('224.0.0.251') + socket.inet_aton('0.0.0.0'))",
     "broadcast/multicast socket option"),
    ("s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
     "s.sendto(b'x', ('224.0.0.251', 5353))", "datagram to ('224.0.0.251', 5353)"),
    ("s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
     "s.sendto(b'x', ('ff02::fb', 5353))", "datagram to ('ff02::fb', 5353)"),
])
def test_broadcast_and_multicast_are_refused_and_logged(tmp_path, code, refused):
    child, log = guarded(f"import socket\n{code}\n", tmp_path)
    assert child.returncode != 0 and "netguard" in child.stderr
    assert any(refused in line for line in log), log


def test_pyvisa_py_vxi11_discovery_broadcast_is_refused(tmp_path):
    """The real thing `discover --lan` runs: pyvisa-py's VXI-11 portmapper broadcast."""
    child, log = guarded("""
        from pyvisa_py.protocols import rpc
        rpc.BroadcastUDPPortMapperClient('255.255.255.255')
        """, tmp_path)
    assert child.returncode != 0 and any("broadcast/multicast socket option" in x for x in log), \
        (child.stderr, log)


def test_loopback_datagrams_still_pass(tmp_path):
    child, log = guarded("""
        import socket
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); rx.bind(('127.0.0.1', 0))
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tx.sendto(b'ping', rx.getsockname()); rx.settimeout(5)
        assert rx.recv(10) == b'ping'
        tx.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 0)   # switching it off is fine
        """, tmp_path)
    assert child.returncode == 0, child.stderr
    assert log == []
