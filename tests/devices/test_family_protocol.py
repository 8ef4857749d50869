"""Exact command/response tests for the families added with issue #8: Siglent SPD3303X and
R&S HMC804x PSUs, Owon SPE pacing, Rigol DHO, Siglent SDS1000X-E (legacy) and SDS2000X Plus (E11)
scopes. Through real pyvisa-py to a scripted peer on a real local socket."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from benchtui.devices.psu import OwonSPE, PsuReading, RohdeHMC804x, SiglentSPD3303X, open_psu
from benchtui.devices.scope import (RigolDHO, SiglentSDS1000XE, SiglentSDS2000XPlus, TektronixMSO,
                                    open_scope)
from benchtui.devices.scope.siglent_sds2000x_plus import DESC_LENGTH
from benchtui.errors import InstrumentError, InstrumentReportedError
from benchtui.profile import ScopeChannel, TriggerConfig

from .conftest import psu_cfg, scope_cfg
from .scpi_peer import OK, block, opened

SPD_IDN = "Siglent Technologies,SPD3303X-E,SPD3XIEX1R0000,1.01.01.02.07R2,V3.0"
HMC_IDN = "Rohde&Schwarz,HMC8043,023456,01.300"
DHO_IDN = "RIGOL TECHNOLOGIES,DHO924S,DHO9A261400123,00.01.02"
SDSE_IDN = "Siglent Technologies,SDS1104X-E,SDSMMEBX3R2053,8.1.6.1.33"
SDSP_IDN = "Siglent Technologies,SDS2104X Plus,SDS2PDDX2R0123,1.5.2R3"
POWER_UP = TriggerConfig(source="VDD", level=1.5, slope="rising", timebase=0.002, pretrigger=0.1)
SPD_OK = ("SYST:ERR?", "0  No error")


def _after_settings(peer) -> float:
    """The typical time from a message that sets something to the next message (the median: a
    peer thread not scheduled for a moment stamps one message late and shortens the next gap,
    which says nothing about the sender; without pacing the median is a few ms)."""
    times, sent = peer.arrivals, peer.received
    return float(np.median([b - a for a, b, c in zip(times, times[1:], sent)
                            if not c.split(" ", 1)[0].endswith("?")]))


def test_siglent_scopes_pace_settings_not_queries():
    """scopehal's Siglent driver (2021): 50 ms after a setting command; a query is not paced."""
    from benchtui.devices.scope.siglent_sds1000x_e import SETTING_PACE

    assert SETTING_PACE("TDIV 1.00E-03") == 0.05 and SETTING_PACE("C1:WF? DAT2") == 0.0
    assert SETTING_PACE("C1:PAVA? MAX") == 0.0 and SETTING_PACE(":WAV:SOUR C1") == 0.05


def _gap(peer, first: int = 1) -> float:
    """The typical time between commands as the peer saw them (median: a peer thread that
    was not scheduled for a moment reads two at once, which says nothing about the sender)."""
    return float(np.median(np.diff(np.array(peer.arrivals[first:]))))


# --- Siglent SPD3303X --------------------------------------------------------------------------

def test_spd3303x_commands_status_word_and_pacing(peer_factory):
    peer = peer_factory([
        *opened(SPD_IDN),
        ("CH2:CURR 0.25", None), ("CH2:VOLT 3.3", None), SPD_OK,
        ("OUTP CH2,ON", None), SPD_OK,
        ("SYST:STAT?", "0x0022"), ("MEAS:VOLT? CH2", "3.298"), ("MEAS:CURR? CH2", "0.250"),  # CH2 on, CC
        ("CH2:VOLT?", "3.300"), ("CH2:CURR?", "0.250"),
        ("OUTP CH2,OFF", None), ("SYST:ERR?", "5  Parameter out of range"), SPD_OK,
    ])
    psu = open_psu(psu_cfg(peer.resource, channel=2))
    try:
        assert isinstance(psu, SiglentSPD3303X)
        psu.apply(3.3, 0.25)
        psu.set_output(True)
        assert psu.read() == PsuReading(3.298, 0.25, "CC", True)
        assert psu.setpoints() == (3.3, 0.25)
        with pytest.raises(InstrumentReportedError, match="Parameter out of range"):
            psu.set_output(False)
    finally:
        psu.close()
    peer.assert_done()
    # Fixate: 20 ms + len/6000 s after every message; the unit loses commands sent sooner.
    assert _gap(peer) >= 0.0195


def test_spd3303x_channel_3_is_not_programmable(peer_factory):
    with pytest.raises(InstrumentError, match="SPD3303X-E has channels 1-2"):
        open_psu(psu_cfg(peer_factory([("*IDN?", SPD_IDN)]).resource, channel=3))


# --- R&S HMC804x -------------------------------------------------------------------------------

def test_hmc8043_selects_the_channel_and_uses_the_master_switch(peer_factory):
    peer = peer_factory([
        *opened(HMC_IDN),
        ("INST:NSEL 3", None), ("CURR 0.5", None), ("INST:NSEL 3", None), ("VOLT 3.3", None), OK,
        ("INST:NSEL 3", None), ("OUTP:SEL ON", None), ("OUTP:MAST ON", None), OK,
        ("INST:NSEL 3", None), ("OUTP:SEL?", "1"), ("OUTP:MAST?", "1"),
        ("INST:NSEL 3", None), ("MEAS:VOLT?", "3.2990"), ("INST:NSEL 3", None), ("MEAS:CURR?", "0.1000"),
        ("INST:NSEL 3", None), ("STAT:QUES:COND?", "0"),
        ("INST:NSEL 3", None), ("OUTP:SEL OFF", None), OK,        # off: only our channel
        ("INST:NSEL 3", None), ("OUTP:SEL?", "0"),                 # not selected: off
        ("INST:NSEL 3", None), ("MEAS:VOLT?", "0.0000"), ("INST:NSEL 3", None), ("MEAS:CURR?", "0.0000"),
    ])
    psu = open_psu(psu_cfg(peer.resource, channel=3))
    try:
        assert isinstance(psu, RohdeHMC804x)
        psu.apply(3.3, 0.5)
        psu.set_output(True)
        assert psu.read() == PsuReading(3.299, 0.1, "CV", True)
        psu.safe_state()
        assert psu.read() == PsuReading(0.0, 0.0, "OFF", False)
    finally:
        psu.close()
    peer.assert_done()


def test_hmc8041_has_no_inst_command(peer_factory):
    peer = peer_factory([
        *opened("Rohde&Schwarz,HMC8041,012345,01.300"),
        ("CURR 0.1", None), ("VOLT 5", None), OK, ("STAT:QUES:COND?", "2"),
    ])
    psu = open_psu(psu_cfg(peer.resource, max_voltage=12.0))
    try:
        psu.apply(5.0, 0.1)
        assert psu.mode() == "CC"
    finally:
        psu.close()
    peer.assert_done()


def test_owon_spe_is_paced_and_single_output(peer_factory):
    peer = peer_factory([*opened("OWON,SPE3103,2104123,FV:V3.5.0"),
                         ("CURR 0.5", None), ("VOLT 3.3", None), OK, ("OUTP 1", None), OK])
    psu = open_psu(psu_cfg(peer.resource))
    try:
        assert isinstance(psu, OwonSPE)
        psu.apply(3.3, 0.5)
        psu.set_output(True)
    finally:
        psu.close()
    peer.assert_done()
    assert _gap(peer) >= 0.049


# --- Rigol DHO ---------------------------------------------------------------------------------

def test_dho_reads_12_bit_words_page_by_page(peer_factory):
    """RAW preamble `points` is the page size (1000); the record (2000) comes from :ACQ:MDEP?."""
    codes = (2048 + np.arange(2000) % 512).astype("<u2")  # 12-bit samples, 0..4095
    pre = "1,2,1000,1,1.000000e-06,-2.000000e-04,0,1.953125e-03,0,2048"
    peer = peer_factory([
        *opened(DHO_IDN), (":STOP", None),
        (":WAV:SOUR CHAN1", None), (":WAV:MODE RAW", None), (":WAV:FORM WORD", None), (":WAV:PRE?", pre),
        (":ACQ:MDEP?", "2000"),
        (":WAV:STAR 1", None), (":WAV:STOP 1000", None), (":WAV:DATA?", block(codes[:1000].tobytes())),
        (":WAV:STAR 1001", None), (":WAV:STOP 2000", None), (":WAV:DATA?", block(codes[1000:].tobytes())),
    ])
    scope = open_scope(scope_cfg(peer.resource, format="WORD"))
    try:
        assert isinstance(scope, RigolDHO) and scope.DIVISIONS == 10
        wf = scope.fetch("VDD")
    finally:
        scope.close()
    peer.assert_done()
    np.testing.assert_allclose(wf.volts, (codes.astype(float) - 2048) * 1.953125e-03)
    assert wf.t0 == pytest.approx(-2e-4) and len(wf) == 2000


# --- Siglent SDS1000X-E (legacy) ---------------------------------------------------------------

@pytest.mark.slow
def test_sds1000x_e_setup_arm_wait_fetch_and_measure(peer_factory):
    codes = np.array([0, 25, 50, -25, -128], dtype=np.int8)
    channels = {"VDD": dict(channel=1, scale=1.0)}
    setup = [("CHDR OFF", None), ("TRMD AUTO", None), ("MSIZ 14K", None),
             ("C1:ATTN 1", None), ("C1:VDIV 1", None), ("C1:OFST 0", None), ("C1:TRA ON", None),
             ("CMR?", "0")]
    arm = [("TDIV 0.002", None), ("TDIV?", "2.00E-03"),
           # 14 divisions x 2 ms, 10 % pre-trigger: centre 11.2 ms after the trigger
           ("TRDL 0.0112", None), ("TRSE EDGE,SR,C1,HT,OFF", None), ("C1:TRSL POS", None),
           ("C1:TRLV 1.5", None), ("CMR?", "0"), ("STOP", None), ("TRMD SINGLE", None),
           ("SAST?", "Stop"), ("SAST?", "Arm"), ("SAST?", "Ready")]
    wait = [("SAST?", "Trig'd"), ("SAST?", "Stop")]
    fetch = [("TDIV?", "2.00E-03"), ("TRDL?", "1.12E-02"), ("SARA?", "5.00E+05"),
             ("C1:VDIV?", "1.00E+00"), ("C1:OFST?", "-5.00E-01"),
             ("C1:WF? DAT2", b"C1:WF DAT2," + block(codes.tobytes()) + b"\n"), ("CMR?", "0")]
    measure = [("C1:PAVA? MAX", "MAX,3.30E+00V"), ("C1:PAVA? RISE", "C1:PAVA RISE,****")]
    peer = peer_factory([("*IDN?", SDSE_IDN), ("*CLS", None), *setup, *arm, *wait, *fetch, *measure])
    from .conftest import STANDARD_CHANNELS
    scope = open_scope(scope_cfg(peer.resource, channels={"VDD": STANDARD_CHANNELS["VDD"]}))
    try:
        assert isinstance(scope, SiglentSDS1000XE) and channels
        scope.setup_channels()
        scope.arm(POWER_UP)
        assert scope.wait_for_trigger(5.0) is True
        waves = scope.fetch_all()
        assert scope.measure("VDD", "vmax").value == pytest.approx(3.3)
        assert scope.measure("VDD", "rise").value is None
        with pytest.raises(InstrumentError, match="no 'either' edge"):
            scope.arm(TriggerConfig(source="VDD", level=1.0, slope="either"))
    finally:
        scope.close()
    peer.assert_done()
    wf = waves["VDD"]
    # V = code x VDIV/25 - OFST; t0 = TRDL - 7 x TDIV; dt = 1/SARA
    np.testing.assert_allclose(wf.volts, codes * (1.0 / 25) + 0.5)
    assert wf.t0 == pytest.approx(0.0112 - 0.014) and wf.dt == pytest.approx(2e-6)
    # 50 ms after each setting command (scopehal, 2021); the peer stamps arrivals a scheduling slice late
    assert _after_settings(peer) >= 0.045


# --- Siglent SDS2000X Plus (E11) ---------------------------------------------------------------

def wavedesc(*, word: bool, points: int, gain: float, offset: float, codes_per_div: float,
             interval: float, delay: float, probe: float = 1.0) -> bytes:
    d = bytearray(DESC_LENGTH)
    d[0:8] = b"WAVEDESC"
    struct.pack_into("<h", d, 0x20, int(word))
    struct.pack_into("<h", d, 0x22, 0)
    struct.pack_into("<i", d, 0x74, points)
    struct.pack_into("<f", d, 0x9C, gain)
    struct.pack_into("<f", d, 0xA0, offset)
    struct.pack_into("<f", d, 0xA4, codes_per_div)
    struct.pack_into("<h", d, 0xAC, 8)
    struct.pack_into("<f", d, 0xB0, interval)
    struct.pack_into("<d", d, 0xB4, delay)
    struct.pack_into("<f", d, 0x148, probe)
    return block(bytes(d)) + b"\n"


@pytest.mark.slow
def test_sds2000x_plus_arm_and_status(peer_factory):
    peer = peer_factory([
        *opened(SDSP_IDN),
        (":TIM:SCAL 0.002", None), (":TIM:SCAL?", "2.000E-03"),
        (":TIM:DEL 0.008", None), (":TRIG:TYPE EDGE", None), (":TRIG:EDGE:SOUR C1", None),
        (":TRIG:EDGE:SLOP RIS", None), (":TRIG:EDGE:LEV 1.5", None), OK,
        (":TRIG:STOP", None), (":TRIG:MODE SING", None), (":TRIG:STAT?", "Ready"),
        (":TRIG:STAT?", "Trig'd"), (":TRIG:STAT?", "Stop"),
    ])
    scope = open_scope(scope_cfg(peer.resource))
    try:
        assert isinstance(scope, SiglentSDS2000XPlus)
        scope.arm(POWER_UP)
        assert scope.wait_for_trigger(5.0) is True
    finally:
        scope.close()
    peer.assert_done()


@pytest.mark.slow
@pytest.mark.parametrize("idn,fmt,width", [(SDSP_IDN, "WORD", "WORD"), (SDSP_IDN, "BYTE", "BYTE"),
                                           # firmware <= 1.3.9R6: WORD block headers count samples
                                           (SDSP_IDN.replace("1.5.2R3", "1.3.9R6"), "WORD", "BYTE")])
def test_sds2000x_plus_reads_the_wavedesc_and_the_record_in_pieces(peer_factory, idn, fmt, width):
    codes = np.array([0, 30, 60, 90, -30, -60, -90], dtype=np.int8)     # 30 codes/div
    word = width == "WORD"
    data = (codes.astype("<i2") * 256).astype("<i2") if word else codes
    desc = wavedesc(word=word, points=7, gain=0.5, offset=0.1, codes_per_div=30 * (256 if word else 1),
                    interval=1e-6, delay=0.004, probe=2.0)
    pieces = [(":WAV:STAR 0", None), (":WAV:POIN 3", None), (":WAV:DATA?", block(data[:3].tobytes()) + b"\n"),
              (":WAV:STAR 3", None), (":WAV:POIN 3", None), (":WAV:DATA?", block(data[3:6].tobytes()) + b"\n"),
              (":WAV:STAR 6", None), (":WAV:POIN 1", None), (":WAV:DATA?", block(data[6:].tobytes()) + b"\n")]
    peer = peer_factory([
        *opened(idn), (":TRIG:STOP", None), (":ACQ:POIN?", "7.000E+00"), (":WAV:MAXP?", "3.000E+00"),
        (":TIM:SCAL?", "1.000E-03"), (f":WAV:WIDT {width}", None),
        (":WAV:SOUR C1", None), (":WAV:PRE?", desc), *pieces,
    ])
    scope = open_scope(scope_cfg(peer.resource, format=fmt))
    try:
        wf = scope.fetch("VDD")
    finally:
        scope.close()
    peer.assert_done()
    # V = code / codes_per_div x gain x probe - offset x probe; t0 = delay - 5 x tdiv
    np.testing.assert_allclose(wf.volts, codes / 30 * 1.0 - 0.2, atol=1e-6)
    assert wf.t0 == pytest.approx(0.004 - 0.005) and wf.dt == pytest.approx(1e-6)


@pytest.mark.slow
def test_sds2000x_plus_measurement_and_the_stars(peer_factory):
    simple = [(":MEAS ON", None), (":MEAS:MODE SIMP", None), (":MEAS:SIMP:SOUR C2", None)]
    peer = peer_factory([*opened(SDSP_IDN),
                         *simple, (":MEAS:SIMP:ITEM MIN,ON", None), (":MEAS:SIMP:VAL? MIN", "1.120E+00"),
                         *simple, (":MEAS:SIMP:ITEM RISE,ON", None), (":MEAS:SIMP:VAL? RISE", "****")])
    scope = open_scope(scope_cfg(peer.resource))
    try:
        assert scope.measure("VCAP1", "vmin").value == pytest.approx(1.12)
        assert scope.measure("VCAP1", "rise").value is None
    finally:
        scope.close()
    peer.assert_done()


# --- Tektronix MSO4/5/6 ------------------------------------------------------------------------

TEK_IDN = "TEKTRONIX,MSO54,C019876,CF:91.1CT FV:1.38.3.0"


def test_tektronix_setup_arm_sequence_and_completion(peer_factory):
    peer = peer_factory([
        ("*IDN?", TEK_IDN), ("*CLS", None), ("*ESR?", "0"), ("HEAD OFF", None), ("VERB OFF", None),
        ("CH2:PROBEF:EXTA 1", None), ("CH2:SCA 0.2", None), ("CH2:POS 0", None),
        ("CH2:OFFS 1.2", None), ("DIS:GLO:CH2:STATE ON", None),     # centre voltage: negated offset
        ("*ESR?", "0"),
        ("HOR:MODE MAN", None), ("HOR:SCA 0.002", None), ("HOR:SCA?", "2.0000E-03"),
        ("HOR:POS 10", None),                                       # trigger at 10 % of the record
        ("TRIG:A:TYP EDGE", None), ("TRIG:A:EDGE:SOU CH1", None), ("TRIG:A:EDGE:SLO RIS", None),
        ("TRIG:A:LEV:CH1 1.5", None), ("TRIG:A:MOD NORM", None), ("*ESR?", "0"),
        ("ACQ:STOPA SEQ", None), ("ACQ:STATE ON", None),
        ("TRIG:STATE?", "SAVE"), ("TRIG:STATE?", "ARMED"), ("TRIG:STATE?", "READY"),
        ("ACQ:STATE?", "1"), ("ACQ:STATE?", "0"),
        ("TRIG FORC", None), ("ACQ:STATE OFF", None),
    ])
    from .conftest import STANDARD_CHANNELS
    scope = open_scope(scope_cfg(peer.resource, channels={"VCAP1": STANDARD_CHANNELS["VCAP1"],
                                                         "VDD": STANDARD_CHANNELS["VDD"]}))
    try:
        assert isinstance(scope, TektronixMSO)
        scope.cfg.channels.pop("VDD")
        scope.setup_channels()
        scope.cfg.channels["VDD"] = STANDARD_CHANNELS["VDD"]
        scope.arm(POWER_UP)
        assert scope.wait_for_trigger(5.0) is True
        scope.force_trigger()
        scope.stop()
    finally:
        scope.close()
    peer.assert_done()


def test_tektronix_curve_scaling_and_measurement(peer_factory):
    codes = np.array([0, 25, 50, -25], dtype="<i2") * 256
    peer = peer_factory([
        ("*IDN?", TEK_IDN), ("*CLS", None), ("*ESR?", "0"), ("HOR:RECO?", "4"),
        ("DAT:SOU CH1", None), ("DAT:ENC SRI", None), ("DAT:WID 2", None), ("DAT:STAR 1", None),
        ("DAT:STOP 4", None),
        ("WFMO:NR_P?;YMU?;YOF?;YZE?;XIN?;XZE?;PT_O?", "4;1.5625E-4;0.0E+0;1.0E+0;2.0E-6;-1.0E-3;0"),
        ("CURV?", block(codes.tobytes(), 1)),
        ("*ESR?", "32"), ("ALLEV?", '-113,"Undefined header; Command error"'),
        ("MEASU:MEAS1:TYP MAXIMUM", None), ("MEASU:MEAS1:SOU CH1", None),
        ("MEASU:MEAS1:RESU:CURR:MEAN?", "9.91E37"),
    ])
    scope = open_scope(scope_cfg(peer.resource, format="WORD", channels={"VDD": ScopeChannel(channel=1)}))
    try:
        with pytest.raises(InstrumentReportedError, match="Undefined header"):
            scope.fetch_all()
        assert scope.measure("VDD", "vmax").value is None
    finally:
        scope.close()
    peer.assert_done()
