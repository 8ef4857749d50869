"""A serial line for the supplies that are not SCPI instruments (Korad, Riden): the profile's
resource names the port the VISA way (`ASRL/dev/ttyUSB0::INSTR`, `ASRLsocket://host:port::INSTR`)
or as pyserial does (`/dev/ttyACM0`, `COM4`, `socket://127.0.0.1:5025`); every failure to open it
is one InstrumentUnreachable line."""

from __future__ import annotations

import re
from typing import Any

import serial

from ..errors import InstrumentUnreachable

_VISA = re.compile(r"^ASRL(.+?)(::INSTR)?$", re.I)


def port_of(resource: str) -> str:
    """The pyserial port or URL a resource names."""
    m = _VISA.match(resource.strip())
    return m.group(1) if m else resource.strip()


def open_line(resource: str, *, baudrate: int, timeout_s: float, name: str = "PSU") -> Any:
    """An open pyserial port (8N1) for `resource`."""
    try:
        return serial.serial_for_url(port_of(resource), baudrate=baudrate, timeout=timeout_s,
                                     write_timeout=timeout_s)
    except (serial.SerialException, ValueError, OSError) as exc:
        text = str(exc).replace("\n", " ").strip() or type(exc).__name__
        raise InstrumentUnreachable(f"{name} {resource}: cannot open the serial line: {text}",
                                    where=name) from None
