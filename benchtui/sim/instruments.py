"""Start the simulated PSU and scope as SCPI raw-socket servers on an asyncio loop thread."""

from __future__ import annotations

import asyncio
import threading

from ..registry import SIM_PSU, SIM_SCOPE, load
from .scpi.server import start_server
from .serialbus.link import PtyLine, serve_frames

#: `[sim] psu_model` / `scope_model` -> simulated instrument (pyproject.toml, groups
#: benchtui.sim.psu / benchtui.sim.scope; one module per dialect in scpi/).
PSU_MODELS = load(SIM_PSU)
SCOPE_MODELS = load(SIM_SCOPE)
START_TIMEOUT_S = 10.0


class _Served:
    """One instrument on its own asyncio loop thread (a slow scope record never delays the PSU,
    as two real instruments never delay each other)."""

    def __init__(self, name: str, instrument, host: str, port: int, line: str = "socket"):
        self.name, self.instrument = name, instrument
        self.serial = getattr(instrument, "SERIAL", False)
        #: A serial instrument on a pseudo-terminal: clients open `pty.path`.
        self.pty: PtyLine | None = PtyLine() if self.serial and line == "pty" else None
        self.connections: set[asyncio.Task] = set()
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"sim-{name}", daemon=True)
        self.thread.start()
        self.port = self.call(self._start(host, port))

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(START_TIMEOUT_S)

    @property
    def resource(self) -> str:
        """The VISA resource a client opens: a SOCKET for SCPI, an ASRL serial line otherwise
        (pyserial's `socket://` URL, or the pseudo-terminal's path)."""
        if self.pty is not None:
            return f"ASRL{self.pty.path}::INSTR"
        host = self.server.sockets[0].getsockname()[0] if self.server else "127.0.0.1"
        return f"ASRLsocket://{host}:{self.port}::INSTR" if self.serial else f"TCPIP0::{host}::{self.port}::SOCKET"

    async def _serial_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.connections.add(task)
        try:
            await serve_frames(self.instrument, reader, writer.write)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.connections.discard(task)
            writer.close()

    async def _start(self, host: str, port: int) -> int:
        if self.pty is not None:
            await self.pty.start(self.instrument)
            return 0
        try:
            if self.serial:
                self.server = await asyncio.start_server(self._serial_client, host, port)
            else:
                self.server = await start_server(self.instrument, host, port, self.connections)
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port} for {self.instrument.IDN.split(',')[1]}: "
                          f"{exc.strerror}") from None
        return self.server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self.pty is not None:
            self.pty.close()
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()

    def unplug(self) -> None:
        self.call(self._cut())

    def stop(self) -> None:
        if not self.loop.is_running():
            return

        async def close() -> None:
            await self._cut()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        self.call(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(START_TIMEOUT_S)
        if not self.thread.is_alive():
            self.loop.close()  # else its __del__ closes it later, noisily, at exit


class InstrumentServers:
    """A running PSU + scope pair; `.stop()` (or leaving the `with` block) shuts them down."""

    def __init__(self, board, psu_model: str, scope_model: str, host: str, psu_port: int,
                 scope_port: int, wiring: dict[int, str] | None = None, psu_line: str = "socket"):
        for name, table, kind in ((psu_model, PSU_MODELS, "PSU"), (scope_model, SCOPE_MODELS, "scope")):
            if name not in table:
                raise ValueError(f"unknown {kind} model {name!r} (known: {', '.join(table)})")
        self.psu = PSU_MODELS[psu_model](board)
        self.scope = SCOPE_MODELS[scope_model](board, wiring)
        self.host = host
        self._served: dict[str, _Served] = {}
        try:
            self._served["psu"] = _Served("psu", self.psu, host, psu_port, psu_line)
            self._served["scope"] = _Served("scope", self.scope, host, scope_port)
        except BaseException:
            self.stop()
            raise
        self.psu_port, self.scope_port = self._served["psu"].port, self._served["scope"].port

    @property
    def psu_resource(self) -> str:
        return self._served["psu"].resource

    @property
    def scope_resource(self) -> str:
        return self._served["scope"].resource

    def unplug(self, which: str) -> None:
        """Make one instrument vanish ("psu" or "scope"): no listener, open connections cut."""
        self._served[which].unplug()

    def stop(self) -> None:
        """Close the listeners and stop the loop threads (idempotent)."""
        for served in self._served.values():
            served.stop()

    def __enter__(self) -> "InstrumentServers":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_instruments(board, *, psu_model: str = "rigol-dp832", scope_model: str = "rigol-ds1054z",
                      host: str = "127.0.0.1", psu_port: int = 0, scope_port: int = 0,
                      wiring: dict[int, str] | None = None, psu_line: str = "socket") -> InstrumentServers:
    """Serve a simulated PSU and scope for `board`; resources as VISA strings (a serial supply on a
    loopback socket serial URL, or with `psu_line="pty"` on a pseudo-terminal)."""
    return InstrumentServers(board, psu_model, scope_model, host, psu_port, scope_port, wiring, psu_line)
