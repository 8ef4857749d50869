"""Riden RD6006 / RD6012 / RD6018: Modbus RTU over the USB serial port (115200 8N1, address 1).

Sources: libsigrok src/hardware/rdtech-dps (register map, model IDs, scaling), the rd6006 Python
bindings. Holding registers: 0 model ID (60062 RD6006, 60121 RD6012, 60181 RD6018), 1-2 serial,
3 firmware, 4-5 temperature, 8 voltage setpoint (x100), 9 current limit (x1000 on the RD6006,
x100 on the RD6012/RD6018), 10 output voltage, 11 output current, 13 power (x100), 14 input
voltage, 16 protection (0 none, 1 OVP, 2 OCP), 17 regulation (0 CV, 1 CC), 18 output enable,
82/83 OVP/OCP thresholds. Function codes 03 (read), 06 (write one) and 16 (write several, as
sigrok writes). A frame ends after 3.5 character times of silence; a bad CRC or another address
is not answered, as Modbus RTU says; an unknown register or function, or a value outside the
model's range, answers exception 02 / 01 / 03 (UNCONFIRMED: what the Riden firmware does with an
out-of-range setpoint).
"""

from __future__ import annotations

import struct

from ..scpi.psu import SimPsu
from .link import SerialLine

ADDRESS = 1


def crc16(data: bytes) -> int:
    """Modbus CRC-16 (polynomial 0xA001, initial 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<H", crc16(body))


class RidenRD6006(SerialLine, SimPsu):
    IDN = "RIDEN,RD6006,00012345,1.28"   # not on the wire: Modbus has no *IDN?
    MODEL_ID = 60062
    RANGES = ((60.0, 0.0, 6.0, 62.0),)
    CURRENT_SCALE = 1000
    FRAME_GAP_S = 0.004                   # 3.5 characters at 115200 baud is 0.3 ms; USB adds more
    DEFAULT_CURRENT = 0.0

    def frame(self, data: bytes, arrived: float) -> bytes | None:
        if len(data) < 4 or data[0] != ADDRESS or crc16(data[:-2]) != struct.unpack("<H", data[-2:])[0]:
            return None
        function, body = data[1], data[2:-2]
        try:
            if function == 3 and len(body) == 4:
                start, count = struct.unpack(">HH", body)
                values = [self.read(start + k) for k in range(count)]
                return with_crc(bytes([ADDRESS, 3, 2 * count]) + struct.pack(f">{count}H", *values))
            if function == 6 and len(body) == 4:
                register, value = struct.unpack(">HH", body)
                self.write(register, value)
                return with_crc(data[:6])
            if function == 16 and len(body) >= 5:
                start, count, nbytes = struct.unpack(">HHB", body[:5])
                values = struct.unpack(f">{count}H", body[5:5 + 2 * count])
                for k, value in enumerate(values):
                    self.write(start + k, value)
                return with_crc(data[:6])
            raise ModbusException(1)
        except ModbusException as exc:
            return with_crc(bytes([ADDRESS, function | 0x80, exc.code]))

    def read(self, register: int) -> int:
        ch = self.channel(1)
        v, i, mode = self.measure(1)
        values = {0: self.MODEL_ID, 1: 0, 2: 12345, 3: 128, 4: 0, 5: 28, 6: 0, 7: 82,
                  8: round(ch.voltage * 100), 9: round(ch.current * self.CURRENT_SCALE),
                  10: round(v * 100), 11: round(i * self.CURRENT_SCALE), 12: 0,
                  13: round(v * i * 100), 14: 6500, 15: 0,
                  16: 2 if ch.ocp_tripped else 1 if ch.ovp_tripped else 0, 17: int(mode == "CC"),
                  18: int(ch.output), 19: 0, 20: 0,
                  82: round(ch.ovp_level * 100), 83: round(ch.ocp_level * self.CURRENT_SCALE)}
        if register not in values:
            raise ModbusException(2)
        return values[register]

    def write(self, register: int, value: int) -> None:
        ch = self.channel(1)
        if register == 8 and value <= ch.v_max * 100:
            self.set_voltage(1, value / 100)
        elif register == 9 and value <= ch.i_max * self.CURRENT_SCALE:
            self.set_current(1, value / self.CURRENT_SCALE)
        elif register == 18 and value in (0, 1):
            self.set_output(1, bool(value))
        elif register == 82 and value <= ch.ovp_max * 100:
            ch.ovp_level = value / 100
        elif register == 83 and value <= ch.i_max * 1.1 * self.CURRENT_SCALE:
            ch.ocp_level, ch.ocp_on = value / self.CURRENT_SCALE, True
        elif register in (8, 9, 18, 82, 83):
            raise ModbusException(3)
        else:
            raise ModbusException(2)


class RidenRD6012(RidenRD6006):
    IDN = "RIDEN,RD6012,00012346,1.28"
    MODEL_ID = 60121
    RANGES = ((60.0, 0.0, 12.0, 62.0),)
    CURRENT_SCALE = 100


class RidenRD6018(RidenRD6012):
    IDN = "RIDEN,RD6018,00012347,1.28"
    MODEL_ID = 60181
    RANGES = ((60.0, 0.0, 18.0, 62.0),)


class ModbusException(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code
