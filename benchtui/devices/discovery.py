"""`benchtui discover`: the probes and instruments this machine can reach, and what they are.

* Probes: every probe pyOCD lists (USB ST-LINK / CMSIS-DAP, probe plugins) and the ones named
  (`remote:HOST:PORT`). Each is opened once, attached without reset, and the target that answers
  is read: DBGMCU IDCODE, the family's flash-size word and 96-bit UID, each word on its own
  (an unreadable word is "unreadable (bus fault at 0x...)", the rest is still read).
* Instruments: the resources named (`--resource`), the hosts named (`--host H[:PORT]`: the SCPI
  raw-socket ports, VXI-11 and HiSLIP), or, with neither, the USB-TMC instruments and serial
  ports of this machine. Each is asked `*IDN?` and given the driver `auto` would pick, or "not
  supported" and the closest family (identify.py). A serial line is first asked the questions
  of the families with a protocol of their own (a Korad's unterminated `*IDN?`, a Riden's
  model register over Modbus), then SCPI's `*IDN?`.
* LAN broadcast (VXI-11 portmapper) and mDNS (HiSLIP, zeroconf) only with `lan=True`: nothing
  is sent to the network otherwise.

Returns data (`Discovery`), prints nothing. Instruments are asked in parallel, each on its own
thread, so a silent one costs one timeout, not one each.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import BenchError, InstrumentSilent
from . import transports as tr
from .identify import dialects_of, identify_any, line_families, probe_line

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
#: DBGMCU IDCODE of the STM32 families benchtui knows (F4/F7/L4 at 0xE0042000, H7 at 0x5C001000).
IDCODE_ADDRESSES = (0xE0042000, 0x5C001000)


@dataclass(frozen=True)
class FoundTarget:
    idcode: int | None
    dev_id: int | None
    family: str | None
    part: str
    flash_kb: int | None
    uid: str | None
    #: The profile target type that names this chip (None: no family module knows it).
    target_type: str | None
    #: Words that could not be read: name -> "unreadable (bus fault at 0x...)".
    unreadable: dict[str, str] = field(default_factory=dict)
    package: str | None = None

    def describe(self) -> str:
        parts = [self.part]
        if self.idcode is not None:
            parts.append(f"IDCODE 0x{self.idcode:08X}")
        parts.append(f"{self.flash_kb} KB flash" if self.flash_kb else
                     f"flash size {self.unreadable.get('flash_size', 'unknown')}")
        parts.append(f"UID {self.uid or self.unreadable.get('uid', 'unknown')}")
        if self.target_type:
            parts.append(f"target_type {self.target_type}")
        return ", ".join(parts)


@dataclass(frozen=True)
class FoundProbe:
    uid: str
    vendor: str
    product: str
    firmware: str | None
    target: FoundTarget | None = None
    #: Why no target answered (no SWD ACK, ...) or why the probe could not be opened.
    error: str | None = None


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
            chans = f", channels {self.channels[0]}-{self.channels[-1]}" if self.channels else ""
            return f"{'PSU' if self.kind == 'psu' else 'scope'}: driver {self.driver}{chans}"
        return "not supported" + (f" (closest family: {self.closest})" if self.closest else "")


@dataclass(frozen=True)
class Discovery:
    transports: tuple[tr.Transport, ...]
    probes: tuple[FoundProbe, ...]
    instruments: tuple[FoundInstrument, ...]
    #: One line each: USB devices without permission, LAN discovery not done and why, ...
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def psus(self) -> list[FoundInstrument]:
        return [i for i in self.instruments if i.kind == "psu" and i.driver]

    def scopes(self) -> list[FoundInstrument]:
        return [i for i in self.instruments if i.kind == "scope" and i.driver]


# --- probes and targets ---------------------------------------------------------------------

def probe_firmware(probe: Any) -> str | None:
    """The probe's firmware version, where its pyOCD driver knows it after opening.

    pyOCD keeps it on the probe's link object (`STLink.version_str`, CMSIS-DAP
    `DAPAccessCMSISDAP.firmware_version`), a private member of the probe: isolated here and
    tested for in tests/test_discovery.py; a probe without it shows "unknown".
    """
    public = getattr(probe, "firmware_version", None)
    if isinstance(public, str):
        return public
    link = getattr(probe, "_link", None)
    for name in ("version_str", "firmware_version"):
        try:
            value = getattr(link, name, None)
            value = value() if callable(value) else value
        except Exception:  # noqa: BLE001 - a probe that cannot say
            value = None
        if isinstance(value, str) and value:
            return value
    return None


def identify_target(uid: str, frequency_hz: int = 1_000_000) -> tuple[FoundTarget | None, str | None, str | None]:
    """(target, firmware, error): attach to the target behind probe `uid` (no reset, no halt)
    and read its IDCODE, flash size and UID, each word on its own."""
    from ..profile import TargetConfig
    from .mcu import family_for_dev_id
    from .target import TargetLink

    link = TargetLink(TargetConfig(probe_uid=uid, target_type="cortex_m", connect_mode="attach",
                                   frequency_hz=frequency_hz))
    try:
        link.connect()
        firmware = probe_firmware(link.probe)
        idcode = None
        for address in IDCODE_ADDRESSES:
            try:
                word = int.from_bytes(link.read_memory(address, 4), "little")
            except BenchError:
                continue
            if word & 0xFFF:
                idcode = word
                break
        if idcode is None:
            return FoundTarget(None, None, None, "Cortex-M (no STM32 DBGMCU IDCODE)", None, None,
                               None), firmware, None
        dev_id = idcode & 0xFFF
        family = family_for_dev_id(dev_id)
        if family is None:
            return FoundTarget(idcode, dev_id, None, f"unknown part 0x{dev_id:03X}", None, None,
                               None), firmware, None
        unreadable: dict[str, str] = {}

        def word(name: str, address: int, size: int) -> int | None:
            try:
                return int.from_bytes(link.read_memory(address, size), "little")
            except BenchError as exc:
                if getattr(exc, "address", None) is None and "bus fault" not in str(exc):
                    raise
                unreadable[name] = f"unreadable (bus fault at 0x{getattr(exc, 'address', None) or address:08X})"
                return None

        kb = word("flash_size", family.flash_size_address, 2)
        raw = word("uid", family.uid_address, 12)
        uid_text = None
        if raw is not None:
            data = raw.to_bytes(12, "little")
            uid_text = "".join(f"{int.from_bytes(data[i:i + 4], 'little'):08X}" for i in (0, 4, 8))
        package = None
        if family.package_address is not None:
            pkg = word("package", family.package_address, 2)
            package = family.package_name(pkg) if pkg is not None else None
        if kb is not None and not family.plausible_flash_kb(dev_id, kb):
            unreadable["flash_size"] = f"implausible (reads 0x{kb:04X})"
            kb = None
        return FoundTarget(idcode, dev_id, family.name, family.part_name(dev_id), kb, uid_text,
                           target_type_for(family, dev_id, kb, package), unreadable, package), firmware, None
    except BenchError as exc:
        return None, None, exc.one_line()
    finally:
        try:
            link.disconnect()
        except BenchError:
            pass


def target_type_for(family: Any, dev_id: int, flash_kb: int | None, package: str | None) -> str | None:
    """The family's profile target type for this part and flash size; the package's pin-count
    letter picks among equals (LQFP144 -> 'Z', LQFP176 -> 'I', LQFP100 -> 'V', LQFP64 -> 'R')."""
    if flash_kb is None:
        return None
    names = [n for n, (d, kb) in family.target_types.items() if d == dev_id and kb == flash_kb]
    if not names:
        return None
    letter = {"LQFP144": "z", "LQFP176": "i", "LQFP100": "v", "LQFP64": "r", "LQFP208": "b"}.get(
        (package or "").split(" ")[0])
    if letter:
        for name in names:
            if name[-2] == letter:
                return name
    return names[0]


def discover_probes(named: Iterable[str] = (), list_usb: bool = True,
                    identify_targets: bool = True) -> tuple[list[FoundProbe], list[str]]:
    """Every probe pyOCD lists (if `list_usb`) and each `named` one, with its target."""
    from .target import list_probes

    notes: list[str] = []
    seen: list[tuple[str, str, str]] = []
    if list_usb:
        try:
            seen = [(p.uid, p.vendor, p.product) for p in list_probes()]
        except BenchError as exc:
            notes.append(f"probes: cannot list them: {exc.one_line()}")
        notes.extend(stlink_permission_notes({uid for uid, _, _ in seen}))
    for uid in named:
        if uid not in (s[0] for s in seen):
            vendor, product = ("pyOCD probe server", uid) if uid.startswith("remote:") else ("", uid)
            seen.append((uid, vendor, product))
    found = []
    for uid, vendor, product in seen:
        if not identify_targets:
            found.append(FoundProbe(uid, vendor, product, None))
            continue
        target, firmware, error = identify_target(uid)
        found.append(FoundProbe(uid, vendor, product, firmware, target, error))
    return found, notes


def stlink_permission_notes(listed_uids: set[str]) -> list[str]:
    """One line per ST-LINK on USB that this user may not open (pyOCD skips it)."""
    notes = []
    for dev in tr.usb_devices(tr.STLINK_VID):
        if dev.idProduct not in tr.STLINK_PIDS:
            continue
        if tr.usb_node_denied(dev.bus, dev.address) or tr.strings_denied(dev):
            notes.append(tr.usb_permission_hint(tr.STLINK_PIDS[dev.idProduct], dev.idVendor,
                                                dev.idProduct, dev.bus, dev.address))
    return notes


# --- instruments ------------------------------------------------------------------------------

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
    from . import guard
    from .visa import VisaSession, preview

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
    from .psu import model_of

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


def discover(*, resources: Iterable[str] = (), hosts: Iterable[str] = (), probes: Iterable[str] = (),
             lan: bool = False, timeout_ms: int = IDENTIFY_TIMEOUT_MS,
             list_usb_probes: bool | None = None, identify_targets: bool = True,
             local: bool | None = None) -> Discovery:
    """Probes and instruments: what is named, else what this machine has (USB, serial).

    With `resources`, `hosts` or `probes` given, only those are tried (plus pyOCD's own USB
    probe list when `list_usb_probes` is true, and this machine's USB-TMC and serial ports
    when `local` is; by default both are listed only when nothing is named). `lan` adds the
    LAN broadcast / mDNS discovery.
    """
    resources, hosts, probes = list(resources), list(hosts), list(probes)
    named = bool(resources or hosts or probes)
    notes: list[str] = []
    wanted: list[tuple[str, str]] = [(r, "named") for r in resources]
    for host in hosts:
        wanted.extend((r, "host") for r in host_resources(host))
    if (not named) if local is None else local:
        local, local_notes = local_resources()
        wanted.extend(local)
        notes.extend(local_notes)
    if lan:
        found, lan_notes = lan_resources()
        wanted.extend((r, "lan") for r in found)
        notes.extend(lan_notes)
    elif not named:
        notes.append("LAN instruments: name them (--resource, --host H[:PORT]) or look with --lan "
                     "(VXI-11 broadcast, mDNS); nothing was sent to the network")
    unique = list(dict.fromkeys(wanted))
    instruments: list[FoundInstrument] = []
    if unique:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(unique)),
                                                   thread_name_prefix="discover") as pool:
            instruments = list(pool.map(lambda rs: identify_resource(
                rs[0], min(timeout_ms, LISTED_TIMEOUT_MS) if rs[1] in ("usb", "serial") else timeout_ms,
                rs[1]), unique))
    # A host tried on several ports: keep what answered; say once if nothing did.
    answered = [i for i in instruments if i.source != "host" or i.identified]
    for host in hosts:
        tried = [i for i in instruments if i.source == "host" and f"::{_host_name(host)}::" in i.resource]
        if tried and not any(i.identified for i in tried):
            answered.append(dataclasses.replace(tried[0], error=f"nothing on {host} answered *IDN? "
                                                f"(tried {', '.join(i.resource for i in tried)})"))
    list_usb = (not named) if list_usb_probes is None else list_usb_probes
    found_probes, probe_notes = discover_probes(probes, list_usb, identify_targets)
    return Discovery(tuple(tr.transports()), tuple(found_probes), tuple(answered),
                     tuple(notes + probe_notes))


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.split(":")[0] if host.count(":") == 1 else host
