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

Returns data (`Discovery`), prints nothing. probes.py finds the probes and their targets,
instruments.py the instruments; this module puts them together. Instruments are asked in parallel, each on its own
thread, so a silent one costs one timeout, not one each.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable

from .. import transports as tr
from .instruments import (IDENTIFY_TIMEOUT_MS, LISTED_TIMEOUT_MS, SERIAL_ANSWER_MS, SOCKET_PORTS,
                          FoundInstrument, host_resources, identify_resource, lan_resources,
                          local_resources, psu_channels)
from .probes import (IDCODE_ADDRESSES, FoundProbe, FoundTarget, discover_probes, identify_target,
                     probe_firmware, stlink_permission_notes, target_type_for)


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


__all__ = ["Discovery", "FoundInstrument", "FoundProbe", "FoundTarget", "IDCODE_ADDRESSES",
           "IDENTIFY_TIMEOUT_MS", "LISTED_TIMEOUT_MS", "SERIAL_ANSWER_MS", "SOCKET_PORTS", "discover",
           "discover_probes", "host_resources", "identify_resource", "identify_target", "lan_resources",
           "local_resources", "probe_firmware", "psu_channels", "stlink_permission_notes", "target_type_for"]
