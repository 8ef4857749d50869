"""Simulated PSUs over real TCP with pyvisa + pyvisa-py."""

import pytest

from .conftest import settled

RIGOL = ("rigol-dp832", "rigol-ds1054z")
KEYSIGHT = ("keysight-e36312a", "keysight-dsox3034t")


@pytest.mark.parametrize("bench, idn", [
    (RIGOL, "RIGOL TECHNOLOGIES,DP832,"), (KEYSIGHT, "Keysight Technologies,E36312A,")],
    indirect=["bench"])
def test_idn_and_resource(bench, idn):
    servers, psu, _ = bench
    assert servers.psu_resource.startswith("TCPIP0::127.0.0.1::")
    assert servers.psu_resource.endswith("::SOCKET")
    assert psu.query("*IDN?").startswith(idn)
    assert len(psu.query("*IDN?").split(",")) == 4


@pytest.mark.parametrize("bench", [RIGOL], indirect=True)
def test_rigol_errors_ranges_and_forms(bench):
    _, psu, _ = bench
    assert psu.query("SYST:ERR?") == '0,"No error"'
    psu.write(":BOGUS:CMD 1")
    assert psu.query("SYST:ERR?").startswith('-113,"Undefined header')
    psu.write(":SOUR1:VOLT 31")               # DP832 CH1 is 0..30 V
    assert psu.query("SYST:ERR?").startswith('-222,"Data out of range')
    assert float(psu.query(":SOUR1:VOLT?")) == 0.0   # not applied
    psu.write(":SOUR3:VOLT 5.5")              # CH3 is 0..5 V
    assert psu.query(":SYSTem:ERRor:NEXT?").startswith("-222")
    psu.write("sour2:voltage:level 12.5")     # long form, lower case, no leading colon
    assert psu.query(":SOURce2:VOLTage?") == "12.500"
    psu.write(":INST:NSEL 2;:CURR 0.25")
    assert psu.query(":SOUR2:CURR?; :INST:NSEL?") == "0.250;2"
    psu.write(":SOUR1:VOLT 3.3 3")
    assert psu.query("SYST:ERR?").startswith("-104")
    psu.write(':OUTP "CH1,ON')
    assert psu.query("SYST:ERR?").startswith("-102")
    psu.write("*CLS")


@pytest.mark.parametrize("bench", [RIGOL], indirect=True)
def test_rigol_readback_follows_board_cc(bench, board):
    _, psu, _ = bench
    psu.write(":APPL CH1,3.3,0.5")
    psu.write(":OUTP CH1,ON")
    assert psu.query(":OUTP? CH1") == "ON"
    # the rail ramps up (the model's supply slew and the board's capacitance): poll until it is up
    settled(lambda: float(psu.query(":MEAS:VOLT? CH1")), lambda v: v == pytest.approx(3.3, abs=0.01),
            "the readback after output on")
    assert float(psu.query(":MEAS:CURR? CH1")) == pytest.approx(0.06, abs=0.005)
    assert psu.query(":OUTP:MODE? CH1") == "CV"
    psu.write(":SOUR1:CURR 0.04")             # below the board's base current
    settled(lambda: psu.query(":OUTP:CVCC? CH1"), lambda m: m == "CC", "the mode at 40 mA")
    assert float(psu.query(":MEAS:CURR? CH1")) == pytest.approx(0.04, abs=1e-3)
    settled(lambda: float(psu.query(":MEAS:VOLT? CH1")), lambda v: v < 1.7, "the rail collapsing in CC")
    settled(board.powered, lambda on: not on, "the board to lose power")
    psu.write(":OUTP CH1,OFF")
    assert psu.query(":APPL? CH1") == "CH1:30V/3A,3.300,0.040"


@pytest.mark.parametrize("bench", [KEYSIGHT], indirect=True)
def test_keysight_channel_lists_isum_and_ranges(bench, board):
    _, psu, _ = bench
    assert psu.query("SYST:ERR?") == '+0,"No error"'
    psu.write("VOLT 3.3,(@1)")
    psu.write("CURR 0.5,(@1)")
    psu.write("VOLT 7,(@1)")                  # E36312A CH1 is 0..6.18 V
    assert psu.query("SYST:ERR?").startswith('-222,"Data out of range')
    assert psu.query("VOLT? (@1,2)") == "+3.30000000E+00,+0.00000000E+00"
    psu.write("OUTP 1,(@1)")
    assert psu.query("OUTP? (@1:3)") == "1,0,0"
    settled(lambda: float(psu.query("MEAS:VOLT? (@1)")), lambda v: v == pytest.approx(3.3, abs=0.01),
            "the readback after output on")
    assert psu.query("STAT:QUES:INST:ISUM1:COND?") == "2"      # CV
    psu.write("CURR 0.04,(@1)")
    settled(lambda: psu.query("STAT:QUES:INST:ISUM1:COND?"), lambda c: c == "1", "CC at 40 mA")
    assert float(psu.query("MEAS:CURR? (@1)")) == pytest.approx(0.04)
    assert board.psu_readback()[2] == "CC"


@pytest.mark.parametrize("bench", [KEYSIGHT], indirect=True)
def test_keysight_query_interrupted(bench):
    _, psu, _ = bench
    # a second message arrives before the first reply is read: reply discarded, -410 queued
    psu.write_raw(b"*IDN?\nVOLT 1.0,(@2)\n")
    # (the instrument handles one connection's messages in order: no pause needed before asking)
    assert psu.query("SYST:ERR?") == '-410,"Query INTERRUPTED"'
    assert psu.query("VOLT? (@2)") == "+1.00000000E+00"
    assert psu.query("SYST:ERR?") == '+0,"No error"'


@pytest.mark.parametrize("bench", [RIGOL], indirect=True)
def test_rigol_keeps_pipelined_replies(bench):
    _, psu, _ = bench
    psu.write_raw(b"*IDN?\n:SOUR2:VOLT?\n")
    assert psu.read().startswith("RIGOL")
    assert psu.read() == "0.000"

