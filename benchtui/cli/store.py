"""`store`: look after results databases.

    benchtui store migrate SRC DST      copy every ended run of SRC into DST (SQLite file or
                                        postgresql:// URL, either way round); runs already in
                                        DST (same name, start time and bench) are skipped
    benchtui store info DB              schema version, runs, cycles, benches, boards
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import BenchError
from ..text import printable
from .common import EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    from ..bench.store import display_name, open_store

    src_name, dst_name = display_name(args.source), display_name(args.destination)
    if str(args.source) == str(args.destination):
        raise BenchError(f"{src_name}: source and destination are the same database", where="store")
    with open_store(args.source, readonly=True) as src, open_store(args.destination) as dst:
        have = {(r.name, r.started, r.bench) for r in dst.runs()}
        copied = skipped = live = 0
        for run in src.runs():
            if run.status == "running":
                live += 1
                print(f"run {run.id}: still being written, not copied (copy it when it ends)",
                      file=sys.stderr)
                continue
            if (run.name, run.started, run.bench) in have:
                skipped += 1
                continue
            new_id = dst.import_run(src, run.id)
            copied += 1
            if not args.quiet:
                print(printable(f"run {run.id} -> run {new_id}: {run.cycles} cycles, {run.status}"
                                + (f", bench {run.bench}" if run.bench else "")), file=sys.stderr)
    print(f"{copied} runs copied from {src_name} to {dst_name}"
          + (f", {skipped} already there" if skipped else "")
          + (f", {live} still being written" if live else ""))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from ..bench.store import SCHEMA_VERSION, display_name, open_store

    with open_store(args.database, readonly=True) as store:
        runs = store.runs()
        fleet = store.fleet_matrix([r.id for r in runs]) if runs else None
    benches = sorted({r.bench or "unknown" for r in runs})
    boards = sorted({u for u in (fleet.uids if fleet else ()) if u})
    print(f"{display_name(args.database)}: {store.dialect} results database, schema version "
          f"{SCHEMA_VERSION}")
    print(f"  {len(runs)} runs, {sum(r.cycles for r in runs)} cycles, "
          f"{sum(r.failures for r in runs)} failed")
    print(printable(f"  benches: {', '.join(benches) or 'none'}"))   # names from the database
    print(printable(f"  boards:  {len(boards)} ({', '.join(boards[:5])}{', …' if len(boards) > 5 else ''})"))
    by_status: dict[str, int] = {}
    for r in runs:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    print(printable("  runs by status: " + (", ".join(f"{s} {n}" for s, n in sorted(by_status.items()))
                                            or "none")))
    return EXIT_OK


def register(sub: Any) -> None:
    sp = sub.add_parser("store", help="results databases: copy runs between SQLite and PostgreSQL, info")
    ssub = sp.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    mp = ssub.add_parser("migrate", help="copy every ended run of SRC into DST (SQLite <-> PostgreSQL)")
    mp.add_argument("source", metavar="SRC", help="a results file or postgresql://USER@HOST:PORT/DB")
    mp.add_argument("destination", metavar="DST", help="likewise (created or migrated if needed)")
    mp.add_argument("-q", "--quiet", action="store_true", help="no line per run")
    mp.set_defaults(func=cmd_migrate)
    ip = ssub.add_parser("info", help="what a results database holds")
    ip.add_argument("database", metavar="DB")
    ip.set_defaults(func=cmd_info)
