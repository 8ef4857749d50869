"""What each PSU dialect sends for each operation and how it reads the replies.

Every test talks through real pyvisa-py to a scripted peer on a real local socket; the peer fails
the test on any command that is not the next one in its script.
"""

from __future__ import annotations

import pytest

from benchtui.devices.psu import (GenericMultiScpiPsu, GenericScpiPsu, KeysightE36300, PsuReading,
                                  RigolDP800, open_psu)
from benchtui.errors import InstrumentError, InstrumentReportedError, SafetyError, UnsupportedInstrument

from .conftest import psu_cfg
from .scpi_peer import KS_OK, OK, opened

RIGOL_IDN = "RIGOL TECHNOLOGIES,DP832,DP8C184550857,00.01.14"
KEYSIGHT_IDN = "Keysight Technologies,E36312A,MY59001234,2.1.0-1.0.4-1.12"
GENERIC_IDN = "BK PRECISION,9130,123456,1.0"


def test_rigol_dp800_sends_channel_qualified_commands(peer_factory):
    peer = peer_factory([
        *opened(RIGOL_IDN),
        (":SOUR2:CURR 0.25", None), (":SOUR2:VOLT 3.3", None), OK,
        (":OUTP CH2,ON", None), OK,
        (":OUTP? CH2", "ON"), (":MEAS:VOLT? CH2", "3.2980"), (":MEAS:CURR? CH2", "0.1210"),
        (":OUTP:MODE? CH2", "CV"),
        (":SOUR2:VOLT?", "3.300"), (":SOUR2:CURR?", "0.250"),
        (":OUTP CH2,OFF", None), OK,
        (":OUTP? CH2", "OFF"), (":MEAS:VOLT? CH2", "0.0000"), (":MEAS:CURR? CH2", "0.0000"),
    ])
    psu = open_psu(psu_cfg(peer.resource, channel=2))
    try:
        assert isinstance(psu, RigolDP800) and psu.identity == RIGOL_IDN
        psu.apply(3.3, 0.25)
        psu.set_output(True)
        assert psu.read() == PsuReading(3.298, 0.121, "CV", True)
        assert psu.setpoints() == (3.3, 0.25)
        psu.safe_state()
        assert psu.read() == PsuReading(0.0, 0.0, "OFF", False)
    finally:
        psu.close()
    peer.assert_done()


def test_rigol_reports_cc_and_unregulated_as_cc(peer_factory):
    peer = peer_factory([
        *opened(RIGOL_IDN),
        (":OUTP? CH1", "ON"), (":MEAS:VOLT? CH1", "2.1"), (":MEAS:CURR? CH1", "0.05"),
        (":OUTP:MODE? CH1", "CC"),
        (":OUTP? CH1", "ON"), (":MEAS:VOLT? CH1", "2.1"), (":MEAS:CURR? CH1", "0.05"),
        (":OUTP:MODE? CH1", "UR"),
    ])
    psu = open_psu(psu_cfg(peer.resource))
    try:
        assert psu.read().mode == "CC"
        assert psu.read().mode == "CC"
    finally:
        psu.close()
    peer.assert_done()


def test_keysight_e36300_uses_channel_lists(peer_factory):
    peer = peer_factory([
        *opened(KEYSIGHT_IDN),
        ("CURR 0.1,(@1)", None), ("VOLT 3.25,(@1)", None), KS_OK,
        ("OUTP ON,(@1)", None), KS_OK,
        ("OUTP? (@1)", "1"), ("MEAS:VOLT? (@1)", "+2.95000000E+00"), ("MEAS:CURR? (@1)", "+1.00000000E-01"),
        ("STAT:QUES:INST:ISUM1:COND?", "+1"),
        ("VOLT? (@1)", "+3.25000000E+00"), ("CURR? (@1)", "+1.00000000E-01"),
        ("OUTP? (@1)", "0"), ("MEAS:VOLT? (@1)", "+0.0"), ("MEAS:CURR? (@1)", "+0.0"),
    ])
    psu = open_psu(psu_cfg(peer.resource))
    try:
        assert isinstance(psu, KeysightE36300)
        psu.apply(3.25, 0.1)
        psu.set_output(True)
        assert psu.read() == PsuReading(2.95, 0.1, "CC", True)
        assert psu.setpoints() == (3.25, 0.1)
        assert psu.read() == PsuReading(0.0, 0.0, "OFF", False)
    finally:
        psu.close()
    peer.assert_done()


def test_keysight_cv_bit(peer_factory):
    peer = peer_factory([
        *opened(KEYSIGHT_IDN),
        ("OUTP? (@3)", "1"), ("MEAS:VOLT? (@3)", "3.3"), ("MEAS:CURR? (@3)", "0.01"),
        ("STAT:QUES:INST:ISUM3:COND?", "2"),
    ])
    psu = open_psu(psu_cfg(peer.resource, channel=3))
    try:
        assert psu.read().mode == "CV"
    finally:
        psu.close()
    peer.assert_done()


def test_generic_multi_output_selects_the_channel_before_each_command(peer_factory):
    peer = peer_factory([
        *opened(GENERIC_IDN),
        ("INST:NSEL 2", None), ("CURR 0.5", None), ("INST:NSEL 2", None), ("VOLT 1.8", None), OK,
        ("INST:NSEL 2", None), ("OUTP 1", None), OK,
        ("INST:NSEL 2", None), ("OUTP?", "1"), ("INST:NSEL 2", None), ("MEAS:VOLT?", "1.79"),
        ("INST:NSEL 2", None), ("MEAS:CURR?", "0.5"), ("INST:NSEL 2", None), ("STAT:OPER:COND?", "1024"),
    ])
    psu = open_psu(psu_cfg(peer.resource, driver="scpi-multi", channel=2))
    try:
        assert isinstance(psu, GenericMultiScpiPsu)
        psu.apply(1.8, 0.5)
        psu.set_output(True)
        assert psu.read() == PsuReading(1.79, 0.5, "CC", True)
    finally:
        psu.close()
    peer.assert_done()


def test_generic_single_output_never_sends_inst_nsel(peer_factory):
    """Single-output SCPI-99 supplies reject INST:NSEL (-113); mode falls back to the readback
    when STAT:OPER:COND? has neither the CV nor the CC bit of the HP 66xxB layout."""
    peer = peer_factory([
        *opened("Keysight Technologies,E3633A,0,2.1-5.0-1.0"),
        ("CURR 0.5", None), ("VOLT 3.3", None), OK, ("OUTP 1", None), OK,
        ("OUTP?", "1"), ("MEAS:VOLT?", "+3.29E+00"), ("MEAS:CURR?", "+4.99E-01"),
        ("STAT:OPER:COND?", "+0"), ("MEAS:VOLT?", "+3.29E+00"), ("MEAS:CURR?", "+4.99E-01"),
        ("CURR?", "+5.00E-01"),
    ])
    psu = open_psu(psu_cfg(peer.resource, driver="scpi"))
    try:
        assert isinstance(psu, GenericScpiPsu)
        psu.apply(3.3, 0.5)
        psu.set_output(True)
        assert psu.read() == PsuReading(3.29, 0.499, "CC", True)
    finally:
        psu.close()
    peer.assert_done()
    with pytest.raises(InstrumentError, match="scpi-multi"):
        open_psu(psu_cfg(peer_factory([("*IDN?", GENERIC_IDN)]).resource, driver="scpi", channel=2))


def test_auto_refuses_an_unknown_identity_and_names_it(peer_factory):
    peer = peer_factory([("*IDN?", GENERIC_IDN)])
    with pytest.raises(UnsupportedInstrument) as info:
        open_psu(psu_cfg(peer.resource))
    assert GENERIC_IDN in str(info.value) and peer.resource in str(info.value)
    assert "\n" not in str(info.value)
    peer.assert_done()


def test_instrument_error_queue_is_raised_with_the_command(peer_factory):
    peer = peer_factory([
        *opened(RIGOL_IDN),
        (":OUTP CH1,ON", None),
        ("SYST:ERR?", '-221,"Settings conflict"'), ("SYST:ERR?", '-222,"Data out of range"'), OK,
    ])
    psu = open_psu(psu_cfg(peer.resource))
    try:
        with pytest.raises(InstrumentReportedError) as info:
            psu.set_output(True)
    finally:
        psu.close()
    assert info.value.code == -221
    assert "Settings conflict" in str(info.value) and "':OUTP CH1,ON'" in str(info.value)
    assert "+1 more" in str(info.value)
    peer.assert_done()


# --- safety ------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda p: p.apply(3.61, 0.1),
    lambda p: p.apply(3.3, 1.01),
    lambda p: p.apply(3.3, 1.5),
    lambda p: p.apply(4.0, 0.1),
    lambda p: p.apply(-1.0, 0.1),
    lambda p: p.apply(float("nan"), 0.1),
])
def test_setpoints_past_the_profile_maxima_are_refused_and_nothing_is_sent(peer_factory, call):
    peer = peer_factory([*opened(RIGOL_IDN)])
    psu = open_psu(psu_cfg(peer.resource))
    try:
        with pytest.raises(SafetyError) as info:
            call(psu)
    finally:
        psu.close()
    assert "nothing was sent" in str(info.value)
    assert peer.received == ["*IDN?", "*CLS", "SYST:ERR?"]
    peer.assert_done()


def test_the_model_range_is_enforced_below_a_generous_profile(peer_factory):
    # DP832 CH3 goes to 5 V only; the profile would allow 12 V.
    peer = peer_factory([*opened(RIGOL_IDN)])
    psu = open_psu(psu_cfg(peer.resource, channel=3, max_voltage=12.0, voltage=5.0))
    try:
        with pytest.raises(SafetyError) as info:
            psu.apply(5.5, 0.1)
    finally:
        psu.close()
    assert "DP832 CH3" in str(info.value) and "psu.max_voltage" not in str(info.value)
    assert peer.received == ["*IDN?", "*CLS", "SYST:ERR?"]


def test_a_channel_the_model_does_not_have_is_refused(peer_factory):
    peer = peer_factory([("*IDN?", "RIGOL TECHNOLOGIES,DP821A,DP8X,00.01.01")])
    with pytest.raises(Exception) as info:
        open_psu(psu_cfg(peer.resource, channel=3))
    assert "DP821A has channels 1-2" in str(info.value)


# --- negative channels, EDU identities --------------------------------------------------------

def test_dp831a_negative_channel_is_driven_with_negative_setpoints(peer_factory):
    peer = peer_factory([
        *opened("RIGOL TECHNOLOGIES,DP831A,DP8D000001,00.01.16"),
        (":SOUR3:CURR 0.2", None), (":SOUR3:VOLT -5", None), OK,
        (":SOUR3:VOLT?", "-5.000"), (":SOUR3:CURR?", "0.200"),
        (":OUTP? CH3", "ON"), (":MEAS:VOLT? CH3", "-4.9990"), (":MEAS:CURR? CH3", "0.0100"),
        (":OUTP:MODE? CH3", "CV"),
    ])
    psu = open_psu(psu_cfg(peer.resource, channel=3, max_voltage=12.0, voltage=5.0))
    try:
        psu.apply(5.0, 0.2)                      # the profile's magnitude: -5 V at the output
        assert psu.setpoints() == (5.0, 0.2)
        assert psu.read() == PsuReading(4.999, 0.01, "CV", True)
        assert psu.range.max_voltage == 30.0 and psu.polarity == -1
        with pytest.raises(SafetyError, match="negative"):
            psu.apply(-5.0, 0.2)                 # magnitudes only: no double negation
    finally:
        psu.close()
    peer.assert_done()


@pytest.mark.parametrize("idn", ["Keysight Technologies,EDU36311A,CN61230123,1.0.4-1.0.2-1.05",
                                 "Keysight Technologies,E36311A,MY00000001,1.0.0"])
def test_e36311a_and_edu36311a_channel_3_is_negative(peer_factory, idn):
    peer = peer_factory([
        *opened(idn),
        ("CURR 0.1,(@3)", None), ("VOLT -12,(@3)", None), KS_OK,
        ("MEAS:VOLT? (@3)", "-1.19900000E+01"), ("MEAS:CURR? (@3)", "+1.00000000E-03"),
    ])
    psu = open_psu(psu_cfg(peer.resource, channel=3, max_voltage=15.0, voltage=12.0))
    try:
        assert isinstance(psu, KeysightE36300) and psu.polarity == -1
        psu.apply(12.0, 0.1)
        assert psu.measure() == (pytest.approx(11.99), pytest.approx(0.001))
    finally:
        psu.close()
    peer.assert_done()


def test_e36300_unregulated_is_cc(peer_factory):
    peer = peer_factory([*opened(KEYSIGHT_IDN), ("OUTP? (@1)", "1"), ("MEAS:VOLT? (@1)", "1.0"),
                         ("MEAS:CURR? (@1)", "0.5"), ("STAT:QUES:INST:ISUM1:COND?", "+0")])
    psu = open_psu(psu_cfg(peer.resource))
    try:
        assert psu.read().mode == "CC"
    finally:
        psu.close()
    peer.assert_done()


@pytest.mark.parametrize("driver", ["rigol-dp800", "keysight-e36300", "siglent-spd3303x",
                                    "rohde-hmc804x", "owon-spe", "scpi", "scpi-multi"])
def test_the_last_line_check_runs_on_every_dialect(peer_factory, monkeypatch, driver):
    """Whatever a dialect's formatting does, the text on the wire is re-checked: a formatter
    that turned 3.3 into 33 is stopped before anything is sent."""
    import benchtui.devices.psu.base as base
    peer = peer_factory([*opened(GENERIC_IDN)])
    psu = open_psu(psu_cfg(peer.resource, driver=driver))
    monkeypatch.setattr(base, "setpoint_text", lambda x: f"{x * 10:g}")
    try:
        with pytest.raises(SafetyError, match="'33'"):
            psu.apply(3.3, 0.5)
        monkeypatch.setattr(base, "setpoint_text", lambda x: "nan")
        with pytest.raises(SafetyError, match="'nan'"):
            psu.apply(3.3, 0.5)
    finally:
        psu.close()
    assert peer.received == ["*IDN?", "*CLS", "SYST:ERR?"]


E3631A_IDN = "HEWLETT-PACKARD,E3631A,0,2.1-5.0-1.0"


def test_e3631a_output_switches_all_outputs_so_live_setpoints_elsewhere_refuse_it(peer_factory):
    """On an E3631A `OUTP` switches all three outputs at once (E3631A user's guide; generic SCPI-99): with
    another output set to 12 V the output is not switched on; with the others at 0 V it is."""
    peer = peer_factory([
        *opened(E3631A_IDN),
        ("INST:NSEL 2", None), ("VOLT?", "+1.20000000E+01"),
        ("INST:NSEL 2", None), ("VOLT?", "+0.00000000E+00"), ("INST:NSEL 3", None), ("VOLT?", "-0.00000000E+00"),
        ("INST:NSEL 1", None), ("OUTP 1", None), OK,
    ])
    psu = open_psu(psu_cfg(peer.resource, driver="scpi-multi", channel=1))
    try:
        with pytest.raises(SafetyError, match=r"on an E3631A 'OUTP 1' switches every output on at once, "
                                              r"and output 2 is set to 12 V: set it to 0 V first"):
            psu.set_output(True)
        psu.set_output(True)
    finally:
        psu.close()
    peer.assert_done()


def test_e3631a_n25v_output_is_a_negative_channel(peer_factory):
    peer = peer_factory([*opened(E3631A_IDN), ("INST:NSEL 3", None), ("CURR 0.1", None),
                         ("INST:NSEL 3", None), ("VOLT -5", None), OK])
    psu = open_psu(psu_cfg(peer.resource, driver="scpi-multi", channel=3, max_voltage=30.0))
    try:
        psu.apply(5.0, 0.1)
        with pytest.raises(SafetyError, match="exceeds the E3631A CH3 range of 25 V"):
            psu.apply(26.0, 0.1)
    finally:
        psu.close()
    peer.assert_done()
