"""Export a run: one row per cycle (CSV or JSON lines) and one .npz file per cycle capture.

`out` may be an open text file (the CLI passes stdout or a file it opened) or a path.
"""

from __future__ import annotations

import csv
import json
import math
import re
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

import numpy as np

from ..errors import StoreError
from .records import CycleRecord
from .store import ResultsStore

#: Leading columns of every row, before the features (sorted by name).
BASE_COLUMNS = ("run", "cycle", "started", "ended", "passed", "failed_step", "error_class", "error_text")


def export_csv(store: ResultsStore, run_id: int, out: IO[str] | str | Path) -> int:
    """Write one CSV row per cycle: the base columns then every feature (empty = missing).
    Returns the number of cycles written."""
    cycles = store.cycles(run_id)
    names = _feature_names(cycles)
    with _text_out(out) as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(BASE_COLUMNS + tuple(names))
        for c in cycles:
            values = _features(c)
            writer.writerow([run_id, c.index, repr(c.started), repr(c.ended), int(c.passed),
                             c.failed_step or "", c.error_class or "", c.error_text or ""]
                            + ["" if values.get(n) is None else repr(values[n]) for n in names])
    return len(cycles)


def export_jsonl(store: ResultsStore, run_id: int, out: IO[str] | str | Path) -> int:
    """Write one JSON object per line and cycle: base fields, the steps in brief, and every
    feature as a top-level key (null = missing). Returns the number of cycles written."""
    cycles = store.cycles(run_id)
    with _text_out(out) as f:
        for c in cycles:
            row: dict[str, Any] = {"run": run_id, "cycle": c.index, "started": c.started, "ended": c.ended,
                                   "passed": c.passed, "failed_step": c.failed_step,
                                   "error_class": c.error_class, "error_text": c.error_text,
                                   "steps": [{"name": s.name, "outcome": s.outcome, "attempts": s.attempts,
                                              "duration": s.ended - s.started, "error_class": s.error_class}
                                             for s in c.steps]}
            row.update(_features(c))
            f.write(json.dumps(row, allow_nan=False, default=str) + "\n")
    return len(cycles)


def export_waveforms(store: ResultsStore, run_id: int, directory: str | Path) -> int:
    """Write `run<id>_cycle<index>_<capture>.npz` per cycle capture: per net the volts array
    `<net>` and the scalars `<net>_t0`, `<net>_dt`; `nets` lists the nets. Returns files written."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{directory}: cannot create the waveform folder: {exc.strerror or exc}") from None
    written = 0
    for c in store.cycles(run_id):
        captures: dict[str, dict[str, np.ndarray]] = {}
        for w in store.waveforms(run_id, c.index):
            arrays = captures.setdefault(w.capture, {})
            arrays[w.net] = np.asarray(w.volts, dtype=np.float32)
            arrays[f"{w.net}_t0"] = np.float64(w.t0)
            arrays[f"{w.net}_dt"] = np.float64(w.dt)
        for capture, arrays in captures.items():
            path = directory / f"run{run_id}_cycle{c.index:05d}_{_safe(capture)}.npz"
            nets = [k for k in arrays if not k.endswith(("_t0", "_dt"))]
            try:
                np.savez_compressed(path, nets=np.array(nets), **arrays)
            except OSError as exc:
                raise StoreError(f"{path}: cannot write: {exc.strerror or exc}") from None
            written += 1
    return written


def _feature_names(cycles: list[CycleRecord]) -> list[str]:
    return sorted({f.name for c in cycles for f in c.features})


def _features(c: CycleRecord) -> dict[str, float | None]:
    return {f.name: (f.value if f.value is not None and math.isfinite(f.value) else None) for f in c.features}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "capture"


@contextmanager
def _text_out(out: IO[str] | str | Path) -> Iterator[IO[str]]:
    if isinstance(out, (str, Path)):
        try:
            f = open(out, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"{out}: cannot write: {exc.strerror or exc}") from None
        with f:
            yield f
    else:
        yield out


__all__ = ["BASE_COLUMNS", "export_csv", "export_jsonl", "export_waveforms"]
