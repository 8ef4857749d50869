"""Discovery of the instruments: each resource is opened, asked who it is, closed. A serial line is
asked the questions of the families with a protocol of their own first (devices/identify.py
`probe_line`: a Korad's unterminated `*IDN?`, a Riden's model register over Modbus), then SCPI's
`*IDN?`; the answer is given the driver `auto` would pick, or "not supported" and the closest
family. Also: what a host name expands to, this machine's USB-TMC and serial ports, and the LAN
discovery (`--lan` only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import BenchError, InstrumentSilent
from .. import transports as tr
from ..identify import dialects_of, identify_any, line_families, probe_line

#: Raw-socket SCPI ports tried on a host named without a port: Keysight/R&S/Siglent (5025),
#: Rigol (5555), Tektronix socket server (4000).
SOCKET_PORTS = (5025, 5555, 4000)
#: How long one instrument may take to answer *IDN? (a Keysight DSO-X 2000 answers ~10 s after
#: the connection is accepted).
IDENTIFY_TIMEOUT_MS = 15_000
#: ... but a port of this machine found by listing (a serial port, a USB-TMC instrument) answers
#: at once or not at all: each question asked of it gets this long (a serial port is asked up
#: to three: see SERIAL_ANSWER_MS). An empty port cost 2 s with the 2 000 ms this was before.
LISTED_TIMEOUT_MS = 300
#: How long a unit on a serial line of its own has to answer its family's question (a named
#: resource; UNCONFIRMED choice: a Korad's *IDN? reply is ~30 characters, 31 ms at 9600 baud, a
#: Riden's Modbus reply 7 bytes at 115200 baud, USB serial adapters add up to 16 ms each way;
#: the rest is for a loaded host).
SERIAL_ANSWER_MS = 500


@dataclass(frozen=True)
class FoundInstrument:
    resource: str
    transport: str
    identity: str | None = None
    kind: str | None = None
    driver: str | None = None
    closest: str | None = None
    #: PSU channels of the model (from the driver's ranges), when known.
    channels: tuple[int, ...] = ()
    #: Why it could not be identified (one line), or None.
    error: str | None = None
    #: Where it came from: "named", "host", "usb", "serial", "lan".
    source: str = "named"
    #: The model, as its driver reads the identity ('DP832', 'KA3005P'), when known.
    model: str | None = None

    @property
    def identified(self) -> bool:
        return self.identity is not None

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.driver:
            chans = (f", channels {self.channels[0]}-{self.channels[-1]}" if len(self.channels) > 1
                     else f", channel {self.channels[0]}" if self.channels else "")
            return f"{'PSU' if self.kind == 'psu' else 'scope'}: driver {self.driver}{chans}"
        return "not supported" + (f" (closest family: {self.closest})" if self.closest else "")


def identify_resource(resource: str, timeout_ms: int = IDENTIFY_TIMEOUT_MS,
                      source: str = "named") -> FoundInstrument:
    """Open `resource`, ask who it is, close: what it is and which driver it gets.

    A serial line is asked each serial family's own question first (each within
    SERIAL_ANSWER_MS, or `timeout_ms` if shorter), then SCPI's `*IDN?` within `timeout_ms`."""
    transport = tr.transport_of(resource)
    missing = tr.missing_transport(resource)
    if missing:
        return FoundInstrument(resource, transport, error=f"{transport} is not available here: {missing}",
                               source=source)
    serial_line = resource.strip().upper().startswith("ASRL")
    if serial_line:
        try:
            found = probe_line(resource, min(timeout_ms, SERIAL_ANSWER_MS))
        except BenchError as exc:
            return FoundInstrument(resource, transport, error=tr.explain_open_failure(resource)
                                   or _short(exc, resource), source=source)
        if found is not None:
            family, identity = found
            kind = "psu" if family in dialects_of("psu") else "scope"
            return FoundInstrument(resource, transport, identity, kind, family.DRIVER, family.DRIVER,
                                   psu_channels(identity, family.DRIVER), source=source,
                                   model=family.model_from(identity) if kind == "psu" else None)
    identity, error = _scpi_identity(resource, timeout_ms, serial_line)
    if error is not None:
        return FoundInstrument(resource, transport, error=error, source=source)
    ident = identify_any(identity)
    return FoundInstrument(resource, transport, identity, ident.kind, ident.driver, ident.closest,
                           psu_channels(identity, ident.driver), source=source,
                           model=_model(identity, ident.kind, ident.driver))


def _scpi_identity(resource: str, timeout_ms: int, serial_line: bool) -> tuple[str, None] | tuple[None, str]:
    """(the answer to SCPI's *IDN?, None) or (None, why there is none, in one line)."""
    from .. import guard
    from ..visa import VisaSession, preview

    try:
        session = VisaSession(resource, timeout_ms=timeout_ms, name="instrument")
    except BenchError as exc:
        return None, tr.explain_open_failure(resource) or _short(exc, resource)
    identity = ""
    try:
        if serial_line:
            # A bare terminator first: it ends whatever the serial families' questions left in a
            # SCPI instrument's input (their *IDN? without one, answered now, or bytes it refuses
            # as one bad message), so that our *IDN? is a message of its own.
            session.write("")
        identity = session.query("*IDN?").strip()
        guard.identity(identity)
    except guard.ReplyError:
        return None, f"'*IDN?' was answered '{preview(identity)}', which is not an instrument identity"
    except InstrumentSilent as exc:
        if not serial_line:
            return None, _short(exc, resource)
        asked = " or ".join(f"{f.QUESTION} ({f.DRIVER})" for f in line_families())
        return None, (f"no reply to SCPI's '*IDN?' within {timeout_ms} ms" + (
            f", nor to {asked} within {min(timeout_ms, SERIAL_ANSWER_MS)} ms" if asked else ""))
    except BenchError as exc:
        return None, _short(exc, resource)
    finally:
        session.close()
    return identity, None


def _model(identity: str, kind: str | None, driver: str | None) -> str | None:
    """The model an identity names, as the driver reads it (PSUs: their ranges are by model)."""
    from ..psu import model_of

    dialect = next((d for d in dialects_of("psu") if d.DRIVER == driver), None) if kind == "psu" else None
    return dialect.model_from(identity) if dialect is not None else (model_of(identity) or None)


def psu_channels(identity: str, driver: str | None) -> tuple[int, ...]:
    """The channels of the PSU model `identity` names, from its driver's ranges (() unknown)."""
    dialect = next((d for d in dialects_of("psu") if d.DRIVER == driver), None)
    ranges = dialect.ranges_for(dialect.model_from(identity)) if dialect is not None else None
    return tuple(sorted(ranges)) if ranges else ()


def _short(exc: BenchError, resource: str) -> str:
    text = exc.one_line()
    for prefix in ("instrument: ", f"instrument {resource}: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def host_resources(host: str) -> list[str]:
    """The resources to try on `host` ('H' or 'H:PORT'; [v6] in brackets)."""
    name, port = host, None
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif host.count(":") == 1:
        name, port = host.split(":")
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise BenchError(f"--host {host!r}: {port!r} is not a port number", where="discover")
        return [f"TCPIP0::{name}::{int(port)}::SOCKET"]
    return ([f"TCPIP0::{name}::{p}::SOCKET" for p in SOCKET_PORTS]
            + [f"TCPIP0::{name}::inst0::INSTR", f"TCPIP0::{name}::hislip0::INSTR"])


def local_resources() -> tuple[list[tuple[str, str]], list[str]]:
    """([(resource, source)], notes): USB-TMC instruments and serial ports of this machine."""
    out: list[tuple[str, str]] = []
    notes: list[str] = []
    why = tr.usb_unavailable()
    if why is None:
        for dev in tr.usb_devices():
            interface = _usbtmc_interface(dev)
            if interface is None:
                continue
            try:
                serial = dev.serial_number
            except Exception as exc:  # noqa: BLE001
                if tr.is_permission_error(exc) or tr.usb_node_denied(dev.bus, dev.address):
                    notes.append(tr.usb_permission_hint("USB-TMC instrument", dev.idVendor,
                                                        dev.idProduct, dev.bus, dev.address))
                else:
                    notes.append(f"USB-TMC device {dev.idVendor:04x}:{dev.idProduct:04x}: "
                                 f"cannot read its serial number ({exc})")
                continue
            out.append((f"USB0::0x{dev.idVendor:04X}::0x{dev.idProduct:04X}::{serial}::{interface}::INSTR",
                        "usb"))
    else:
        notes.append(f"USB-TMC: not listed: {why}")
    try:
        from serial.tools.list_ports import comports
        out.extend((f"ASRL{port.device}::INSTR", "serial") for port in comports())
    except ImportError:
        notes.append("serial: not listed: pyserial is not installed (pip install pyserial)")
    return out, notes


def _usbtmc_interface(dev: Any) -> int | None:
    """The interface number of the device's USB-TMC interface (class 0xFE, subclass 3), or None."""
    try:
        for cfg in dev:
            for intf in cfg:
                if intf.bInterfaceClass == 0xFE and intf.bInterfaceSubClass == 3:
                    return int(intf.bInterfaceNumber)
    except Exception:  # noqa: BLE001 - descriptors that cannot be read: not an instrument we list
        return None
    return None


def lan_resources() -> tuple[list[str], list[str]]:
    """VXI-11 portmapper broadcast and HiSLIP mDNS (zeroconf), through pyvisa-py's own
    discovery. Only ever called for `discover --lan`."""
    notes: list[str] = []
    found: list[str] = []
    try:
        from pyvisa_py.tcpip import TCPIPInstrHiSLIP, TCPIPInstrVxi11
    except ImportError as exc:
        return [], [f"LAN discovery: pyvisa-py has no TCPIP discovery here ({exc})"]
    try:
        found.extend(TCPIPInstrVxi11.list_resources())
    except Exception as exc:  # noqa: BLE001 - the network refused; say so and go on
        notes.append(f"LAN discovery (VXI-11 broadcast) failed: {exc}")
    try:
        import zeroconf  # noqa: F401
        try:
            found.extend(TCPIPInstrHiSLIP.list_resources())
        except Exception as exc:  # noqa: BLE001
            notes.append(f"LAN discovery (HiSLIP mDNS) failed: {exc}")
    except ImportError:
        notes.append("LAN discovery of HiSLIP instruments needs zeroconf (pip install zeroconf)")
    return sorted(set(found)), notes
