"""Serve a twin over TCP with pyOCD's own probe-server protocol, so that stock pyOCD clients
(`pyocd ... -u remote:127.0.0.1:<port>`) reach it like a shared hardware probe.

pyOCD's `DebugProbeServer` is used for its protocol (its request handler), with what a bench
left running for hours needs on top:

* it binds exactly the host it is given (pyOCD binds either "localhost" or all interfaces);
  a busy port or a bad host is an OSError with one line naming host and port;
* a client's probe lock is taken with a timeout (pyOCD blocks forever in `DebugProbe.lock` when
  another connection holds it: the other client then waits forever for the reply), and every
  lock, open and connect a connection took is given back when it ends, however it ends (an
  RLock held by a handler thread that has exited can never be released);
* an idle connection times out, handler threads are daemons, and `stop()` cuts every open
  connection, so the server always stops on Ctrl-C.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass, field
from socketserver import ThreadingTCPServer
from typing import Any

from pyocd.core import exceptions
from pyocd.core.session import Session
from pyocd.probe.shared_probe_proxy import SharedDebugProbeProxy
from pyocd.probe.tcp_probe_server import DebugProbeRequestHandler

from .probe import TwinProbe
from .registry import register_twin, unregister_twin

LOG = logging.getLogger(__name__)

#: A client that sends nothing for this long is gone (a bench cycle's longest pause between two
#: probe requests is a scope capture or a power-off: seconds).
IDLE_TIMEOUT_S = 120.0
#: Longest wait for the probe lock held by another connection before answering "busy".
LOCK_TIMEOUT_S = 15.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Handler(DebugProbeRequestHandler):
    """pyOCD's request handler, with a timed lock and a clean-up of what the client held."""

    def setup(self) -> None:
        self.request.settimeout(IDLE_TIMEOUT_S)
        super().setup()
        self._held = {"lock": 0, "open": 0, "connect": 0}
        self.server.track(self, True)   # type: ignore[attr-defined]
        h = self._REQUEST_HANDLERS
        h["lock"] = (self._request__lock, 0)
        h["unlock"] = (self._request__unlock, 0)
        h["open"] = (self._counted("open", self._probe.open), 0)
        h["close"] = (self._uncounted("open", self._probe.close), 0)
        h["connect"] = (self._counted("connect", self._request__connect), 1)
        h["disconnect"] = (self._uncounted("connect", self._probe.disconnect), 0)

    def _counted(self, what: str, fn):
        def call(*args):
            result = fn(*args)
            self._held[what] += 1
            return result
        return call

    def _uncounted(self, what: str, fn):
        def call(*args):
            if self._held[what] <= 0:
                return None           # not this connection's to give back
            self._held[what] -= 1
            return fn(*args)
        return call

    def _request__lock(self) -> None:
        lock = getattr(self._probe, "probe", self._probe)._lock
        if not lock.acquire(timeout=LOCK_TIMEOUT_S):
            raise exceptions.TransferTimeoutError(
                f"probe busy: another client has held it for more than {LOCK_TIMEOUT_S:g} s")
        self._held["lock"] += 1

    def _request__unlock(self) -> None:
        if self._held["lock"] <= 0:
            raise exceptions.Error("unlock without lock")
        self._held["lock"] -= 1
        getattr(self._probe, "probe", self._probe)._lock.release()

    def handle(self) -> None:
        try:
            super().handle()
        except (socket.timeout, ConnectionError, OSError) as exc:
            LOG.info("client %s gone: %s", self.client_address, exc)

    def finish(self) -> None:
        try:
            lock = getattr(self._probe, "probe", self._probe)._lock
            for _ in range(self._held["lock"]):
                lock.release()
            for _ in range(self._held["connect"]):
                self._probe.disconnect()
            for _ in range(self._held["open"]):
                self._probe.close()
        except Exception as exc:  # noqa: BLE001  (the connection is over either way)
            LOG.debug("releasing a finished client's probe state: %s", exc)
        finally:
            self._held = {"lock": 0, "open": 0, "connect": 0}
            self.server.track(self, False)   # type: ignore[attr-defined]
            try:
                super().finish()
            except OSError:
                pass


class _Server(ThreadingTCPServer):
    """pyOCD's TCPProbeServer, bound to exactly (host, port), daemon handler threads."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], session: Session, probe: Any):
        self._session = session
        self._probe = probe
        self._clients: set[Any] = set()
        self._clients_lock = threading.Lock()
        super().__init__(address, _Handler, bind_and_activate=False)

    @property
    def session(self) -> Session:
        return self._session

    @property
    def probe(self) -> Any:
        return self._probe

    def track(self, handler: Any, alive: bool) -> None:
        with self._clients_lock:
            (self._clients.add if alive else self._clients.discard)(handler)

    def cut_clients(self) -> None:
        with self._clients_lock:
            clients = list(self._clients)
        for handler in clients:
            try:
                handler.request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        LOG.error("error while handling probe client %s", client_address, exc_info=True)


@dataclass
class TwinServer:
    """A running server: `uid` is what a pyOCD client passes as its probe id."""

    host: str
    port: int
    local_uid: str
    _server: _Server
    _thread: threading.Thread = field(repr=False)

    @property
    def uid(self) -> str:
        return f"remote:{self.host}:{self.port}"

    @property
    def clients(self) -> int:
        return len(self._server._clients)

    def stop(self) -> None:
        """Close the listener and every client connection, and forget the twin."""
        self._server.shutdown()
        self._server.cut_clients()
        self._server.server_close()
        self._thread.join(5.0)
        unregister_twin(self.local_uid)


def serve_twin(twin, host: str = "127.0.0.1", port: int = 0) -> TwinServer:
    """Start serving `twin` on exactly (host, port). OSError with one line if it cannot."""
    uid = register_twin(twin)
    probe = TwinProbe(twin, uid)
    session = Session(None, project_dir=None, options={"serve_local_only": is_loopback(host)})
    server = _Server((host, port), session, SharedDebugProbeProxy(probe))
    try:
        server.server_bind()
        server.server_activate()
    except OSError as exc:
        server.server_close()
        unregister_twin(uid)
        raise OSError(f"cannot listen on {host}:{port} for the probe server: "
                      f"{exc.strerror or exc}") from None
    real_port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name=f"twin probe server {host}:{real_port}", daemon=True)
    thread.start()
    return TwinServer(host, real_port, uid, server, thread)
