"""Command-line entry: one module per group of commands, each with a `register(sub)`.

Errors from the project's exception tree are printed here, as one line, and nowhere else.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import BenchError
from ..text import PrintableFormatter
from . import bench, console, flash, loop, profiles, results, setup, shmoo, store, sweep, web
from .common import (
    DEMO_PROFILE,
    EXIT_ERROR,
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    start_virtual_bench,
)

__all__ = [
    "DEMO_PROFILE",
    "EXIT_ERROR",
    "EXIT_FAILURES",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "build_parser",
    "main",
    "start_virtual_bench",
]

# Each module adds its commands with register(sub); a new command group is a new module here.
COMMAND_MODULES = (console, loop, results, bench, web, sweep, shmoo, store, flash, profiles, setup)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="benchtui", description=(
        "Bench console for STM32 boards: flash over pyOCD, SCPI PSU and scope, power-cycle loops."))
    p.add_argument("--version", action="version", version=f"benchtui {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log to stderr (-v info, -vv debug incl. every SCPI exchange)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose:
        # -vv logs every SCPI reply: the formatter shows them printable (benchtui/text.py).
        handler = logging.StreamHandler()
        handler.setFormatter(PrintableFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO,
                            handlers=[handler])
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except BrokenPipeError:
        # `benchtui export … | head`: the reader has what it wanted. Python would print a
        # traceback when it flushes stdout at exit, so point stdout at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except BenchError as exc:
        print(f"benchtui: {exc.one_line()}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("benchtui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
