"""`benchtui check --wiring`: does each scope channel read what its net must read?

With the PSU at the profile's setpoint (switched on for the check, and off again if it was off)
and the board out of reset, each channel's level is measured on a survey range (1 V/div, the
profile's probe ratio; 10 V/div for a level beyond it) and compared with what its net must read:

  VDD    the setpoint (within 5 %, at least 0.15 V)
  VCAP1  the core regulator's 1.2 V (STM32F4/F7 datasheets: V12 = 1.2 V nominal; within 0.15 V)
  VCAP2  the same
  NRST   high after reset: at least 0.7 VDD (the datasheets' VIH(NRST)), at most VDD + 0.3 V

A level that is off is explained where a mix-up explains it: another net's level ("CH2 reads
3.30 V, VCAP1 should be near 1.2 V: is the VCAP1 probe on VDD?", naming the swap when the other
net's channel reads this one's level), or a probe ratio 10x or 100x off ("CH4 reads 0.33 V with
1x set: a 10x probe?"). At a steady level VDD and NRST read alike: a swap of those two is not
seen here. The scope's channels are set back to the profile's settings afterwards.

`check_wiring(profile)` opens the profile's instruments (the CLI); the console runs the same
steps on the instruments its session holds open: `power_for_check`, `survey`, `findings`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import BenchError
from ..profile import Profile, ScopeChannel, TriggerConfig

VCAP_NOMINAL = 1.2
VCAP_TOLERANCE = 0.15
VDD_TOLERANCE = (0.05, 0.15)     # fraction of the setpoint, floor in volts
NRST_VIH = 0.7
#: The survey ranges: (V/div, offset in the profile's convention), 8 divisions on screen.
SURVEY = ((1.0, -3.0), (10.0, -30.0))
VISIBLE_DIVS = 3.9
#: How long after switching the output on the rails (and NRST, after the power-on reset) settle.
SETTLE_S = 0.3
PROBE_FACTORS = (10.0, 100.0, 0.1, 0.01)


@dataclass(frozen=True)
class Expectation:
    net: str
    level: float
    low: float
    high: float
    words: str      # "near the 3.30 V setpoint", "near 1.2 V", "high after reset"


@dataclass(frozen=True)
class Finding:
    net: str
    channel: int
    level: float | None
    ok: bool
    text: str


def expectations(profile: Profile, setpoint: float) -> dict[str, Expectation]:
    frac, floor = VDD_TOLERANCE
    tol = max(floor, frac * setpoint)
    out = {"VDD": Expectation("VDD", setpoint, setpoint - tol, setpoint + tol,
                              f"near the {setpoint:.2f} V setpoint"),
           "NRST": Expectation("NRST", setpoint, NRST_VIH * setpoint, setpoint + 0.3, "high after reset")}
    for net in ("VCAP1", "VCAP2"):
        out[net] = Expectation(net, VCAP_NOMINAL, VCAP_NOMINAL - VCAP_TOLERANCE,
                               VCAP_NOMINAL + VCAP_TOLERANCE, f"near {VCAP_NOMINAL:.1f} V")
    return {net: e for net, e in out.items() if net in profile.scope.channels}


def _fits(e: Expectation, level: float) -> bool:
    return e.low <= level <= e.high


def _ratio(x: float) -> str:
    return f"{x:g}x"


def findings(profile: Profile, setpoint: float, levels: dict[str, float | None]) -> list[Finding]:
    """One finding per mapped net, from the levels measured on each net's channel."""
    expect = expectations(profile, setpoint)
    out: list[Finding] = []
    for net, cfg in profile.scope.channels.items():
        ch, level = cfg.channel, levels.get(net)
        if level is None:
            out.append(Finding(net, ch, None, False, f"CH{ch} ({net}): no level measured"))
            continue
        e = expect.get(net)
        if e is None:
            out.append(Finding(net, ch, level, True, f"CH{ch} {net} reads {level:.2f} V "
                               "(benchtui knows no level this net must have: not checked)"))
            continue
        if _fits(e, level):
            out.append(Finding(net, ch, level, True, f"CH{ch} {net} reads {level:.2f} V, {e.words}"))
            continue
        head = f"CH{ch} reads {level:.2f} V, {net} should be {e.words}"
        others = [o for o in expect.values() if o.net != net and _fits(o, level)]
        if others:
            partner = next((o for o in others if levels.get(o.net) is not None
                            and _fits(e, levels[o.net])), None)
            if partner is not None:
                pch = profile.scope.channels[partner.net].channel
                out.append(Finding(net, ch, level, False, f"{head}: is the {net} probe on {partner.net}? "
                                   f"(CH{pch}, wired as {partner.net}, reads {levels[partner.net]:.2f} V: "
                                   "the two probes look swapped)"))
            else:
                names = " or ".join(o.net for o in others)
                out.append(Finding(net, ch, level, False, f"{head}: is the {net} probe on {names}?"))
            continue
        factor = next((k for k in PROBE_FACTORS if _fits(e, level * k)), None)
        if factor is not None:
            out.append(Finding(net, ch, level, False, f"CH{ch} reads {level:.2f} V with {_ratio(cfg.probe)} "
                               f"set: a {_ratio(cfg.probe * factor)} probe? ({net} should be {e.words}; "
                               f"set scope.channels.{net}.probe = {cfg.probe * factor:g})"))
            continue
        if abs(level) < 0.05:
            out.append(Finding(net, ch, level, False, f"{head}: is the probe on the board (tip and ground)?"
                               + (" or the board held in reset?" if net == "NRST" else "")))
            continue
        out.append(Finding(net, ch, level, False, head))
    return out


def _clipped(level: float, scale: float, offset: float) -> bool:
    centre = -offset
    return abs(level - centre) > VISIBLE_DIVS * scale


def power_for_check(psu: Any, volts: float, amps: float) -> bool:
    """Set the PSU to `volts`/`amps` and switch its output on; True if it was on already."""
    was_on = psu.output()
    psu.apply(volts, amps)
    if not was_on:
        psu.set_output(True)
    return was_on


def survey(scope: Any, profile: Profile) -> dict[str, float | None]:
    """{net: level} of each mapped net, read by `scope` (open) on the survey ranges: 1 V/div,
    then 10 V/div for a level beyond it. The scope's channels are set back to the profile's
    settings afterwards, whatever happened."""
    levels: dict[str, float | None] = {net: None for net in profile.scope.channels}
    pending = list(profile.scope.channels)
    own = scope.cfg
    try:
        for scale, offset in SURVEY:
            if not pending:
                break
            measured = _survey_range(scope, profile, pending, scale, offset)
            levels.update(measured)
            pending = [n for n, v in measured.items() if v is not None and _clipped(v, scale, offset)]
    finally:
        scope.cfg = own
        scope.setup_channels()
    return levels


def measure_levels(profile: Profile, settle_s: float = SETTLE_S,
                   while_powered: Callable[[], Any] | None = None) -> tuple[float, dict[str, float | None]]:
    """(PSU setpoint, {net: level}) with the PSU at its setpoint, opening the profile's PSU and
    scope; the PSU output and the scope's channel settings are put back as they were (the
    profile's channel settings). `while_powered()` runs after the levels, before the output
    goes back off (the probe check)."""
    from .psu import open_psu
    from .scope import open_scope

    cfg = profile.psu
    psu = open_psu(cfg)
    try:
        was_on = power_for_check(psu, cfg.voltage, cfg.current_limit)
        try:
            time.sleep(settle_s)
            scope = open_scope(profile.scope)
            try:
                levels = survey(scope, profile)
            finally:
                scope.close()
            if while_powered is not None:
                while_powered()
        finally:
            if not was_on:
                psu.set_output(False)
    finally:
        psu.close()
    return cfg.voltage, levels


def _survey_range(scope: Any, profile: Profile, nets: list[str], scale: float, offset: float) -> dict[str, float]:
    """The median level of each of `nets` with their channels at `scale` V/div and `offset`."""
    scope.cfg = dataclasses.replace(profile.scope, channels={
        net: dataclasses.replace(ch, scale=scale, offset=offset)
        for net, ch in profile.scope.channels.items() if net in nets})
    scope.setup_channels()
    scope.arm(TriggerConfig(source=nets[0], level=offset * -1 + 3.5 * scale, slope="rising",
                            timebase=0.001, pretrigger=0.5))
    scope.force_trigger()
    if not scope.wait_for_trigger(5.0):
        raise BenchError(f"scope {profile.scope.resource}: no acquisition within 5 s after a "
                         "forced trigger (wiring check)", where="scope")
    waves = scope.fetch_all(nets)
    return {net: float(np.median(w.volts)) for net, w in waves.items()}


def check_wiring(profile: Profile, while_powered: Callable[[], Any] | None = None) -> list[Finding]:
    """Measure and judge: one finding per mapped net (raises BenchError for an instrument)."""
    setpoint, levels = measure_levels(profile, while_powered=while_powered)
    return findings(profile, setpoint, levels)


__all__ = ["Expectation", "Finding", "ScopeChannel", "check_wiring", "expectations", "findings",
           "measure_levels", "power_for_check", "survey"]
