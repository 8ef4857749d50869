"""Which VISA transports work on this machine, and why not; USB access and its udev rules.

pyvisa-py reaches USB-TMC instruments through pyusb, and pyusb needs a libusb 1.0 library. A
machine without the system's libusb (`libusb-1.0-0`) has none for pyusb, although pyOCD's
dependency `libusb-package` ships one. `ensure_usb_backend()` makes pyusb's default libusb 1.0
backend the system's library, else libusb-package's, once per process (pyusb keeps the first
libusb 1.0 backend it loads and hands it to every later `usb.core.find()`, pyvisa-py's and
pyOCD's included). Serial (`ASRL`) resources need pyserial, a dependency of benchtui.

A USB device that is listed but cannot be opened is, on Linux, nearly always a missing udev
rule: `usb_permission_hint()` gives the one line to add (ST-LINK, CMSIS-DAP probes and USB-TMC
instruments alike), and docs/own-bench.md gives the rules.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

#: USB vendor/product IDs of the ST-LINK probes pyOCD drives (V2, V2-1, V3 variants).
STLINK_VID = 0x0483
STLINK_PIDS = {0x3748: "ST-LINK/V2", 0x374B: "ST-LINK/V2-1", 0x374A: "ST-LINK/V2-1",
               0x3752: "ST-LINK/V2-1", 0x374E: "STLINK-V3", 0x374F: "STLINK-V3",
               0x3753: "STLINK-V3", 0x3754: "STLINK-V3", 0x3757: "STLINK-V3PWR"}
#: The udev rules file the hints name.
UDEV_FILE = "/etc/udev/rules.d/60-benchtui.rules"
UDEV_RELOAD = "sudo udevadm control --reload-rules && sudo udevadm trigger"


@dataclass(frozen=True)
class Transport:
    """One way to reach an instrument: whether this machine has what it takes, and what."""

    name: str
    available: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {'yes' if self.available else 'no'} ({self.detail})"


@dataclass(frozen=True)
class UsbBackend:
    backend: Any
    #: "system libusb 1.0 (/lib/x86_64-linux-gnu/libusb-1.0.so.0)" or "libusb 1.0 from libusb-package ..."
    source: str


_lock = threading.Lock()
_backend: UsbBackend | None = None
_why_not: str | None = None


def ensure_usb_backend() -> UsbBackend | None:
    """pyusb's libusb 1.0 backend (the system's, else libusb-package's), made the default for
    the whole process; None when neither loads (`usb_unavailable()` says why)."""
    global _backend, _why_not
    with _lock:
        if _backend is not None or _why_not is not None:
            return _backend
        try:
            import usb.backend.libusb1 as libusb1
        except ImportError as exc:
            _why_not = f"pyusb is not installed ({exc}): pip install pyusb"
            return None
        system = ctypes.util.find_library("usb-1.0")
        backend = libusb1.get_backend() if system else None
        if backend is not None:
            _backend = UsbBackend(backend, f"system libusb 1.0 ({system})")
            return _backend
        try:
            import libusb_package
        except ImportError:
            _why_not = ("no libusb 1.0 library: install the system's (apt install libusb-1.0-0) "
                        "or pip install libusb-package")
            return None
        backend = libusb1.get_backend(find_library=libusb_package.find_library)
        if backend is None:
            _why_not = (f"libusb-package's libusb 1.0 ({libusb_package.get_library_path()}) does not "
                        "load, and the system has none: apt install libusb-1.0-0")
            return None
        version = getattr(libusb_package, "__version__", "")
        _backend = UsbBackend(backend, f"libusb 1.0 from libusb-package {version}".rstrip())
        return _backend


def usb_unavailable() -> str | None:
    """Why USB cannot be used (None when it can)."""
    return None if ensure_usb_backend() is not None else _why_not


def transports() -> list[Transport]:
    """Every transport benchtui can use, whether it works here, and why not."""
    import pyvisa_py

    out = [Transport("TCPIP SOCKET", True, "raw SCPI socket (LAN; ports 5025, 5555, 4000, ...)"),
           Transport("TCPIP INSTR (VXI-11)", True, f"pyvisa-py {pyvisa_py.__version__}")]
    try:
        import zeroconf  # noqa: F401
        hislip = "opens; --lan discovery by mDNS (zeroconf)"
    except ImportError:
        hislip = "opens by address; --lan discovery needs zeroconf (pip install zeroconf)"
    out.append(Transport("TCPIP INSTR (HiSLIP)", True, hislip))
    try:
        import usb
        backend = ensure_usb_backend()
        out.append(Transport("USB INSTR (USB-TMC)", backend is not None,
                             f"pyusb {usb.__version__}, {backend.source}" if backend is not None
                             else usb_unavailable() or "no libusb backend"))
    except ImportError:
        out.append(Transport("USB INSTR (USB-TMC)", False, "pyusb is not installed: pip install pyusb"))
    try:
        import serial
        out.append(Transport("ASRL INSTR (serial)", True, f"pyserial {serial.VERSION}"))
    except ImportError:
        out.append(Transport("ASRL INSTR (serial)", False, "pyserial is not installed: pip install pyserial"))
    return out


def transport_of(resource: str) -> str:
    """The transport a VISA resource string names ('USB INSTR (USB-TMC)', 'ASRL INSTR (serial)', ...)."""
    text = resource.strip().upper()
    if text.startswith("USB"):
        return "USB INSTR (USB-TMC)"
    if text.startswith("ASRL"):
        return "ASRL INSTR (serial)"
    if text.startswith("TCPIP") and text.endswith("::SOCKET"):
        return "TCPIP SOCKET"
    if text.startswith("TCPIP") and "HISLIP" in text:
        return "TCPIP INSTR (HiSLIP)"
    if text.startswith("TCPIP"):
        return "TCPIP INSTR (VXI-11)"
    return text.split("::", 1)[0]


def missing_transport(resource: str) -> str | None:
    """Why the transport `resource` needs is not available here (None when it is)."""
    name = transport_of(resource)
    return next((t.detail for t in transports() if t.name == name and not t.available), None)


# --- USB permissions -----------------------------------------------------------------------

def udev_rule(vid: int, pid: int) -> str:
    """The udev rule that lets the logged-in user (and the plugdev group) open the device."""
    return (f'SUBSYSTEM=="usb", ATTR{{idVendor}}=="{vid:04x}", ATTR{{idProduct}}=="{pid:04x}", '
            f'MODE="0660", GROUP="plugdev", TAG+="uaccess"')


def usb_permission_hint(what: str, vid: int, pid: int, bus: int | None = None,
                        address: int | None = None) -> str:
    """One line: the device cannot be opened for lack of permission, and the rule to add."""
    node = f" ({usb_device_node(bus, address)})" if bus is not None and address is not None else ""
    return (f"{what} {vid:04x}:{pid:04x}{node}: no permission to open it: add the udev rule "
            f"'{udev_rule(vid, pid)}' to {UDEV_FILE}, then run '{UDEV_RELOAD}' and plug it in again")


def usb_device_node(bus: int | None, address: int | None) -> str:
    return f"/dev/bus/usb/{bus or 0:03d}/{address or 0:03d}"


def usb_node_denied(bus: int | None, address: int | None) -> bool:
    """True when the device node exists and this user may not read and write it (Linux)."""
    if not sys.platform.startswith("linux") or bus is None or address is None:
        return False
    node = usb_device_node(bus, address)
    return os.path.exists(node) and not os.access(node, os.R_OK | os.W_OK)


def is_permission_error(exc: BaseException) -> bool:
    """pyusb's ways of saying "not allowed": USBError errno 13 (EACCES), or a ValueError when
    the string descriptors cannot be read ("The device has no langid")."""
    errno = getattr(exc, "errno", None)
    if errno in (13, -3):       # EACCES; LIBUSB_ERROR_ACCESS
        return True
    text = str(exc).lower()
    return "access denied" in text or "insufficient permissions" in text or "langid" in text


def explain_open_failure(resource: str) -> str | None:
    """Why `resource` could not be opened, when the transport or USB access explains it:
    a missing library, or a USB-TMC device without the udev rule (one line, or None)."""
    missing = missing_transport(resource)
    if missing:
        return f"{transport_of(resource)} is not available here: {missing}"
    if not resource.strip().upper().startswith("USB"):
        return None
    try:
        from pyvisa import rname
        parsed = rname.parse_resource_name(resource)
        vid, pid = int(parsed.manufacturer_id, 0), int(parsed.model_code, 0)
    except Exception:  # noqa: BLE001 - pyvisa reports a bad name itself
        return None
    for dev in usb_devices(vid, pid):
        if usb_node_denied(dev.bus, dev.address) or strings_denied(dev):
            return usb_permission_hint("USB-TMC instrument", vid, pid, dev.bus, dev.address)
    return None


def usb_devices(vid: int | None = None, pid: int | None = None) -> list[Any]:
    """The USB devices pyusb lists (of `vid`:`pid` if given); [] without a backend."""
    backend = ensure_usb_backend()
    if backend is None:
        return []
    import usb.core
    match = {k: v for k, v in (("idVendor", vid), ("idProduct", pid)) if v is not None}
    try:
        return list(usb.core.find(find_all=True, backend=backend.backend, **match))
    except usb.core.USBError:
        return []


def strings_denied(dev: Any) -> bool:
    try:
        dev.serial_number  # noqa: B018 - reading it opens the device
    except Exception as exc:  # noqa: BLE001
        return is_permission_error(exc)
    return False
