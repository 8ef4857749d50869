"""Korad / Tenma KA3005P and KA3305P: the serial protocol without terminators.

Sources: libsigrok src/hardware/korad-kaxxxxp (protocol.c, api.c): 9600 baud 8N1; commands carry
no terminator (`VSET1:03.30`, `ISET1:0.500`, `OUT1`, `OCP1`, `OVP0`, `BEEP1`); queries answer
fixed-width text without a terminator (`VSET1?` -> `03.30`, `ISET1?` -> `0.500`, `VOUT1?`,
`IOUT1?` five characters) and `STATUS?` one raw byte: bit 0 CH1 CV (1) / CC (0), bit 1 CH2,
bits 2-3 tracking, bit 4 beep, bit 5 OCP, bit 6 output, bit 7 OVP. `*IDN?` answers e.g.
`KORAD KA3005P V5.5 SN:...` with no terminator (read until the line is quiet).

Quirks modelled: a message is what arrives before the line is quiet for `FRAME_GAP_S`, so two
commands sent back to back run together and neither is understood; after each command the
unit is busy for `BUSY_S` and drops what arrives meanwhile (sigrok waits 80 ms after every
command, and reports units that "will NOT execute" a command sent sooner, PR #210). Nothing
reports an error: an unknown or out-of-range command is ignored. The numbers are UNCONFIRMED
choices well inside sigrok's 80 ms (a loaded host stamps arrivals late): a 10 ms gap, 30 ms busy.
"""

from __future__ import annotations

import re

from ..scpi.psu import SimPsu
from .link import SerialLine

_SET = re.compile(rb"^(VSET|ISET)([12]):(\d{1,2}(?:\.\d{0,3})?|\.\d{1,3})$")
_SWITCH = re.compile(rb"^(OUT|OCP|OVP|BEEP)([01])$")
_QUERY = re.compile(rb"^(VSET|ISET|VOUT|IOUT)([12])\?$")


class KoradKA3005P(SerialLine, SimPsu):
    IDN = "KORAD KA3005P V5.5 SN:03562437"
    RANGES = ((31.0, 0.0, 5.1, 31.0),)
    FRAME_GAP_S = 0.01
    BUSY_S = 0.03
    DEFAULT_CURRENT = 0.0

    def reset(self) -> None:
        super().reset()
        self.busy_until = 0.0
        self.beep = True
        self.dropped = 0          # messages lost to the busy time or run together (for tests)

    def frame(self, data: bytes, arrived: float) -> bytes | None:
        if arrived < self.busy_until:
            self.dropped += 1
            return None
        self.busy_until = arrived + self.BUSY_S
        return self.command(data.strip(b"\r\n"))

    def command(self, msg: bytes) -> bytes | None:
        if msg == b"*IDN?":
            return self.IDN.encode()
        if msg == b"STATUS?":
            return bytes([self.status()])
        m = _QUERY.match(msg)
        if m and int(m.group(2)) in self.channels:
            kind, n = m.group(1), int(m.group(2))
            ch = self.channel(n)
            v, i, _ = self.measure(n)
            value = {b"VSET": ch.voltage, b"ISET": ch.current, b"VOUT": v, b"IOUT": i}[kind]
            return (f"{value:05.2f}" if kind in (b"VSET", b"VOUT") else f"{value:05.3f}").encode()
        m = _SET.match(msg)
        if m and int(m.group(2)) in self.channels:
            n, value = int(m.group(2)), float(m.group(3))
            ch = self.channel(n)
            if m.group(1) == b"VSET" and value <= ch.v_max:
                self.set_voltage(n, value)
            elif m.group(1) == b"ISET" and value <= ch.i_max:
                self.set_current(n, value)
            return None
        m = _SWITCH.match(msg)
        if m:
            on = m.group(2) == b"1"
            if m.group(1) == b"OUT":
                for n in self.channels:
                    self.set_output(n, on)
            elif m.group(1) == b"BEEP":
                self.beep = on
            else:
                for ch in self.channels.values():
                    setattr(ch, "ocp_on" if m.group(1) == b"OCP" else "ovp_on", on)
        else:
            self.dropped += 1
        return None

    def status(self) -> int:
        byte = 0
        for n in self.channels:
            _, _, mode = self.measure(n)
            byte |= (0 if mode == "CC" else 1) << (n - 1)
        ch = self.channel(1)
        return byte | (self.beep << 4) | (ch.ocp_on << 5) | (ch.output << 6) | (ch.ovp_on << 7)


class KoradKA3305P(KoradKA3005P):
    """KA3305P: two 30 V / 5 A channels (and a fixed one) on the same protocol."""

    IDN = "KORAD KA3305P V5.8 SN:21345678"
    RANGES = ((31.0, 0.0, 5.1, 31.0), (31.0, 0.0, 5.1, 31.0))
