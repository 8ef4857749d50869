"""USB and serial: pyusb gets libusb-package's libusb where the system has none; serial (ASRL)
instruments are identified through pyvisa-py and pyserial on a pty; USB-TMC resource strings and
their error paths (no device, no permission, no backend) are one line each.

USB-TMC itself is not exercised end to end: this machine has no USB bus (no /dev/bus/usb, no
dummy_hcd or USB/IP to attach a gadget to), and pyvisa-py reaches USB only through pyusb's
libusb backends, which cannot be pointed at a simulated device without patching pyusb."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest

from benchtui.devices import transports as tr
from benchtui.devices.discovery import identify_resource


def test_pyusb_gets_libusb_package_where_the_system_has_no_libusb():
    """A machine without the system's libusb, as seen by pyusb: find_library finds nothing."""
    code = textwrap.dedent("""
        import ctypes.util
        real = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None if "usb" in name else real(name)
        from benchtui.devices.transports import ensure_usb_backend, transports
        backend = ensure_usb_backend()
        assert backend is not None and backend.source.startswith("libusb 1.0 from libusb-package"), backend
        import usb.core
        list(usb.core.find(find_all=True))          # pyusb's default backend: no NoBackendError
        from pyvisa_py.protocols.usbtmc import find_tmc_devices
        list(find_tmc_devices())                     # pyvisa-py's own USB-TMC listing works
        usb_line = next(t for t in transports() if t.name.startswith("USB"))
        assert usb_line.available, usb_line
        print(usb_line.line())
    """)
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert "USB INSTR (USB-TMC): yes (pyusb" in child.stdout and "libusb-package" in child.stdout


def test_transports_name_what_a_resource_needs():
    assert tr.transport_of("USB0::0x1AB1::0x04CE::DS1ZA1::INSTR") == "USB INSTR (USB-TMC)"
    assert tr.transport_of("ASRL/dev/ttyACM0::INSTR") == "ASRL INSTR (serial)"
    assert tr.transport_of("TCPIP0::192.0.2.1::5025::SOCKET") == "TCPIP SOCKET"
    assert tr.transport_of("TCPIP0::192.0.2.1::hislip0::INSTR") == "TCPIP INSTR (HiSLIP)"
    assert tr.transport_of("TCPIP0::192.0.2.1::inst0::INSTR") == "TCPIP INSTR (VXI-11)"
    names = {t.name: t for t in tr.transports()}
    assert names["ASRL INSTR (serial)"].available and names["USB INSTR (USB-TMC)"].available


def test_a_missing_usb_permission_is_one_line_with_the_udev_rule():
    line = tr.usb_permission_hint("ST-LINK/V2-1", 0x0483, 0x374B, 1, 7)
    assert "\n" not in line
    assert line.startswith("ST-LINK/V2-1 0483:374b (/dev/bus/usb/001/007): no permission to open it")
    assert 'ATTR{idVendor}=="0483", ATTR{idProduct}=="374b", MODE="0660", GROUP="plugdev", TAG+="uaccess"' in line
    assert tr.UDEV_FILE in line and "udevadm control --reload-rules" in line
    assert tr.is_permission_error(ValueError("The device has no langid (permission issue, ...)"))
    err = OSError("[Errno 13] Access denied (insufficient permissions)")
    err.errno = 13
    assert tr.is_permission_error(err) and not tr.is_permission_error(ValueError("other"))


def test_a_usb_tmc_resource_with_no_device_is_one_line():
    """pyvisa-py parses the resource string, finds no such device on the bus: one line, no hang."""
    found = identify_resource("USB0::0x1AB1::0x04CE::DS1ZA164457681::INSTR", 2000)
    assert found.transport == "USB INSTR (USB-TMC)" and found.identity is None
    assert found.error and "\n" not in found.error and "Traceback" not in found.error
    bad = identify_resource("USB0::nonsense::INSTR", 2000)
    assert bad.error and "not a valid VISA resource string" in bad.error


class PtyInstrument:
    """A serial SCPI instrument on a pty (the pyvisa-py + pyserial path of a USB-serial PSU):
    newline-terminated messages, *IDN? answered."""

    def __init__(self, identity: str):
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave
        self.identity = identity
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        buf = b""
        while not self._stop:
            try:
                data = os.read(self.master, 1024)
            except OSError:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip().upper() == b"*IDN?":
                    os.write(self.master, self.identity.encode() + b"\n")

    def close(self) -> None:
        self._stop = True
        os.close(self._slave)
        os.close(self.master)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ptys as used here are Linux's")
def test_a_serial_instrument_on_a_pty_is_identified_through_pyvisa_py():
    inst = PtyInstrument("RIGOL TECHNOLOGIES,DP832,DP8C0000001,00.01.14")
    try:
        found = identify_resource(f"ASRL{inst.path}::INSTR", 3000)
    finally:
        inst.close()
    assert found.error is None, found.error
    assert (found.transport, found.kind, found.driver) == ("ASRL INSTR (serial)", "psu", "rigol-dp800")
