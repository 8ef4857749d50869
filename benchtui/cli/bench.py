"""`sim` and `check`: serve the virtual bench, check a bench's instruments and probe."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..errors import BenchError
from ..profile import load_profile
from ..text import printable, printable_lines
from .common import (
    DEMO_PROFILE,
    EXIT_ERROR,
    EXIT_OK,
    bound_native_heap,
    is_loopback_host,
    scenario_args,
    start_virtual_bench,
)


def cmd_sim(args: argparse.Namespace) -> int:
    """Serve the virtual bench on the profile's [sim] ports until Ctrl-C."""
    bound_native_heap()   # before the servers' threads start: they take their arenas then
    profile = load_profile(args.profile)
    host = profile.sim.host if profile.sim is not None else "127.0.0.1"
    if not is_loopback_host(host):
        print(f"benchtui: warning: [sim] host = {host!r} is not loopback: the virtual bench and its "
              f"probe are reachable from the network", file=sys.stderr)
    try:
        vb, rewired = start_virtual_bench(profile, free_ports=False, scenario=args.scenario,
                                          seed=args.seed, state_file=args.state_file, board=args.board)
    except OSError as exc:   # a busy port, a host this machine does not have
        print(f"benchtui: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:  # from here on every exit, Ctrl-C included, stops the servers
        if not args.off:
            vb.front_panel_on(profile.psu.voltage, profile.psu.current_limit)
        twin = vb.twin.variant
        stock = {"f7": "stm32f767zi"}.get(twin.family, "")   # a pyOCD built-in for `pyocd -t`
        print(f"virtual bench: scenario {vb.scenario}, seed {vb.seed}, {twin.part} twin "
              f"({'dual' if vb.twin.flash.dual_bank else 'single'} bank, UID {vb.twin.uid_hex})")
        if vb.batch is not None:
            print(f"  board  {vb.board_number} of a batch of {len(vb.batch)} (UID {vb.board.uid})")
        print(f"  PSU    {rewired.psu.resource}")
        print(f"  scope  {rewired.scope.resource}")
        print(f"  probe  {vb.remote_uid}" + (f"   (pyocd ... -u {vb.remote_uid} -t {stock})" if stock else ""))
        print(f"  board  {'unpowered' if args.off else f'powered: PSU CH1 ON at {profile.psu.voltage} V'}")
        print("Ctrl-C stops.", flush=True)
        # Short sleeps: a Ctrl-C that the kernel hands to another thread only sets a flag, which
        # the main thread acts on when it next runs (one long sleep lost Ctrl-C now and then).
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        vb.stop()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    vb = None
    if args.virtual:
        vb, profile = start_virtual_bench(profile)
    try:
        return _check(args, profile)
    finally:
        if vb is not None:
            vb.stop()


def _check(args: argparse.Namespace, profile: Any) -> int:
    from ..devices.check import check_firmware, check_instruments, check_target

    results = list(check_instruments(profile))
    wiring: list[Any] | str | None = None
    if getattr(args, "wiring", False) and all(r.ok for r in results):
        # The wiring check powers the board: the probe is checked while it is powered.
        from ..devices.wiring import check_wiring
        target: list[Any] = []
        try:
            wiring = check_wiring(profile, while_powered=lambda: target.append(check_target(profile)))
        except BenchError as exc:
            wiring = exc.one_line()
        results += target or [check_target(profile)]
    else:
        results.append(check_target(profile))
    firmware = check_firmware(profile)
    if firmware is not None:
        results.append(firmware)
    for r in results:
        # Resources, identities and error details quote the profile and the instruments.
        print(printable_lines(r.lines()))
    psu, probe = results[0], next(r for r in results if r.name == "probe")
    probe_failed = not probe.ok and not (probe.detail or "").startswith("profile:")  # not a probe problem
    if probe_failed:
        print(_probe_list())
    if psu.ok and "output OFF" in (psu.detail or "") and probe_failed and not getattr(args, "wiring", False):
        print("hint: the PSU output is OFF, so the target is unpowered: switch it on "
              "(benchtui console: o) and check again")
    _print_transports(profile)
    wiring_ok = True
    if getattr(args, "wiring", False):
        wiring_ok = _print_wiring(profile, wiring)
    return EXIT_OK if all(r.ok for r in results) and wiring_ok else EXIT_ERROR


def _print_transports(profile: Any) -> None:
    """The transports this machine has, marking the ones the profile's resources need."""
    from ..devices.transports import transport_of, transports

    used = {transport_of(profile.psu.resource), transport_of(profile.scope.resource)}
    parts = [f"{t.name} {'ok' if t.available else 'NO: ' + t.detail}" for t in transports()
             if t.name in used or not t.available]
    print(printable("transports: " + "; ".join(parts)))


def _print_wiring(profile: Any, found: Any) -> bool:
    """`check --wiring`: one line per net; False when a net is off."""
    print(f"wiring (PSU CH{profile.psu.channel} at {profile.psu.voltage:g} V):")
    if found is None:
        print("FAIL the wiring check needs the PSU and the scope: fix the lines above first")
        return False
    if isinstance(found, str):
        print(printable(f"FAIL {found}"))
        return False
    for f in found:
        print(printable(f"{'ok  ' if f.ok else 'FAIL'} {f.text}"))
    return all(f.ok for f in found)


def _probe_list() -> str:
    """'probes connected: none' or one line per probe (the list the probe error points to)."""
    from ..devices.target import list_probes

    try:
        probes = list_probes()
    except BenchError as exc:
        return f"probes connected: cannot list them ({exc.one_line()})"
    if not probes:
        return "probes connected: none"
    return printable_lines(["probes connected:"] + [f"  {p.uid}  {p.description}" for p in probes])


def register(sub: Any) -> None:
    sp = sub.add_parser("sim", help="serve the virtual bench on the profile's [sim] ports")
    sp.add_argument("--profile", default=str(DEMO_PROFILE))
    sp.add_argument("--state-file", help="keep the twin's flash and option bytes across restarts")
    sp.add_argument("--off", action="store_true",
                    help="leave the simulated PSU output off (default: on at the profile's setpoint)")
    scenario_args(sp)
    sp.set_defaults(func=cmd_sim)

    sp = sub.add_parser("check", help="connect to every instrument and the probe, print identity and state")
    sp.add_argument("--profile", required=True)
    sp.add_argument("--virtual", action="store_true", help="check against the profile's virtual bench")
    sp.add_argument("--wiring", action="store_true",
                    help="with the PSU at its setpoint (switched on for the check), compare each scope "
                         "channel's level with what its net must read")
    sp.set_defaults(func=cmd_check)
