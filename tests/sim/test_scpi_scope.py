"""Simulated scopes over real TCP with pyvisa + pyvisa-py: capture, decode, blocks, sentinels."""

import math
import time

import numpy as np
import pytest

from benchtui.sim import board as B

RIGOL = ("rigol-dp832", "rigol-ds1054z")
KEYSIGHT = ("keysight-e36312a", "keysight-dsox3034t")


def wait_stopped(scope, rigol, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if rigol and scope.query(":TRIG:STAT?") == "STOP":
            return
        if not rigol and int(scope.query(":OPER:COND?")) & 8 == 0:
            return
        time.sleep(0.01)
    pytest.fail("acquisition did not complete")


def fetch(scope, channel, rigol):
    """Decode one channel with the preamble formula of the dialect -> (t, volts)."""
    scope.write(f":WAV:SOUR CHAN{channel}")
    scope.write(":WAV:FORM BYTE")
    f = [float(x) for x in scope.query(":WAV:PRE?").split(",")]
    xinc, xor, xref, yinc, yor, yref = f[4], f[5], f[6], f[7], f[8], f[9]
    raw = scope.query_binary_values(":WAV:DATA?", datatype="B", container=np.array)
    assert raw.size == int(f[2])
    volts = (raw - yor - yref) * yinc if rigol else (raw - yref) * yinc + yor
    return (np.arange(raw.size) - xref) * xinc + xor, volts


def power_up_capture(psu, scope, rigol):
    """Arm a single shot on VDD rising at 1.5 V, switch the PSU on, wait for the capture."""
    if rigol:
        psu.write(":APPL CH1,3.3,0.5")
        scope.write(":TIM:MAIN:SCAL 0.0005;:TIM:MAIN:OFFS 0.002")
        scope.write(":TRIG:EDG:SOUR CHAN1;:TRIG:EDG:LEV 1.5;:TRIG:EDG:SLOP POS;:SING")
        # A real DS1000Z takes a moment to act on :SING: STOP first, then RUN/WAIT.
        assert scope.query(":TRIG:STAT?") == "STOP"
        # Then RUN while the pre-trigger part fills, then WAIT: armed for the edge.
        end = time.monotonic() + 2.0
        while (state := scope.query(":TRIG:STAT?")) != "WAIT":
            assert state in ("STOP", "RUN") and time.monotonic() < end, state
            time.sleep(0.002)
    else:
        psu.write("VOLT 3.3,(@1)")
        psu.write("CURR 0.5,(@1)")
        scope.write(":TIM:SCAL 0.0005;:TIM:POS 0.002;:TRIG:SWE NORM")
        scope.write(":TRIG:SOUR CHAN1;:TRIG:LEV 1.5;:TRIG:SLOP POS;:SING")
        # :AER? reads 1 once the pre-trigger part is filled (and clears on read).
        end = time.monotonic() + 1.0
        while scope.query(":AER?") != "+1":
            assert time.monotonic() < end, "never armed"
            time.sleep(0.001)
    psu.write(":OUTP CH1,ON" if rigol else "OUTP 1,(@1)")
    wait_stopped(scope, rigol)


@pytest.mark.parametrize("bench, idn", [
    (RIGOL, "RIGOL TECHNOLOGIES,DS1054Z,"), (KEYSIGHT, "KEYSIGHT TECHNOLOGIES,DSO-X 3034T,")],
    indirect=["bench"])
def test_idn_and_undefined_header(bench, idn):
    _, _, scope = bench
    assert scope.query("*IDN?").startswith(idn)
    scope.write(":NOPE?")
    assert scope.query(":SYST:ERR?").split(",")[0] == "-113"


@pytest.mark.parametrize("bench", [RIGOL, KEYSIGHT], indirect=True)
def test_single_shot_power_up_matches_model(bench):
    _, psu, scope = bench
    rigol = "rigol" in scope.query("*IDN?").lower()
    power_up_capture(psu, scope, rigol)
    t, vdd = fetch(scope, 1, rigol)
    _, nrst = fetch(scope, 4, rigol)
    v_final = 3.3 - B.I_BASE * B.R_WIRING
    t_trig = -B.TAU_RISE * math.log(1 - 1.5 / v_final)            # after the output-on edge
    model = np.where(t >= -t_trig, v_final * (1 - np.exp(-(t + t_trig) / B.TAU_RISE)), 0.0)
    yinc = 1.0 / 25 if rigol else 8.0 / 256
    assert np.max(np.abs(vdd - model)) < 2 * yinc + 0.02
    t_release = -B.TAU_RISE * math.log(1 - B.V_POR_RISE / v_final) + B.T_RSTTEMPO - t_trig
    seen = t[np.argmax(nrst > 1.0)]
    assert t_release <= seen <= t_release + 5 * B.NRST_RISE_TAU + (t[1] - t[0])
    assert np.all(nrst[t < t_release - (t[1] - t[0])] < 0.1)
    if rigol:
        assert float(scope.query(":MEAS:ITEM? VMAX,CHAN1")) == pytest.approx(3.3, abs=0.05)
    else:
        assert scope.query(":TER?") == "+1" and scope.query(":TER?") == "+0"
        assert float(scope.query(":MEAS:VMAX? CHAN1")) == pytest.approx(3.3, abs=0.05)


@pytest.mark.parametrize("bench", [RIGOL, KEYSIGHT], indirect=True)
def test_invalid_measurement_sentinel(bench):
    _, _, scope = bench
    rigol = "rigol" in scope.query("*IDN?").lower()
    query = ":MEAS:ITEM? VMAX,CHAN2" if rigol else ":MEAS:VMAX? CHAN2"
    assert float(scope.query(query)) < 1e36              # running from power-on: a live record
    scope.write("*RST")
    assert float(scope.query(query)) < 1e36              # *RST: the same power-on state
    scope.write(":SING")
    scope.write(":TFOR" if rigol else ":TRIG:FORC")
    wait_stopped(scope, rigol)
    assert float(scope.query(query)) < 1e36
    scope.write(":CHAN2:DISP 0")
    assert float(scope.query(query)) == 9.9e37          # channel off


@pytest.mark.parametrize("bench", [RIGOL], indirect=True)
def test_rigol_blocks_and_star_stop_chunking(bench):
    _, _, scope = bench
    scope.write(":ACQ:MDEP 300000")
    assert scope.query(":ACQ:MDEP?") == "300000"
    scope.write(":SING;:TFOR")
    wait_stopped(scope, True)
    scope.write(":WAV:SOUR CHAN1;:WAV:MODE RAW;:WAV:FORM BYTE;:WAV:STAR 1;:WAV:STOP 300000")
    scope.write(":WAV:DATA?")
    assert scope.read_raw() == b"#9000000000\n"          # more than 250000 points per read
    assert scope.query(":SYST:ERR?").startswith("-222")
    chunks = []
    for start in (1, 250001):
        scope.write(f":WAV:STAR {start};:WAV:STOP {min(start + 249999, 300000)}")
        scope.write(":WAV:DATA?")
        raw = scope.read_raw()
        assert raw[:2] == b"#9" and raw.endswith(b"\n")
        n = int(raw[2:11])
        assert len(raw) == 11 + n + 1
        chunks.append(raw[11:11 + n])
    assert [len(c) for c in chunks] == [250000, 50000]
    assert scope.query(":WAV:PRE?").split(",")[1:3] == ["2", "300000"]
    scope.write(":WAV:MODE NORM;:WAV:FORM ASC;:WAV:STAR 1;:WAV:STOP 1200")
    scope.write(":WAV:DATA?")
    raw = scope.read_raw()
    assert raw.startswith(b"#9") and len(raw[11:-1].split(b",")) == 1200


@pytest.mark.parametrize("bench", [KEYSIGHT], indirect=True)
def test_keysight_word_msb_first_and_block_header(bench):
    _, _, scope = bench
    scope.write(":CHAN1:SCAL 1;:CHAN1:OFFS 2")
    scope.write(":SING;:TRIG:FORC")
    wait_stopped(scope, False)
    scope.write(":WAV:SOUR CHAN1;:WAV:FORM WORD;:WAV:POIN 500")
    f = [float(x) for x in scope.query(":WAV:PRE?").split(",")]
    assert f[0] == 1 and f[2] == 500 and f[9] == 32768
    scope.write(":WAV:DATA?")
    raw = scope.read_raw()
    assert raw[:2] == b"#8" and int(raw[2:10]) == 1000 and len(raw) == 10 + 1000 + 1
    words = scope.query_binary_values(":WAV:DATA?", datatype="H", is_big_endian=True,
                                      container=np.array)
    assert np.all(words & 0xF == 0)
    volts = (words - f[9]) * f[7] + f[8]
    scope.write(":WAV:BYT LSBF")
    little = scope.query_binary_values(":WAV:DATA?", datatype="H", container=np.array)
    assert np.array_equal(little, words)
    assert np.all(np.abs(volts) < 0.05)                  # PSU off: the rail sits at 0 V


@pytest.mark.parametrize("bench", [KEYSIGHT], indirect=True)
def test_keysight_scope_query_interrupted(bench):
    _, _, scope = bench
    scope.write_raw(b":WAV:PRE?\n:TIM:SCAL 0.001\n")
    assert scope.query(":SYST:ERR?") == '-410,"Query INTERRUPTED"'
    assert float(scope.query(":TIM:SCAL?")) == 0.001
