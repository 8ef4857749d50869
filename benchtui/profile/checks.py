"""Profile rules that involve more than one field, checked after the fields themselves."""

from __future__ import annotations

import re

from .loader import Ctx, hints, show
from .model import NET_NAME, NETS, RESERVED_NETS, STEP_NAMES, Profile


def cross_check(p: Profile, ctx: Ctx) -> None:
    """Rules that involve more than one field."""
    check_batch(p, ctx)
    psu = p.psu
    if psu.voltage > psu.max_voltage:
        raise ctx.error(("psu", "voltage"), f"{psu.voltage} V exceeds the profile's hard maximum "
                                             f"psu.max_voltage = {psu.max_voltage} V")
    if psu.current_limit > psu.max_current:
        raise ctx.error(("psu", "current_limit"), f"{psu.current_limit} A exceeds the profile's hard "
                                                   f"maximum psu.max_current = {psu.max_current} A")
    for i, alias in enumerate(p.target.aliases):
        for what, start in (("from", alias.start), ("to", alias.target)):
            if start + alias.size > 0x1_0000_0000:
                raise ctx.error(("target", f"aliases[{i}]", "size"),
                                f"0x{alias.size:X} bytes from {what} = 0x{start:08X} run past the "
                                "end of the 32-bit address space")
    used: dict[int, str] = {}
    for name, ch in p.scope.channels.items():
        if not NET_NAME.fullmatch(name):
            raise ctx.error(("scope", "channels", name),
                            f"{show(name)} is not a usable net name (1-32 letters, digits, "
                            "'_', '-', '+' or '.', not starting with a sign or a dot)")
        if name.lower() in RESERVED_NETS or name.endswith(("_t0", "_dt")):
            raise ctx.error(("scope", "channels", name),
                            f"{show(name)} is not a usable net name: the exports use "
                            f"{', '.join(RESERVED_NETS)} and <net>_t0 / <net>_dt for themselves")
        if ch.channel in used:
            raise ctx.error(("scope", "channels", name, "channel"),
                            f"channel {ch.channel} is already used by {used[ch.channel]}")
        used[ch.channel] = name
        if ch.min is not None and ch.max is not None and ch.min > ch.max:
            raise ctx.error(("scope", "channels", name, "min"), f"min {ch.min} is above max {ch.max}")
    for which in ("power_up", "fault_catch"):
        trig = getattr(p.scope, which)
        if trig is not None and trig.source not in p.scope.channels:
            raise ctx.error(("scope", which, "source"),
                            f"{trig.source!r} is not in scope.channels"
                            + hints(trig.source, list(p.scope.channels)))
    for step in p.cycle.retries:
        if step not in STEP_NAMES:
            raise ctx.error(("cycle", "retries", step), "not a step name" + hints(step, list(STEP_NAMES)))
        if p.cycle.retries[step] < 0:
            raise ctx.error(("cycle", "retries", step), f"{p.cycle.retries[step]} must be at least 0")
    if len(set(p.cycle.steps)) != len(p.cycle.steps):
        raise ctx.error(("cycle", "steps"), "a step is listed twice")


def check_batch(p: Profile, ctx: Ctx) -> None:
    """[sim] batch/faulty/board agree; [bench.labels] keys are UIDs."""
    for uid in p.bench.labels:
        if not re.fullmatch(r"[0-9A-Fa-f]{24}", uid):
            raise ctx.error(("bench", "labels", uid), "not a board UID (24 hex digits, as benchtui shows it)")
    sim = p.sim
    if sim is None:
        return
    if sim.swap_nets and (len(sim.swap_nets) != 2 or sim.swap_nets[0] == sim.swap_nets[1]):
        raise ctx.error(("sim", "swap_nets"), f"{show(list(sim.swap_nets))}: name two different nets, "
                                              'e.g. ["VDD", "VCAP1"]')
    for net in sim.probe_ratios:
        if net not in NETS:
            raise ctx.error(("sim", "probe_ratios", net), "not a net of the board" + hints(net, list(NETS)))
    size = sim.batch or 1
    if sim.board > size:
        raise ctx.error(("sim", "board"), f"board {sim.board} is not in the batch (boards 1..{size})")
    for k in sim.faulty or ():
        if not 1 <= k <= size:
            raise ctx.error(("sim", "faulty"), f"board {k} is not in the batch (boards 1..{size})")
