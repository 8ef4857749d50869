"""Export a run: one row per cycle (CSV or JSON lines) and the captures (NPZ or CSV).

The CSV is for people and spreadsheets: times in ISO 8601 with the UTC offset, and every value
rounded to what the instrument resolved (a VCAP1.min from an 8-bit capture at 0.2 V/div is
"1.096", not "1.0960000000000001"). A value that is only a bound is written as one: ">=1.100"
(the fault catch did not fire: VCAP1 never went below its 1.100 V trigger level). JSON lines
keep the full numbers for programs, and name the bounds in a `bounds` object
({"flash.VCAP1.min": ">="}).

`out` may be an open text file (the CLI passes stdout or a file it opened) or a path.
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterator

import numpy as np

from ..errors import StoreError
from .features import sample_resolution
from .quantity import decimals_for_resolution
from .records import CycleRecord
from .store import ResultsStore

#: Leading columns of every row, before the features (sorted by name).
BASE_COLUMNS = ("run", "cycle", "started", "ended", "passed", "failed_step", "error_class", "error_text")
#: Feature windows and the capture their waveforms come from.
WINDOW_CAPTURE = {"power_up": "power_up", "flash": "fault_catch"}
#: Features measured in seconds from sample times: resolved to the sample interval.
TIME_FEATURES = ("rise_time", "time_to_min", "below_min", "low_time", "settle_time")
#: Features that are counts or flags.
COUNT_FEATURES = ("glitches", "triggered", "attempts", "cc")
#: A mean of thousands of samples resolves finer than one sample: one more decimal.
MEAN_EXTRA_DECIMALS = 1
#: Step durations come from the host clock: microseconds.
HOST_CLOCK_DECIMALS = 6
#: At most this many decimals for a value read back as text (a PSU reading).
MAX_READING_DECIMALS = 6


def iso_time(t: float | None) -> str:
    """Seconds since the epoch as ISO 8601 local time with its UTC offset, to the millisecond."""
    if t is None or not math.isfinite(t):
        return ""
    return datetime.fromtimestamp(t).astimezone().isoformat(timespec="milliseconds")


def export_csv(store: ResultsStore, run_id: int, out: IO[str] | str | Path) -> int:
    """Write one CSV row per cycle: the base columns then every feature (empty = missing).
    Returns the number of cycles written."""
    cycles = store.cycles(run_id)
    names = _feature_names(cycles)
    decimals = feature_decimals(store, run_id, cycles)
    with _text_out(out) as f:
        # RFC 4180 line ends: the csv module quotes only the characters of its line terminator,
        # so with "\n" alone a CR in an error text was written bare and split its row on reading.
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(BASE_COLUMNS + tuple(names))
        for c in cycles:
            values, bounds = _features(c), _bounds(c)
            writer.writerow([run_id, c.index, iso_time(c.started), iso_time(c.ended), int(c.passed),
                             c.failed_step or "", c.error_class or "", c.error_text or ""]
                            + [BOUND_TEXT.get(bounds.get(n), "") + _fixed(values.get(n), decimals.get(n))
                               if values.get(n) is not None else "" for n in names])
    return len(cycles)


def export_jsonl(store: ResultsStore, run_id: int, out: IO[str] | str | Path) -> int:
    """Write one JSON object per line and cycle: base fields, the steps in brief, and every
    feature as a top-level key (null = missing). Returns the number of cycles written."""
    cycles = store.cycles(run_id)
    with _text_out(out) as f:
        for c in cycles:
            row: dict[str, Any] = {"run": run_id, "cycle": c.index, "started": c.started, "ended": c.ended,
                                   "started_iso": iso_time(c.started), "ended_iso": iso_time(c.ended),
                                   "passed": c.passed, "failed_step": c.failed_step,
                                   "error_class": c.error_class, "error_text": c.error_text,
                                   "steps": [{"name": s.name, "outcome": s.outcome, "attempts": s.attempts,
                                              "duration": s.ended - s.started, "error_class": s.error_class}
                                             for s in c.steps]}
            row.update(_features(c))
            bounds = _bounds(c)
            if bounds:
                row["bounds"] = {name: BOUND_TEXT[b] for name, b in bounds.items()}
            f.write(json.dumps(row, allow_nan=False, default=str) + "\n")
    return len(cycles)


def export_waveforms(store: ResultsStore, run_id: int, directory: str | Path, *, fmt: str = "npz") -> int:
    """Write one file per cycle capture, `run<id>_cycle<index>_<capture>.npz` or `.csv`.

    NPZ: per net the volts array `<net>` and the scalars `<net>_t0`, `<net>_dt`; `nets` lists
    the nets. CSV: a `time_s` column and one column per net when the nets share a time base,
    else long form (`net,time_s,volts`); times to the sample interval, volts to the net's
    resolution. Returns the number of files written."""
    if fmt not in ("npz", "csv"):
        raise StoreError(f"waveform format {fmt!r}: use npz or csv")
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{directory}: cannot create the waveform folder: {exc.strerror or exc}") from None
    written = 0
    for c in store.cycles(run_id):
        captures: dict[str, list] = {}
        for w in store.waveforms(run_id, c.index):
            captures.setdefault(w.capture, []).append(w)
        for capture, waves in captures.items():
            path = directory / f"run{run_id}_cycle{c.index:05d}_{_safe(capture)}.{fmt}"
            try:
                (_write_npz if fmt == "npz" else _write_waveform_csv)(path, waves)
            except OSError as exc:
                raise StoreError(f"{path}: cannot write: {exc.strerror or exc}") from None
            written += 1
    return written


def _write_npz(path: Path, waves: list) -> None:
    arrays: dict[str, Any] = {"nets": np.array([w.net for w in waves])}
    for w in waves:
        arrays[w.net] = np.asarray(w.volts, dtype=np.float32)
        arrays[f"{w.net}_t0"] = np.float64(w.t0)
        arrays[f"{w.net}_dt"] = np.float64(w.dt)
    # The members one by one, as np.savez_compressed writes them: its keyword arguments would
    # take a net named "file" or "allow_pickle" for its own parameters.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            with zf.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def _write_waveform_csv(path: Path, waves: list) -> None:
    shared = len({(w.t0, w.dt, len(w.volts)) for w in waves}) == 1
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        if shared:
            w0 = waves[0]
            td = decimals_for_resolution(w0.dt) if math.isfinite(w0.dt) else 9
            vds = [decimals_for_resolution(sample_resolution(w.volts)) for w in waves]
            writer.writerow(["time_s"] + [w.net for w in waves])
            times = w0.times()
            columns = [np.asarray(w.volts, dtype=float) for w in waves]
            for i, t in enumerate(times):
                writer.writerow([_fixed(float(t), td)] + [_fixed(float(col[i]), d) for col, d in zip(columns, vds)])
        else:
            writer.writerow(["net", "time_s", "volts"])
            for w in waves:
                td = decimals_for_resolution(w.dt) if math.isfinite(w.dt) else 9
                vd = decimals_for_resolution(sample_resolution(w.volts))
                for t, v in zip(w.times(), np.asarray(w.volts, dtype=float)):
                    writer.writerow([w.net, _fixed(float(t), td), _fixed(float(v), vd)])


# --- resolution --------------------------------------------------------------------------------

def feature_decimals(store: ResultsStore, run_id: int, cycles: list[CycleRecord]) -> dict[str, int]:
    """Decimals each feature is written with: the resolution of what measured it (stored with
    the feature; for runs recorded before features carried it, found from the captures)."""
    names = _feature_names(cycles)
    stored: dict[str, float] = {}
    for c in cycles:
        for f in c.features:
            if f.resolution and math.isfinite(f.resolution):
                stored[f.name] = min(f.resolution, stored.get(f.name, math.inf))
    net_res: dict[tuple[str, str], float] = {}
    dt: dict[str, float] = {}
    wanted = {(w, n.split(".")[1]) for n in names for w in WINDOW_CAPTURE
              if n.startswith(w + ".") and n not in stored}
    for c in cycles:  # the first cycle that has each capture tells its resolution
        if all(k in net_res for k in wanted):
            break
        if not any(f.name.startswith(("power_up.", "flash.")) and f.value is not None for f in c.features):
            continue
        for w in store.waveforms(run_id, c.index):
            window = next((k for k, cap in WINDOW_CAPTURE.items() if cap == w.capture), None)
            if window is None or not w.valid or not len(w.volts) or (window, w.net) in net_res:
                continue
            net_res[(window, w.net)] = sample_resolution(w.volts)
            dt.setdefault(window, float(w.dt))
    values: dict[str, list[float]] = {}
    for c in cycles:
        for f in c.features:
            if f.value is not None and math.isfinite(f.value):
                values.setdefault(f.name, []).append(f.value)
    out: dict[str, int] = {}
    for name in names:
        parts = name.split(".")
        what = parts[-1]
        if what in COUNT_FEATURES or parts[0] == "ob":
            out[name] = 0
        elif name in stored:
            out[name] = decimals_for_resolution(stored[name])
        elif parts[0] == "step":
            out[name] = HOST_CLOCK_DECIMALS
        elif parts[0] in WINDOW_CAPTURE and len(parts) >= 3:
            window, net = parts[0], parts[1]
            if what in TIME_FEATURES and window in dt:
                out[name] = decimals_for_resolution(dt[window])
            elif (window, net) in net_res:
                out[name] = decimals_for_resolution(net_res[(window, net)]) + (MEAN_EXTRA_DECIMALS if what == "mean" else 0)
        if name not in out:  # a reading (PSU) or unknown: the decimals it was reported with
            out[name] = max((_decimals_of(v) for v in values.get(name, [])), default=6)
    return out


def _decimals_of(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "E" in text:
        return MAX_READING_DECIMALS
    return min(MAX_READING_DECIMALS, len(text.split(".")[1].rstrip("0"))) if "." in text else 0


def _fixed(value: float | None, decimals: int | None) -> str:
    if value is None or not math.isfinite(value):
        return ""
    if decimals is None:
        return repr(value)
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


# --- helpers -----------------------------------------------------------------------------------

def _feature_names(cycles: list[CycleRecord]) -> list[str]:
    return sorted({f.name for c in cycles for f in c.features})


#: How a bound is written before its value (records.BOUNDS).
BOUND_TEXT = {"lower": ">=", "upper": "<="}


def _bounds(c: CycleRecord) -> dict[str, str]:
    return {f.name: f.bound for f in c.features if f.bound and f.value is not None}


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


__all__ = ["BASE_COLUMNS", "export_csv", "export_jsonl", "export_waveforms", "feature_decimals", "iso_time",
           "sample_resolution"]
