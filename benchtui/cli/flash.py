"""`flash`, `erase`, `ob`: the target alone, headless, as STM32CubeProgrammer's CLI users expect.

    benchtui flash --profile P [FILE] [--virtual] [--probe UID]
    benchtui erase --profile P (--sectors 0-3,12 | --chip --yes)
    benchtui ob --profile P [--json]
    benchtui ob --profile P --set nWRP=0xFFF [--set BOR_LEV=0x1 ...] --yes [--confirm-erase]

Exit codes: 0 done, 1 the board failed (erase/program/verify/option write: the error names the
sector and FLASH_SR), 2 anything else (profile, firmware, probe, a missing confirmation).
Every command works on the profile's probe (a USB probe or a served twin `remote:HOST:PORT`,
`--probe` to give another) or on its virtual bench with `--virtual` (the simulated PSU is
switched on at the profile's setpoint, as a user would at its front panel). The target calls
run on one owner thread; Ctrl-C cancels at the next page or sector and releases the probe.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import (BenchError, ConfirmationRequired, CoreReset, FlashOperationError, SafetyError,
                      TransferFault, VerifyMismatch)
from ..profile import load_profile
from ..text import printable
from .common import EXIT_ERROR, EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, start_virtual_bench

#: Errors that say the board (its flash, its option bytes) failed, not the setup: exit code 1.
BOARD_FAILURES = (FlashOperationError, VerifyMismatch, CoreReset, TransferFault)


class Bar:
    """One progress line on stderr, rewritten in place (nothing when stderr is not a terminal)."""

    def __init__(self, stream=sys.stderr, quiet: bool = False):
        self.stream = stream
        self.on = stream.isatty() and not quiet
        self.step = ""
        self.t0 = time.monotonic()
        self._last = 0.0

    def __call__(self, step: str, unit: str = "KB") -> Callable[[int, int], None]:
        self.step, self.t0 = step, time.monotonic()

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if not self.on or (now - self._last < 0.1 and done < total):
                return
            self._last = now
            frac = done / total if total else 1.0
            cells = int(frac * 30)
            if unit == "KB":
                rate = done / 1024 / max(now - self.t0, 1e-6)
                amount = f"{done / 1024:.1f}/{total / 1024:.1f} KB {rate:6.1f} KB/s"
            else:
                amount = f"{done / 1024:.0f}/{total / 1024:.0f} KB"
            self.stream.write(f"\r{step:<8} [{'#' * cells}{'.' * (30 - cells)}] {frac:4.0%} {amount}  ")
            self.stream.flush()
        return report

    def done(self) -> None:
        if self.on:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()


def _profile(args: argparse.Namespace):
    profile = load_profile(args.profile)
    vb = None
    if args.virtual:
        vb, profile = start_virtual_bench(profile)
        vb.front_panel_on(profile.psu.voltage, profile.psu.current_limit)
    if args.probe:
        profile = profile.replace(target=dataclasses.replace(profile.target, probe_uid=args.probe))
    return vb, profile


def _run_on_owner(fn: Callable[[threading.Event], int]) -> int:
    """Run `fn(cancel)` on its own thread (the pyOCD session stays on it); Ctrl-C sets `cancel`
    and waits for it to wind down (a second Ctrl-C abandons it)."""
    from ..devices.owner import DeviceOwner

    cancel = threading.Event()
    owner = DeviceOwner("target")
    future = owner.submit(fn, cancel)
    try:
        while True:
            try:
                return future.result(timeout=0.2)
            except TimeoutError:
                continue
            except KeyboardInterrupt:
                if cancel.is_set():
                    raise
                print("\nbenchtui: cancelling after the current page (Ctrl-C again to abandon)",
                      file=sys.stderr)
                cancel.set()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        owner.close(wait=not cancel.is_set() or future.done())


def _session(profile: Any, work: Callable[[Any, threading.Event], int]) -> int:
    from ..devices.target import TargetLink

    def job(cancel: threading.Event) -> int:
        link = TargetLink(profile.target, source=profile.source)
        try:
            ident = link.connect()
            print(printable(f"target: {ident.describe()} via {profile.target.probe_uid}"), file=sys.stderr)
            if ident.profile_mismatch:
                print(f"benchtui: {printable(ident.profile_mismatch)}", file=sys.stderr)
            return work(link, cancel)
        finally:
            try:
                link.disconnect()
            except BenchError:
                pass
    return _run_on_owner(job)


def _exit_for(exc: BenchError) -> int:
    print(f"benchtui: {exc.one_line()}", file=sys.stderr)
    return EXIT_FAILURES if isinstance(exc, BOARD_FAILURES) else EXIT_ERROR


# --- flash ------------------------------------------------------------------------------------

def cmd_flash(args: argparse.Namespace) -> int:
    from ..devices.firmware import load_firmware
    from ..devices.mcu import format_sectors

    vb, profile = _profile(args)
    path = args.file or profile.target.firmware
    if not path:
        print("benchtui: no firmware file: give FILE or set target.firmware in the profile", file=sys.stderr)
        return EXIT_ERROR
    bar = Bar(quiet=args.quiet)

    def work(link: Any, cancel: threading.Event) -> int:
        image = load_firmware(path, aliases=profile.target.aliases, flash=link.flash_regions())
        sectors = link.sectors_for(image)
        t0 = time.perf_counter()
        link.erase(sectors, progress=bar("erase", "sectors"), cancel=cancel)
        t1 = time.perf_counter()
        link.program(image, progress=bar("program"), cancel=cancel)
        t2 = time.perf_counter()
        result = link.verify(image, progress=bar("verify"), cancel=cancel)
        t3 = time.perf_counter()
        bar.done()
        kb = image.size / 1024
        if not result.ok:
            raise VerifyMismatch(f"programmed but mismatched: {result.mismatch_count} bytes differ, "
                                 f"first at 0x{result.first_mismatch:08X}",
                                 first_address=result.first_mismatch, count=result.mismatch_count)
        print(f"flashed {printable(Path(path).name)}: {kb:.1f} KB in {t3 - t0:.2f} s "
              f"({kb / max(t3 - t0, 1e-9):.1f} KB/s; program {kb / max(t2 - t1, 1e-9):.1f} KB/s), "
              f"erased {len(sectors)} sector(s) {format_sectors(sectors)} in {t1 - t0:.2f} s, verify OK")
        return EXIT_OK

    return _guarded(vb, lambda: _session(profile, work), bar)


def _guarded(vb: Any, fn: Callable[[], int], bar: Bar | None = None) -> int:
    try:
        return fn()
    except BenchError as exc:
        if bar is not None:
            bar.done()
        return _exit_for(exc)
    finally:
        if vb is not None:
            vb.stop()


# --- erase ------------------------------------------------------------------------------------

def cmd_erase(args: argparse.Namespace) -> int:
    from ..devices.mcu import format_sectors, parse_sectors

    if bool(args.sectors) == bool(args.chip):
        print("benchtui: erase needs --sectors LIST or --chip (one of them)", file=sys.stderr)
        return EXIT_ERROR
    if args.chip and not args.yes:
        print("benchtui: a mass erase erases every sector: add --yes to confirm", file=sys.stderr)
        return EXIT_ERROR
    try:
        numbers = parse_sectors(args.sectors) if args.sectors else None
    except ValueError as exc:
        print(f"benchtui: --sectors: {exc}", file=sys.stderr)
        return EXIT_ERROR
    vb, profile = _profile(args)
    bar = Bar(quiet=args.quiet)

    def work(link: Any, cancel: threading.Event) -> int:
        t0 = time.perf_counter()
        link.erase(numbers, confirm=args.chip and args.yes, progress=bar("erase", "sectors"), cancel=cancel)
        bar.done()
        what = "the whole chip" if numbers is None else f"sector(s) {format_sectors(numbers)}"
        print(f"erased {what} ({link.layout().describe()}) in {time.perf_counter() - t0:.2f} s")
        return EXIT_OK

    return _guarded(vb, lambda: _session(profile, work), bar)


# --- ob ---------------------------------------------------------------------------------------

def _parse_sets(family: Any, ob: Any, sets: list[str]) -> Any:
    """Apply 'NAME=VALUE' settings (ST names, case-insensitive) to `ob`; ValueError on bad input."""
    names = family.settable()
    aliases = {"bor": "bor_level", "rdp_level": "rdp"}
    given: dict[str, str] = {}   # option byte -> the --set that set it
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not value.strip():
            raise ValueError(f"--set {item!r}: expected NAME=VALUE, e.g. nWRP=0xFFF")
        key = name.strip().lower()
        try:
            number = int(value.strip(), 0)
        except ValueError:
            raise ValueError(f"--set {item!r}: {value.strip()!r} is not a number") from None
        field = "bor_lev" if aliases.get(key) == "bor_level" else (names.get(key) or names.get(aliases.get(key, "")))
        if field is not None and field in given:
            # Keeping the last of two values silently could write-protect sectors by mistake.
            raise ValueError(f"--set {item!r}: {name.strip()} is already set by --set {given[field]!r}; "
                             "give each option byte once")
        if field is not None:
            given[field] = item
        if aliases.get(key) == "bor_level":
            from ..devices.mcu.base import BOR_LEVEL_TO_BITS
            if number not in BOR_LEVEL_TO_BITS:
                raise ValueError(f"--set {item!r}: BOR level is 0 (off), 1, 2 or 3")
            ob = ob.replace(bor_lev=BOR_LEVEL_TO_BITS[number])
            continue
        field = names.get(key) or names.get(aliases.get(key, ""))
        if field is None or field not in ob.field_names():
            known = ", ".join(st for st, _ in ob.fields())
            raise ValueError(f"--set {item!r}: {name.strip()!r} is not an option byte of this chip ({known}, BOR)")
        if field == "rdp" and number in (0, 1, 2):
            number = {0: 0xAA, 1: 0x55, 2: 0xCC}[number]   # RDP=1 means level 1, as people say it
        try:
            ob = ob.replace(**{field: number})
        except ValueError as exc:
            raise ValueError(f"--set {item!r}: {exc}") from None
    return ob


def cmd_ob(args: argparse.Namespace) -> int:
    vb, profile = _profile(args)

    def work(link: Any, cancel: threading.Event) -> int:
        forensics = link.option_forensics()
        ob = forensics.options
        if args.set:
            try:
                new = _parse_sets(link.family, ob, args.set)
            except ValueError as exc:
                raise SafetyError(str(exc), where="ob") from None
            if new.rdp_level == 2:
                raise SafetyError("refused: RDP level 2 (0xCC) disables debug for good and cannot be undone",
                                  where="target")
            changes = link.describe_change(ob, new)
            if not args.yes:
                raise ConfirmationRequired(f"option-byte change {changes}: add --yes to confirm",
                                           where="ob")
            if ob.rdp_level == 1 and new.rdp_level == 0 and not args.confirm_erase:
                raise ConfirmationRequired("RDP 1 -> 0 mass-erases the whole flash: add --confirm-erase "
                                           "as the second confirmation", where="ob")
            found = link.write_option_bytes(new, confirm=True, confirm_erase=args.confirm_erase)
            print(f"option bytes written and verified: {changes}")
            ob = found
            forensics = link.option_forensics()
        ident = link.identity
        if args.json:
            record = {"target": ident.to_record(), "board_uid": ident.uid,
                      "option_bytes": forensics.to_record()}
            print(json.dumps(record, indent=2))
            return EXIT_OK
        _print_ob(ident, forensics)
        return EXIT_OK

    return _guarded(vb, lambda: _session(profile, work))


def _print_ob(ident: Any, forensics: Any) -> None:
    ob = forensics.options
    print(f"part     {ident.part} (DEV_ID 0x{ident.dev_id:03X} rev {ident.revision})")
    print(f"UID      {ident.uid or 'unreadable'}")
    print(f"flash    {ident.flash_kb} KB ({'flash-size word' if ident.flash_kb_source == 'chip' else 'assumed'})"
          f", package {ident.package or 'unknown'}")
    print(f"layout   {ob.layout().describe()}")
    print(f"OPTCR    0x{ob.optcr:08X}   OPTCR1 0x{ob.optcr1:08X}")
    factory = {st: f for st, _, f in ob.differences_from_factory()}
    for name, value, meaning in ob.describe():
        mark = f"   (factory 0x{factory[name]:X})" if name in factory else ""
        print(f"  {name:<11} {value:<7} {meaning}{mark}")
    if not factory:
        print("  every option byte at its factory value")
    for check in forensics.complements:
        if not check.ok:
            print(f"  stored {check.describe()}")
    if forensics.complements and not forensics.complement_errors:
        print(f"  stored option words: {len(forensics.complements)} complements agree")


def register(sub: Any) -> None:
    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--profile", required=True)
        sp.add_argument("--virtual", action="store_true",
                        help="on the profile's virtual bench (simulated PSU switched on)")
        sp.add_argument("--probe", help="probe uid instead of the profile's (e.g. remote:127.0.0.1:5556)")

    sp = sub.add_parser("flash", help="connect, erase the image's sectors, program, verify")
    common(sp)
    sp.add_argument("file", nargs="?", help="firmware (.hex, .elf, .bin; default: the profile's)")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_flash)

    sp = sub.add_parser("erase", help="erase sectors (RM0410/RM0090 numbers) or the whole chip")
    common(sp)
    sp.add_argument("--sectors", help="sector numbers, e.g. 0-3,12")
    sp.add_argument("--chip", action="store_true", help="mass erase (needs --yes)")
    sp.add_argument("--yes", action="store_true", help="confirm a mass erase")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_erase)

    sp = sub.add_parser("ob", help="decoded option bytes, UID, flash size, layout; --set to change them")
    common(sp)
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.add_argument("--set", action="append", metavar="NAME=VALUE",
                    help="change an option byte (nWRP=0xFFF, BOR=2, nDBANK=0, RDP=0, ...); repeatable")
    sp.add_argument("--yes", action="store_true", help="confirm the change")
    sp.add_argument("--confirm-erase", action="store_true",
                    help="second confirmation for RDP 1 -> 0 (it mass-erases the flash)")
    sp.set_defaults(func=cmd_ob)
