"""An asyncio raw-socket SCPI server (like a TCPIP::host::port::SOCKET resource).

Newline-terminated messages in, newline-terminated replies out. Query INTERRUPTED is modelled
from what a server can actually observe on a stream: when bytes of a further message have
already arrived before a query's reply is sent, the client cannot have read that reply, so a
Keysight dialect discards it and queues -410 (Rigol dialects simply send every reply).
"""

from __future__ import annotations

import asyncio

from .core import Instrument

READ_CHUNK = 65536


async def serve_connection(instrument: Instrument, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
    """Serve one client until it closes the connection."""
    buf = b""
    try:
        delay = getattr(instrument, "CONNECT_DELAY_S", 0.0)
        if delay > 0:
            await asyncio.sleep(delay)  # messages wait in the socket meanwhile, as on the real one
        while True:
            data = await reader.read(READ_CHUNK)
            if not data:
                break
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                reply = await instrument.execute(line.decode("latin-1").strip())
                if reply is None:
                    continue
                if instrument.QUERY_INTERRUPT and buf.strip():
                    instrument.errors.push(-410)
                    continue
                writer.write(reply)
                await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
        pass  # client gone, or the servers are stopping: end this connection quietly
    finally:
        writer.close()


async def start_server(instrument: Instrument, host: str = "127.0.0.1", port: int = 0,
                       connections: set[asyncio.Task] | None = None) -> asyncio.base_events.Server:
    """Listen for clients of `instrument` (port 0: a free port).

    `connections`, if given, holds the task serving each open connection (so that a test can
    cut them, like pulling the instrument's LAN cable).
    """
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if connections is not None:
            connections.add(task)
        try:
            await serve_connection(instrument, reader, writer)
        finally:
            if connections is not None:
                connections.discard(task)

    return await asyncio.start_server(serve, host, port)
