"""Riden RD6006 / RD6012 / RD6018 (and the P variants' registers they share): Modbus RTU over
the unit's USB serial port, through minimalmodbus.

Sources: libsigrok src/hardware/rdtech-dps (register map, model IDs, scaling), the rd6006 Python
bindings (which use minimalmodbus too). 115200 baud 8N1, slave address 1. Holding registers:
0 model ID, 8 voltage setpoint (x100), 9 current limit (x1000 on the RD6006, x100 on the
RD6012/RD6018), 10/11 output voltage/current, 17 regulation (1 = CC), 18 output enable.
minimalmodbus over a plain pyserial port: synchronous (the driver runs on its device's owner
thread anyway), one pure-Python module, CRC and framing included; pymodbus brings an asyncio
stack and a server we do not need here. Modbus errors (no answer, bad CRC, an exception
response) are one-line InstrumentErrors; every setting is read back.
"""

from __future__ import annotations

from typing import Any

import minimalmodbus

from ...errors import InstrumentError, InstrumentSilent
from ..serial_line import open_line
from .base import ChannelRange, Mode, Psu

#: model ID (register 0) -> (name, current scale, range)
MODELS = {60061: ("RD6006", 1000, ChannelRange(60.0, 6.0)), 60062: ("RD6006", 1000, ChannelRange(60.0, 6.0)),
          60065: ("RD6006P", 10000, ChannelRange(60.0, 6.0)), 60121: ("RD6012", 100, ChannelRange(60.0, 12.0)),
          60181: ("RD6018", 100, ChannelRange(60.0, 18.0))}
V_SET, I_SET, V_OUT, I_OUT, REGULATION, ENABLE = 8, 9, 10, 11, 17, 18


def identity_of(model_id: int) -> str:
    """An *IDN?-like identity for a model ID (the unit has no *IDN?): 'RIDEN,RD6006,60062,'."""
    return f"RIDEN,{MODELS[model_id][0]},{model_id},"


class RidenLink:
    """One Modbus RTU slave on a serial line; every failure is an InstrumentError line."""

    def __init__(self, resource: str, timeout_ms: int, address: int = 1, name: str = "PSU"):
        self.resource, self.name = resource, name
        self.port = open_line(resource, baudrate=115200, timeout_s=timeout_ms / 1000, name=name)
        self.slave = minimalmodbus.Instrument(self.port, address)
        self.slave.serial.timeout = timeout_ms / 1000
        self.pace = None

    def _call(self, what: str, fn, *args) -> Any:
        try:
            return fn(*args)
        except minimalmodbus.NoResponseError:
            raise InstrumentSilent(f"{self.name} {self.resource}: no Modbus reply to {what}",
                                   where=self.name) from None
        except (minimalmodbus.ModbusException, OSError, ValueError) as exc:
            raise InstrumentError(f"{self.name} {self.resource}: Modbus {what}: {exc}",
                                  where=self.name) from None

    def read(self, register: int, count: int = 1) -> list[int]:
        return self._call(f"read of register {register}", self.slave.read_registers, register, count)

    def write(self, register: int, value: int) -> None:
        self._call(f"write of {value} to register {register}", self.slave.write_register,
                   register, value, 0, 6)

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:  # the USB cable already gone: nothing left to release
            pass


class RidenRD6000(Psu):
    DRIVER = "riden-rd6000"
    #: What `probe` asks, in words (discovery says so when nothing answered).
    QUESTION = "a Modbus read of the model register"
    MAKERS = r"RIDEN|RD ?TECH|RUIDENG"
    FAMILY_MODELS = ("RD60", "RD", "DPS")
    RANGES = {name: {1: rng} for name, _, rng in MODELS.values()}

    @classmethod
    def open(cls, cfg: Any) -> "RidenRD6000":
        link = RidenLink(cfg.resource, cfg.timeout_ms)
        try:
            model_id = link.read(0)[0]
            if model_id not in MODELS:
                raise InstrumentError(f"PSU {cfg.resource}: Modbus register 0 reads model {model_id}, "
                                      f"not a Riden {', '.join(sorted({m[0] for m in MODELS.values()}))}",
                                      where="PSU")
            return cls(link, cfg, identity_of(model_id))
        except BaseException:
            link.close()
            raise

    @classmethod
    def probe(cls, resource: str, timeout_ms: int) -> str | None:
        """The identity of a Riden on the serial line `resource` (its model register read over
        Modbus), or None when no Riden answers within `timeout_ms`. A line that cannot be
        opened raises."""
        link = RidenLink(resource, timeout_ms)
        try:
            model_id = link.read(0)[0]
        except InstrumentError:          # silent, or an answer that is not a Modbus reply
            return None
        finally:
            link.close()
        return identity_of(model_id) if model_id in MODELS else None

    def __init__(self, session: RidenLink, cfg: Any, identity: str):
        super().__init__(session, cfg, identity)
        self.scale = next(s for name, s, _ in MODELS.values() if name == self.model)

    def _set(self, register: int, value: int) -> None:
        self.session.write(register, value)
        got = self.session.read(register)[0]
        if got != value:
            raise InstrumentError(f"PSU {self.cfg.resource}: wrote {value} to register {register} but "
                                  f"it reads {got}", where="PSU")

    def _set_voltage(self, volts: float) -> None:
        self.check_voltage(volts)
        self._set(V_SET, round(float(self._wire(volts, "voltage")) * 100))

    def _set_current_limit(self, amps: float) -> None:
        self.check_current(amps)
        self._set(I_SET, round(float(self._wire(amps, "current")) * self.scale))

    def apply(self, volts: float, amps: float) -> None:
        self.check_voltage(volts)
        self.check_current(amps)
        self._set_current_limit(amps)
        self._set_voltage(volts)

    def set_output(self, on: bool) -> None:
        self._set(ENABLE, int(on))

    def output(self) -> bool:
        return bool(self.session.read(ENABLE)[0])

    def setpoints(self) -> tuple[float, float]:
        v, i = self.session.read(V_SET, 2)
        return v / 100, i / self.scale

    def _measure(self) -> tuple[float | None, float | None, str | None]:
        v, i = self.session.read(V_OUT, 2)
        return v / 100, i / self.scale, None

    def mode(self) -> Mode:
        return "CC" if self.session.read(REGULATION)[0] else "CV"
