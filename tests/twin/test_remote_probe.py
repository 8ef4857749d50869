"""The remote probe as a two-process bench uses it: pyOCD's probe-server protocol between
benchtui's client and the twin's server, and everything that can wait on the other side ends:
a lock held by a stuck client, a client that died holding it, a server that never answers or
hangs up, a stuck probe in the middle of a run (a classified, recorded failure)."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from benchtui.devices.target import TargetLink, remote
from benchtui.errors import ProbeLost
from benchtui.profile import TargetConfig
from benchtui.sim.twin import server as twin_server
from benchtui.sim.twin.mcu import Stm32Twin
from benchtui.sim.twin.server import is_loopback, serve_twin


class RawClient:
    """A bare protocol client (what another pyOCD process looks like to the server)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rwb")
        self.id = 0

    def request(self, name: str, *args) -> dict:
        self.id += 1
        self.file.write(json.dumps({"id": self.id, "request": name, "arguments": list(args)}).encode() + b"\n")
        self.file.flush()
        return json.loads(self.file.readline())

    def close(self) -> None:
        self.file.close()     # the makefile holds the socket open until it is closed too
        self.sock.close()


@pytest.fixture
def served():
    twin = Stm32Twin("zg")
    srv = serve_twin(twin)
    yield twin, srv
    srv.stop()


def _wait_gone(srv) -> None:
    deadline = time.monotonic() + 5
    while srv.clients and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not srv.clients


def _link(uid: str) -> TargetLink:
    return TargetLink(TargetConfig(probe_uid=uid, target_type="stm32f767zg"))


@pytest.mark.slow
def test_a_lock_held_by_another_client_is_a_timed_error_not_a_deadlock(served, monkeypatch):
    monkeypatch.setattr(twin_server, "LOCK_TIMEOUT_S", 0.5)
    twin, srv = served
    stuck = RawClient(srv.port)
    assert stuck.request("hello", 1)["status"] == 0
    assert stuck.request("lock")["status"] == 0          # ... and then it never unlocks
    t0 = time.monotonic()
    with pytest.raises(ProbeLost, match="probe busy"):
        _link(srv.uid).connect()
    assert time.monotonic() - t0 < 5
    stuck.close()                                        # the stuck client goes away
    _wait_gone(srv)
    link = _link(srv.uid)
    assert link.connect().flash_kb == 1024               # its lock was given back
    link.disconnect()


def test_a_client_that_dies_holding_the_lock_does_not_block_the_next(served):
    twin, srv = served
    dead = RawClient(srv.port)
    for request in (("hello", 1), ("open",), ("lock",), ("lock",)):
        assert dead.request(*request)["status"] == 0
    dead.sock.shutdown(socket.SHUT_RDWR)                 # killed mid-operation
    dead.close()
    _wait_gone(srv)
    link = _link(srv.uid)
    t0 = time.monotonic()
    link.connect()
    assert time.monotonic() - t0 < 5
    link.disconnect()


@pytest.mark.slow
def test_a_server_that_never_answers_is_probe_lost_within_the_timeout(monkeypatch):
    monkeypatch.setattr(remote, "REQUEST_TIMEOUT_S", 0.5)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    port = silent.getsockname()[1]
    try:
        t0 = time.monotonic()
        with pytest.raises(ProbeLost, match="no reply from the probe server within"):
            _link(f"remote:127.0.0.1:{port}").connect()
        assert time.monotonic() - t0 < 5
    finally:
        silent.close()


def test_a_server_that_hangs_up_is_probe_lost_at_once():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(100)
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        t0 = time.monotonic()
        with pytest.raises(ProbeLost, match="closed the connection"):
            _link(f"remote:127.0.0.1:{port}").connect()
        assert time.monotonic() - t0 < 5
    finally:
        listener.close()


def test_the_server_binds_exactly_its_host_and_a_busy_port_is_one_line():
    # The port is held on 127.0.0.1, bound but not listening, for the whole test: a connection
    # there is refused unless the server listens there too, and no other listener in the suite
    # (another bench on an ephemeral port) can take 127.0.0.1 on the same number meanwhile.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    port = held.getsockname()[1]
    srv = serve_twin(Stm32Twin("zg"), host="127.0.0.2", port=port)
    try:
        assert srv._server.server_address == ("127.0.0.2", port)
        assert srv.uid == f"remote:127.0.0.2:{port}"
        with pytest.raises(ConnectionRefusedError):      # not on 127.0.0.1: exactly the host given
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        with pytest.raises(OSError) as info:
            serve_twin(Stm32Twin("zg"), host="127.0.0.2", port=srv.port)
        text = str(info.value)
        assert "\n" not in text and f"127.0.0.2:{srv.port}" in text and "probe server" in text
    finally:
        srv.stop()
        held.close()
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7") and not is_loopback("")


@pytest.mark.slow
def test_a_stuck_probe_mid_run_is_a_recorded_failure_and_the_run_ends(virtual_bench, monkeypatch):
    """The probe server stops answering during a loop: the step fails with ProbeLost within the
    request timeout, the cycle is stored with it, the run ends with status error."""
    import asyncio
    import dataclasses

    from benchtui.bench.engine import CycleEngine
    from benchtui.bench.session import BenchSession
    from benchtui.bench.store import open_store

    monkeypatch.setattr(remote, "REQUEST_TIMEOUT_S", 1.0)
    vb, live = virtual_bench("healthy")
    srv = serve_twin(vb.twin)
    live = live.replace(target=dataclasses.replace(live.target, probe_uid=srv.uid))
    twin = vb.twin
    real_sync = twin.sync
    stuck = threading.Event()

    def sync():
        if stuck.is_set():
            time.sleep(3)        # the probe hangs (a USB probe that stopped answering)
        real_sync()

    twin.sync = sync

    def on_event(event) -> None:
        if getattr(event, "step", None) == "program" and type(event).__name__ == "StepStarted":
            stuck.set()

    async def run():
        session = BenchSession(live, on_event=on_event)
        await session.open()
        engine = CycleEngine(session, on_event=on_event)
        try:
            return await engine.run(3)
        finally:
            await session.close()

    t0 = time.monotonic()
    try:
        summary = asyncio.run(run())
    finally:
        stuck.clear()
        srv.stop()
    assert time.monotonic() - t0 < 60
    assert summary.status == "error" and summary.cycles == 1
    store = open_store(live.store.database)
    try:
        cycle = store.cycles(summary.id)[0]
    finally:
        store.close()
    assert cycle.failed_step == "program" and cycle.error_class == "ProbeLost"
    assert "no reply from the probe server" in cycle.error_text


@pytest.mark.slow
def test_benchtui_sim_stops_on_ctrl_c_with_a_stuck_client_and_a_busy_port_is_one_line(tmp_path):
    import re
    import signal
    import subprocess
    import sys

    from benchtui.cli import DEMO_PROFILE

    text = DEMO_PROFILE.read_text()
    for key in ("psu_port", "scope_port", "probe_port"):
        text = re.sub(rf"^{key}\s*=.*$", f"{key} = 0", text, flags=re.M)
    profile = tmp_path / "sim.toml"
    profile.write_text(text.replace('firmware = "firmware/', f'firmware = "{tmp_path}/'))
    sim = subprocess.Popen([sys.executable, "-m", "benchtui.cli", "sim", "--profile", str(profile)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        port = None
        for _ in range(10):
            m = re.search(r"probe\s+remote:127\.0\.0\.1:(\d+)", sim.stdout.readline())
            if m:
                port = int(m.group(1))
                break
        assert port, "benchtui sim printed no probe uid"
        stuck = RawClient(port)
        assert stuck.request("hello", 1)["status"] == 0 and stuck.request("lock")["status"] == 0
        sim.send_signal(signal.SIGINT)
        assert sim.wait(15) == 0                     # exits although a client holds the lock
        stuck.close()
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()

    with socket.socket() as busy:                    # a busy probe port: one line, exit 2
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        profile.write_text(re.sub(r"^probe_port\s*=.*$", f"probe_port = {taken}", text, flags=re.M)
                           .replace('firmware = "firmware/', f'firmware = "{tmp_path}/'))
        res = subprocess.run([sys.executable, "-m", "benchtui.cli", "sim", "--profile", str(profile)],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{taken}" in lines[0] and "probe server" in lines[0]
