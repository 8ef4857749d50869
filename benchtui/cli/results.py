"""`report` and `export`: read a results database."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import BenchError
from .common import EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..bench.analysis import analyse
    from ..bench.report import format_report, report_json
    from ..bench.store import ResultsStore, display_name

    if args.by_board or args.by_bench:
        return _report_groups(args)
    with ResultsStore(args.database, readonly=True) as store:
        runs = [r for r in store.runs() if args.bench is None or r.bench == args.bench]
        if not runs:
            raise BenchError(f"{display_name(args.database)}: no runs recorded"
                             + (f" by bench {args.bench!r}" if args.bench else ""), where="store")
        run = next((r for r in runs if r.id == args.run), None) if args.run else runs[-1]
        if run is None:
            raise BenchError(f"{args.database}: no run {args.run} (runs: "
                             f"{', '.join(str(r.id) for r in runs)})", where="store")
        analysis = analyse(store.feature_matrix(run.id))
    if args.json:
        print(json.dumps(report_json(analysis, run), indent=2, default=str))
    else:
        print(format_report(analysis, run))
    return EXIT_OK


def _report_groups(args: argparse.Namespace) -> int:
    """`report --by-board` / `--by-bench`: every run (or the --run / --bench ones) compared."""
    from ..bench.board_report import board_comparison, boards_json, format_boards
    from ..bench.store import ResultsStore, display_name

    with ResultsStore(args.database, readonly=True) as store:
        comparison, runs = board_comparison(store, [args.run] if args.run else None,
                                            bench=args.bench, by="bench" if args.by_bench else "board")
    if not runs:
        raise BenchError(f"{display_name(args.database)}: no runs recorded"
                         + (f" by bench {args.bench!r}" if args.bench else "")
                         + (f" with id {args.run}" if args.run else ""), where="store")
    if args.json:
        print(json.dumps(boards_json(comparison, runs), indent=2, default=str))
    else:
        print(format_boards(comparison, runs))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from ..bench.export import export_csv, export_jsonl, export_waveforms
    from ..bench.store import ResultsStore

    with ResultsStore(args.database, readonly=True) as store:
        runs = store.runs()
        if not runs:
            raise BenchError(f"{args.database}: no runs recorded", where="store")
        run_id = args.run or runs[-1].id
        out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
        try:
            (export_csv if args.format == "csv" else export_jsonl)(store, run_id, out)
        finally:
            if args.out:
                out.close()
        if args.waveforms:
            n = export_waveforms(store, run_id, args.waveforms)
            print(f"wrote {n} waveform files to {args.waveforms}", file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    sp = sub.add_parser("report", help="ranked correlation report of a recorded run")
    sp.add_argument("database")
    sp.add_argument("--run", type=int, help="run id (default: the latest)")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--bench", help="only runs recorded by this bench ([bench] name or host name)")
    group = sp.add_mutually_exclusive_group()
    group.add_argument("--by-board", action="store_true",
                       help="compare the boards (by UID) across all runs (or --run / --bench)")
    group.add_argument("--by-bench", action="store_true", help="compare the benches likewise")
    sp.set_defaults(func=cmd_report)

    sp = sub.add_parser("export", help="export a recorded run (one row per cycle)")
    sp.add_argument("database")
    sp.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    sp.add_argument("--run", type=int, help="run id (default: the latest)")
    sp.add_argument("--out", help="output file (default: stdout)")
    sp.add_argument("--waveforms", metavar="DIR", help="also write every capture to DIR")
    sp.set_defaults(func=cmd_export)
