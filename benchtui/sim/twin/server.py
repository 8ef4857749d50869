"""Serve a twin over TCP with pyOCD's own DebugProbeServer, so that stock pyOCD clients
(`pyocd ... -u remote:127.0.0.1:<port>`) reach it like a shared hardware probe."""

from __future__ import annotations

from dataclasses import dataclass

from pyocd.core.session import Session
from pyocd.probe.tcp_probe_server import DebugProbeServer

from .registry import register_twin, unregister_twin
from .probe import TwinProbe


@dataclass
class TwinServer:
    """A running server: `uid` is what a pyOCD client passes as its probe id."""

    host: str
    port: int
    local_uid: str
    _server: DebugProbeServer

    @property
    def uid(self) -> str:
        return f"remote:{self.host}:{self.port}"

    def stop(self) -> None:
        """Close the listener and every client connection, and forget the twin."""
        self._server.stop()
        unregister_twin(self.local_uid)


def serve_twin(twin, host: str = "127.0.0.1", port: int = 0) -> TwinServer:
    """Start serving `twin`. Only loopback or all-interfaces binding is possible with
    pyOCD's server: any host other than 127.0.0.1/localhost binds all interfaces."""
    local = host in ("127.0.0.1", "localhost")
    uid = register_twin(twin)
    probe = TwinProbe(twin, uid)
    session = Session(None, project_dir=None, options={"serve_local_only": local})
    server = DebugProbeServer(session, probe, port=port, serve_local_only=local)
    server.start()
    real_port = server._server.server_address[1]
    return TwinServer(host if local else host, real_port, uid, server)
