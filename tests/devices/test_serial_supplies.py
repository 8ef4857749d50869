"""The supplies on a serial line (Korad/Tenma KA3005P, Riden RD60xx): their protocols byte for
byte (as libsigrok's korad-kaxxxxp and rdtech-dps drivers speak them), and benchtui's drivers
through the real transport (pyserial on a pseudo-terminal or a loopback socket serial URL)."""

from __future__ import annotations

import struct
import time

import pytest
import serial

from benchtui.devices.psu import open_psu
from benchtui.devices.serial_line import port_of
from benchtui.errors import InstrumentError, SafetyError
from benchtui.profile import PsuConfig
from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments
from benchtui.sim.serialbus.riden_rd6000 import crc16

GAP = 0.1   # more than the Korad's processing time between two commands (sigrok waits 80 ms)


@pytest.fixture
def served():
    started = []

    def start(model: str, line: str = "pty"):
        servers = start_instruments(BoardModel("healthy", seed=1), psu_model=model, psu_line=line)
        started.append(servers)
        return servers

    yield start
    for servers in started:
        servers.stop()


def _line(servers, baud: int) -> serial.SerialBase:
    return serial.serial_for_url(port_of(servers.psu_resource), baudrate=baud, timeout=1.0)


def _ask(port, command: bytes, size: int) -> bytes:
    port.write(command)
    reply = port.read(size)
    time.sleep(GAP)
    return reply


@pytest.mark.slow
def test_korad_commands_without_terminators_fixed_width_replies_and_the_status_byte(served):
    servers = served("korad-ka3005p")
    with _line(servers, 9600) as port:
        port.write(b"*IDN?")
        assert port.read(64).startswith(b"KORAD KA3005P V5.5")   # no terminator: read to the timeout
        time.sleep(GAP)
        for command in (b"VSET1:03.30", b"ISET1:0.500"):
            port.write(command)
            time.sleep(GAP)
        assert _ask(port, b"VSET1?", 5) == b"03.30"
        assert _ask(port, b"ISET1?", 5) == b"0.500"
        assert _ask(port, b"STATUS?", 1) == bytes([0x11])          # CV, beep on, output off
        port.write(b"OUT1")
        time.sleep(GAP)
        assert _ask(port, b"STATUS?", 1)[0] & 0x40                  # bit 6: output on
        assert float(_ask(port, b"VOUT1?", 5)) == pytest.approx(3.3, abs=0.02)
        port.write(b"ISET1:0.040")                                  # below the board's draw: CC
        time.sleep(GAP)
        assert _ask(port, b"STATUS?", 1)[0] & 0x01 == 0
        assert _ask(port, b"IOUT1?", 5) == b"0.040"
        # Run together in one burst: one message nobody understands, neither command runs.
        port.write(b"VSET1:05.00ISET1:1.000")
        time.sleep(GAP)
        assert (_ask(port, b"VSET1?", 5), _ask(port, b"ISET1?", 5)) == (b"03.30", b"0.040")
        # Too soon after the previous command (a unit slower than this simulator's default, so
        # that a loaded host cannot stretch 20 ms past it): dropped.
        servers.psu.BUSY_S = 0.3
        port.write(b"OUT0")
        time.sleep(0.02)
        port.write(b"VSET1:05.00")
        time.sleep(0.4)
        assert _ask(port, b"VSET1?", 5) == b"03.30"
        assert servers.psu.dropped >= 2


def _rtu(body: bytes) -> bytes:
    return body + struct.pack("<H", crc16(body))


def test_riden_modbus_rtu_frames(served):
    servers = served("riden-rd6006")
    with _line(servers, 115200) as port:
        port.write(_rtu(bytes.fromhex("0103 0000 0001")))         # read the model ID
        assert port.read(7) == _rtu(bytes.fromhex("0103 02") + struct.pack(">H", 60062))
        port.write(_rtu(bytes.fromhex("0106 0008") + struct.pack(">H", 330)))   # 3.30 V
        assert port.read(8) == _rtu(bytes.fromhex("0106 0008") + struct.pack(">H", 330))
        port.write(_rtu(bytes.fromhex("0110 0009 0001 02") + struct.pack(">H", 500)))   # 0.500 A (sigrok)
        assert port.read(8) == _rtu(bytes.fromhex("0110 0009 0001"))
        port.write(_rtu(bytes.fromhex("0103 0008 0002")))
        assert port.read(9) == _rtu(bytes.fromhex("0103 04") + struct.pack(">HH", 330, 500))
        port.write(_rtu(bytes.fromhex("0106 0008") + struct.pack(">H", 7000)))  # 70 V on a 60 V unit
        assert port.read(5) == _rtu(bytes.fromhex("0186 03"))                   # illegal data value
        port.write(_rtu(bytes.fromhex("0103 0100 0001")))                       # no such register
        assert port.read(5) == _rtu(bytes.fromhex("0183 02"))
        port.write(bytes.fromhex("0103 0000 0001 0000"))                        # bad CRC: silence
        port.timeout = 0.2
        assert port.read(7) == b""
    assert servers.psu.channels[1].voltage == 3.3 and servers.psu.channels[1].current == 0.5


@pytest.mark.parametrize("model, driver, line", [
    ("korad-ka3005p", "korad-ka3005p", "pty"), ("korad-ka3305p", "korad-ka3005p", "socket"),
    ("riden-rd6006", "riden-rd6000", "socket"), ("riden-rd6018", "riden-rd6000", "pty")])
def test_the_driver_through_the_real_line(served, model, driver, line):
    servers = served(model, line)
    psu = open_psu(PsuConfig(resource=servers.psu_resource, driver=driver, voltage=3.3, current_limit=0.5,
                             max_voltage=3.6, max_current=1.0, timeout_ms=1000))
    try:
        assert psu.range is not None and psu.range.max_voltage in (31.0, 60.0)
        psu.apply(3.3, 0.5)
        psu.set_output(True)
        assert psu.setpoints() == (3.3, 0.5)
        end = time.monotonic() + 2.0
        while (reading := psu.read()).voltage < 3.25 and time.monotonic() < end:
            pass                                    # the simulated supply is still rising
        assert reading.output and reading.mode == "CV" and reading.voltage == pytest.approx(3.3, abs=0.02)
        psu.set_current_limit(0.04)                 # below the board's draw: current limited
        end = time.monotonic() + 2.0
        while psu.mode() != "CC" and time.monotonic() < end:
            pass
        assert psu.mode() == "CC"
        with pytest.raises(SafetyError, match="max_voltage"):
            psu.set_voltage(3.7)
        assert servers.psu.channels[1].voltage == 3.3   # nothing was sent
        psu.safe_state()
        assert not servers.psu.channels[1].output
    finally:
        psu.close()


def test_a_korad_command_lost_to_its_busy_time_is_an_error_not_a_surprise(served):
    servers = served("korad-ka3005p", "socket")
    servers.psu.BUSY_S = 0.3                        # a slower unit than the 80 ms the driver keeps
    psu = open_psu(PsuConfig(resource=servers.psu_resource, driver="korad-ka3005p", voltage=3.3,
                             current_limit=0.5, max_voltage=3.6, max_current=1.0, timeout_ms=300))
    try:
        with pytest.raises(InstrumentError, match="VSET1|no reply"):
            psu.set_voltage(3.3)
    finally:
        psu.close()


def test_a_missing_serial_port_is_one_line():
    with pytest.raises(InstrumentError, match=r"^PSU ASRL/dev/nonexistent-tty::INSTR: cannot open the serial line"):
        open_psu(PsuConfig(resource="ASRL/dev/nonexistent-tty::INSTR", driver="riden-rd6000", voltage=3.3,
                           current_limit=0.5, max_voltage=3.6, max_current=1.0))
