"""Issue #25: each deviation a maintained third-party driver met, as an exact command/response
exchange taken from the programming guide, through pyvisa-py over TCP to the simulator."""

from __future__ import annotations

import struct
import zlib

import pytest

from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import PSU_MODELS, SCOPE_MODELS, start_instruments
from benchtui.sim.scpi.core import compile_pattern


@pytest.fixture
def connect(rm):
    opened = []

    def open_(psu_model="rigol-dp832", scope_model="rigol-ds1054z"):
        servers = start_instruments(BoardModel("healthy", seed=2), psu_model=psu_model, scope_model=scope_model)
        servers.scope.CONNECT_DELAY_S = 0.0    # a DSO-X 2000's ~10 s first reply is tested elsewhere
        psu = rm.open_resource(servers.psu_resource, read_termination="\n", write_termination="\n", timeout=3000)
        scope = rm.open_resource(servers.scope_resource, read_termination="\n", write_termination="\n",
                                 timeout=3000)
        opened.append((servers, psu, scope))
        return psu, scope

    yield open_
    for servers, psu, scope in opened:
        psu.close()
        scope.close()
        servers.stop()


def test_pattern_compiler_keeps_digit_suffixes_and_rejects_what_it_cannot_read():
    regex, query = compile_pattern(":MEASUrement:MEAS#:SOUrce[1]")
    assert not query
    for header in (":MEASU:MEAS1:SOU1", ":MEASUREMENT:MEAS2:SOURCE1", ":MEASU:MEAS3:SOU"):
        assert regex.fullmatch(header), header
    assert not regex.fullmatch(":MEASU:MEAS1:SOU2")
    with pytest.raises(ValueError):
        compile_pattern(":CH#:SCA le")
    for model in (*PSU_MODELS.values(), *SCOPE_MODELS.values()):   # every SCPI table compiles strictly
        assert model.SETTINGS or model.COMMANDS or getattr(model, "SERIAL", False)


def test_tektronix_headers_at_power_on_and_the_settings_it_accepts_can_be_asked_for(connect):
    _, tek = connect(scope_model="tektronix-mso54")
    # Power-on: HEADer 1 ("FACtory ... Enables command headers (:HEADer 1)"; *RST leaves it), and
    # VERBose ON answers the long form of the header.
    assert tek.query("CH1:SCA?") == ":CH1:SCALE 1.0000E+00"
    tek.write("VERB OFF")
    assert tek.query("CH1:SCA?") == ":CH1:SCA 1.0000E+00"
    assert tek.query("ACQ:STOPA?") == ":ACQ:STOPA RUNST"
    tek.write("*RST")
    assert tek.query("HEAD?") == ":HEAD 1"
    tek.write("VERB ON;HEAD OFF")
    tek.write("DAT:SOU CH2;DAT:ENC SRI;DAT:WID 2;DAT:STAR 10;DAT:STOP 500")
    assert [tek.query(q) for q in ("DAT:SOU?", "DAT:ENC?", "DAT:WID?", "DAT:STAR?", "DAT:STOP?")] == \
        ["CH2", "SRIBINARY", "2", "10", "500"]
    assert [tek.query(q) for q in ("WFMO:BN_F?", "WFMO:BYT_N?", "WFMO:BYT_O?", "WFMO:ENC?", "WFMO:XUN?",
                                   "WFMO:YUN?")] == ["RI", "2", "LSB", "BINARY", '"s"', '"V"']
    tek.write("WFMO:BYT_O MSB")                      # the preamble side changes DATa:ENCdg too
    assert tek.query("DAT:ENC?") == "RIBINARY"
    tek.write("HOR:MODE MAN;ACQ:MOD HIR;TRIG:A:TYP EDGE;TRIG:A:EDGE:SLO FALL")
    assert [tek.query(q) for q in ("HOR:MODE?", "ACQ:MOD?", "TRIG:A:TYP?", "TRIG:A:EDGE:SLO?")] == \
        ["MANUAL", "HIRES", "EDGE", "FALL"]
    tek.write("CH3:COUP AC;CH3:TER 50;MEASU:MEAS2:TYP PK2PK")
    assert [tek.query(q) for q in ("CH3:COUP?", "CH3:TER?", "MEASU:MEAS2:TYP?")] == ["AC", "50.0000", "PK2PK"]
    tek.write("MEASU:MEAS2:SOU1 CH3")                # was -113: the [1] of SOUrce[1] was dropped
    tek.write("MEASU:MEAS2:SOURCE1 CH4")
    assert tek.query("MEASU:MEAS2:SOU?") == "CH4"
    assert tek.query("*ESR?") == "0" and tek.query("ALLEV?") == '0,"No events to report - queue empty"'
    tek.write("FACTORY")
    assert tek.query("HEAD?") == ":HEADER 1"


def test_rigol_dp832_opt_and_protection_commands(connect):
    psu, _ = connect()
    assert psu.query("*OPT?") == "0,0,0"             # QCoDeS reads the options while it builds
    # QCoDeS RigolDP8xx: a channel select and the protection command in one message.
    psu.write(":INSTrument:NSELect 2; :VOLTage:PROTection:LEVel 12.5")
    psu.write(":INSTrument:NSELect 2; :VOLTage:PROTection:STATe ON")
    assert psu.query(":INSTrument:NSELect 2; :VOLTage:PROTection:LEVel?") == "12.500"
    assert psu.query(":SOURce2:VOLTage:PROTection:STATe?") == "ON"
    psu.write(":SOUR1:CURR:PROT 1.2;:SOUR1:CURR:PROT:STAT ON")
    assert psu.query(":SOUR1:CURR:PROT?") == "1.200" and psu.query(":OUTP:OCP? CH1") == "ON"
    assert psu.query(":OUTP:OVP:VAL? CH2") == "12.500"   # the older form reads the same state
    psu.write(":SOUR1:VOLT:PROT 40")                      # DP832 CH1 OVP is 0.01..33 V
    assert psu.query("SYST:ERR?").startswith("-222,")
    assert psu.query(":SOUR1:VOLT:PROT:QUES?") == "NO"


def test_rigol_ds1054z_statistics_math_and_screenshot(connect):
    _, scope = connect()
    value = float(scope.query(":MEASure:STATistic:ITEM? MAXimum,VMAX,CHANnel1"))
    assert value < 9e37
    assert float(scope.query(":MEAS:STAT:ITEM? CURR,VMAX")) < 9e37
    assert scope.query(":MATH:DISPlay?") == "0"
    scope.write(":MATH:DISP ON")
    assert scope.query(":MATH:DISP?") == "1"
    png = scope.query_binary_values(":DISPlay:DATA? ON,OFF,PNG", datatype="B", container=bytes)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    at, idat = 8, b""
    while at < len(png):                             # every chunk's CRC holds; IDAT inflates
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        data = png[at + 8:at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + data)
        idat += data if kind == b"IDAT" else b""
        at += 12 + length
    assert len(zlib.decompress(idat)) == height * (width + 1)
    assert scope.query("SYST:ERR?") == '0,"No error"'


def test_siglent_sds1104xe_coupling_query(connect):
    _, sds = connect(scope_model="siglent-sds1104x-e")
    assert sds.query("C1:CPL?") == "C1:CPL D1M"
    sds.write("C2:COUPLING A1M")
    assert sds.query("C2:COUPLING?") == "C2:CPL A1M"
    sds.write("CHDR LONG")
    assert sds.query("C2:CPL?") == "C2:COUPLING A1M"
    sds.write("CHDR OFF")
    assert sds.query("C2:CPL?") == "A1M"


def test_siglent_sds2000x_plus_accepts_the_legacy_set_on_the_same_state(connect):
    _, sds = connect(scope_model="siglent-sds2104x-plus")
    sds.write(":CHANnel1:SCALe 0.5;:TIMebase:SCALe 2E-3")
    assert sds.query("C1:VDIV?") == "C1:VDIV 5.00E-01V"
    assert sds.query("TDIV?") == "TDIV 2.00E-03S"
    assert sds.query("TRMD?") == "TRMD AUTO"
    sds.write("CHDR OFF")
    assert sds.query("C1:VDIV?") == "5.00E-01" and sds.query(":CHAN1:SCAL?") == "5.000E-01"
    sds.write("C1:VDIV 2")
    assert sds.query(":CHANnel1:SCALe?") == "2.000E+00"
    block = sds.query_binary_values("C1:WF? DAT2", datatype="b", container=bytes)
    assert len(block) == 10_000
    sds.read()                                        # the second of the two trailing newlines
    assert sds.query("*OPT?") == "0,0,0,0,0,0,0,0,0"  # firmware 1.5.2R1 and later


@pytest.mark.parametrize("model", [m for m in (*PSU_MODELS, *SCOPE_MODELS)
                                   if not getattr({**PSU_MODELS, **SCOPE_MODELS}[m], "SERIAL", False)])
def test_every_simulator_answers_the_common_commands(connect, model):
    is_psu = model in PSU_MODELS
    psu, scope = connect(**({"psu_model": model} if is_psu else {"scope_model": model}))
    inst = psu if is_psu else scope
    assert inst.query("*IDN?").count(",") >= 3
    assert inst.query("*OPT?") != ""
    assert inst.query("*OPC?") == "1"
    inst.write("*CLS")
    assert inst.query("*ESR?") == "0"
    inst.write(":NO:SUCH:HEADER 1")
    assert int(inst.query("*ESR?")) & 32                 # command error
    assert inst.query("*ESR?") == "0"                    # read and cleared
    error = inst.query("SYST:ERR?")
    assert error.startswith(("-113", "+-113")) or "Undefined" in error or error.startswith("-113")
    inst.write("*RST")
    inst.write("*CLS")
    assert inst.query("SYST:ERR?") in ('0,"No error"', '+0,"No error"', "0  No error")
