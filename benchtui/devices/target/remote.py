"""A pyOCD remote probe (`remote:HOST:PORT`, pyOCD's probe server) whose every wait ends.

pyOCD's `TCPClientProbe` waits for a reply forever: its socket reader swallows every timeout and
spins on a closed connection, so a probe server that stops answering (a handler stuck in the
server's probe lock, a server killed, a network gone) hangs the bench and Ctrl-C with it. This
subclass keeps pyOCD's protocol and adds, per request:

* a total deadline (`REQUEST_TIMEOUT_S`): no reply in time -> `TransferTimeoutError`, and the
  connection is closed (its replies are out of step from then on);
* a closed connection -> `ProbeDisconnected` at once, never a busy loop;
* a reply whose id is not the request's -> `ProbeError` (and the connection is closed).

`classify.classified` maps those into ProbeLost, so a stuck probe is a recorded failure.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from pyocd.core import exceptions
from pyocd.probe.tcp_client_probe import TCPClientProbe

#: Longest wait for one reply of the probe server. The longest single request benchtui makes is
#: a short register access (erases are polled), so a server silent for this long is stuck.
REQUEST_TIMEOUT_S = 20.0
#: Longest wait to open the TCP connection.
CONNECT_TIMEOUT_S = 5.0


class TimedTCPClientProbe(TCPClientProbe):
    """pyOCD's remote probe client with deadlines (see the module docstring)."""

    def __init__(self, unique_id: str, request_timeout_s: float | None = None):
        super().__init__(unique_id.split(":", 1)[1] if unique_id.startswith("remote:") else unique_id)
        self.request_timeout_s = REQUEST_TIMEOUT_S if request_timeout_s is None else request_timeout_s
        self._broken: str | None = None
        self._socket._timeout = CONNECT_TIMEOUT_S

    def _fail(self, exc: BaseException) -> BaseException:
        self._broken = str(exc)
        sock = self._socket._socket
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
            self._socket._socket = None
        self._is_open = False
        return exc

    def _readline(self, deadline: float) -> bytes:
        buf = self._socket._buffer
        sock = self._socket._socket
        while True:
            offset = buf.find(b"\n")
            if offset != -1:
                line = bytes(buf[:offset + 1])
                del buf[:offset + 1]
                return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(exceptions.TransferTimeoutError(
                    f"{self._uid}: no reply from the probe server within {self.request_timeout_s:.0f} s"))
            sock.settimeout(min(left, 1.0))
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as exc:
                raise self._fail(exceptions.ProbeDisconnected(f"{self._uid}: connection lost ({exc})")) from None
            if not data:
                raise self._fail(exceptions.ProbeDisconnected(f"{self._uid}: the probe server closed the connection"))
            buf += data

    def _perform_request_without_raise(self, request: str, *args: Any):
        with self._lock:
            if self._broken is not None or self._socket._socket is None:
                raise exceptions.ProbeDisconnected(
                    f"{self._uid}: connection closed after an earlier failure ({self._broken or 'not open'})")
            rid = self.request_id
            rq: dict[str, Any] = {"id": rid, "request": request}
            if args:
                rq["arguments"] = args
            deadline = time.monotonic() + self.request_timeout_s
            try:
                self._socket._socket.settimeout(self.request_timeout_s)
                self._socket._socket.sendall(json.dumps(rq).encode("utf-8") + b"\n")
            except socket.timeout:
                raise self._fail(exceptions.TransferTimeoutError(
                    f"{self._uid}: the probe server accepts no request ({request})")) from None
            except OSError as exc:
                raise self._fail(exceptions.ProbeDisconnected(f"{self._uid}: connection lost ({exc})")) from None
            line = self._readline(deadline)
            try:
                reply = json.loads(line)
            except ValueError:
                raise self._fail(exceptions.ProbeError(f"{self._uid}: malformed reply to {request}")) from None
            if not isinstance(reply, dict) or "status" not in reply or reply.get("id") != rid:
                raise self._fail(exceptions.ProbeError(
                    f"{self._uid}: reply out of step with request {request} (id {rid})"))
            status = reply["status"]
            exc = None
            if status != 0:
                error = reply.get("error", "(no message)")
                exc = self.STATUS_CODE_CLASS_MAP.get(status, exceptions.ProbeError)(
                    f"probe server: {request}: {error}")
            return reply.get("result"), exc

    def open(self) -> None:
        if not self._is_open:
            try:
                self._socket.connect()
            except socket.timeout:
                raise exceptions.ProbeError(f"{self._uid}: no answer within {CONNECT_TIMEOUT_S:.0f} s") from None
            self._is_open = True
            self._broken = None
        self._perform_request("hello", self.PROTOCOL_VERSION)
        self._perform_request("open")

    def close(self) -> None:
        if not self._is_open:
            return
        try:
            self._perform_request("close")
        finally:
            sock = self._socket._socket
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
                self._socket._socket = None
            self._is_open = False
