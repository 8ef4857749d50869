"""Serve a twin over TCP with pyOCD's own DebugProbeServer, so that stock pyOCD clients
(`pyocd ... -u remote:127.0.0.1:<port>`) reach it like a shared hardware probe."""

from __future__ import annotations

import socket
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
    """Start serving `twin` on exactly `host`:`port` (the address the uid names).

    pyOCD's server binds either 'localhost' or every interface (''); so it is made on a free
    loopback port and its listening socket is then bound again to `host` (one socketserver,
    `server_bind` on its `server_address`). A busy port raises OSError naming the address.
    """
    uid = register_twin(twin)
    try:
        probe = TwinProbe(twin, uid)
        session = Session(None, project_dir=None, options={"serve_local_only": True})
        server = DebugProbeServer(session, probe, port=0, serve_local_only=True)
        tcp = server._server
        tcp.socket.close()
        tcp.socket = socket.socket(tcp.address_family, tcp.socket_type)
        tcp.server_address = (host, port)
        try:
            tcp.server_bind()
        except OSError as exc:
            tcp.socket.close()
            raise OSError(exc.errno, f"cannot serve the probe on {host}:{port}: "
                                     f"{exc.strerror or exc}") from None
        server._port = tcp.server_address[1]
        server.start()
    except BaseException:
        unregister_twin(uid)
        raise
    return TwinServer(host, tcp.server_address[1], uid, server)
