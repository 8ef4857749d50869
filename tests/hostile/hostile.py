"""Hostile instruments: asyncio servers on 127.0.0.1 that misbehave in the ways real ones do.

A `HostileInstrument` listens on a free port. Without an upstream it answers nothing but its
rules (an HTTP server on the instrument's port, a silent box). With `upstream` (a simulated
instrument's "host:port") it is a man in the middle: every message goes to the simulated PSU or
scope and back, except those a rule catches, which get the misbehaviour instead. So a whole
`benchtui run` can go well until, say, the third `:WAV:PRE?`.

Rules match a command (regex, case-insensitive) and may start after `after` matches; `sticky`
rules turn the instrument into that behaviour for every later message too (a PSU that dies).
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from typing import Awaitable, Callable

Action = Callable[[asyncio.StreamWriter, str], Awaitable[None]]


# --- misbehaviours -----------------------------------------------------------------------------

def reply(text: str | bytes) -> Action:
    """Answer `text` and a newline."""
    data = text if isinstance(text, bytes) else text.encode("latin-1")

    async def act(w: asyncio.StreamWriter, line: str) -> None:
        w.write(data + b"\n")
        await w.drain()
    return act


def silent() -> Action:
    """Never answer."""
    async def act(w: asyncio.StreamWriter, line: str) -> None:
        return None
    return act


def endless(chunk: bytes = b"A" * 65536) -> Action:
    """A reply that never ends: no newline, as fast as the client takes it, until it hangs up."""
    async def act(w: asyncio.StreamWriter, line: str) -> None:
        while not w.is_closing():
            w.write(chunk)
            await w.drain()
    return act


def trickle(interval_s: float = 0.05, byte: bytes = b"7") -> Action:
    """One byte every `interval_s`, never a newline."""
    async def act(w: asyncio.StreamWriter, line: str) -> None:
        while not w.is_closing():
            w.write(byte)
            await w.drain()
            await asyncio.sleep(interval_s)
    return act


def block_header(length: int, digits: int = 9, then: Action | None = None) -> Action:
    """An IEEE 488.2 block header claiming `length` bytes; then `then` (default: endless data)."""
    head = b"#" + str(digits).encode() + str(length).zfill(digits).encode()

    async def act(w: asyncio.StreamWriter, line: str) -> None:
        w.write(head)
        await w.drain()
        await (then or endless(b"\x80" * 65536))(w, line)
    return act


def hang_up() -> Action:
    async def act(w: asyncio.StreamWriter, line: str) -> None:
        w.close()
    return act


HTTP_400 = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 11\r\n"
            b"Connection: close\r\n\r\nBad Request")


def http_server() -> Action:
    """What a web server on the instrument's port answers to '*IDN?\\n'."""
    async def act(w: asyncio.StreamWriter, line: str) -> None:
        w.write(HTTP_400)
        await w.drain()
        w.close()
    return act


# --- the server ---------------------------------------------------------------------------------

@dataclass
class Rule:
    pattern: str
    action: Action
    after: int = 0  # let this many matching messages through first
    sticky: bool = False  # from the first misbehaviour on, every message gets it
    seen: int = field(default=0, init=False)

    def matches(self, line: str) -> bool:
        return re.fullmatch(self.pattern, line, re.I) is not None


class HostileInstrument:
    """Serves on 127.0.0.1:<free port> in its own loop thread; `close()` stops it."""

    def __init__(self, rules: list[Rule], upstream: str | None = None):
        self.rules = rules
        self.upstream = upstream
        self.received: list[str] = []
        self.misbehaved: list[str] = []
        self._sticky: Action | None = None
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def resource(self) -> str:
        return f"TCPIP0::127.0.0.1::{self.port}::SOCKET"

    def _rule_for(self, line: str) -> Action | None:
        if self._sticky is not None:
            return self._sticky
        for rule in self.rules:
            if rule.matches(line):
                rule.seen += 1
                if rule.seen > rule.after:
                    if rule.sticky:
                        self._sticky = rule.action
                    return rule.action
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        up_reader = up_writer = None
        pump = None
        try:
            if self.upstream:
                host, port = self.upstream.rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                pump = asyncio.ensure_future(self._pump(up_reader, writer))
            while True:
                raw = await reader.readline()
                if not raw:
                    break
                line = raw.decode("latin-1").strip()
                self.received.append(line)
                action = self._rule_for(line)
                if action is not None:
                    self.misbehaved.append(line)
                    asyncio.ensure_future(self._guarded(action(writer, line)))
                elif up_writer is not None:
                    up_writer.write(raw if raw.endswith(b"\n") else raw + b"\n")
                    await up_writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if pump is not None:
                pump.cancel()
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
            self._tasks.discard(task)

    async def _pump(self, up: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await up.read(65536)
                if not data:
                    break
                if self._sticky is None:  # a dead instrument says nothing any more
                    client.write(data)
                    await client.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass

    async def _guarded(self, coro: Awaitable[None]) -> None:
        try:
            await coro
        except (ConnectionError, asyncio.CancelledError, RuntimeError):
            pass

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            for task in list(asyncio.all_tasks()):
                if task is not asyncio.current_task():
                    task.cancel()
        try:
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
