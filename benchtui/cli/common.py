"""What every command shares: exit codes, the demo profile, starting the virtual bench.

This is the only module outside `sim/` that starts the virtual bench (for `demo`, `sim` and
`--virtual`).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..profile import Profile, bundled

#: The bundled demo profile (package data; its files go to the user's data directory).
DEMO_PROFILE = bundled.path(bundled.DEMO)

EXIT_OK, EXIT_FAILURES, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost" (the probe server's own test, for `sim`)."""
    from ..sim.twin.server import is_loopback
    return is_loopback(host)


def scenario_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--scenario", help="virtual bench fault scenario (default: the profile's)")
    sp.add_argument("--seed", type=int, help="virtual bench random seed")
    sp.add_argument("--board", type=int, metavar="K",
                    help="virtual batch: put board K on the bench (default: the profile's [sim] board)")


def check_scenario(name: str) -> None:
    """A scenario name the virtual bench knows, else a one-line error with a "did you mean"."""
    import difflib

    from ..sim.scenarios import SCENARIOS

    if name not in SCENARIOS:
        close = difflib.get_close_matches(name, list(SCENARIOS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise BenchError(f"--scenario {name!r}: no such scenario{hint}; known: {', '.join(SCENARIOS)}",
                         where="sim")


def short_test_firmware(path: str | Path, size: int) -> Path:
    """A short test image for the virtual bench at `path` (made if missing; never overwritten)."""
    from ..sim.firmware import write_test_hex

    path = Path(path)
    if not path.exists():
        write_test_hex(path, size=size)
    return path


def bound_native_heap() -> bool:
    """glibc malloc settings for a process that serves the virtual bench for hours
    (`sim/heap.py`); call it before the bench's threads start."""
    from ..sim.heap import bound_native_heap as bound

    return bound()


def start_virtual_bench(profile: Profile, *, serve_probe: bool = False, free_ports: bool = True,
                        scenario: str | None = None, seed: int | None = None,
                        state_file: str | None = None, board: int | None = None) -> tuple[Any, Profile]:
    """Start the profile's virtual bench in this process; return it and the profile rewired to it.

    With `free_ports` the instruments listen on free localhost ports and the twin is reached
    in-process through the pyOCD probe plugin; otherwise the `[sim]` ports are used and the twin
    is served with pyOCD's DebugProbeServer as well (for clients in other processes).
    """
    from ..sim.bench import VirtualBench
    from ..sim.firmware import ensure_test_firmware

    sim = profile.sim
    if sim is None:
        raise BenchError(f"{profile.source}: has no [sim] section: it describes a real bench",
                         where="profile")
    if scenario is not None:
        check_scenario(scenario)
    if profile.target.firmware:
        ensure_test_firmware(profile.target.firmware)
    try:
        vb = VirtualBench(
            scenario=scenario or sim.scenario, seed=sim.seed if seed is None else seed,
            time_scale=sim.time_scale, variant=sim.variant, psu_model=sim.psu_model,
            scope_model=sim.scope_model, host=sim.host,
            psu_port=0 if free_ports else sim.psu_port,
            scope_port=0 if free_ports else sim.scope_port,
            probe_port=0 if free_ports else sim.probe_port,
            serve_probe=serve_probe or not free_ports, state_file=state_file or sim.state_file,
            batch=sim.batch, faulty=sim.faulty, board=sim.board if board is None else board,
            dual_bank=sim.dual_bank)
    except ValueError as exc:  # a board outside the batch
        raise BenchError(f"{profile.source}: [sim] {exc}", where="profile") from None
    try:
        vb.start()
    except (OSError, ValueError) as exc:  # a busy port, a state file that is not one
        text = str(exc) if isinstance(exc, ValueError) else \
            f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}"
        raise BenchError(f"cannot start the virtual bench: {text}", where="sim") from None
    rewired = profile.replace(
        psu=dataclasses.replace(profile.psu, resource=vb.psu_resource),
        scope=dataclasses.replace(profile.scope, resource=vb.scope_resource),
        target=dataclasses.replace(profile.target, probe_uid=vb.probe_uid if free_ports
                                   else vb.remote_uid,
                                   pyocd_options=tuple(vb.twin.flash_algo_timeouts().items())),
        sim=dataclasses.replace(sim, scenario=vb.scenario, seed=vb.seed,
                                board=vb.board_number or sim.board),
        bench=dataclasses.replace(profile.bench, labels=_batch_labels(vb, profile.bench.labels)),
        virtual=True)
    return vb, rewired


def _batch_labels(vb: Any, labels: dict[str, str]) -> dict[str, str]:
    """A virtual batch's boards are labelled by their number ("batch #7"), as serial stickers
    would label real ones; labels the profile gives win."""
    if vb.batch is None:
        return dict(labels)
    given = {uid.upper() for uid in labels}
    return {**{s.uid: f"batch #{s.number}" for s in vb.batch.specs() if s.uid not in given},
            **labels}
