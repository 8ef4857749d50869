"""The by-board (and by-bench) report: a text table for the CLI and the console, the same as JSON.

    benchtui report DB --by-board [--bench NAME] [--run ID ...] [--json]
"""

from __future__ import annotations

from typing import Any, Sequence

from ..text import printable_lines
from .analysis import format_quantity
from .quantity import BOUND_SIGNS
from .boards import BoardRow, Comparison, compare, feature_words
from .records import RunSummary
from .report import _clean  # NaN -> null, as the run report writes its JSON

#: Width of the failures-by-mode column (longer lists are cut with "…").
MODES_WIDTH = 34
FEATURE_WIDTH = 20


def board_comparison(store: Any, run_ids: Sequence[int] | None = None, *, bench: str | None = None,
                     by: str = "board") -> tuple[Comparison, list[RunSummary]]:
    """Read the selected runs (default: all, or all of `bench`) and compare their boards."""
    runs = [r for r in store.runs() if (run_ids is None or r.id in run_ids)
            and (bench is None or r.bench == bench)]
    return compare(store.fleet_matrix([r.id for r in runs]) if runs else _empty(), by=by), runs


def _empty() -> Any:
    import numpy as np

    from .boards import FleetMatrix
    from .records import FeatureMatrix
    return FleetMatrix(FeatureMatrix((), (), (), (), np.zeros(0, bool), (), np.zeros((0, 0))),
                       (), (), (), ())


def format_boards(c: Comparison, runs: Sequence[RunSummary] = (), *, width: int | None = None) -> str:
    """The comparison as text: what stands out (in words), then one row per board."""
    groups = "boards" if c.by == "board" else "benches"
    head = f"by {c.by}: {len(c.rows)} {groups}"
    if runs:
        benches = sorted({r.bench or "unknown" for r in runs})
        head += (f", {len(runs)} runs ({_span([r.id for r in runs])}), "
                 f"bench{'es' if len(benches) > 1 else ''} {', '.join(benches)}")
    lines = [head, ""] + [f"  {line}" for line in c.summary]
    if c.rows:
        lines += ["", _header(c), _rule(c)] + [_row(c, r) for r in c.rows]
        lines += ["", f"  features: median ± robust spread (1.4826 × MAD) over each {c.by}'s cycles; "
                      "* = stands out"]
    text = printable_lines(lines)  # labels and bench names come from the database
    if width:
        text = "\n".join(line if len(line) <= width else line[:width - 1] + "…"
                         for line in text.splitlines())
    return text


def boards_json(c: Comparison, runs: Sequence[RunSummary] = ()) -> dict[str, Any]:
    """The comparison as plain JSON-ready data (NaN written as null)."""
    return _clean({
        "by": c.by, "enough": c.enough, "compared": c.compared, "summary": list(c.summary),
        "runs": [r.id for r in runs], "key_features": list(c.key_features),
        "standouts": [{"key": s.row.key, "label": s.row.label, "text": s.text,
                       "differences": [{k: v for k, v in d.__dict__.items()} for d in s.differences]}
                      for s in c.standouts],
        "rows": [{"key": r.key, "label": r.label, "benches": list(r.benches), "runs": list(r.runs),
                  "cycles": r.cycles, "failures": r.failures,
                  "failures_by_mode": dict(r.failures_by_mode), "compared": r.compared,
                  "stands_out": any(s.row.key == r.key for s in c.standouts),
                  "features": {n: {"median": f.median, "spread": f.spread, "n": f.n, "unit": f.unit,
                                   "kind": f.kind, "censored": f.censored,
                                   "median_is_bound": BOUND_SIGNS.get(f.median_bound or "")}
                               for n, f in r.features.items()}}
                 for r in c.rows],
    })


def _key_width(c: Comparison) -> int:
    return max([len("board" if c.by == "board" else "bench")] + [len(r.key) for r in c.rows])


def _label_width(c: Comparison) -> int:
    return min(16, max([5] + [len(r.label or "") for r in c.rows]))


def _header(c: Comparison) -> str:
    feats = "".join(f" {_fit(feature_words(n), FEATURE_WIDTH):>{FEATURE_WIDTH}}" for n in c.key_features)
    return (f"  {c.by:<{_key_width(c)}} {'label':<{_label_width(c)}} {'cycles':>6} {'failed':>9} "
            f"{'failures by mode':<{MODES_WIDTH}}{feats}")


def _rule(c: Comparison) -> str:
    return "  " + "-" * (len(_header(c)) - 2)


def _row(c: Comparison, r: BoardRow) -> str:
    out = {s.row.key: s for s in c.standouts}.get(r.key)
    marked = {d.name for d in out.differences} if out else set()
    failed = f"{r.failures} ({100 * r.failures / r.cycles:.0f}%)" if r.cycles else "0"
    modes = ", ".join(f"{m} {n}" for m, n in sorted(r.failures_by_mode.items(), key=lambda kv: -kv[1]))
    feats = ""
    for name in c.key_features:
        f = r.features.get(name)
        cell = "-" if f is None else (f"{BOUND_SIGNS[f.median_bound]}{_q(f.median, f.unit)}" if f.median_bound
                                      else f"{_q(f.median, f.unit)} ±{_q(f.spread, f.unit) if f.spread else 0}")
        feats += f" {(cell + ('*' if name in marked else ' ')):>{FEATURE_WIDTH}}"
    mark = "*" if out else (" " if r.compared else "-")
    return (f"{mark} {r.key:<{_key_width(c)}} {_fit(r.label or '', _label_width(c)):<{_label_width(c)}} "
            f"{r.cycles:>6} {failed:>9} {_fit(modes or '-', MODES_WIDTH):<{MODES_WIDTH}}{feats}")


def _q(value: float, unit: str) -> str:
    return format_quantity(value, unit) if unit else f"{value:.3g}"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _span(ids: Sequence[int]) -> str:
    ids = sorted(ids)
    if not ids:
        return "none"
    if ids == list(range(ids[0], ids[-1] + 1)) and len(ids) > 2:
        return f"{ids[0]}-{ids[-1]}"
    return ", ".join(map(str, ids))


__all__ = ["board_comparison", "boards_json", "format_boards"]
