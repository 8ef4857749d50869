"""The store every reader and writer uses, whatever the backend: runs, cycles, steps, features,
waveforms and events written and read with the same SQL on SQLite and PostgreSQL.

`ResultsStore` is the base every backend extends (`sqlite.py`, `postgres.py`; the package's
`open_store` picks one by what it is given). The SQL here is written once, with `?`
placeholders; a backend supplies the connection, transactions, the live-run locks and schema
checks (the hooks at the end of this class).

Durability contract (both backends): each finished cycle is one transaction (`add_cycle`):
the cycle row with all its steps, features, waveforms and events, or nothing. A run still
marked "running" whose writer is gone (its live lock is free) reads back as "interrupted"; the
next writer that opens the database records that status for good.

Threads: one store object = one connection = one thread. The cycle engine creates its store on
its store owner thread; the UI or the CLI opens its own reader (`readonly=True`), which sees
each cycle as soon as it is committed and never blocks a writer.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

from ...errors import StoreError
from ..records import (BOUND_CODES, BOUNDS, CycleRecord, EventRecord, FeatureMatrix, FeatureValue, RunSummary,
                       StepRecord, WaveformRecord, failure_mode)
from .codec import first_line, from_json, number, pack_volts, to_json, unpack_volts
from .schema import FINAL_STATUSES, SCHEMA_VERSION, SET_VERSION, migration
from .shmoos import ShmooRecords

if TYPE_CHECKING:
    from ..boards import FleetMatrix

_RUN_COLUMNS = ("SELECT r.id, r.name, r.started, r.ended, r.status, count(c.id), "
                "coalesce(sum(1 - c.passed), 0), r.scenario, r.bench, r.shmoo_id FROM runs r "
                "LEFT JOIN cycles c ON c.run_id = r.id")


def is_url(target: str | os.PathLike[str]) -> bool:
    """Whether `target` names a PostgreSQL database (a URL) rather than an SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class ResultsStore(ShmooRecords):
    """A results database, opened (or created) by a backend; use as a context manager or call
    `close()`. Open one with `store.open_store(target)`."""

    #: "sqlite" or "postgresql" (the key into schema.TYPES).
    dialect = ""

    def __init__(self, target: Any, *, readonly: bool = False):
        self.readonly = readonly
        #: How this database is named in messages (a path, or a URL without its password).
        self.where = str(target)
        self._held: dict[int, Any] = {}  # run id -> the backend's live-lock handle
        self._reads = 0  # depth of nested read snapshots
        self._conn = self._connect()
        try:
            with self._guard("open"):
                self._check_schema()
                if not readonly:
                    self._settle_interrupted_runs()
        except BaseException:
            self._close_connection()
            raise

    # -- schema ------------------------------------------------------------------------------
    def _check_schema(self) -> None:
        """Refuse foreign or newer databases; build or migrate ours (writers only)."""
        version = self._version()
        if version < SCHEMA_VERSION and not self.readonly:
            with self._transaction():
                self._lock_schema()
                version = self._version()  # another writer may have migrated meanwhile
                for v in range(version, SCHEMA_VERSION):
                    for statement in migration(v, self.dialect):
                        self._q(statement)
                self._mark_database()
                self._q(SET_VERSION, (str(SCHEMA_VERSION),))
        elif version < SCHEMA_VERSION:
            what = "is empty" if version == 0 else f"has schema version {version}"
            raise StoreError(f"{self.where}: {what}; open it once for writing "
                             f"(e.g. a benchtui run) to bring it to version {SCHEMA_VERSION}")

    def _stored_version(self) -> int:
        """The version in `meta` (the backend has checked that this is a benchtui database)."""
        row = self._q("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise StoreError(f"{self.where}: benchtui database without a valid schema version "
                             f"({row[0] if row else 'none'!r})") from None
        if version > SCHEMA_VERSION or version < 1:
            raise StoreError(f"{self.where}: schema version {version} is not one this benchtui "
                             f"knows (1..{SCHEMA_VERSION}); it was written by another benchtui version")
        return version

    # -- writing -----------------------------------------------------------------------------
    def start_run(self, name: str, profile_snapshot: dict, versions: dict, instruments: dict,
                  scenario: str | None = None, bench: str | None = None,
                  shmoo_id: int | None = None, conditions: dict | None = None) -> int:
        """Record a new run as "running" and hold its live lock. Returns the run id. A shmoo's
        cell gives the shmoo and its condition values (`shmoos.py`)."""
        self._writable()
        with self._guard(f"start run {name!r}"), self._transaction():
            run_id = int(self._q(
                "INSERT INTO runs (name, started, status, profile, versions, instruments, scenario, "
                "bench, shmoo_id, conditions) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (name, time.time(), to_json(profile_snapshot, "profile snapshot"),
                 to_json(versions, "versions"), to_json(instruments, "instruments"), scenario,
                 bench, shmoo_id, to_json(conditions or {}, "conditions"))).fetchone()[0])
            self._hold(run_id)  # before the commit: no reader ever sees it running without a lock
        return run_id

    def add_cycle(self, run_id: int, cycle: CycleRecord) -> int:
        """Store one finished cycle with all its steps, features, waveforms and events in one
        transaction: all of it, or (on any error) none of it. Returns the cycle's row id."""
        self._writable()
        what = f"cycle {cycle.index} of run {run_id}"
        try:
            with self._transaction():
                status = self._q("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
                if status is None:
                    raise StoreError(f"{self.where}: cannot store {what}: no run {run_id}")
                if status[0] != "running":
                    raise StoreError(f"{self.where}: cannot store {what}: the run has ended ({status[0]})")
                cycle_id = self._insert_cycle(run_id, cycle)
                for event in cycle.events:
                    self._insert_event(run_id, event, cycle.index)
        except self._integrity_errors as exc:
            raise StoreError(f"{self.where}: cannot store {what}: {first_line(exc)}"
                             + (" (index already stored)" if _is_unique(exc) else "")) from None
        except self._db_errors as exc:
            raise StoreError(f"{self.where}: cannot store {what}: {first_line(exc)}") from None
        except StoreError as exc:
            if str(exc).startswith(self.where):
                raise
            raise StoreError(f"{self.where}: cannot store {what}: {exc}") from None
        return cycle_id

    def add_event(self, run_id: int, event: EventRecord) -> None:
        """Record a run-level event (or one of a cycle already stored) in its own transaction."""
        self._writable()
        with self._guard(f"store event {event.kind!r} of run {run_id}"), self._transaction():
            self._insert_event(run_id, event, event.cycle)

    def end_run(self, run_id: int, status: str = "completed") -> None:
        """Close a run with its final status and release its live lock."""
        self._writable()
        if status not in FINAL_STATUSES:
            raise StoreError(f"{self.where}: run status {status!r} is not one of {', '.join(FINAL_STATUSES)}")
        with self._guard(f"end run {run_id}"), self._transaction():
            cur = self._q("UPDATE runs SET status = ?, ended = ? WHERE id = ?",
                          (status, time.time(), run_id))
            if cur.rowcount == 0:
                raise StoreError(f"{self.where}: no run {run_id}")
        self._release(run_id, remove=True)

    def import_run(self, source: "ResultsStore", run_id: int) -> int:
        """Copy one ended run of `source` (any backend) into this store, in one transaction:
        the run with its original times, status, bench and snapshots, every cycle with its
        steps, features, waveforms and events. Returns the new run id here."""
        self._writable()
        run = source.run(run_id)
        if run.status == "running":
            raise StoreError(f"{source.where}: run {run_id} is still being written; copy it when it ends")
        meta = source.run_metadata(run_id)
        with self._guard(f"copy run {run_id} of {source.where}"), self._transaction():
            new_id = int(self._q(
                "INSERT INTO runs (name, started, ended, status, profile, versions, instruments, "
                "scenario, bench) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (run.name, run.started, run.ended, run.status, to_json(meta["profile"], "profile"),
                 to_json(meta["versions"], "versions"), to_json(meta["instruments"], "instruments"),
                 run.scenario, run.bench)).fetchone()[0])
            for c in source.cycles(run_id):
                waves = source.waveforms(run_id, c.index)
                self._insert_cycle(new_id, CycleRecord(**{**c.__dict__, "waveforms": waves}))
            for event in source.events(run_id):
                self._insert_event(new_id, event, event.cycle)
            self._copy_shmoo_tags(source, run_id, new_id)
        return new_id

    def _insert_cycle(self, run_id: int, c: CycleRecord) -> int:
        cycle_id = int(self._q(
            "INSERT INTO cycles (run_id, idx, started, ended, passed, failed_step, error_class, "
            "error_text, board_uid, board_label, target, option_bytes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (run_id, int(c.index), float(c.started), float(c.ended), int(bool(c.passed)),
             c.failed_step, c.error_class, c.error_text, c.board_uid, c.board_label,
             to_json(c.target, "target identity"), to_json(c.option_bytes, "option bytes"))).fetchone()[0])
        if c.steps:
            self._qmany(
                "INSERT INTO steps (cycle_id, seq, name, started, ended, outcome, attempts, "
                "error_class, error_text, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(cycle_id, seq, s.name, number(s.started, f"step {s.name} start"),
                  number(s.ended, f"step {s.name} end"), s.outcome, int(s.attempts), s.error_class,
                  s.error_text, to_json(s.details, f"step {s.name} details"))
                 for seq, s in enumerate(c.steps)])
        if c.features:
            self._qmany(
                "INSERT INTO features (cycle_id, name, value, unit, kind, bound, resolution) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(cycle_id, f.name, f.value if type(f.value) is float and math.isfinite(f.value)
                  else number(f.value, f"feature {f.name}"), f.unit, f.kind,  # (the common case first)
                  _bound(f), None if f.resolution is None else number(f.resolution, f"feature {f.name} resolution"))
                 for f in c.features])
        if c.waveforms:
            self._qmany(
                "INSERT INTO waveforms (cycle_id, capture, net, t0, dt, samples, data, valid, "
                "invalid_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_waveform_row(cycle_id, wf) for wf in c.waveforms])
        return cycle_id

    def _insert_event(self, run_id: int, e: EventRecord, cycle: int | None) -> None:
        self._q("INSERT INTO events (run_id, cycle_idx, at, kind, text, details) VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, cycle, number(e.at, f"event {e.kind} time") or time.time(), e.kind, e.text,
                 to_json(e.details, f"event {e.kind} details")))

    # -- reading -----------------------------------------------------------------------------
    def runs(self) -> list[RunSummary]:
        """Every run, oldest first, with its cycle and failure counts."""
        with self._reading("the run list"):
            rows = self._q(f"{_RUN_COLUMNS} GROUP BY r.id ORDER BY r.id").fetchall()
            return self._summaries(rows)

    def run(self, run_id: int) -> RunSummary:
        """One run's summary; StoreError when there is no such run."""
        with self._reading(f"run {run_id}"):
            row = self._q(f"{_RUN_COLUMNS} WHERE r.id = ? GROUP BY r.id", (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"{self.where}: no run {run_id}")
            return self._summaries([row])[0]

    def run_metadata(self, run_id: int) -> dict[str, Any]:
        """What a run was started with: profile snapshot, software versions, instrument identities."""
        with self._reading(f"run {run_id}"):
            row = self._q("SELECT profile, versions, instruments FROM runs WHERE id = ?",
                          (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.where}: no run {run_id}")
        return {"profile": from_json(row[0], self.where), "versions": from_json(row[1], self.where),
                "instruments": from_json(row[2], self.where)}

    def _summaries(self, rows: list[tuple]) -> list[RunSummary]:
        running = [r[0] for r in rows if r[4] == "running"]
        live = self._live(running) if running else set()
        return [RunSummary(id=run_id, name=name, started=started, ended=ended,
                           status="interrupted" if status == "running" and run_id not in live else status,
                           cycles=int(cycles), failures=int(failures), scenario=scenario, bench=bench,
                           shmoo=None if shmoo is None else int(shmoo))
                for run_id, name, started, ended, status, cycles, failures, scenario, bench, shmoo in rows]

    def last_board(self, bench: str | None) -> tuple[int, str] | None:
        """(run id, UID) of the last board a bench recorded here, or None."""
        with self._reading("the last board"):
            row = self._q("SELECT c.run_id, c.board_uid FROM cycles c JOIN runs r ON r.id = c.run_id "
                          "WHERE r.bench = ? AND c.board_uid IS NOT NULL ORDER BY c.id DESC LIMIT 1",
                          (bench,)).fetchone()
        return (int(row[0]), row[1]) if row else None

    def events(self, run_id: int) -> list[EventRecord]:
        """The run's events in the order they were recorded (run-level ones have cycle None)."""
        with self._reading(f"events of run {run_id}"):
            self.run(run_id)
            return [EventRecord(kind, text, cycle, at, from_json(details, self.where))
                    for cycle, at, kind, text, details in self._q(
                        "SELECT cycle_idx, at, kind, text, details FROM events WHERE run_id = ? "
                        "ORDER BY id", (run_id,)).fetchall()]

    def cycles(self, run_id: int) -> list[CycleRecord]:
        """Every stored cycle of a run in index order, with steps and features (no waveforms)."""
        with self._reading(f"cycles of run {run_id}"):
            self.run(run_id)
            steps: dict[int, list[StepRecord]] = {}
            for row in self._q(
                    "SELECT s.cycle_id, s.name, s.started, s.ended, s.outcome, s.attempts, s.error_class, "
                    "s.error_text, s.details FROM steps s JOIN cycles c ON c.id = s.cycle_id "
                    "WHERE c.run_id = ? ORDER BY s.cycle_id, s.seq", (run_id,)).fetchall():
                steps.setdefault(row[0], []).append(
                    StepRecord(*row[1:8], details=from_json(row[8], self.where)))
            features: dict[int, list[FeatureValue]] = {}
            for cid, name, value, unit, kind, bound, resolution in self._q(
                    "SELECT f.cycle_id, f.name, f.value, f.unit, f.kind, f.bound, f.resolution FROM features f "
                    "JOIN cycles c ON c.id = f.cycle_id WHERE c.run_id = ? ORDER BY f.rowid",
                    (run_id,)).fetchall():
                features.setdefault(cid, []).append(FeatureValue(name, value, unit, kind, bound, resolution))
            events: dict[int, list[EventRecord]] = {}
            for event in self.events(run_id):
                if event.cycle is not None:
                    events.setdefault(event.cycle, []).append(event)
            rows = self._q(
                "SELECT id, idx, started, ended, passed, failed_step, error_class, error_text, "
                "board_uid, board_label, target, option_bytes "
                "FROM cycles WHERE run_id = ? ORDER BY idx", (run_id,)).fetchall()
        return [CycleRecord(index=idx, started=started, ended=ended, passed=bool(passed),
                            failed_step=failed_step, error_class=error_class, error_text=error_text,
                            steps=tuple(steps.get(cid, ())), features=tuple(features.get(cid, ())),
                            board_uid=board_uid, board_label=board_label,
                            target=from_json(target, self.where),
                            option_bytes=from_json(option_bytes, self.where),
                            events=tuple(events.get(idx, ())))
                for (cid, idx, started, ended, passed, failed_step, error_class, error_text,
                     board_uid, board_label, target, option_bytes) in rows]

    def waveforms(self, run_id: int, cycle_index: int) -> tuple[WaveformRecord, ...]:
        """The waveforms captured in one cycle, in the order they were stored."""
        with self._reading(f"waveforms of run {run_id}"):
            rows = self._q(
                "SELECT w.capture, w.net, w.t0, w.dt, w.samples, w.data, w.valid, w.invalid_reason "
                "FROM waveforms w JOIN cycles c ON c.id = w.cycle_id "
                "WHERE c.run_id = ? AND c.idx = ? ORDER BY w.id", (run_id, cycle_index)).fetchall()
            if not rows and self._q("SELECT 1 FROM cycles WHERE run_id = ? AND idx = ?",
                                    (run_id, cycle_index)).fetchone() is None:
                raise StoreError(f"{self.where}: run {run_id} has no cycle {cycle_index}")
        return tuple(WaveformRecord(capture, net, t0, dt, unpack_volts(data, samples, self.where),
                                    valid=bool(valid), invalid_reason=reason)
                     for capture, net, t0, dt, samples, data, valid, reason in rows)

    def feature_matrix(self, run_id: int) -> FeatureMatrix:
        """All features of a run as one table: cycles x features, NaN where missing."""
        with self._reading(f"features of run {run_id}"):
            self.run(run_id)
            cycles = self._q("SELECT id, idx, passed, failed_step, error_class FROM cycles "
                             "WHERE run_id = ? ORDER BY idx", (run_id,)).fetchall()
            columns = self._feature_columns("c.run_id = ?", (run_id,))
            bounds = self._bounds("c.run_id = ?", (run_id,))
            finest = dict(self._q(
                "SELECT f.name, min(f.resolution) FROM features f JOIN cycles c ON c.id = f.cycle_id "
                "WHERE c.run_id = ? AND f.resolution IS NOT NULL GROUP BY f.name", (run_id,)).fetchall())
        matrix = _matrix([(cid, idx, passed, failure_mode(step, error_class))
                          for cid, idx, passed, step, error_class in cycles], columns, bounds)
        return dataclasses.replace(matrix, resolutions=tuple(finest.get(n) for n in matrix.names))

    def _feature_columns(self, where: str, params: tuple | list) -> list[tuple]:
        """One row per feature name: (name, unit, kind, "cycle id:value,..." as text built by
        the database; one aggregate, so ids and values cannot be paired wrongly). A 10 000-cycle
        run has ~700 000 feature rows; fetched one by one they were most of a report's time,
        aggregated they are ~70."""
        pairs = self._aggregate_pairs("f.cycle_id", "f.value")
        return self._q(
            f"SELECT f.name, min(f.unit), min(f.kind), {pairs} FROM features f "
            f"JOIN cycles c ON c.id = f.cycle_id JOIN runs r ON r.id = c.run_id WHERE {where} "
            "GROUP BY f.name", params).fetchall()

    def _bounds(self, where: str, params: tuple | list) -> list[tuple]:
        """(cycle id, name, bound) of every feature that is a bound, not a reading (few rows)."""
        return self._q(
            "SELECT f.cycle_id, f.name, f.bound FROM features f JOIN cycles c ON c.id = f.cycle_id "
            f"JOIN runs r ON r.id = c.run_id WHERE f.bound IS NOT NULL AND {where}", params).fetchall()

    def fleet_matrix(self, run_ids: Iterable[int] | None = None, *,
                     bench: str | None = None) -> "FleetMatrix":
        """The cycles of several runs (default: every run; `bench`: only that bench's) with
        their features, and per cycle its run, bench, board UID and label — what the by-board
        and by-bench comparisons read."""
        from ..boards import FleetMatrix
        where, params = [], []
        if run_ids is not None:
            ids = [int(r) for r in run_ids]
            if not ids:
                raise StoreError(f"{self.where}: no runs selected")
            where.append(f"c.run_id IN ({', '.join('?' * len(ids))})")
            params += ids
        if bench is not None:
            where.append("r.bench = ?")
            params.append(bench)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._reading("cycles of the selected runs"):
            cycles = self._q(
                "SELECT c.id, c.idx, c.passed, c.failed_step, c.error_class, c.run_id, r.bench, "
                f"c.board_uid, c.board_label FROM cycles c JOIN runs r ON r.id = c.run_id {clause} "
                "ORDER BY c.run_id, c.idx", params).fetchall()
            columns = self._feature_columns(" AND ".join(where) or "1 = 1", params)
            bounds = self._bounds(" AND ".join(where) or "1 = 1", params)
        matrix = _matrix([(c[0], c[1], c[2], failure_mode(c[3], c[4])) for c in cycles], columns, bounds)
        return FleetMatrix(matrix=matrix, runs=tuple(int(c[5]) for c in cycles),
                           benches=tuple(c[6] for c in cycles), uids=tuple(c[7] for c in cycles),
                           labels=tuple(c[8] for c in cycles))

    # -- life cycle --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection. Runs still open here will read back as "interrupted"."""
        for run_id in list(self._held):
            self._release(run_id, remove=False)
        self._close_connection()

    def __enter__(self) -> "ResultsStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.where}: opened read-only")

    def _settle_interrupted_runs(self) -> None:
        """Write "interrupted" for good on runs whose writer died; drop their locks' traces."""
        running = [rid for (rid,) in self._q("SELECT id FROM runs WHERE status = 'running'").fetchall()]
        live = self._live(running) if running else set()
        for run_id in (r for r in running if r not in live):
            with self._transaction():
                self._q("UPDATE runs SET status = 'interrupted', ended = coalesce("
                        "(SELECT max(ended) FROM cycles WHERE run_id = ?), started) "
                        "WHERE id = ? AND status = 'running'", (run_id, run_id))
            self._release(run_id, remove=True)

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """A database error below becomes one StoreError line naming the store and the action."""
        try:
            yield
        except self._db_errors as exc:
            raise StoreError(f"{self.where}: cannot {what}: {first_line(exc)}") from None

    @contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        """One consistent snapshot for the queries inside (nested uses share the outer one)."""
        with self._guard(f"read {what}"):
            if self._reads:
                self._reads += 1
                try:
                    yield
                finally:
                    self._reads -= 1
                return
            self._begin_read()
            self._reads = 1
            try:
                yield
            finally:
                self._reads = 0
                self._end_read()

    # -- what a backend provides -------------------------------------------------------------
    _db_errors: tuple[type[BaseException], ...] = ()
    _integrity_errors: tuple[type[BaseException], ...] = ()

    def _connect(self) -> Any:
        raise NotImplementedError

    def _close_connection(self) -> None:
        raise NotImplementedError

    def _q(self, sql: str, params: tuple | list = ()) -> Any:
        """Run one statement (`?` placeholders); returns a DB-API cursor."""
        raise NotImplementedError

    def _qmany(self, sql: str, rows: Iterable[tuple]) -> None:
        raise NotImplementedError

    def _transaction(self) -> Any:
        """A context manager: one write transaction, committed on exit, rolled back on error."""
        raise NotImplementedError

    def _begin_read(self) -> None:
        raise NotImplementedError

    def _end_read(self) -> None:
        raise NotImplementedError

    def _version(self) -> int:
        """0 for an empty database, else the stored schema version; StoreError when the
        database is not a benchtui one."""
        raise NotImplementedError

    def _aggregate_pairs(self, key: str, value: str) -> str:
        """SQL for 'key:value,key:value,...' over a group (an integer key, a REAL value, NULL
        written as 'nan')."""
        raise NotImplementedError

    def _lock_schema(self) -> None:
        """Inside the migration transaction: keep other writers from migrating at the same time."""

    def _mark_database(self) -> None:
        """Inside the migration transaction: mark the database as benchtui's (if the backend can)."""

    def _hold(self, run_id: int) -> None:
        raise NotImplementedError

    def _release(self, run_id: int, *, remove: bool) -> None:
        raise NotImplementedError

    def _live(self, run_ids: list[int]) -> set[int]:
        """Which of these runs some writer still holds (its own or another process's)."""
        raise NotImplementedError

    def integrity_check(self) -> str:
        """The backend's own consistency check: "ok" or the first problems it found."""
        raise NotImplementedError


def _bound(f: FeatureValue) -> str | None:
    if f.bound is not None and f.bound not in BOUNDS:
        raise StoreError(f"feature {f.name}: bound {f.bound!r} is not one of {', '.join(BOUNDS)}")
    return f.bound


def _matrix(cycles: list[tuple], columns: list[tuple], bounds: list[tuple] = ()) -> FeatureMatrix:
    """FeatureMatrix from (cycle id, index, passed, failure mode), feature columns (name,
    unit, kind, "id:value,..." text), parsed with numpy, and the (cycle id, name, bound) of
    the values that are bounds."""
    ids = np.array([c[0] for c in cycles], dtype=np.int64)
    order = np.argsort(ids)
    columns = sorted(columns, key=lambda c: c[0])
    grid = np.full((len(cycles), len(columns)), np.nan)
    for j, (_, _, _, pairs) in enumerate(columns):
        if not pairs:
            continue
        flat = np.fromstring(str(pairs).replace(":", ","), dtype=float, sep=",")  # id, value, id, ...
        cids = flat[0::2].astype(np.int64)  # exact: row ids are far below 2**53
        rows = order[np.searchsorted(ids, cids, sorter=order)]
        grid[rows, j] = flat[1::2]
    marks = np.zeros(grid.shape, dtype=np.int8)
    if bounds:
        column = {c[0]: j for j, c in enumerate(columns)}
        cids = np.array([b[0] for b in bounds], dtype=np.int64)
        rows = order[np.searchsorted(ids, cids, sorter=order)]
        for row, (_, name, bound) in zip(rows, bounds):
            marks[row, column[name]] = BOUND_CODES[bound]
    return FeatureMatrix(names=tuple(c[0] for c in columns), units=tuple(c[1] for c in columns),
                         kinds=tuple(c[2] for c in columns), cycles=tuple(int(c[1]) for c in cycles),
                         passed=np.array([bool(c[2]) for c in cycles], dtype=bool),
                         failed_steps=tuple(c[3] for c in cycles), values=grid, bounds=marks)


def _waveform_row(cycle_id: int, wf: WaveformRecord) -> tuple:
    samples, data = pack_volts(wf.volts, f"waveform {wf.capture}/{wf.net}")
    t0, dt = number(wf.t0, f"waveform {wf.net} t0"), number(wf.dt, f"waveform {wf.net} dt")
    valid, reason = wf.valid, wf.invalid_reason
    if valid and (t0 is None or dt is None):  # a NaN/inf time base: keep it, marked invalid
        valid, reason = False, f"time base not finite (t0={wf.t0!r}, dt={wf.dt!r})"
    return (cycle_id, wf.capture, wf.net, 0.0 if t0 is None else t0, 0.0 if dt is None else dt,
            samples, data, int(bool(valid)), reason)


def _is_unique(exc: BaseException) -> bool:
    return "UNIQUE" in str(exc) or "unique" in str(exc) or getattr(exc, "sqlstate", None) == "23505"


__all__ = ["ResultsStore", "is_url"]
