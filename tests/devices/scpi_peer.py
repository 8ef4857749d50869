"""A tiny scripted SCPI peer on a real local TCP socket, for protocol tests through real pyvisa-py.

The script is a list of (expected command, reply) pairs; reply None means "a write, no answer",
bytes are sent as is (binary blocks) followed by "\\n"; `Late(reply, s)` answers s seconds late. An unexpected command is recorded and the
connection is closed, so the driver sees a lost connection and the test fails on `assert_done()`.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Sequence

Reply = str | bytes | None


class Late:
    """A reply sent `delay_s` after its command arrived (an instrument, or a host, that is slow)."""

    def __init__(self, reply: Reply, delay_s: float):
        self.reply, self.delay_s = reply, delay_s


class ScriptedPeer:
    """Serves one client at a time on 127.0.0.1:<free port>, following `script` in order."""

    def __init__(self, script: Sequence[tuple[str, Reply]] = (), *, mode: str = "script",
                 garbage: bytes = b"\x00\xffWHAT?\x01\x02\n"):
        self.script = list(script)
        self.mode = mode  # "script" | "silent" (accept, never answer) | "garbage" (answer junk)
        self.garbage = garbage
        self.received: list[str] = []
        self.arrivals: list[float] = []  # time.monotonic() of each received command
        self.errors: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._finished = threading.Event()  # set when the current client has hung up
        self._finished.set()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def resource(self) -> str:
        return f"TCPIP0::127.0.0.1::{self.port}::SOCKET"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            self._finished.clear()
            try:
                self._talk(conn)
            finally:
                self._finished.set()

    def _talk(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    command = line.decode("ascii", "replace").strip()
                    self.received.append(command)
                    self.arrivals.append(time.monotonic())
                    if not self._answer(conn, command):
                        return

    def _answer(self, conn: socket.socket, command: str) -> bool:
        if self.mode == "silent":
            return True
        if self.mode == "garbage":
            conn.sendall(self.garbage)
            return True
        if not self.script:
            self.errors.append(f"unexpected command after the script ended: {command!r}")
            return False
        expected, reply = self.script.pop(0)
        if command != expected:
            self.errors.append(f"expected {expected!r}, got {command!r}")
            return False
        if isinstance(reply, Late):
            time.sleep(reply.delay_s)
            reply = reply.reply
        if reply is not None:
            payload = reply if isinstance(reply, bytes) else reply.encode("ascii")
            conn.sendall(payload + b"\n")
        return True

    def assert_done(self) -> None:
        """Every scripted command arrived, in order, and nothing else (call after closing the
        client: writes have no reply, so wait until the peer has read all of them)."""
        assert self._finished.wait(5), "the client never hung up"
        assert self.errors == [], self.errors
        assert self.script == [], f"never sent: {[c for c, _ in self.script]}"

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def block(payload: bytes, digits: int = 9) -> bytes:
    """An IEEE 488.2 definite-length block with an N-digit length field (#9 Rigol, #8 Keysight)."""
    assert len(str(len(payload))) <= digits, "payload too long for the length field"
    return b"#" + str(digits).encode() + str(len(payload)).zfill(digits).encode() + payload


OK = ("SYST:ERR?", '0,"No error"')
KS_OK = ("SYST:ERR?", '+0,"No error"')


def opened(identity: str, no_error: str = '0,"No error"') -> list[tuple[str, Reply]]:
    """What a driver sends when it connects: *IDN?, then *CLS and a drained error queue."""
    return [("*IDN?", identity), ("*CLS", None), ("SYST:ERR?", no_error)]
