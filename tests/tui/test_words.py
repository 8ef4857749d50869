"""Errors become words in one place: where, what, and what to try."""

from benchtui import errors as e
from benchtui.tui.words import explain


def test_bench_error_names_instrument_message_and_hint():
    exp = explain(e.InstrumentUnreachable("TCPIP0::10.0.0.5::5025::SOCKET: connection refused", where="PSU"),
                  "power-cycle")
    assert exp.where == "PSU"
    assert "power-cycle failed" in exp.what and "connection refused" in exp.what
    assert "resource string" in exp.hint
    assert "\n" not in exp.line


def test_error_own_hint_wins():
    exp = explain(e.NoSwdAck("no ACK", hint="check NRST"))
    assert exp.hint == "check NRST"


def test_most_specific_hint_is_used():
    assert "write protection" in explain(e.WriteProtected("WRPERR at sector 3")).hint


def test_cancelled_is_a_warning():
    exp = explain(e.Cancelled("user"), "flash")
    assert exp.severity == "warning" and "cancelled" in exp.what


def test_foreign_exception_is_one_line():
    exp = explain(RuntimeError("boom\nsecond line"), "capture")
    assert exp.where == "benchtui" and "\n" not in exp.line and "RuntimeError" in exp.what
