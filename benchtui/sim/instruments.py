"""Start the simulated PSU and scope as SCPI raw-socket servers on an asyncio loop thread."""

from __future__ import annotations

import asyncio
import threading

from .scpi.keysight_e36300 import KeysightE36312A, KeysightEDU36311A
from .scpi.keysight_infiniivision import AgilentDSOX2024A, KeysightDSOX3034T
from .scpi.rigol_dp800 import RigolDP831A, RigolDP832
from .scpi.rigol_ds1000z import RigolDS1054Z
from .scpi.rohde_hmc804x import RohdeHMC8043
from .scpi.server import start_server
from .scpi.siglent_spd3303x import SiglentSPD3303X

#: `[sim] psu_model` / `scope_model` -> simulated instrument (one module per dialect in scpi/).
PSU_MODELS = {"rigol-dp832": RigolDP832, "rigol-dp831a": RigolDP831A,
              "keysight-e36312a": KeysightE36312A, "keysight-edu36311a": KeysightEDU36311A,
              "siglent-spd3303x": SiglentSPD3303X, "rohde-hmc8043": RohdeHMC8043}
SCOPE_MODELS = {"rigol-ds1054z": RigolDS1054Z, "keysight-dsox3034t": KeysightDSOX3034T,
                "keysight-dsox2024a": AgilentDSOX2024A}
START_TIMEOUT_S = 10.0


class InstrumentServers:
    """A running PSU + scope pair; `.stop()` (or leaving the `with` block) shuts them down."""

    def __init__(self, board, psu_model: str, scope_model: str, host: str, psu_port: int,
                 scope_port: int, wiring: dict[int, str] | None = None):
        for name, table, kind in ((psu_model, PSU_MODELS, "PSU"), (scope_model, SCOPE_MODELS, "scope")):
            if name not in table:
                raise ValueError(f"unknown {kind} model {name!r} (known: {', '.join(table)})")
        self.psu = PSU_MODELS[psu_model](board)
        self.scope = SCOPE_MODELS[scope_model](board, wiring)
        self.host = host
        self._loop = asyncio.new_event_loop()
        self._servers: list[asyncio.base_events.Server] = []
        self._connections: dict[str, set[asyncio.Task]] = {"psu": set(), "scope": set()}
        self._thread = threading.Thread(target=self._loop.run_forever, name="sim-scpi", daemon=True)
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(host, psu_port, scope_port), self._loop)
        try:
            self.psu_port, self.scope_port = fut.result(START_TIMEOUT_S)
        except Exception:
            self.stop()
            raise

    async def _start(self, host: str, psu_port: int, scope_port: int) -> tuple[int, int]:
        ports = []
        for name, inst, port in (("psu", self.psu, psu_port), ("scope", self.scope, scope_port)):
            try:
                server = await start_server(inst, host, port, self._connections[name])
            except OSError as exc:
                raise OSError(f"cannot listen on {host}:{port} for {inst.IDN.split(',')[1]}: "
                              f"{exc.strerror}") from None
            self._servers.append(server)
            ports.append(server.sockets[0].getsockname()[1])
        return ports[0], ports[1]

    @property
    def psu_resource(self) -> str:
        return f"TCPIP0::{self.host}::{self.psu_port}::SOCKET"

    @property
    def scope_resource(self) -> str:
        return f"TCPIP0::{self.host}::{self.scope_port}::SOCKET"

    def unplug(self, which: str) -> None:
        """Make one instrument vanish ("psu" or "scope"): no listener, open connections cut."""
        index = {"psu": 0, "scope": 1}[which]

        async def cut() -> None:
            self._servers[index].close()
            for task in list(self._connections[which]):
                task.cancel()

        asyncio.run_coroutine_threadsafe(cut(), self._loop).result(START_TIMEOUT_S)

    def stop(self) -> None:
        """Close the listeners and stop the loop thread (idempotent)."""
        if not self._loop.is_running():
            return

        async def close() -> None:
            for server in self._servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(START_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT_S)

    def __enter__(self) -> "InstrumentServers":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_instruments(board, *, psu_model: str = "rigol-dp832", scope_model: str = "rigol-ds1054z",
                      host: str = "127.0.0.1", psu_port: int = 0, scope_port: int = 0,
                      wiring: dict[int, str] | None = None) -> InstrumentServers:
    """Serve a simulated PSU and scope for `board`; resources as VISA SOCKET strings."""
    return InstrumentServers(board, psu_model, scope_model, host, psu_port, scope_port, wiring)
