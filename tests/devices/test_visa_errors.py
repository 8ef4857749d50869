"""Every way an instrument can fail becomes one line naming the instrument and the command."""

from __future__ import annotations

import logging
import socket

import numpy as np
import pytest

from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.devices.visa import VisaSession
from benchtui.errors import InstrumentGarbage, InstrumentSilent, InstrumentUnreachable

from .conftest import psu_cfg, scope_cfg
from .scpi_peer import block, opened


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _one_line(exc: BaseException) -> str:
    text = exc.one_line()  # type: ignore[attr-defined]
    assert "\n" not in text and "Traceback" not in text
    return text


def test_nothing_listening_is_unreachable_with_a_hint():
    resource = f"TCPIP0::127.0.0.1::{_closed_port()}::SOCKET"
    with pytest.raises(InstrumentUnreachable) as info:
        open_psu(psu_cfg(resource))
    assert str(info.value) == (f"PSU {resource}: connection refused — is the instrument on and the "
                               "address right?")
    assert _one_line(info.value).startswith("PSU: ")


def test_a_malformed_resource_string_is_unreachable():
    with pytest.raises(InstrumentUnreachable) as info:
        open_scope(scope_cfg("TCPIP0:127.0.0.1:5555"))
    assert "TCPIP0:127.0.0.1:5555" in str(info.value) and "not a valid VISA resource" in str(info.value)
    assert info.value.where == "scope"


def test_a_silent_instrument_names_the_command(peer_factory):
    peer = peer_factory(mode="silent")
    with pytest.raises(InstrumentSilent) as info:
        open_psu(psu_cfg(peer.resource, timeout_ms=200))
    assert str(info.value) == f"PSU {peer.resource}: no reply to '*IDN?' within 200 ms"
    _one_line(info.value)


def test_a_silent_scope_during_a_block_read(peer_factory):
    # Header promises 100 bytes, only 3 arrive, then silence.
    peer = peer_factory([("*IDN?", "x"), (":WAV:DATA?", b"#9000000100abc")])
    session = VisaSession(peer.resource, timeout_ms=200, name="scope")
    try:
        session.query("*IDN?")
        with pytest.raises(InstrumentSilent, match="reply to ':WAV:DATA\\?' not complete within 200 ms"):
            session.query_block(":WAV:DATA?")
    finally:
        session.close()


def test_garbage_instead_of_a_number_shows_the_first_bytes(peer_factory):
    peer = peer_factory([*opened("RIGOL TECHNOLOGIES,DP832,X,1"), (":OUTP? CH1", "ON"),
                         (":MEAS:VOLT? CH1", "VOLTS!")])
    psu = open_psu(psu_cfg(peer.resource))
    try:
        with pytest.raises(InstrumentGarbage) as info:
            psu.read()
    finally:
        psu.close()
    assert "':MEAS:VOLT? CH1'" in str(info.value) and "VOLTS!" in str(info.value)
    assert "a number" in str(info.value)
    _one_line(info.value)


def test_binary_junk_instead_of_identity_is_garbage(peer_factory):
    peer = peer_factory(mode="garbage", garbage=b"\x00\xff\xfeJUNK\n")
    with pytest.raises(InstrumentGarbage) as info:
        open_scope(scope_cfg(peer.resource))
    assert "'*IDN?'" in str(info.value) and "\\x00\\xff\\xfeJUNK" in str(info.value)
    _one_line(info.value)


def test_a_text_reply_where_a_block_is_expected_is_garbage(peer_factory):
    peer = peer_factory([(":WAV:DATA?", "-113,Undefined header")])
    session = VisaSession(peer.resource, timeout_ms=500, name="scope")
    try:
        with pytest.raises(InstrumentGarbage) as info:
            session.query_binary_block(":WAV:DATA?")
    finally:
        session.close()
    assert "IEEE 488.2" in str(info.value) and "-113,Undefined header" in str(info.value)


def test_peer_closing_mid_session_is_reported_as_lost(peer_factory):
    peer = peer_factory([("*IDN?", "x")])   # the next command is unexpected: the peer hangs up
    session = VisaSession(peer.resource, timeout_ms=500, name="PSU")
    try:
        session.query("*IDN?")
        with pytest.raises((InstrumentUnreachable, InstrumentSilent)) as info:
            session.query("MEAS:VOLT?")
            session.query("MEAS:VOLT?")
    finally:
        session.close()
    assert "MEAS:VOLT?" in str(info.value)


def test_blocks_with_newlines_inside_and_every_header_width(peer_factory):
    payload = bytes(range(256)) * 3   # contains b"\n" several times
    peer = peer_factory([("A?", block(payload, 9)), ("B?", block(payload, 8)), ("C?", block(payload, 4)),
                         ("D?", block(np.arange(5, dtype=">i2").tobytes(), 2))])
    session = VisaSession(peer.resource, timeout_ms=1000, name="scope")
    try:
        assert session.query_block("A?") == payload
        np.testing.assert_array_equal(session.query_binary_block("B?"), np.frombuffer(payload, np.uint8))
        assert session.query_block("C?") == payload
        np.testing.assert_array_equal(session.query_binary_block("D?", "h", big_endian=True), np.arange(5))
    finally:
        session.close()
    peer.assert_done()


def test_every_exchange_is_logged_at_debug(peer_factory, caplog):
    peer = peer_factory([("*IDN?", "ACME,1,2,3"), ("VOLT 1", None)])
    caplog.set_level(logging.DEBUG, logger="benchtui.visa")
    session = VisaSession(peer.resource, timeout_ms=500, name="PSU")
    try:
        session.query("*IDN?")
        session.write("VOLT 1")
    finally:
        session.close()
    peer.assert_done()
    lines = [r.getMessage() for r in caplog.records if r.name == "benchtui.visa"]
    assert "PSU > *IDN?" in lines and "PSU < ACME,1,2,3" in lines and "PSU > VOLT 1" in lines
