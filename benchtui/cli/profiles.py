"""`profiles`: the example profiles bundled with benchtui, and a copy of one to edit."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ProfileError
from ..profile import bundled
from .common import EXIT_OK


def cmd_profiles(args: argparse.Namespace) -> int:
    rows = {r.name: r for r in bundled.describe()}
    if args.action == "copy":
        if not args.name:
            raise ProfileError("profiles copy: name the profile to copy (`benchtui profiles` lists them)")
        written = bundled.copy(args.name, args.directory or ".", force=args.force)
        print(f"wrote {written}")
        if rows[written.stem].virtual:
            print(f"next: edit it, then `benchtui demo --profile {written}`", file=sys.stderr)
        else:
            print(f"next: put your instruments' addresses and probe in it, then "
                  f"`benchtui check --profile {written}`", file=sys.stderr)
        return EXIT_OK
    width = max(len(name) for name in rows)
    for r in rows.values():
        print(f"{r.name:<{width}}  {'virtual' if r.virtual else 'real   '}  {r.title}")
    print(f"\nvirtual: the simulated bench (benchtui demo --profile NAME); real: an example for your "
          f"own bench (its 192.0.2.x addresses reach nothing)\n"
          f"copy one to edit: benchtui profiles copy NAME [DIR]\n"
          f"files the bundled profiles make (test firmware, the demo's results): {bundled.data_dir()}",
          file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    sp = sub.add_parser("profiles", help="list the bundled example profiles; `profiles copy NAME [DIR]` "
                                         "writes one out to edit")
    sp.add_argument("action", nargs="?", choices=("list", "copy"), default="list")
    sp.add_argument("name", nargs="?", help="the profile to copy (a name from the list)")
    sp.add_argument("directory", nargs="?", help="where to write NAME.toml (default: the working folder)")
    sp.add_argument("--force", action="store_true", help="overwrite an existing NAME.toml")
    sp.set_defaults(func=cmd_profiles)
