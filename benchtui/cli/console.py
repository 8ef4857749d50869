"""`demo` and `tui`: the Textual console."""

from __future__ import annotations

import argparse
from typing import Any

from ..profile import Profile, load_profile
from .common import DEMO_PROFILE, EXIT_OK, scenario_args, start_virtual_bench


def cmd_demo(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile or DEMO_PROFILE)
    if args.sweep:  # headless: a virtual batch, one run per board, then the boards compared
        from .sweep import demo_sweep
        return demo_sweep(profile, args)
    vb, profile = start_virtual_bench(profile, scenario=args.scenario, seed=args.seed,
                                      board=args.board)
    slot = None
    if vb.batch is not None:  # the console can put another board of the batch on the bench
        from ..bench.board_tracking import BoardSlot
        slot = BoardSlot(len(vb.batch), vb.insert_board, vb.board_number)
    try:
        return _run_tui(profile, slot)
    finally:
        vb.stop()


def cmd_tui(args: argparse.Namespace) -> int:
    return _run_tui(load_profile(args.profile))


def _run_tui(profile: Profile, board_slot: Any = None) -> int:
    from ..tui.app import BenchApp

    BenchApp(profile, board_slot=board_slot).run()
    return EXIT_OK


def register(sub: Any) -> None:
    sp = sub.add_parser("demo", help="the console on the virtual bench (simulated PSU, scope, STM32F767)")
    sp.add_argument("--profile", help=f"a profile with a [sim] section (default {DEMO_PROFILE.name})")
    sp.add_argument("--sweep", action="store_true",
                    help="instead of the console: a virtual batch of 25 boards, 6 cycles each, then "
                         "the by-board report (about a minute)")
    scenario_args(sp)
    sp.set_defaults(func=cmd_demo)

    sp = sub.add_parser("tui", help="the console on a bench described by a profile")
    sp.add_argument("--profile", required=True)
    sp.set_defaults(func=cmd_tui)
