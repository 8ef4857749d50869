"""Fixtures: a board, the simulated instruments on free ports, and real pyvisa-py sessions."""

import pyvisa
import pytest

from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments


@pytest.fixture
def board():
    return BoardModel("healthy", seed=1)


@pytest.fixture
def rm():
    manager = pyvisa.ResourceManager("@py")
    yield manager
    manager.close()


def open_session(rm, resource):
    inst = rm.open_resource(resource, read_termination="\n", write_termination="\n", timeout=5000)
    return inst


@pytest.fixture
def bench(board, rm, request):
    """(servers, psu session, scope session) for the (psu_model, scope_model) in request.param."""
    psu_model, scope_model = request.param
    with start_instruments(board, psu_model=psu_model, scope_model=scope_model) as servers:
        psu = open_session(rm, servers.psu_resource)
        scope = open_session(rm, servers.scope_resource)
        yield servers, psu, scope
        psu.close()
        scope.close()


def settled(read, check, what: str, timeout: float = 5.0):
    """Poll `read()` until `check(value)` holds (a rail settling, a status changing); return the
    value. Fails naming `what` and the last value after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if check(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still {value!r} after {timeout} s")
        time.sleep(0.005)
