"""`discover` and `init`: find the probe and the instruments, write a profile for them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import BenchError
from .common import EXIT_ERROR, EXIT_OK


def _printable(text: str) -> str:
    """Instrument and probe text as it may reach a terminal (control characters escaped)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def cmd_discover(args: argparse.Namespace) -> int:
    from ..devices.discovery import discover

    found = discover(resources=args.resource or (), hosts=args.host or (), probes=args.probe or (),
                     lan=args.lan, timeout_ms=args.timeout_ms,
                     list_usb_probes=True if args.usb_probes else None)
    if args.json:
        print(json.dumps(found.to_dict(), indent=2))
        return EXIT_OK
    print_discovery(found)
    return EXIT_OK


def print_discovery(found: Any, out: Any = None) -> None:
    out = out or sys.stdout
    w = lambda text="": print(_printable(text), file=out)  # noqa: E731
    w("transports")
    for t in found.transports:
        w(f"  {'ok  ' if t.available else 'no  '}{t.name:<22} {t.detail}")
    w("probes")
    if not found.probes:
        w("  none found (a probe server: --probe remote:HOST:PORT)")
    for p in found.probes:
        fw = f", firmware {p.firmware}" if p.firmware else ""
        w(f"  {p.uid}  {' '.join(x for x in (p.vendor, p.product) if x and x != p.uid) or 'probe'}{fw}")
        if p.target is not None:
            w(f"    target: {p.target.describe()}")
        elif p.error:
            w(f"    no target: {p.error}")
    w("instruments")
    if not found.instruments:
        w("  none found")
    for i in found.instruments:
        w(f"  {i.resource}")
        if i.identity:
            w(f"    {i.identity}")
        w(f"    {i.describe()}")
    for note in found.notes:
        w(f"note: {note}")


def register(sub: Any) -> None:
    sp = sub.add_parser("discover", help="list the probes and instruments this machine reaches, and their drivers")
    sp.add_argument("--resource", action="append", metavar="R",
                    help="identify only this VISA resource (repeatable), e.g. TCPIP0::192.0.2.50::5555::SOCKET")
    sp.add_argument("--host", action="append", metavar="H[:PORT]",
                    help="identify what answers on this host: the given port, or the SCPI socket ports, "
                         "VXI-11 and HiSLIP (repeatable)")
    sp.add_argument("--probe", action="append", metavar="UID",
                    help="read the target behind this probe (repeatable), e.g. remote:127.0.0.1:5556")
    sp.add_argument("--usb-probes", action="store_true",
                    help="also list pyOCD's USB probes when resources or probes are named")
    sp.add_argument("--lan", action="store_true",
                    help="also look on the LAN: VXI-11 portmapper broadcast and mDNS (HiSLIP); "
                         "never done without this flag")
    sp.add_argument("--timeout-ms", type=int, default=15_000,
                    help="how long an instrument may take to answer *IDN? (default 15000: a Keysight "
                         "DSO-X 2000 answers ~10 s after connecting)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=cmd_discover)
