"""`report` and `export`: read a results database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import BenchError, ReportError, StoreError
from ..text import TerminalWriter
from .common import EXIT_OK


def run_id(text: str) -> int:
    """argparse type of --run: a run id is a whole number from 1 (0 is not "the latest")."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a run id (a whole number from 1)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a run id: run ids start at 1 "
                                         "(leave --run out for the latest run)")
    return value


def _run_of(store: Any, database: str, wanted: int | None, bench: str | None = None) -> Any:
    from ..bench.store import display_name

    runs = [r for r in store.runs() if bench is None or r.bench == bench]
    if not runs:
        raise BenchError(f"{display_name(database)}: no runs recorded"
                         + (f" by bench {bench!r}" if bench else ""), where="store")
    run = next((r for r in runs if r.id == wanted), None) if wanted is not None else runs[-1]
    if run is None:
        raise BenchError(f"{database}: no run {wanted} (runs: {', '.join(str(r.id) for r in runs)})",
                         where="store")
    return run


def demo_database() -> str:
    """The database `benchtui demo` and `run --virtual` record into (the bundled demo profile's)."""
    from ..profile import load_profile
    from .common import DEMO_PROFILE

    database = load_profile(DEMO_PROFILE).store.database
    if not Path(database).is_file():
        raise StoreError(f"{database}: no results yet (the demo's database): record a run with "
                         "`benchtui run --virtual` or `benchtui demo`, or name a database")
    return database


def cmd_report(args: argparse.Namespace) -> int:
    from ..bench.report import format_report, load_report, report_json
    from ..bench.store import open_store

    args.database = args.database or demo_database()
    if args.by_board or args.by_bench:
        return _report_groups(args)
    if args.shmoo is not None:
        from .shmoo import report_shmoo
        return report_shmoo(args)
    with open_store(args.database, readonly=True) as store:
        sub = getattr(args, "subcommands", None)
        run = _run_of(store, args.database, args.run, args.bench)
        report = load_report(store, run.id,
                             commands=frozenset(sub.choices) if sub is not None else None)
        if args.html:
            from ..bench.report.html import write_html
            path = write_html(report, args.html if args.html != "-" else f"benchtui-run{run.id}.html")
            print(f"wrote {path} ({path.stat().st_size // 1024} KB): {report.diagnosis.verdict}", file=sys.stderr)
    if args.markdown:
        from ..bench.report.markdown import format_markdown
        text = format_markdown(report)
        if args.markdown == "-":
            sys.stdout.write(text)
        else:
            _write_text(args.markdown, text, "Markdown report")
            print(f"wrote {args.markdown}", file=sys.stderr)
    if args.json:
        print(json.dumps(report_json(report.analysis, report.run, report.diagnosis), indent=2, default=str))
    elif not args.html and not args.markdown:
        print(format_report(report.analysis, report.run, report.diagnosis))
    return EXIT_OK


def _write_text(path: str, text: str, what: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None


def _report_groups(args: argparse.Namespace) -> int:
    """`report --by-board` / `--by-bench`: every run (or the --run / --bench ones) compared."""
    from ..bench.board_report import board_comparison, boards_json, format_boards
    from ..bench.store import display_name, open_store

    with open_store(args.database, readonly=True) as store:
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
    from ..bench.store import open_store

    args.database = args.database or demo_database()
    with open_store(args.database, readonly=True) as store:
        run_id = _run_of(store, args.database, args.run).id
        if args.out:
            try:
                out = open(args.out, "w", newline="", encoding="utf-8")
            except OSError as exc:
                raise StoreError(f"{args.out}: cannot write: {exc.strerror or exc}") from None
        else:   # the export is data; on a terminal it is shown printable (text.py)
            out = TerminalWriter(sys.stdout) if sys.stdout.isatty() else sys.stdout
        try:
            (export_csv if args.format == "csv" else export_jsonl)(store, run_id, out)
        finally:
            if args.out:
                out.close()
        if args.waveforms:
            n = export_waveforms(store, run_id, args.waveforms, fmt=args.waveform_format)
            print(f"wrote {n} waveform files ({args.waveform_format}) to {args.waveforms}", file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    sp = sub.add_parser("report", help="what the failures point at on the board, and the statistics behind it")
    sp.add_argument("database", nargs="?",
                    help="a results file or a postgresql:// URL (default: the demo's, where `benchtui demo` "
                         "and `run --virtual` record)")
    sp.add_argument("--run", type=run_id, help="run id (default: the latest)")
    sp.add_argument("--json", action="store_true", help="the report as JSON (findings with part and advice)")
    sp.add_argument("--html", metavar="FILE", nargs="?", const="-",
                    help="write one self-contained HTML file with plots (default FILE: "
                         "benchtui-runN.html in the working folder)")
    sp.add_argument("--markdown", metavar="FILE", nargs="?", const="-",
                    help="write the findings as Markdown (to FILE, or stdout without one)")
    sp.add_argument("--bench", help="only runs recorded by this bench ([bench] name or host name)")
    group = sp.add_mutually_exclusive_group()
    group.add_argument("--by-board", action="store_true",
                       help="compare the boards (by UID) across all runs (or --run / --bench)")
    group.add_argument("--by-bench", action="store_true", help="compare the benches likewise")
    group.add_argument("--shmoo", metavar="ID", nargs="?", const="last",
                       help="a shmoo's grid of failure rates (default: the latest shmoo)")
    # The salvage advice names only commands this benchtui has: every parser registered.
    sp.set_defaults(func=cmd_report, subcommands=sub)

    sp = sub.add_parser("export", help="export a recorded run (one row per cycle)")
    sp.add_argument("database", nargs="?", help="a results file or a postgresql:// URL (default: the demo's)")
    sp.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    sp.add_argument("--run", type=run_id, help="run id (default: the latest)")
    sp.add_argument("--out", help="output file (default: stdout)")
    sp.add_argument("--waveforms", metavar="DIR", help="also write every capture to DIR")
    sp.add_argument("--waveform-format", choices=("npz", "csv"), default="npz",
                    help="one .npz per capture (default) or one .csv per capture")
    sp.set_defaults(func=cmd_export)
