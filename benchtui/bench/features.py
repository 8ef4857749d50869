"""Features: the numbers benchtui computes itself from each capture, PSU readback and step.

The scope only supplies raw samples; every feature here is computed by benchtui, so a feature
means the same thing whatever scope model took the samples. Names are
`<window>.<net>.<what>` (e.g. `flash.VCAP1.dip_depth`), `psu.<window>.<what>` and
`step.<step>.<what>`. A feature that cannot be measured in a capture (no ramp in the record,
NRST never released) is recorded with value None: the analysis counts it as missing.

Nets are recognised by name: `VDD`, `NRST`, and any net starting with `VCAP` (which also gets
its settling time: from first reaching regulation after power-up to staying there). Any other net gets min/max/mean and the dip features of
a supply.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping

import numpy as np

from .records import FeatureValue, StepRecord

# --- thresholds (DS11532/DS8626; the UNCONFIRMED ones are choices, kept here only) -------------
#: VDD level taken as "the supply is up" for the NRST low time and glitch window. POR rising
#: threshold is ≈1.64/1.72/1.80 V (F4 values, UNCONFIRMED for F7): 1.7 V is our choice.
VDD_ON_V = 1.7
#: NRST input thresholds. Family TTL values ≤0.8 V / ≥2.0 V are UNCONFIRMED for F7; they are
#: capped at 0.3/0.7 × the settled VDD so that a board run at 1.8 V still sees a release.
NRST_VIL_V = 0.8
NRST_VIH_V = 2.0
NRST_VIL_FRACTION = 0.3
NRST_VIH_FRACTION = 0.7
#: Rise time is measured between these fractions of the final value.
RISE_LO, RISE_HI = 0.10, 0.90
#: A steady level below this means the net never came up in the record: no dip features.
DEAD_V = 0.1
#: A VCAP net has settled once it stays within this fraction of its steady level (the next
#: measurement reads "1.2 V ± 5 % within 1 ms").
VCAP_SETTLE_BAND = 0.05
#: A mean of thousands of samples resolves finer than one sample: a tenth of a code.
MEAN_RESOLUTION_GAIN = 10
#: Steps whose timing describes the debug link rather than the flash or the rails.
LINK_STEPS = ("connect", "read_identity", "disconnect")

Limits = Mapping[str, tuple[float | None, float | None]]


def unusable(wf: Any) -> str | None:
    """Why a captured waveform cannot be measured (None: it can): a time base that is not a
    finite positive step, no samples, samples that are not finite numbers."""
    t0, dt = float(wf.t0), float(wf.dt)
    if not (np.isfinite(t0) and np.isfinite(dt)):
        return f"time base not finite (t0={t0!r}, dt={dt!r})"
    if dt <= 0:
        return f"time step not positive (dt={dt!r})"
    volts = np.asarray(wf.volts, dtype=float)
    if volts.size == 0:
        return "no samples"
    bad = int(np.count_nonzero(~np.isfinite(volts)))
    if bad:
        return f"{bad} of {volts.size} samples are not finite numbers"
    return None


def compute_capture_features(capture: str, waveforms: Mapping[str, Any],
                             limits: Limits) -> list[FeatureValue]:
    """Features of one capture window. `waveforms` maps net -> object with t0, dt, volts;
    `limits` maps net -> (min, max) volts, either may be None."""
    series = {net: _Series(wf) for net, wf in waveforms.items() if len(np.asarray(wf.volts))}
    vdd = next((s for net, s in series.items() if net.upper() == "VDD"), None)
    out: list[FeatureValue] = []
    for net, s in series.items():
        lo_limit = (limits.get(net) or (None, None))[0]
        name = f"{capture}.{net}"
        found = [_rail(f"{name}.min", s.v.min(), "V"), _rail(f"{name}.max", s.v.max(), "V"),
                 _rail(f"{name}.mean", s.v.mean(), "V")]
        if net.upper() == "NRST":
            found += _nrst_features(name, s, vdd)
        else:
            if net.upper() == "VDD":
                found += _ramp_features(name, s, lo_limit)
            elif net.upper().startswith("VCAP") and vdd is not None:  # settling after power-up
                found += _settle_features(name, s, vdd)
            found += _dip_features(name, s, lo_limit)
        out += _resolved(found, sample_resolution(s.v), s.dt)
    return out


def sample_resolution(volts: Any) -> float:
    """The smallest step between distinct sample values: one code of the scope's converter for
    quantised data (the values were stored as float32, so steps below ~1 µV are rounding)."""
    v = np.unique(np.round(np.asarray(volts, dtype=float), 6))
    if len(v) < 2:
        return 1e-3
    steps = np.diff(v)
    steps = steps[steps > 2e-6]
    return float(steps.min()) if len(steps) else 1e-3


def _resolved(features: list[FeatureValue], volts: float, dt: float) -> list[FeatureValue]:
    """Each feature with the resolution of what measured it: a sample code for levels, a tenth
    of one for a mean of many samples, the sample interval for times, 1 for counts."""
    out = []
    for f in features:
        what = f.name.rsplit(".", 1)[-1]
        res = volts / MEAN_RESOLUTION_GAIN if what == "mean" else volts if f.unit == "V" else \
            (dt if np.isfinite(dt) and dt > 0 else None) if f.unit == "s" else 1.0
        out.append(replace(f, resolution=res))
    return out


def psu_features(window: str, reading: Any) -> list[FeatureValue]:
    """PSU readback taken during `window` (e.g. "on", "flash"): voltage, current, and whether
    the supply was in constant-current mode (1) or not (0). `reading` has .voltage .current .mode."""
    if reading is None:
        return []
    mode = getattr(reading, "mode", None)
    mode_text = str(getattr(mode, "value", mode)).upper() if mode is not None else ""
    cc = None if mode is None else (1.0 if mode_text.endswith("CC") else 0.0)
    name = f"psu.{window}"
    return [FeatureValue(f"{name}.voltage", _num(getattr(reading, "voltage", None)), "V", "psu"),
            FeatureValue(f"{name}.current", _num(getattr(reading, "current", None)), "A", "psu"),
            FeatureValue(f"{name}.cc", cc, "", "psu")]


def step_features(steps: Iterable[StepRecord]) -> list[FeatureValue]:
    """Duration and attempt count of every step that ran (skipped steps have none)."""
    out: list[FeatureValue] = []
    for step in steps:
        if step.outcome == "skipped":
            continue
        kind = "link" if step.name in LINK_STEPS else "timing"
        out += [FeatureValue(f"step.{step.name}.duration", float(step.ended - step.started), "s", kind),
                FeatureValue(f"step.{step.name}.attempts", float(step.attempts), "", kind)]
    return out


# --- per-net measurements ----------------------------------------------------------------------

class _Series:
    """A waveform as float arrays of times and volts."""

    def __init__(self, wf: Any):
        self.v = np.asarray(wf.volts, dtype=float).ravel()
        self.dt = float(wf.dt)
        self.t = float(wf.t0) + self.dt * np.arange(len(self.v))

    def on(self, other: "_Series") -> np.ndarray:
        """This series' volts sampled at the other series' times (scopes may differ per channel)."""
        if len(self.t) == len(other.t) and self.t[0] == other.t[0] and self.dt == other.dt:
            return self.v
        return np.interp(other.t, self.t, self.v)

    def final(self) -> float:
        """The level at the end of the record (median of the last tenth)."""
        return float(np.median(self.v[-max(1, len(self.v) // 10):]))

    def high(self) -> float:
        """The supply's "on" level, even if the record ends after power was removed."""
        return float(np.percentile(self.v, 90))

    def steady(self) -> float:
        """The level the net settles at (median of the second half: after any power-up)."""
        return float(np.median(self.v[len(self.v) // 2:]))


def _ramp_features(name: str, s: _Series, lo_limit: float | None) -> list[FeatureValue]:
    """VDD 10–90 % rise time and time from the 10 % point to the min limit; only for records
    that start below 10 % of the final value (a power-up is in the window)."""
    final = s.final()
    lo, hi = RISE_LO * final, RISE_HI * final
    if final <= DEAD_V or s.v[0] >= lo:
        return []
    i90 = _rising(s.v, hi)
    i10 = _last_rising_before(s.v, lo, i90) if i90 is not None else None
    t10 = _at(s, i10, lo)
    rise = _at(s, i90, hi) - t10 if i90 is not None and t10 is not None else None
    out = [_rail(f"{name}.rise_time", rise, "s")]
    if lo_limit is not None:
        i_min = _rising(s.v, lo_limit)
        reach = _at(s, i_min, lo_limit) - t10 if i_min is not None and t10 is not None else None
        out.append(_rail(f"{name}.time_to_min", reach, "s"))
    return out


def _settle_features(name: str, s: _Series, vdd: _Series) -> list[FeatureValue]:
    """VCAP settling time: from the moment the net first reaches the band of
    ±VCAP_SETTLE_BAND around its steady level (after VDD reached VDD_ON_V) to the moment it
    enters that band for good. 0 on a regulator that, once up, stays in regulation; the
    ringing, dips and slow recovery of weak decoupling make it grow. Only for records in which
    VDD powers up (a record that starts powered has nothing to settle from)."""
    steady = s.steady()
    vdd_v = vdd.on(s)
    if steady <= DEAD_V or vdd_v[0] >= VDD_ON_V:
        return []
    i_up = _rising(vdd_v, VDD_ON_V)
    if i_up is None:
        return []
    inside = np.abs(s.v[i_up:] - steady) <= VCAP_SETTLE_BAND * steady
    if not inside.any():
        return [_rail(f"{name}.settle_time", None, "s")]  # never in regulation in this record
    first = int(np.argmax(inside))
    outside = np.flatnonzero(~inside[first:])
    if len(outside) and outside[-1] == len(inside) - first - 1:
        return [_rail(f"{name}.settle_time", None, "s")]  # out of regulation at the end of the record
    settled = first + (int(outside[-1]) + 1 if len(outside) else 0)
    return [_rail(f"{name}.settle_time", float(s.t[i_up + settled] - s.t[i_up + first]), "s")]


def _dip_features(name: str, s: _Series, lo_limit: float | None) -> list[FeatureValue]:
    """Dip depth and time below the net's min limit, over the part of the record after the
    net first settled. The reference is the net's own steady level (median), not the 1.2 V
    nominal: a regulator sitting at 1.25 V that dips to 1.10 V has dipped 0.15 V."""
    steady = s.steady()
    if steady <= DEAD_V:  # the net never came up in this record
        return [_rail(f"{name}.dip_depth", None, "V")] + \
            ([_rail(f"{name}.below_min", None, "s")] if lo_limit is not None else [])
    # Settled = from the first sample at the steady level on. (From 90 % of it, the tail of a
    # power-up ramp counted as a dip: every VCAP "dipped" ~120 mV at power-up, hiding real dips.)
    start = int(np.argmax(s.v >= steady))
    settled = s.v[start:]
    out = [_rail(f"{name}.dip_depth", float(np.median(settled) - settled.min()), "V")]
    if lo_limit is not None:
        out.append(_rail(f"{name}.below_min", float(np.count_nonzero(settled < lo_limit)) * s.dt, "s"))
    return out


def _nrst_features(name: str, nrst: _Series, vdd: _Series | None) -> list[FeatureValue]:
    """NRST low time (VDD crossing VDD_ON_V to NRST above VIH) and the count of low pulses
    while VDD is up, after that release."""
    supply = vdd.high() if vdd is not None else float(nrst.v.max())
    vil = min(NRST_VIL_V, NRST_VIL_FRACTION * supply)
    vih = min(NRST_VIH_V, NRST_VIH_FRACTION * supply)
    vdd_v = vdd.on(nrst) if vdd is not None else np.full_like(nrst.v, supply)
    up = vdd_v >= VDD_ON_V
    out: list[FeatureValue] = []
    if up[0]:  # VDD already up when the record starts: no power-up here, count from the start
        release = 0 if nrst.v[0] >= vih else _rising(nrst.v, vih)
    else:
        i_up = _rising(vdd_v, VDD_ON_V)
        if i_up is None:
            release = None
        elif nrst.v[i_up] >= vih:
            release = i_up
        else:
            release = _rising(nrst.v, vih, i_up)
        low = _at(nrst, release, vih) - _at_series(nrst.t, vdd_v, i_up, VDD_ON_V) \
            if release is not None and i_up is not None else None
        out.append(_rail(f"{name}.low_time", None if low is None else max(0.0, low), "s"))
    glitches = None if release is None else _low_pulses(nrst.v[release:], up[release:], vil, vih)
    out.append(_rail(f"{name}.glitches", glitches, ""))
    return out


def _low_pulses(v: np.ndarray, up: np.ndarray, vil: float, vih: float) -> int:
    """Count high->low transitions with hysteresis (below VIL after above VIH) while VDD is up."""
    marks = np.where(v >= vih, 1, np.where(v <= vil, -1, 0))
    idx = np.flatnonzero(marks)
    if len(idx) < 2:
        return 0
    state = marks[idx]
    falls = idx[1:][(state[:-1] == 1) & (state[1:] == -1)]
    return int(np.count_nonzero(up[falls]))


# --- crossings ---------------------------------------------------------------------------------

def _rising(v: np.ndarray, level: float, start: int = 0) -> int | None:
    """First index i > start with v[i-1] < level <= v[i]."""
    seg = v[start:]
    hits = np.flatnonzero((seg[:-1] < level) & (seg[1:] >= level))
    return int(start + hits[0] + 1) if len(hits) else None


def _last_rising_before(v: np.ndarray, level: float, end: int) -> int | None:
    """Last index i <= end with v[i-1] < level <= v[i] (the start of the final ramp)."""
    seg = v[: end + 1]
    hits = np.flatnonzero((seg[:-1] < level) & (seg[1:] >= level))
    return int(hits[-1] + 1) if len(hits) else None


def _at(s: _Series, i: int | None, level: float) -> float | None:
    return None if i is None else _at_series(s.t, s.v, i, level)


def _at_series(t: np.ndarray, v: np.ndarray, i: int | None, level: float) -> float | None:
    """Time the signal crossed `level` between samples i-1 and i (linear interpolation)."""
    if i is None:
        return None
    if i == 0 or v[i] == v[i - 1]:
        return float(t[i])
    return float(t[i - 1] + (level - v[i - 1]) / (v[i] - v[i - 1]) * (t[i] - t[i - 1]))


def _rail(name: str, value: float | None, unit: str) -> FeatureValue:
    return FeatureValue(name, _num(value), unit, "rail")


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


__all__ = ["compute_capture_features", "psu_features", "sample_resolution", "step_features", "VDD_ON_V", "NRST_VIH_V",
           "NRST_VIL_V"]
