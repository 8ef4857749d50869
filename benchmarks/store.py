"""Results store speed: cycles committed per second and the report time, SQLite and PostgreSQL,
each against a bare baseline doing the same inserts / queries with the driver directly.

- commit: a realistic cycle (12 steps, 70 features, 8 compressed captures of 1200 samples, one
  event), one transaction per cycle, through `ResultsStore.add_cycle` vs bare sqlite3/psycopg
  with the same statements, the same rows and the same encoding (zlib, JSON); one writer, then
  three writer processes into the same database at once. Goal: ratio <= 1.2.
- report: a 10 000-cycle run: open + feature matrix + correlation analysis + text (`report`),
  and the by-board comparison of the same cycles on 25 boards (`report --by-board`), vs the bare
  query that fetches the same rows. Goal: under 2 s.
- the physical floor of a commit: one fsync of a small file on the same disk (SQLite FULL and
  PostgreSQL with fsync on both pay it per commit).

PostgreSQL runs in a throw-away cluster (initdb in a temp folder, 127.0.0.1, fsync on), as the
tests use; it is skipped with a note where the server binaries are missing.

    python benchmarks/store.py [--cycles N] [--report-cycles N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.postgres_cluster

from benchtui.bench.analysis import analyse  # noqa: E402
from benchtui.bench.board_report import board_comparison, format_boards  # noqa: E402
from benchtui.bench.records import (CycleRecord, EventRecord, FeatureValue, StepRecord,  # noqa: E402
                                    WaveformRecord)
from benchtui.bench.report import format_report  # noqa: E402
from benchtui.bench.store import is_url, open_store  # noqa: E402

STEPS, FEATURES, CAPTURES, SAMPLES = 12, 70, 8, 1200


def make_cycle(i: int, rng: np.random.Generator, *, waveforms: bool = True, board: str | None = None) -> CycleRecord:
    t = 1000.0 + i
    steps = tuple(StepRecord(f"step{k}", t + k * 0.01, t + k * 0.01 + 0.005, "pass", 1, None, None,
                             {"k": k, "sr": "0x00000000"}) for k in range(STEPS))
    features = tuple(FeatureValue(f"w{k % 3}.N{k % 4}.f{k:02d}", float(rng.normal(1.2, 0.01)), "V",
                                  "rail" if k < 50 else "psu" if k < 60 else "timing")
                     for k in range(FEATURES))
    waves = ()
    if waveforms:
        base = np.clip(np.linspace(-0.2, 1.6, SAMPLES), 0, 1.2)
        waves = tuple(WaveformRecord("power_up" if k < 4 else "fault_catch", f"N{k % 4}", -1e-4, 2e-6,
                                     np.round((base + rng.normal(0, 0.002, SAMPLES)) / 0.008) * 0.008)
                      for k in range(CAPTURES))
    failed = i % 3 == 0
    return CycleRecord(index=i, started=t, ended=t + 0.5, passed=not failed,
                       failed_step="erase" if failed else None,
                       error_class="FlashOperationError" if failed else None,
                       error_text="PGSERR at 0x08000000" if failed else None, steps=steps,
                       features=features, waveforms=waves, board_uid=board or "0046001F3138510D32383538",
                       board_label=None, target={"part": "STM32F76x", "flash_kb": 1024},
                       option_bytes={"optcr": "0xC0FFAAFD"},
                       events=(EventRecord("note", "benchmark", i, t, {"i": i}),))


# --- bare baseline: the same statements with the driver itself ------------------------------

class Bare:
    """The inserts `add_cycle` makes, one transaction per cycle, straight to the driver."""

    def __init__(self, target: str):
        self.pg = is_url(target)
        if self.pg:
            import psycopg
            self.conn = psycopg.connect(target, autocommit=True)
            self.p = "%s"
        else:
            self.conn = sqlite3.connect(target, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.p = "?"

    def sql(self, text: str) -> str:
        return text.replace("?", self.p)

    def add_cycle(self, run_id: int, c: CycleRecord) -> None:
        q = self.sql
        if self.pg:
            with self.conn.transaction():
                self._insert(run_id, c, q)
        else:
            self.conn.execute("BEGIN IMMEDIATE")
            self._insert(run_id, c, q)
            self.conn.execute("COMMIT")

    def _insert(self, run_id: int, c: CycleRecord, q) -> None:
        cid = self.conn.execute(q(
            "INSERT INTO cycles (run_id, idx, started, ended, passed, failed_step, error_class, error_text, "
            "board_uid, board_label, target, option_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
            (run_id, c.index, c.started, c.ended, int(c.passed), c.failed_step, c.error_class,
             c.error_text, c.board_uid, c.board_label, json.dumps(c.target),
             json.dumps(c.option_bytes))).fetchone()[0]
        many = self.conn.executemany if not self.pg else self.conn.cursor().executemany
        many(q("INSERT INTO steps (cycle_id, seq, name, started, ended, outcome, attempts, error_class, "
               "error_text, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
             [(cid, n, s.name, s.started, s.ended, s.outcome, s.attempts, s.error_class, s.error_text,
               json.dumps(s.details)) for n, s in enumerate(c.steps)])
        many(q("INSERT INTO features (cycle_id, name, value, unit, kind) VALUES (?, ?, ?, ?, ?)"),
             [(cid, f.name, f.value, f.unit, f.kind) for f in c.features])
        if c.waveforms:
            many(q("INSERT INTO waveforms (cycle_id, capture, net, t0, dt, samples, data, valid, "
                   "invalid_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 [(cid, w.capture, w.net, w.t0, w.dt, len(w.volts),
                   zlib.compress(np.asarray(w.volts, "<f4").tobytes(), 6), 1, None) for w in c.waveforms])
        for e in c.events:
            self.conn.execute(q("INSERT INTO events (run_id, cycle_idx, at, kind, text, details) "
                                "VALUES (?, ?, ?, ?, ?, ?)"),
                              (run_id, e.cycle, e.at, e.kind, e.text, json.dumps(e.details)))

    def close(self) -> None:
        self.conn.close()


# --- commit rate ----------------------------------------------------------------------------

def _writer(target: str, mode: str, cycles: int, seed: int, start: "mp.synchronize.Event",
            out: "mp.Queue") -> None:
    """One writer process: a run of `cycles` cycles through the store or bare."""
    rng = np.random.default_rng(seed)
    records = [make_cycle(i + 1, rng) for i in range(cycles)]
    with open_store(target) as store:
        run_id = store.start_run(f"bench {mode} {seed}", {}, {}, {}, bench=f"w{seed}")
        bare = Bare(target) if mode == "bare" else None
        start.wait()
        t0 = time.perf_counter()
        for r in records:
            if bare is None:
                store.add_cycle(run_id, r)
            else:
                bare.add_cycle(run_id, r)
        elapsed = time.perf_counter() - t0
        if bare is not None:
            bare.close()
        store.end_run(run_id)
    out.put(elapsed)


def commit_rate(target: str, mode: str, cycles: int, writers: int, seed: int) -> float:
    """Cycles committed per second, summed over `writers` concurrent processes."""
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(target, mode, cycles, seed + k, start, out))
             for k in range(writers)]
    for p in procs:
        p.start()
    time.sleep(1.0 + 0.5 * writers)  # let every writer build its records and open the database
    t0 = time.perf_counter()
    start.set()
    times = [out.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join(timeout=60)
    return writers * cycles / max(wall, max(times))


# --- report time ----------------------------------------------------------------------------

def populate(target: str, n: int, boards: int = 25) -> int:
    """A run of `n` cycles (features, steps, no captures) on `boards` boards, written fast."""
    rng = np.random.default_rng(3)
    uids = [f"{k:08X}3941550933544A59" for k in range(1, boards + 1)]
    with open_store(target) as store:
        run_id = store.start_run("report benchmark", {}, {}, {}, bench="bench-1")
        bare = Bare(target)
        chunk = 500
        for lo in range(0, n, chunk):  # many cycles per transaction: setting up, not measured
            recs = [make_cycle(i + 1, rng, waveforms=False, board=uids[i * boards // n])
                    for i in range(lo, min(n, lo + chunk))]
            if bare.pg:
                with bare.conn.transaction():
                    for r in recs:
                        bare._insert(run_id, r, bare.sql)
            else:
                bare.conn.execute("BEGIN IMMEDIATE")
                for r in recs:
                    bare._insert(run_id, r, bare.sql)
                bare.conn.execute("COMMIT")
        bare.close()
        store.end_run(run_id)
    return run_id


def report_time(target: str, run_id: int) -> tuple[float, float]:
    """(report, report --by-board) seconds, as the CLI does them."""
    t0 = time.perf_counter()
    with open_store(target, readonly=True) as store:
        format_report(analyse(store.feature_matrix(run_id)), store.run(run_id))
    t1 = time.perf_counter()
    with open_store(target, readonly=True) as store:
        c, runs = board_comparison(store, [run_id])
        format_boards(c, runs)
    return t1 - t0, time.perf_counter() - t1


def bare_query_time(target: str, run_id: int) -> float:
    """The same two queries the report makes (its cycles; its features aggregated per name by
    the database), fetched with the driver and not parsed."""
    with open_store(target, readonly=True) as store:  # only for the backend's SQL text
        pairs = store._aggregate_pairs("f.cycle_id", "f.value")
    t0 = time.perf_counter()
    bare = Bare(target)
    q = bare.sql
    bare.conn.execute(q("SELECT id, idx, passed, failed_step, error_class FROM cycles "
                        "WHERE run_id = ? ORDER BY idx"), (run_id,)).fetchall()
    bare.conn.execute(q(f"SELECT f.name, min(f.unit), min(f.kind), {pairs} FROM features f "
                        "JOIN cycles c ON c.id = f.cycle_id JOIN runs r ON r.id = c.run_id "
                        "WHERE c.run_id = ? GROUP BY f.name"), (run_id,)).fetchall()
    bare.close()
    return time.perf_counter() - t0


def fsync_floor(folder: str, n: int = 50) -> float:
    """Seconds of one small write + fsync on this disk (median)."""
    path = os.path.join(folder, "fsync.probe")
    times = []
    with open(path, "wb") as f:
        for _ in range(n):
            f.write(b"x" * 4096)
            t0 = time.perf_counter()
            f.flush()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - t0)
    os.unlink(path)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=150, help="cycles per writer (default 150)")
    ap.add_argument("--report-cycles", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5, help="best of N for each figure")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="benchtui-store-bench-")
    floor = fsync_floor(work)
    print(f"fsync floor on this disk: {floor * 1e3:.2f} ms per commit -> at most {1 / floor:,.0f} commits/s")
    if hasattr(os, "getloadavg"):
        print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
              "(other work on the machine slows both sides alike; compare ratios, not rates)")
    backends: list[tuple[str, object]] = [("SQLite", None)]
    cluster = None
    try:
        from tests.postgres_cluster import ClusterUnavailable, PgCluster
        try:
            cluster = PgCluster(durable=True).start()
            backends.append(("PostgreSQL", cluster))
        except ClusterUnavailable as exc:
            print(f"PostgreSQL: skipped ({exc})")
        n_db = 0

        def new_target(kind: str) -> str:
            nonlocal n_db
            n_db += 1
            if kind == "SQLite":
                return os.path.join(work, f"db{n_db}.db")
            return cluster.create_database(f"bench{n_db}")

        print(f"\ncommit rate: {STEPS} steps, {FEATURES} features, {CAPTURES} captures x {SAMPLES} "
              f"samples per cycle, one transaction each; best of {args.repeat}")
        print(f"{'backend':<11} {'writers':>7} {'store c/s':>10} {'bare c/s':>10} {'ratio':>6} "
              f"{'pair ratio':>11}")
        print("  (ratio = bare rate / store rate of the best of each; pair ratio = median over "
              "interleaved pairs)")
        for kind, _ in backends:
            for writers in (1, 3):
                store_rates, bare_rates = [], []
                for rep in range(args.repeat):  # interleaved pairs: load changes hit both alike
                    store_rates.append(commit_rate(new_target(kind), "store", args.cycles, writers, 10 * rep))
                    bare_rates.append(commit_rate(new_target(kind), "bare", args.cycles, writers, 10 * rep))
                s, b = max(store_rates), max(bare_rates)
                pairs = statistics.median(br / sr for sr, br in zip(store_rates, bare_rates))
                print(f"{kind:<11} {writers:>7} {s:>10.1f} {b:>10.1f} {b / s:>6.2f} {pairs:>11.2f}", flush=True)

        print(f"\nreport of a {args.report_cycles}-cycle run ({FEATURES} features, 25 boards); best of "
              f"{args.repeat}")
        print(f"{'backend':<11} {'report s':>9} {'by-board s':>10} {'bare query s':>12} {'ratio':>6}")
        for kind, _ in backends:
            target = new_target(kind)
            run_id = populate(target, args.report_cycles)
            reports, boards, bare = [], [], []
            for _ in range(args.repeat):
                r, b = report_time(target, run_id)
                reports.append(r)
                boards.append(b)
                bare.append(bare_query_time(target, run_id))
            r, b, q = min(reports), min(boards), min(bare)
            print(f"{kind:<11} {r:>9.2f} {b:>10.2f} {q:>12.2f} {r / q:>6.2f}   "
                  f"(goal: under 2 s: {'met' if max(r, b) < 2 else 'NOT met'})", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
