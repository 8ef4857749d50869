"""The board comparison in words: feature names a reader knows, quantities with their units,
one line per board that stands out, and the summary."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

from ..analysis import format_quantity
from .model import BoardRow, Difference, Standout
from .rules import MIN_BOARDS, MIN_CYCLES, QUOTED, Z_STANDOUT

_WINDOWS = {"power_up": "power-up", "flash": "flash", "psu": "PSU"}
_WHAT = {"dip_depth": "dip", "min": "minimum", "max": "maximum", "mean": "mean",
         "rise_time": "rise time", "below_min": "time below its limit", "dip_duration": "dip duration",
         "low_time": "low time", "glitches": "glitches", "time_to_min": "time to minimum",
         "triggered": "fault-catch trigger", "current": "current", "voltage": "voltage",
         "cc": "constant-current mode", "duration": "duration", "attempts": "attempts"}


def feature_words(name: str) -> str:
    """'power_up.VCAP1.dip_depth' -> 'VCAP1 power-up dip'; unknown shapes stay as they are."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "step":
        return f"{parts[1]} {_WHAT.get(parts[2], parts[2])}"
    if len(parts) == 3 and parts[0] == "psu":
        return f"PSU {_WHAT.get(parts[2], parts[2])} ({parts[1]})"
    if len(parts) == 3 and parts[0] in _WINDOWS:
        return f"{parts[1]} {_WINDOWS[parts[0]]} {_WHAT.get(parts[2], parts[2])}"
    return name


def _q(value: float, unit: str) -> str:
    return format_quantity(value, unit) if unit else f"{value:.3g}"


def _pct(rate: float) -> str:
    return f"{100 * rate:.0f} %"


def with_text(d: Difference) -> Difference:
    if d.what == "feature":
        lo, hi = d.siblings_range
        sib = _q(lo, d.unit) if math.isclose(lo, hi) else _range(lo, hi, d.unit)
        text = (f"{feature_words(d.name)} {_q(d.value, d.unit)}, siblings {sib} "
                f"(n = {d.n_siblings}; {d.name})")
    else:
        bk, bn, sk, sn = d.counts
        if d.what == "failure":
            subject = "fail" if d.name == "any failure" else f"fail {d.name}"
        else:
            subject = f"show {feature_words(d.name)}"
        text = (f"{_pct(d.value)} of its cycles {subject} ({bk} of {bn}), siblings "
                f"{_pct(d.siblings)} ({sk} of {sn})")
    return replace(d, text=text)


def _range(lo: float, hi: float, unit: str) -> str:
    a, b = _q(lo, unit), _q(hi, unit)
    if a == b:
        return a
    if lo == 0:
        return f"0–{b}"
    ua, ub = a.split(" ", 1)[-1] if " " in a else "", b.split(" ", 1)[-1] if " " in b else ""
    if ua and ua == ub:
        return f"{a.rsplit(' ', 1)[0]}–{b}"
    return f"{a} – {b}"


def group_name(key: str, label: str | None, by: str) -> str:
    if by == "bench":
        return f"bench {key}"
    name = f"board {key}"
    return f"{name} ({label})" if label else name


def standout_text(row: BoardRow, ds: Sequence[Difference], by: str) -> str:
    shown = [d.text for d in ds[:QUOTED]]
    more = f"; and {len(ds) - QUOTED} more" if len(ds) > QUOTED else ""
    return f"{group_name(row.key, row.label, by)}: " + "; ".join(shown) + more


def summary_lines(by: str, rows: dict[str, BoardRow], judged: list[str], standouts: list[Standout],
             enough: bool, attributed: int) -> list[str]:
    groups = "boards" if by == "board" else "benches"
    total = sum(r.cycles for r in rows.values())
    lines: list[str] = []
    if not rows:
        return ["no cycles recorded"]
    if not enough:
        lines.append(f"too few {groups} to compare: {len(judged)} with at least {MIN_CYCLES} cycles "
                     f"(need {MIN_BOARDS}); the table lists what each did")
    elif standouts:
        verb = "stands" if len(standouts) == 1 else "stand"
        lines.append(f"{len(standouts)} of {len(judged)} {groups} {verb} out:")
        lines += [f"  {s.text}" for s in standouts]
    else:
        lines.append(f"no {groups[:-1] if by == 'board' else 'bench'} stands out among {len(judged)} "
                     f"{groups} (robust z < {Z_STANDOUT:g} on every feature, failure rates alike)")
    failures = sum(r.failures for r in rows.values())
    lines.append(f"{total} cycles on {len(rows)} {groups}, {failures} failed")
    unknown = rows.get("unknown")
    if unknown is not None:
        lines.append(f"{unknown.cycles} cycles without a board UID are not compared (no connect)"
                     if by == "board" else f"{unknown.cycles} cycles without a bench name")
    if attributed:
        lines.append(f"{attributed} cycles whose UID was not read are counted for the board on the "
                     "bench before them (no swap was seen)")
    small = [r for k, r in rows.items() if k != "unknown" and r.cycles < MIN_CYCLES]
    if small:
        lines.append(f"{len(small)} {groups} with fewer than {MIN_CYCLES} cycles are listed, not compared")
    return lines
