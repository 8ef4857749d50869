"""The virtual bench's named fault scenarios and the per-power-cycle physics drawn from them.

A scenario is a frozen set of distribution parameters. At every PSU output-on edge the board
draws that power cycle's physical parameters (VCAP decoupling impedance, extra supply current,
whether the SWD contact is flaky) from a generator seeded by (seed, cycle number, stream), so a
cycle's physics does not depend on the order of queries and is reproducible for a seed.
The rail stream uses the same draws in every scenario, so e.g. swd-intermittent rails equal
healthy rails sample for sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Stream ids mixed into the seed, one per independent physical quantity.
STREAM_RAILS = 1
STREAM_GLITCH = 2
STREAM_SWD = 3
STREAM_NOISE = 4


@dataclass(frozen=True)
class Scenario:
    """Distribution parameters of one fault scenario (all numbers UNCONFIRMED, chosen to match
    the failure rates asked for in the design: roughly 30-50 % of power cycles fail)."""

    name: str
    description: str
    #: VCAP decoupling effective impedance per cycle: log-normal (median ohms, sigma of ln).
    vcap_z_median: float = 0.08
    vcap_z_sigma: float = 0.2
    #: Extra board current per cycle (a leaky / heating part): uniform [lo, hi] amperes.
    extra_current: tuple[float, float] = (0.0, 0.0)
    #: When set, the extra load is a constant-power one (a switching converter): it draws
    #: `extra_current` with the supply at this many volts, and extra * at / V at V volts.
    extra_power_at: float = 0.0
    #: NRST glitches: Poisson rate while powered, pulse widths log-uniform [lo, hi] seconds.
    nrst_glitch_rate_hz: float = 0.0
    nrst_glitch_width: tuple[float, float] = (0.5e-6, 20e-6)
    #: SWD contact: probability a cycle has a flaky contact, then Poisson dropouts with widths.
    swd_bad_cycle_prob: float = 0.0
    swd_dropout_rate_hz: float = 0.0
    swd_dropout_width: tuple[float, float] = (2e-3, 40e-3)


#: Each scenario's shmoo (docs/shmoo.md; tests/shmoo/test_virtual_shmoo.py checks the first three),
#: VDD 3.0-3.6 V x off-time 6-50 ms at the profiles' 0.5 A limit:
#:   healthy           no failure inside that grid (nor 2.4 V up, nor with a slow ramp)
#:   vcap-marginal     an edge across the off-time: >= 90 % while the POR does not re-arm (up to
#:                     ~11 ms as the board sees it, erases refused on write-protected sectors),
#:                     ~45 % from ~13 ms; VDD has no effect; a slow ramp raises every off-time
#:   brownout          an edge across VDD: 100 % at 3.0 V, 50 % at 3.24 V, 0 % from 3.5 V,
#:                     whatever the off-time
#:   nrst-noise        flat (its glitches hit flash operations by their duration)
#:   swd-intermittent  flat (no rail dependence)
SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("healthy", "nothing fails: VCAP dips of a few mV, clean NRST, flat VDD"),
    # P(30 mA x Z > 100 mV) = P(Z > 3.33 ohm) ~ 0.40; P(35 mA x Z > 150 mV) = P(Z > 4.3) ~ 0.28.
    Scenario("vcap-marginal", "cold joint on the VCAP decoupling: impedance varies per power cycle",
             vcap_z_median=math.e, vcap_z_sigma=0.8),
    # 1 - exp(-0.36 * 1 s) ~ 0.30 of cycles see a glitch during ~1 s of flash activity.
    Scenario("nrst-noise", "NRST picks up short low glitches while powered",
             nrst_glitch_rate_hz=0.36),
    # base 60 mA + extra; + 30 mA erase > 0.5 A limit when extra > 0.41 A: ~38 % of cycles at
    # 3.3 V. The part is a converter (constant power): below 3.3 V it draws more, above less.
    Scenario("brownout", "a leaky converter draws extra power; erase current pushes the PSU into CC",
             extra_current=(0.370, 0.435), extra_power_at=3.3),
    Scenario("swd-intermittent", "intermittent SWD contact: failures with no rail signature",
             swd_bad_cycle_prob=0.5, swd_dropout_rate_hz=3.0),
)}


@dataclass(frozen=True)
class CycleParams:
    """The physical parameters of one power cycle."""

    z_vcap: float          # ohms, effective VCAP decoupling impedance (VCAP1 pin)
    z2_ratio: float        # VCAP2 dip relative to VCAP1 (same internal V12 net, other cap)
    extra_current: float   # amperes on top of the base current
    swd_bad: bool          # this cycle's SWD contact is flaky


def get_scenario(name: str) -> Scenario:
    """The scenario called `name`, or a one-line ValueError naming the known ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})") from None


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on the seed and the keys (not on call order)."""
    return np.random.default_rng([seed & 0xFFFFFFFF, *keys])


def draw_cycle(scenario: Scenario, seed: int, cycle: int) -> CycleParams:
    """Draw power cycle `cycle`'s physical parameters."""
    rails = rng_for(seed, STREAM_RAILS, cycle)
    z = float(rails.lognormal(math.log(scenario.vcap_z_median), scenario.vcap_z_sigma))
    z2_ratio = float(rails.uniform(0.8, 1.0))
    lo, hi = scenario.extra_current
    extra = float(rails.uniform(lo, hi))
    swd = rng_for(seed, STREAM_SWD, cycle)
    swd_bad = bool(swd.random() < scenario.swd_bad_cycle_prob)
    return CycleParams(z_vcap=z, z2_ratio=z2_ratio, extra_current=extra, swd_bad=swd_bad)


def poisson_pulses(rng: np.random.Generator, rate_hz: float, span_s: float,
                   width: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets (sorted, within [0, span_s)) and log-uniform widths of Poisson pulses."""
    count = int(rng.poisson(rate_hz * span_s)) if rate_hz > 0 else 0
    starts = np.sort(rng.uniform(0.0, span_s, count))
    widths = np.exp(rng.uniform(math.log(width[0]), math.log(width[1]), count))
    return starts, widths
