"""Serving a byte-stream instrument on a serial line: a pseudo-terminal or a loopback TCP socket
that pyserial opens as `socket://127.0.0.1:<port>`.

Serial instruments have no message terminator: a message ends when the line has been quiet for
the instrument's `FRAME_GAP_S` (Modbus RTU: 3.5 character times; the Korad firmware likewise
times its commands). The instrument's `frame(data, arrived)` gets each message with the time its
first byte arrived and returns the reply bytes, if any.
"""

from __future__ import annotations

import asyncio
import os
import time
import tty
from typing import Callable


class SerialLine:
    """Mixin for a simulated serial instrument: `FRAME_GAP_S` and `frame()`."""

    SERIAL = True
    FRAME_GAP_S = 0.01

    def frame(self, data: bytes, arrived: float) -> bytes | None:
        raise NotImplementedError


async def serve_frames(instrument: SerialLine, reader: asyncio.StreamReader,
                       write: Callable[[bytes], None]) -> None:
    """Cut the byte stream into messages at quiet gaps and answer each one."""
    buf, first = b"", 0.0
    while True:
        try:
            data = await asyncio.wait_for(reader.read(4096), instrument.FRAME_GAP_S if buf else None)
        except asyncio.TimeoutError:
            reply = instrument.frame(buf, first)
            buf = b""
            if reply:
                write(reply)
            continue
        if not data:
            return
        if not buf:
            first = time.monotonic()
        buf += data


class PtyLine:
    """A pseudo-terminal: the instrument holds the master side; clients open `path`."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)          # no echo, no line editing: bytes as sent
        self.path = os.ttyname(self.slave)
        self.task: asyncio.Task | None = None

    async def start(self, instrument: SerialLine) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        pipe = os.fdopen(os.dup(self.master), "rb", buffering=0)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
        self.task = asyncio.ensure_future(serve_frames(instrument, reader, lambda b: os.write(self.master, b)))

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
