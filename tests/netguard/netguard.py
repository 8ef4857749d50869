"""Tests connect to nothing but loopback: every socket connect elsewhere is refused and logged.

Installed in the pytest process by tests/conftest.py and in every Python subprocess the tests
start (the CLI, `benchtui sim`, ...) through `sitecustomize.py` in this folder, which conftest
puts on PYTHONPATH. A refused connect is appended to the file named by BENCHTUI_NETGUARD_LOG, and
the test session fails at its end if that file has lines: a test cannot pass by swallowing the
error (e.g. `benchtui check` printing FAIL for an address that should never have been dialled).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import traceback

LOG_ENV = "BENCHTUI_NETGUARD_LOG"
_installed = False


def _allowed(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = address[0]
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: would need a DNS lookup and a LAN


def _refuse(address: object) -> None:
    where = "".join(traceback.format_stack(limit=8)[:-2]).replace("\n", " | ")
    line = f"pid {os.getpid()}: connect to {address!r} refused (tests use 127.0.0.1 only) at {where}\n"
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
    raise PermissionError(f"netguard: tests connect to 127.0.0.1 only; refused {address!r}")


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            _refuse(address)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            _refuse(address)
        return connect_ex(self, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
