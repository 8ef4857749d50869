"""`discover` and `init`: find the probe and the instruments, write a profile for them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import EXIT_ERROR, EXIT_OK


def _printable(text: str) -> str:
    """Instrument and probe text as it may reach a terminal (control characters escaped)."""
    from ..text import printable
    return printable(str(text))


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
    register_init(sub)


# --- init -------------------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..bench.profile_builder import parse_nets, parts_from_discovery, summary, write_profile
    from ..devices.discovery import discover

    if not all((args.probe, args.psu, args.scope)):
        return _init_screen(args)
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"benchtui: {out} exists: give another --out or add --force to replace it", file=sys.stderr)
        return EXIT_ERROR
    try:
        nets = parse_nets(args.nets)
    except ValueError as exc:
        print(f"benchtui: {exc}", file=sys.stderr)
        return EXIT_ERROR
    psu, _, ch = args.psu.rpartition(",") if "," in args.psu else (args.psu, "", "")
    if ch and not ch.strip().isdigit():
        print(f"benchtui: --psu {args.psu!r}: the channel after the comma must be a number", file=sys.stderr)
        return EXIT_ERROR
    found = discover(resources=[psu, args.scope], probes=[args.probe], timeout_ms=args.timeout_ms)
    parts = parts_from_discovery(found, probe=args.probe, psu=psu, channel=int(ch) if ch else None,
                                 scope=args.scope, nets=nets, firmware=args.firmware,
                                 target_type=args.target, database=args.db or f"{out.stem}.db",
                                 name=args.name)
    write_profile(parts, out, force=args.force)
    print(_printable(summary(parts, out)))
    if args.no_check:
        return EXIT_OK
    from .bench import cmd_check
    print(_printable(f"checking {out}:"))
    return cmd_check(argparse.Namespace(profile=str(out), virtual=False, wiring=False))


def _init_screen(args: argparse.Namespace) -> int:
    """`benchtui init` without all of --probe, --psu, --scope: the console screen that builds
    the profile (what was named is looked for; with nothing named, this machine's ports)."""
    from ..bench.profile_builder import parse_nets
    from ..tui.init_view import InitApp

    try:
        nets = parse_nets(args.nets)
    except ValueError as exc:
        print(f"benchtui: {exc}", file=sys.stderr)
        return EXIT_ERROR
    psu, channel = args.psu, 1
    if psu and psu.rpartition(",")[2].strip().isdigit():
        psu, _, ch = psu.rpartition(",")
        channel = int(ch)
    named = [r for r in (psu, args.scope) if r]
    app = InitApp(out=args.out, resources=named, probes=[args.probe] if args.probe else [],
                  local=not (named or args.probe), firmware=args.firmware, target_type=args.target,
                  timeout_ms=args.timeout_ms, force=args.force, psu_channel=channel, nets=nets)
    outcome = app.run()
    if outcome is None or outcome.path is None:
        print("benchtui: init: no profile written", file=sys.stderr)
        return EXIT_ERROR
    print(_printable(f"wrote {outcome.path}; check {'passed' if outcome.ok else 'FAILED'}"))
    return EXIT_OK if outcome.ok else EXIT_ERROR


def register_init(sub: Any) -> None:
    sp = sub.add_parser("init", help="build a profile for this bench (console screen, or the flags "
                                      "--probe --psu --scope --nets), write it, then check it")
    sp.add_argument("--out", default="bench.toml", help="profile file to write (default bench.toml)")
    sp.add_argument("--force", action="store_true", help="replace --out if it exists")
    sp.add_argument("--probe", metavar="UID", help="the probe (a USB uid or remote:HOST:PORT)")
    sp.add_argument("--psu", metavar="RES[,CH]", help="the PSU's VISA resource and channel (default 1)")
    sp.add_argument("--scope", metavar="RES", help="the scope's VISA resource")
    sp.add_argument("--nets", default="VDD=1,VCAP1=2,VCAP2=3,NRST=4",
                    help="which scope channel carries which net (default VDD=1,VCAP1=2,VCAP2=3,NRST=4)")
    sp.add_argument("--target", help="pyOCD target type (default: the one the chip's IDCODE and flash size name)")
    sp.add_argument("--firmware", help="the image flash and the loop program")
    sp.add_argument("--db", help="results database (default: the profile's name with .db)")
    sp.add_argument("--name", help="the profile's name")
    sp.add_argument("--timeout-ms", type=int, default=15_000, help="*IDN? timeout (as discover)")
    sp.add_argument("--no-check", action="store_true", help="write the profile without checking it")
    sp.set_defaults(func=cmd_init)
