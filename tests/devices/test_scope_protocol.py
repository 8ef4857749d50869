"""What each scope dialect sends and how it decodes replies, through real pyvisa-py to a scripted
peer on a real local socket."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from benchtui.devices.scope import KeysightInfiniiVision, RigolDS1000Z, open_scope
from benchtui.devices.waveform import Measurement
from benchtui.errors import Cancelled, InstrumentError, InstrumentGarbage, UnsupportedInstrument
from benchtui.profile import TriggerConfig

from .conftest import scope_cfg
from .scpi_peer import KS_OK, OK, Late, block, opened

RIGOL_IDN = "RIGOL TECHNOLOGIES,DS1054Z,DS1ZA164457681,00.04.04.SP3"
KEYSIGHT_IDN = "KEYSIGHT TECHNOLOGIES,DSO-X 3034T,MY58101234,07.20.2019102615"
POWER_UP = TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.002, pretrigger=0.1)
FAULT = TriggerConfig(source="VCAP1", level=1.1, slope="falling", timebase=0.001, pretrigger=0.5)

# Five samples that decode to 0, 1, 2, 3, 4 V with t0 = -1 ms and dt = 10 us.
VOLTS = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
RIGOL_PRE = {
    "BYTE": "0,2,5,1,1.000000e-05,-1.000000e-03,0,4.000000e-02,0,127",
    "WORD": "1,2,5,1,1.000000e-05,-1.000000e-03,0,4.000000e-02,0,127",
    "ASCII": "2,2,5,1,1.000000e-05,-1.000000e-03,0,4.000000e-02,0,127",
}
RIGOL_DATA = {
    "BYTE": block(bytes([127, 152, 177, 202, 227])),
    "WORD": block(np.array([127, 152, 177, 202, 227], dtype="<u2").tobytes()),
    "ASCII": block(b"0.000000e+00,1.000000e+00,2.000000e+00,3.000000e+00,4.000000e+00,"),
}
KS_PRE = {
    "BYTE": "+0,+0,+5,+1,+1.00000000E-05,-1.00000000E-03,+0,+4.00000E-02,+0.00000E+00,+128",
    "WORD": "+1,+0,+5,+1,+1.00000000E-05,-1.00000000E-03,+0,+1.56250E-04,+0.00000E+00,+32768",
    "ASCII": "+4,+0,+5,+1,+1.00000000E-05,-1.00000000E-03,+0,+4.00000E-02,+0.00000E+00,+128",
}
KS_DATA = {
    "BYTE": block(bytes([128, 153, 178, 203, 228]), 8),
    "WORD": block((np.array([0, 25, 50, 75, 100]) * 256 + 32768).astype(">u2").tobytes(), 8),
    "ASCII": block(b"+0.00000E+00,+1.00000E+00,+2.00000E+00,+3.00000E+00,+4.00000E+00", 8),
}


def _open(peer, **kw):
    return open_scope(scope_cfg(peer.resource, **kw))


def test_rigol_setup_channels(peer_factory):
    script = [*opened(RIGOL_IDN)]
    for n, scale, offset in ((1, "1", "0"), (2, "0.2", "-1.2"), (3, "0.2", "-1.2"), (4, "1", "0")):
        script += [(f":CHAN{n}:PROB 1", None), (f":CHAN{n}:SCAL {scale}", None),
                   (f":CHAN{n}:OFFS {offset}", None), (f":CHAN{n}:DISP ON", None)]
    peer = peer_factory(script + [OK])
    scope = _open(peer)
    try:
        assert isinstance(scope, RigolDS1000Z)
        scope.setup_channels()
    finally:
        scope.close()
    peer.assert_done()


def test_rigol_arm_wait_and_the_transient_td_state(peer_factory):
    peer = peer_factory([
        *opened(RIGOL_IDN),
        # 12 divisions x 2 ms, 10 % before the trigger: centre is 9.6 ms after it.
        (":TIM:MAIN:SCAL 0.002", None), (":TIM:MAIN:SCAL?", "2.000000e-03"),
        (":TIM:MAIN:OFFS 0.0096", None), (":TRIG:MODE EDGE", None),
        (":TRIG:EDGE:SOUR CHAN1", None), (":TRIG:EDGE:SLOP POS", None), (":TRIG:EDGE:LEV 1.5", None),
        ("*OPC?", "1"), OK, (":SING", None), (":TRIG:STAT?", "WAIT"),
        (":TRIG:STAT?", "WAIT"),                      # wait_for_trigger(0): one poll, not yet
        (":TRIG:STAT?", "WAIT"), (":TRIG:STAT?", "STOP"),   # TD never seen: STOP after WAIT = done
        (":TRIG:STAT?", "TD"),
    ])
    scope = _open(peer)
    try:
        scope.arm(POWER_UP)
        assert scope.wait_for_trigger(0.0) is False
        assert scope.wait_for_trigger(5.0) is True
        assert scope.trigger_state() == "triggered"
    finally:
        scope.close()
    peer.assert_done()


def test_a_poll_sent_after_the_deadline_decides_the_wait(peer_factory):
    """On a loaded host one status poll can outlast the whole wait (a fault-catch record's
    post-trigger part is a few ms): the wait asks once more after its deadline, so a record
    the scope completed meanwhile is not reported as "no trigger" (it was, under load, in about
    1 nrst-noise run in 5: a failing cycle stored without its capture)."""
    peer = peer_factory([
        *opened(RIGOL_IDN),
        (":TIM:MAIN:SCAL 0.002", None), (":TIM:MAIN:SCAL?", "2.000000e-03"),
        (":TIM:MAIN:OFFS 0.0096", None), (":TRIG:MODE EDGE", None),
        (":TRIG:EDGE:SOUR CHAN1", None), (":TRIG:EDGE:SLOP POS", None), (":TRIG:EDGE:LEV 1.5", None),
        ("*OPC?", "1"), OK, (":SING", None), (":TRIG:STAT?", "WAIT"),
        (":TRIG:STAT?", Late("TD", 0.3)),   # asked before the deadline, answered long after it
        (":TRIG:STAT?", "STOP"),            # asked after it: the record is complete
    ])
    scope = _open(peer)
    try:
        scope.arm(POWER_UP)
        assert scope.wait_for_trigger(0.05) is True
    finally:
        scope.close()
    peer.assert_done()


def test_rigol_a_stop_left_from_the_previous_shot_is_not_a_capture(peer_factory):
    """Audit (worst): the scope still says STOP after :SING (it has not processed it yet).
    That STOP belongs to the previous acquisition: only STOP after WAIT/RUN/TD completes."""
    peer = peer_factory([
        *opened(RIGOL_IDN),
        (":TIM:MAIN:SCAL 0.002", None), (":TIM:MAIN:SCAL?", "2.000000e-03"),
        (":TIM:MAIN:OFFS 0.0096", None), (":TRIG:MODE EDGE", None),
        (":TRIG:EDGE:SOUR CHAN1", None), (":TRIG:EDGE:SLOP POS", None), (":TRIG:EDGE:LEV 1.5", None),
        ("*OPC?", "1"), OK, (":SING", None),
        (":TRIG:STAT?", "STOP"), (":TRIG:STAT?", "STOP"),   # not yet acting on :SING
        (":TRIG:STAT?", "RUN"),                             # now it is (filling the pre-trigger)
        (":TRIG:STAT?", "STOP"),                            # captured (the edge came at once)
        (":TRIG:STAT?", "STOP"),                            # wait_for_trigger: done
    ])
    scope = _open(peer)
    try:
        scope.arm(POWER_UP)
        assert scope.wait_for_trigger(5.0) is True
    finally:
        scope.close()
    peer.assert_done()


@pytest.mark.slow
def test_rigol_a_scope_that_never_leaves_stop_never_counts_as_triggered(peer_factory):
    script = [*opened(RIGOL_IDN), (":TIM:MAIN:SCAL 0.001", None), (":TIM:MAIN:SCAL?", "1.000000e-03"),
              (":TIM:MAIN:OFFS 0", None), (":TRIG:MODE EDGE", None), (":TRIG:EDGE:SOUR CHAN2", None),
              (":TRIG:EDGE:SLOP NEG", None), (":TRIG:EDGE:LEV 1.1", None), ("*OPC?", "1"), OK,
              (":SING", None)]
    peer = peer_factory(script + [(":TRIG:STAT?", "STOP")] * 400, mode="script")
    scope = _open(peer)
    try:
        scope.arm(FAULT)
        assert scope.wait_for_trigger(0.2) is False
    finally:
        scope.close()
    assert peer.errors == []


def test_rigol_reads_the_snapped_timebase_back_and_accepts_old_firmware_td(peer_factory):
    """Asked for 3 ms/div, the scope uses 2 ms/div: the offset follows the 2 ms."""
    trig = TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.003, pretrigger=0.25)
    peer = peer_factory([
        *opened("RIGOL TECHNOLOGIES,DS1104Z,DS1ZB00000,00.04.01.SP2"),
        (":TIM:MAIN:SCAL 0.003", None), (":TIM:MAIN:SCAL?", "2.000000e-03"),
        (":TIM:MAIN:OFFS 0.006", None), (":TRIG:MODE EDGE", None),  # (0.5 - 0.25) x 12 x 2 ms
        (":TRIG:EDGE:SOUR CHAN1", None), (":TRIG:EDGE:SLOP POS", None), (":TRIG:EDGE:LEV 1.5", None),
        ("*OPC?", "1"), OK, (":SING", None), (":TRIG:STAT?", "WAIT"),
        (":TRIG:STAT?", "T'D"),
    ])
    scope = _open(peer)
    try:
        scope.arm(trig)
        assert scope.trigger_state() == "triggered"
    finally:
        scope.close()
    peer.assert_done()


def test_rigol_falling_trigger_centred(peer_factory):
    peer = peer_factory([
        *opened(RIGOL_IDN),
        (":TIM:MAIN:SCAL 0.001", None), (":TIM:MAIN:SCAL?", "1.000000e-03"),
        (":TIM:MAIN:OFFS 0", None), (":TRIG:MODE EDGE", None),
        (":TRIG:EDGE:SOUR CHAN2", None), (":TRIG:EDGE:SLOP NEG", None), (":TRIG:EDGE:LEV 1.1", None),
        ("*OPC?", "1"), OK, (":SING", None), (":TRIG:STAT?", "WAIT"),
        (":TFOR", None), (":STOP", None),
    ])
    scope = _open(peer)
    try:
        scope.arm(FAULT)
        scope.force_trigger()
        scope.stop()
        assert scope.wait_for_trigger(0.0) is False  # stopped by us, not by a trigger: no query
    finally:
        scope.close()
    peer.assert_done()


@pytest.mark.parametrize("fmt,word", [("BYTE", "BYTE"), ("WORD", "BYTE"), ("ASCII", "ASC")])
def test_rigol_fetch_stops_first_and_decodes_each_format(peer_factory, fmt, word):
    """:STOP before a RAW read (guide, step 1); the 8-bit DS1000Z sends a profile's WORD as BYTE."""
    pre_key = "ASCII" if word == "ASC" else "BYTE"
    peer = peer_factory([
        *opened(RIGOL_IDN), (":STOP", None),
        (":WAV:SOUR CHAN2", None), (":WAV:MODE RAW", None), (f":WAV:FORM {word}", None),
        (":WAV:PRE?", RIGOL_PRE[pre_key]), (":WAV:STAR 1", None), (":WAV:STOP 5", None),
        (":WAV:DATA?", RIGOL_DATA[pre_key]),
    ])
    scope = _open(peer, format=fmt)
    try:
        wf = scope.fetch("VCAP1")
    finally:
        scope.close()
    peer.assert_done()
    assert (wf.net, wf.channel) == ("VCAP1", 2)
    np.testing.assert_allclose(wf.volts, VOLTS, atol=1e-9)
    assert wf.t0 == pytest.approx(-1e-3) and wf.dt == pytest.approx(1e-5)
    np.testing.assert_allclose(wf.times, -1e-3 + 1e-5 * np.arange(5))


def test_rigol_fetch_reads_long_records_in_star_stop_chunks(peer_factory):
    points = 260_000  # BYTE: 250 000 points per request -> two requests
    raw = (np.arange(points) % 256).astype("u1")
    pre = f"0,2,{points},1,1.000000e-06,0.000000e+00,0,1.000000e-02,0,127"
    peer = peer_factory([
        *opened(RIGOL_IDN), (":STOP", None),
        (":WAV:SOUR CHAN1", None), (":WAV:MODE RAW", None), (":WAV:FORM BYTE", None), (":WAV:PRE?", pre),
        (":WAV:STAR 1", None), (":WAV:STOP 250000", None), (":WAV:DATA?", block(raw[:250000].tobytes())),
        (":WAV:STAR 250001", None), (":WAV:STOP 260000", None), (":WAV:DATA?", block(raw[250000:].tobytes())),
    ])
    scope = _open(peer)
    try:
        wf = scope.fetch("VDD")
    finally:
        scope.close()
    peer.assert_done()
    np.testing.assert_allclose(wf.volts, (raw.astype(float) - 127) * 0.01)


def test_a_short_block_is_garbage_naming_the_command(peer_factory):
    peer = peer_factory([
        *opened(RIGOL_IDN), (":STOP", None),
        (":WAV:SOUR CHAN1", None), (":WAV:MODE RAW", None), (":WAV:FORM BYTE", None),
        (":WAV:PRE?", RIGOL_PRE["BYTE"]), (":WAV:STAR 1", None), (":WAV:STOP 5", None),
        (":WAV:DATA?", block(bytes([1, 2, 3]))),
    ])
    scope = _open(peer)
    try:
        with pytest.raises(InstrumentGarbage) as info:
            scope.fetch("VDD")
    finally:
        scope.close()
    assert "':WAV:DATA?'" in str(info.value) and "5 points" in str(info.value)


def test_rigol_measurements_and_the_sentinel(peer_factory):
    peer = peer_factory([
        *opened(RIGOL_IDN),
        (":MEAS:ITEM? VMAX,CHAN1", "3.312000e+00"),
        (":MEAS:ITEM? RTIM,CHAN1", "9.9E37"),
        (":MEAS:ITEM? VAVG,CHAN4", "3.28e+00"),
        (":MEAS:ITEM? VMIN,CHAN2", "1.0800e+00"),
    ])
    scope = _open(peer)
    try:
        assert scope.measure("VDD", "vmax") == Measurement(3.312, None)
        assert scope.measure("VDD", "rise") == Measurement(None, "9.9E37, SCPI's +INF: no reading")
        assert scope.measure("NRST", "vavg").value == pytest.approx(3.28)
        assert scope.measure("VCAP1", "vmin").value == pytest.approx(1.08)
        with pytest.raises(InstrumentError, match="'VBAT'.*known: VDD, VCAP1, VCAP2, NRST"):
            scope.measure("VBAT", "vmax")
        with pytest.raises(InstrumentError, match="unknown measurement 'freq'"):
            scope.measure("VDD", "freq")
    finally:
        scope.close()
    peer.assert_done()


def test_cancel_stops_the_wait(peer_factory):
    peer = peer_factory([*opened(RIGOL_IDN)])
    scope = _open(peer)
    cancel = threading.Event()
    cancel.set()
    try:
        with pytest.raises(Cancelled):
            scope.wait_for_trigger(10.0, cancel)
    finally:
        scope.close()
    peer.assert_done()


def test_keysight_setup_negates_the_offset_and_selects_normal_acquisition(peer_factory):
    script = [*opened(KEYSIGHT_IDN), (":ACQ:TYPE NORM", None)]
    for n, scale, offset in ((1, "1", "-0"), (2, "0.2", "1.2"), (3, "0.2", "1.2"), (4, "1", "-0")):
        script += [(f":CHAN{n}:PROB 1", None), (f":CHAN{n}:SCAL {scale}", None),
                   (f":CHAN{n}:OFFS {offset}", None), (f":CHAN{n}:DISP 1", None)]
    peer = peer_factory(script + [KS_OK])
    scope = _open(peer)
    try:
        assert isinstance(scope, KeysightInfiniiVision)
        scope.setup_channels()
    finally:
        scope.close()
    peer.assert_done()


def test_keysight_arm_clears_stale_events_polls_aer_and_waits_for_the_run_bit(peer_factory):
    """:AER?/:TER? clear when read: both are read once BEFORE :SING, so a 1 left from an earlier
    acquisition cannot confirm arming (InfiniiVision programmer's guide, :AER? and :TER?)."""
    peer = peer_factory([
        *opened(KEYSIGHT_IDN),
        (":TIM:REF CENT", None), (":TIM:SCAL 0.002", None), (":TIM:SCAL?", "+2.00000000E-03"),
        (":TIM:POS 0.008", None), (":TRIG:MODE EDGE", None), (":TRIG:SWE NORM", None),
        (":TRIG:EDGE:SOUR CHAN1", None), (":TRIG:EDGE:SLOP POS", None), (":TRIG:EDGE:LEV 1.5", None),
        KS_OK,
        (":AER?", "+1"), (":TER?", "+1"),                        # stale, from the running scope
        (":SING", None), (":AER?", "+0"), (":AER?", "+1"),
        (":OPER:COND?", "+8"), (":TER?", "+0"),                  # armed
        (":OPER:COND?", "+40"), (":TER?", "+1"),                 # triggered, still filling
        (":OPER:COND?", "+40"),                                  # remembered: TER? cleared on read
        (":OPER:COND?", "+8"), (":OPER:COND?", "+32"),           # wait: running, then done
        (":OPER:COND?", "+32"),
    ])
    scope = _open(peer)
    try:
        scope.arm(POWER_UP)
        assert scope.trigger_state() == "armed"
        assert scope.trigger_state() == "triggered"
        assert scope.trigger_state() == "triggered"
        assert scope.wait_for_trigger(5.0) is True
        assert scope.trigger_state() == "stopped"
    finally:
        scope.close()
    peer.assert_done()


def test_keysight_byte_zero_is_a_hole_and_peak_is_refused(peer_factory):
    wave = [(":WAV:SOUR CHAN1", None), (":WAV:FORM BYTE", None), (":WAV:BYT MSBF", None),
            (":WAV:UNS 1", None), (":WAV:POIN:MODE RAW", None), (":WAV:POIN MAX", None)]
    peak = KS_PRE["BYTE"].replace("+0,+0,", "+0,+1,", 1)
    peer = peer_factory([*opened(KEYSIGHT_IDN), *wave, (":WAV:PRE?", "+0"),  # not ready: ask again
                         (":WAV:PRE?", KS_PRE["BYTE"]), (":WAV:DATA?", block(bytes([128, 0, 178, 0, 228]), 8)),
                         *wave, (":WAV:PRE?", peak)])
    scope = _open(peer)
    try:
        wf = scope.fetch("VDD")
        with pytest.raises(InstrumentError, match="PEAK"):
            scope.fetch("VDD")
    finally:
        scope.close()
    peer.assert_done()
    assert wf.volts[0] == pytest.approx(0.0) and wf.volts[2] == pytest.approx(2.0)
    assert np.isnan(wf.volts[1]) and np.isnan(wf.volts[3])


@pytest.mark.parametrize("fmt,word", [("BYTE", "BYTE"), ("WORD", "WORD"), ("ASCII", "ASC")])
def test_keysight_fetch_decodes_each_format_msb_first(peer_factory, fmt, word):
    mode, points = ("NORM", "1000") if fmt == "ASCII" else ("RAW", "MAX")  # ASCII: no 50 MB blocks
    peer = peer_factory([
        *opened(KEYSIGHT_IDN),
        (":WAV:SOUR CHAN3", None), (f":WAV:FORM {word}", None), (":WAV:BYT MSBF", None),
        (":WAV:UNS 1", None), (f":WAV:POIN:MODE {mode}", None), (f":WAV:POIN {points}", None),
        (":WAV:PRE?", KS_PRE[fmt]), (":WAV:DATA?", KS_DATA[fmt]),
    ])
    scope = _open(peer, format=fmt)
    try:
        wf = scope.fetch("VCAP2")
    finally:
        scope.close()
    peer.assert_done()
    assert wf.channel == 3
    np.testing.assert_allclose(wf.volts, VOLTS, atol=1e-9)
    assert wf.t0 == pytest.approx(-1e-3) and wf.dt == pytest.approx(1e-5)


def test_keysight_measurements(peer_factory):
    peer = peer_factory([
        *opened(KEYSIGHT_IDN),
        (":MEAS:VMIN? CHAN2", "+1.1200E+00"), (":MEAS:RIS? CHAN1", "+9.9E+37"),
        (":MEAS:VAV? CHAN1", "+3.30E+00"), (":MEAS:VMAX? CHAN4", "+3.4E+00"),
    ])
    scope = _open(peer)
    try:
        assert scope.measure("VCAP1", "vmin").value == pytest.approx(1.12)
        rise = scope.measure("VDD", "rise")
        assert rise.value is None and rise.reason.endswith(": no reading")
        assert scope.measure("VDD", "vavg").value == pytest.approx(3.3)
        assert scope.measure("NRST", "vmax").value == pytest.approx(3.4)
    finally:
        scope.close()
    peer.assert_done()


def test_auto_refuses_an_unknown_scope(peer_factory):
    idn = "TEKTRONIX,MDO3024,B020857,CF:91.1CT FV:v1.30"
    peer = peer_factory([("*IDN?", idn)])
    with pytest.raises(UnsupportedInstrument, match="MDO3024"):
        _open(peer)
    peer.assert_done()


def test_explicit_driver_skips_identification_matching(peer_factory):
    peer = peer_factory([*opened("RIGOL TECHNOLOGIES,DS2202E,DS2X,00.01")])
    scope = _open(peer, driver="rigol-ds1000z")
    scope.close()
    assert isinstance(scope, RigolDS1000Z)


@pytest.mark.parametrize("idn", ["KEYSIGHT TECHNOLOGIES,EDUX1052G,CN57000001,02.12.2021071625",
                                 "KEYSIGHT TECHNOLOGIES,DSOX1102G,CN57000002,02.12.2021071625",
                                 "AGILENT TECHNOLOGIES,DSO-X 2024A,MY52160123,02.43.2018020635"])
def test_keysight_identities_include_the_edu_models(peer_factory, idn):
    peer = peer_factory([*opened(idn, '+0,"No error"')])
    scope = _open(peer)
    scope.close()
    assert isinstance(scope, KeysightInfiniiVision)


def test_old_rigol_firmware_is_named_in_a_warning(peer_factory, caplog):
    """Firmware before 00.04.04 gives 1200 points in RAW mode (pklaus/ds1054z #5): the record is
    still fetched as the preamble says, and the log says why it is short."""
    peer = peer_factory([*opened("RIGOL TECHNOLOGIES,DS1054Z,DS1ZA0000,00.04.02.SP4")])
    with caplog.at_level("WARNING", logger="benchtui.scope"):
        _open(peer).close()
    assert "00.04.02.SP4 gives only 1200 points" in caplog.text


def test_a_rigol_ds1000z_on_usb_is_warned_about(peer_factory, caplog):
    """pyvisa-py's USBTMC lacks python-usbtmc's DS1000Z (0x04ce) workaround:
    a USB resource gets a warning that names the LAN port; a LAN one gets none."""
    from benchtui.devices.visa import VisaSession

    peer = peer_factory()
    session = VisaSession(peer.resource, timeout_ms=1000, name="scope")
    try:
        with caplog.at_level("WARNING", logger="benchtui.scope"):
            RigolDS1000Z(session, scope_cfg(peer.resource), RIGOL_IDN)
            assert "USBTMC" not in caplog.text
            RigolDS1000Z(session, scope_cfg("USB0::0x1AB1::0x04CE::DS1ZA164457681::INSTR"), RIGOL_IDN)
    finally:
        session.close()
    assert ("scope USB0::0x1AB1::0x04CE::DS1ZA164457681::INSTR: pyvisa-py's USBTMC lacks the DS1000Z "
            "workaround") in caplog.text and "::5555::SOCKET" in caplog.text
