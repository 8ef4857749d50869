"""The drivers against hostile replies, in-process through real pyvisa-py (fast cases).

The CLI-level cases (time, memory, PSU state) are in test_cli_hostile.py; here: the reply guard
(devices/guard.py) on preambles, status and measurement replies, the identity check, the total
deadline of one query, the queue left by an earlier client, and replies that never shift after
a failed exchange.
"""

from __future__ import annotations

import math
import socket
import threading
import time

import pytest

from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.devices.visa import VisaSession
from benchtui.errors import InstrumentGarbage, InstrumentSilent
from benchtui.profile import PsuConfig, ScopeChannel, ScopeConfig, TriggerConfig

from .conftest import upstream
from .hostile import Rule, block_header, reply, silent, trickle

RIGOL_SCOPE = "RIGOL TECHNOLOGIES,DS1054Z,DS1ZA164457681,00.04.04.SP3"
KEYSIGHT_SCOPE = "KEYSIGHT TECHNOLOGIES,DSO-X 3034T,MY12345678,07.50.2021102830"
RIGOL_PSU = "RIGOL TECHNOLOGIES,DP832,DP8C184550857,00.01.14"


def psu_cfg(resource: str, timeout_ms: int = 500) -> PsuConfig:
    return PsuConfig(resource=resource, driver="rigol-dp800", voltage=3.3, current_limit=0.5,
                     max_voltage=3.6, max_current=1.0, timeout_ms=timeout_ms)


def scope_cfg(resource: str, driver: str = "rigol-ds1000z", timeout_ms: int = 500) -> ScopeConfig:
    return ScopeConfig(resource=resource, driver=driver, timeout_ms=timeout_ms, format="BYTE",
                       channels={"VDD": ScopeChannel(channel=1)},
                       power_up=TriggerConfig(source="VDD", level=1.5))


def scripted(*rules: Rule, identity: str, no_error: str = '0,"No error"') -> list[Rule]:
    return [Rule(r"\*IDN\?", reply(identity)), Rule(r"SYST:ERR\?", reply(no_error)), *rules]


@pytest.mark.parametrize("points", ["inf", "1e12", "nan", "-5", "2.5"])
def test_a_preamble_that_promises_impossible_points_is_one_line(points, hostile):
    scope = hostile(*scripted(Rule(r":WAV:PRE\?", reply(f"0,0,{points},1,1e-06,-0.002,0,0.04,0,128")),
                              identity=RIGOL_SCOPE))
    drv = open_scope(scope_cfg(scope.resource))
    try:
        with pytest.raises(InstrumentGarbage) as info:
            drv.fetch("VDD")
    finally:
        drv.close()
    text = info.value.one_line()
    assert f"scope {scope.resource}: unexpected reply to ':WAV:PRE?'" in text and "points" in text
    assert "\n" not in text
    assert not [line for line in scope.received if line.startswith(":WAV:DATA")], "data was asked for"


def test_a_nan_time_base_comes_back_as_a_waveform_for_the_engine_to_mark_invalid(hostile):
    block = b"#9000000004" + bytes([128, 130, 132, 134])
    scope = hostile(*scripted(Rule(r":WAV:PRE\?", reply("0,0,4,1,nan,-0.002,0,0.04,0,128")),
                              Rule(r":WAV:DATA\?", reply(block)), identity=RIGOL_SCOPE))
    drv = open_scope(scope_cfg(scope.resource))
    try:
        wf = drv.fetch("VDD")
    finally:
        drv.close()
    assert len(wf) == 4 and math.isnan(wf.dt)


def test_a_status_register_of_inf_is_garbage_not_an_overflow(hostile):
    scope = hostile(*scripted(Rule(r":OPER:COND\?", reply("inf")), identity=KEYSIGHT_SCOPE,
                              no_error='+0,"No error"'))
    drv = open_scope(scope_cfg(scope.resource, driver="keysight-infiniivision"))
    try:
        with pytest.raises(InstrumentGarbage, match=r"':OPER:COND\?' \(expected an integer; inf is not"):
            drv.trigger_state()
    finally:
        drv.close()


@pytest.mark.parametrize("value", ["nan", "-inf", "1e999", "NaN"])
def test_nan_or_inf_in_a_psu_measurement_is_one_line(value, hostile):
    psu = hostile(*scripted(Rule(r":OUTP\? CH1", reply("ON")), Rule(r":MEAS:VOLT\? CH1", reply(value)),
                            identity=RIGOL_PSU))
    drv = open_psu(psu_cfg(psu.resource))
    try:
        with pytest.raises(InstrumentGarbage, match=r"':MEAS:VOLT\? CH1' \(expected a number; .* is not a finite"):
            drv.read()
    finally:
        drv.close()


def test_an_http_server_on_the_instrument_port_is_not_an_identity(hostile):
    from .hostile import http_server

    web = hostile(Rule(r".*", http_server()))
    with pytest.raises(InstrumentGarbage) as info:
        open_psu(psu_cfg(web.resource))
    assert "'HTTP/1.1 400 Bad Request', which is not an instrument identity" in str(info.value)
    assert "is this the instrument's SCPI port?" in str(info.value)


def test_one_query_has_one_total_deadline_however_the_reply_trickles(hostile):
    slow = hostile(Rule(r"\*IDN\?", trickle(0.02)))
    session = VisaSession(slow.resource, timeout_ms=400, name="PSU")
    try:
        started = time.monotonic()
        with pytest.raises(InstrumentSilent, match=r"reply to '\*IDN\?' not complete within 400 ms \(\d+ bytes"):
            session.query("*IDN?")
        took = time.monotonic() - started
    finally:
        session.close()
    # pyvisa-py alone never times out here (each byte restarts its wait); ours ends at 0.4 s.
    assert 0.38 < took < 0.4 + 1.0, took


def test_a_block_larger_than_the_instrument_can_hold_is_refused_before_reading(hostile):
    huge = hostile(Rule(r":WAV:DATA\?", block_header(999_999_999)))
    session = VisaSession(huge.resource, timeout_ms=5000, name="scope")
    try:
        started = time.monotonic()
        with pytest.raises(InstrumentGarbage, match="claims 999,999,999 bytes, more than this instrument "
                                                    r"can hold \(1,064\); refused before reading it"):
            session.query_binary_block(":WAV:DATA?", max_bytes=1064)
        assert time.monotonic() - started < 2.0  # not the 5 s timeout: refused from the header
    finally:
        session.close()


@pytest.mark.slow
def test_a_late_reply_after_a_timeout_does_not_shift_the_next_replies(hostile):
    # The first :MEAS:VOLT? is answered only after our timeout; the next query must get its own
    # reply, not the late one.
    sent = threading.Event()

    async def late(w, line):
        import asyncio

        await asyncio.sleep(0.5)
        w.write(b"1.111\n")
        await w.drain()
        sent.set()

    psu = hostile(*scripted(Rule(r":MEAS:VOLT\? CH1", late), identity=RIGOL_PSU))
    psu.rules.insert(0, Rule(r":MEAS:CURR\? CH1", reply("0.222")))
    session = VisaSession(psu.resource, timeout_ms=300, name="PSU")
    try:
        with pytest.raises(InstrumentSilent):
            session.query(":MEAS:VOLT? CH1")
        assert sent.wait(10), "the late reply was never sent"  # it is on its way to us now
        assert session.query(":MEAS:CURR? CH1") == "0.222"
    finally:
        session.close()


def test_errors_left_by_an_earlier_client_do_not_fail_the_next_run(sim):
    host, port = upstream(sim.psu_resource).split(":")
    with socket.create_connection((host, int(port)), timeout=5) as earlier:
        earlier.sendall(b"NOT:A:COMMAND\n:SOUR1:VOLT 99\n")  # -113 and -222 left in the queue
        earlier.sendall(b"*OPC?\n")
        assert earlier.recv(16).strip() == b"1"
    drv = open_psu(psu_cfg(sim.psu_resource, timeout_ms=2000))
    try:
        drv.apply(3.3, 0.5)  # checks the error queue: must not blame us for the old errors
        drv.set_output(False)
    finally:
        drv.close()


def test_a_silent_instrument_costs_one_timeout_per_query(hostile):
    quiet = hostile(Rule(r".*", silent()))
    session = VisaSession(quiet.resource, timeout_ms=300, name="scope")
    try:
        started = time.monotonic()
        with pytest.raises(InstrumentSilent, match=r"no reply to '\*IDN\?' within 300 ms"):
            session.query("*IDN?")
        assert time.monotonic() - started < 0.3 + 1.0
    finally:
        session.close()
