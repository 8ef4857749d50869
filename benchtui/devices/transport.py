"""Bytes to and from one VISA resource, each exchange bounded by a total deadline and a size.

Why not pyvisa's own reads. pyvisa-py 0.8's TCPIP SOCKET session reads in `recv(4096)` chunks
until the termination character or `count` bytes (pyvisa asks for `chunk_size`, then loops while
the status is "max count read", growing one buffer without limit), and its timeout is measured
per call and checked only when a `select` comes back empty. So a reply that never ends (no
newline) grows memory for ever, a reply trickling one byte every 50 ms never times out, and an
IEEE block header claiming 10 GB is read until the peer stops. Measured before this module:
95-185 s hangs, 2.6-4.4 GB RSS.

So for `::SOCKET` resources (every LAN instrument we drive), `SocketTransport` reads the socket
of the pyvisa-py session itself: `select` with the time left until ONE deadline for the whole
exchange, `recv` into a buffer that may not grow past the caller's bound. Other resource classes
(VXI-11 / HiSLIP INSTR, USBTMC) go through `VisaTransport`: pyvisa's `visalib.read` in bounded
chunks with the session timeout set to the time left before every call, so the deadline is
total between calls; within one call the backend's own timeout applies (pyvisa offers nothing
finer there).

Errors: `ReadTimeout` (deadline passed; carries what had arrived), `ReplyTooLong` (bound
reached without the end), `ConnectionResetError` (the peer closed). `VisaSession` maps them.
"""

from __future__ import annotations

import select
import socket
import time
from typing import Any

from pyvisa import constants

#: Bytes asked of the socket per recv (pyvisa-py uses 4096; larger means fewer wake-ups).
RECV_BYTES = 256 * 1024
#: Bytes per `visalib.read` call on non-socket resources.
VISA_CHUNK = 1024 * 1024
#: At most this long is spent throwing away a previous exchange's leftovers before a write.
DISCARD_S = 0.05
DISCARD_MAX_BYTES = 16 * 1024 * 1024


class ReadTimeout(Exception):
    """The deadline passed before the reply was complete; `received` is what had arrived."""

    def __init__(self, received: bytes):
        super().__init__(f"{len(received)} bytes received")
        self.received = received


class ReplyTooLong(Exception):
    """The reply reached the caller's size bound without its end."""

    def __init__(self, received: bytes, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.received = received
        self.limit = limit


def open_transport(inst: Any) -> "Transport":
    """The transport for an opened pyvisa resource: the socket itself for pyvisa-py SOCKET
    sessions, pyvisa's read otherwise."""
    if str(inst.resource_name).upper().endswith("::SOCKET"):
        try:
            backend = inst.visalib.sessions[inst.session]
            if isinstance(backend.interface, socket.socket):
                return SocketTransport(inst, backend)
        except (AttributeError, KeyError, TypeError):
            pass  # not pyvisa-py's layout: fall back to pyvisa's read
    return VisaTransport(inst)


class Transport:
    """Write a message; read a line or exactly n bytes before a deadline (time.monotonic())."""

    def write(self, data: bytes, deadline: float) -> None:
        raise NotImplementedError

    def read_line(self, deadline: float, max_bytes: int, term: bytes = b"\n") -> bytes:
        """Bytes up to and including `term`."""
        raise NotImplementedError

    def read_exact(self, n: int, deadline: float) -> bytes:
        raise NotImplementedError

    def discard_pending(self) -> int:
        """Throw away whatever has arrived unasked (a late reply to a timed-out query)."""
        return 0


class SocketTransport(Transport):
    """Reads a pyvisa-py TCPIP SOCKET session's socket directly (see the module docstring)."""

    def __init__(self, inst: Any, backend: Any):
        self._inst = inst
        self._backend = backend
        self._buf = bytearray()

    @property
    def _sock(self) -> socket.socket:
        return self._backend.interface

    def _adopt_pending(self) -> None:
        # Bytes pyvisa-py read past a termination character stay in its buffer: take them first.
        pending = getattr(self._backend, "_pending_buffer", None)
        if pending:
            self._buf.extend(pending)
            pending.clear()

    def write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReadTimeout(b"")
            _, writable, _ = select.select([], [self._sock], [], left)
            if writable:
                sent = self._sock.send(view[:65536])
                view = view[sent:]

    def _fill(self, deadline: float, want: int) -> None:
        """Wait for more bytes (at most `want`) until the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise ReadTimeout(bytes(self._buf))
        readable, _, _ = select.select([self._sock], [], [], left)
        if not readable:
            raise ReadTimeout(bytes(self._buf))
        data = self._sock.recv(max(1, min(RECV_BYTES, want)))
        if not data:
            raise ConnectionResetError("the instrument closed the connection")
        self._buf.extend(data)

    def read_line(self, deadline: float, max_bytes: int, term: bytes = b"\n") -> bytes:
        self._adopt_pending()
        searched = 0
        while True:
            index = self._buf.find(term, searched)
            if index >= 0:
                end = index + len(term)
                line = bytes(self._buf[:end])
                del self._buf[:end]
                return line
            searched = max(0, len(self._buf) - len(term) + 1)
            if len(self._buf) > max_bytes:
                received = bytes(self._buf[:max_bytes])
                self._buf.clear()
                raise ReplyTooLong(received, max_bytes)
            self._fill(deadline, max_bytes + 1 - len(self._buf))

    def read_exact(self, n: int, deadline: float) -> bytes:
        self._adopt_pending()
        while len(self._buf) < n:
            self._fill(deadline, n - len(self._buf))
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def discard_pending(self) -> int:
        self._adopt_pending()
        dropped = len(self._buf)
        self._buf.clear()
        stop = time.monotonic() + DISCARD_S
        while dropped < DISCARD_MAX_BYTES and time.monotonic() < stop:
            readable, _, _ = select.select([self._sock], [], [], 0)
            if not readable:
                break
            data = self._sock.recv(RECV_BYTES)
            if not data:
                break
            dropped += len(data)
        return dropped


class VisaTransport(Transport):
    """pyvisa's reads in bounded chunks; the session timeout is the time left before each call."""

    def __init__(self, inst: Any):
        self._inst = inst

    def _left_ms(self, deadline: float, received: bytes) -> int:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ReadTimeout(received)
        return max(1, int(left * 1000))

    def write(self, data: bytes, deadline: float) -> None:
        self._inst.timeout = self._left_ms(deadline, b"")
        self._inst.write_raw(data)

    def _read(self, count: int, deadline: float, received: bytes) -> tuple[bytes, Any]:
        from pyvisa.errors import VisaIOError

        self._inst.timeout = self._left_ms(deadline, received)
        try:
            return self._inst.visalib.read(self._inst.session, count)
        except VisaIOError as exc:
            if exc.error_code == constants.StatusCode.error_timeout:
                raise ReadTimeout(received) from None
            raise

    def read_line(self, deadline: float, max_bytes: int, term: bytes = b"\n") -> bytes:
        out = bytearray()
        while True:
            chunk, status = self._read(min(VISA_CHUNK, max_bytes + 1 - len(out)), deadline, bytes(out))
            out.extend(chunk)
            if status != constants.StatusCode.success_max_count_read:
                return bytes(out)  # termination character or END
            if len(out) > max_bytes:
                raise ReplyTooLong(bytes(out[:max_bytes]), max_bytes)

    def read_exact(self, n: int, deadline: float) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk, _ = self._read(min(VISA_CHUNK, n - len(out)), deadline, bytes(out))
            out.extend(chunk)
        return bytes(out)
