"""Tests connect to nothing but loopback: every socket connect elsewhere is refused and logged,
and so is every broadcast or multicast: a datagram sent anywhere but loopback, a socket set up
to broadcast (SO_BROADCAST) or to join or send to a multicast group (IP_ADD_MEMBERSHIP,
IP_MULTICAST_IF, their IPv6 forms). VXI-11 discovery broadcasts to the portmapper and mDNS
(zeroconf, HiSLIP discovery) joins 224.0.0.251: both are refused here.

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


def _refuse(address: object, what: str = "connect to") -> None:
    where = "".join(traceback.format_stack(limit=8)[:-2]).replace("\n", " | ")
    line = f"pid {os.getpid()}: {what} {address!r} refused (tests use 127.0.0.1 only) at {where}\n"
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
    raise PermissionError(f"netguard: tests connect to 127.0.0.1 only; refused {what} {address!r}")


def _broadcast_or_multicast_option(level: int, option: int, value: object) -> bool:
    """True for a socket option that sets up a broadcast or a multicast send or membership."""
    if level == socket.SOL_SOCKET and option == socket.SO_BROADCAST:
        return bool(value) if isinstance(value, int) else True
    multicast = {(socket.IPPROTO_IP, getattr(socket, name)) for name in
                 ("IP_ADD_MEMBERSHIP", "IP_MULTICAST_IF", "IP_ADD_SOURCE_MEMBERSHIP")
                 if hasattr(socket, name)}
    multicast |= {(socket.IPPROTO_IPV6, getattr(socket, name)) for name in
                  ("IPV6_JOIN_GROUP", "IPV6_MULTICAST_IF") if hasattr(socket, name)}
    return (level, option) in multicast


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

    sendto, sendmsg, setsockopt = socket.socket.sendto, socket.socket.sendmsg, socket.socket.setsockopt

    def guarded_sendto(self: socket.socket, data: object, *args: object) -> int:
        address = args[-1] if args else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            _refuse(address, "datagram to")
        return sendto(self, data, *args)  # type: ignore[arg-type]

    def guarded_sendmsg(self: socket.socket, buffers: object, *args: object) -> int:
        address = args[2] if len(args) > 2 else None
        if address is not None and self.family in (socket.AF_INET, socket.AF_INET6) \
                and not _allowed(address):
            _refuse(address, "datagram to")
        return sendmsg(self, buffers, *args)  # type: ignore[arg-type]

    def guarded_setsockopt(self: socket.socket, level: int, option: int, *value: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and \
                _broadcast_or_multicast_option(level, option, value[0] if value else None):
            _refuse((level, option), "broadcast/multicast socket option")
        return setsockopt(self, level, option, *value)  # type: ignore[arg-type]

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = guarded_sendto  # type: ignore[method-assign]
    socket.socket.sendmsg = guarded_sendmsg  # type: ignore[method-assign]
    socket.socket.setsockopt = guarded_setsockopt  # type: ignore[method-assign]
