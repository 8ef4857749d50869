"""Owner threads (one thread per device, async facade) and `benchtui check` results."""

from __future__ import annotations

import socket
import threading

import pytest

from benchtui.devices.check import CheckResult, check_instruments
from benchtui.devices.owner import DeviceOwner
from benchtui.devices.psu import open_psu
from benchtui.errors import BenchError
from benchtui.profile import Profile, TargetConfig

from .scpi_peer import opened
from .conftest import psu_cfg, scope_cfg
from .test_psu_protocol import RIGOL_IDN
from .test_scope_protocol import KEYSIGHT_IDN


def test_calls_run_in_order_on_one_thread_that_is_not_the_caller():
    with DeviceOwner("psu") as owner:
        seen: list[tuple[int, int]] = []
        futures = [owner.submit(lambda i=i: seen.append((i, threading.get_ident()))) for i in range(20)]
        for f in futures:
            f.result()
    assert [i for i, _ in seen] == list(range(20))
    assert len({t for _, t in seen}) == 1 and seen[0][1] != threading.get_ident()


def test_call_from_the_owner_thread_runs_inline_instead_of_deadlocking():
    with DeviceOwner("scope") as owner:
        outer = owner.call(lambda: (threading.get_ident(), owner.call(threading.get_ident)))
    assert outer[0] == outer[1]


async def test_run_awaits_and_propagates_exceptions():
    owner = DeviceOwner("target")
    try:
        assert await owner.run(lambda a, b=0: a + b, 2, b=3) == 5
        with pytest.raises(ZeroDivisionError):
            await owner.run(lambda: 1 / 0)
        # Two owners run at the same time: the loop is not blocked by either.
        other = DeviceOwner("other")
        gate = threading.Event()
        waiting = owner.run(gate.wait, 5)
        await other.run(gate.set)
        assert await waiting is True
        other.close()
    finally:
        owner.close()


def test_closed_owner_refuses_new_calls_with_a_bench_error():
    owner = DeviceOwner("psu")
    owner.close()
    owner.close()  # twice is fine
    with pytest.raises(BenchError, match="psu is closed"):
        owner.submit(print)


def test_a_visa_session_is_created_and_used_on_its_owner_thread(peer_factory):
    peer = peer_factory([*opened(RIGOL_IDN), (":OUTP? CH1", "OFF"), (":MEAS:VOLT? CH1", "0"),
                         (":MEAS:CURR? CH1", "0")])
    with DeviceOwner("psu") as owner:
        psu = owner.call(open_psu, psu_cfg(peer.resource))
        reading = owner.call(psu.read)
        owner.call(psu.close)
    assert reading.mode == "OFF"
    peer.assert_done()


def _profile(psu_resource: str, scope_resource: str) -> Profile:
    return Profile(name="t", target=TargetConfig(probe_uid="x"), psu=psu_cfg(psu_resource),
                   scope=scope_cfg(scope_resource))


def test_check_reports_identity_and_state(peer_factory):
    psu = peer_factory([*opened(RIGOL_IDN), (":SOUR1:VOLT?", "3.300"), (":SOUR1:CURR?", "0.500"),
                        (":OUTP? CH1", "ON"), (":MEAS:VOLT? CH1", "3.29"), (":MEAS:CURR? CH1", "0.02"),
                        (":OUTP:MODE? CH1", "CV")])
    scope = peer_factory([*opened(KEYSIGHT_IDN), (":OPER:COND?", "+32")])
    results = check_instruments(_profile(psu.resource, scope.resource))
    assert results == [
        CheckResult("PSU", psu.resource, True, RIGOL_IDN,
                    "CH1 set 3.300 V / 0.500 A, output ON, reads 3.290 V 0.020 A (CV)"),
        CheckResult("scope", scope.resource, True, KEYSIGHT_IDN,
                    "VDD=CH1 VCAP1=CH2 VCAP2=CH3 NRST=CH4, acquisition stopped"),
    ]
    psu.assert_done()
    scope.assert_done()


def test_check_turns_failures_into_one_line_results(peer_factory):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = f"TCPIP0::127.0.0.1::{s.getsockname()[1]}::SOCKET"
    s.close()
    junk = peer_factory(mode="garbage", garbage=b"\xff\xfe\n")
    psu, scope = check_instruments(_profile(dead, junk.resource))
    assert not psu.ok and psu.detail == f"PSU: PSU {dead}: connection refused — is the instrument on " \
                                        "and the address right?"
    assert not scope.ok and scope.detail.startswith("scope: scope ") and "'*IDN?'" in scope.detail
    assert "\n" not in scope.detail
