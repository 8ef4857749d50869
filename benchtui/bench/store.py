"""The results store: every run, cycle, step, feature and waveform in one SQLite file.

Durability. The database runs in WAL mode with `synchronous=FULL`. Each finished cycle is one
transaction (`add_cycle`): the cycle row with all its steps, features and waveforms, or nothing.
A SIGKILL of the process alone loses nothing committed with either NORMAL or FULL (the WAL
pages are in the OS already); FULL also fsyncs the WAL at every commit, so a committed cycle
survives the bench PC losing power or the kernel crashing. That costs one fsync per cycle, and
a cycle takes seconds (power-cycle, erase, program), so the price is nothing.

Threads. One `ResultsStore` = one sqlite3 connection = one thread (sqlite3's own
`check_same_thread` enforces it). The cycle engine creates its store on its store owner thread
and writes from there; the UI or the CLI opens its own reader (`readonly=True`), which sees
each cycle as soon as it is committed.

Live runs. While a run is being written, its writer holds an exclusive `flock` on a small file
next to the database (`<db>.run<id>.lock`). The kernel drops the lock when the writer dies, so a
run still marked "running" whose lock is free reads back as "interrupted"; the next writer that
opens the database records that status for good and removes the stale lock file.

Schema. Versioned by `PRAGMA application_id` (is this a benchtui file at all?) and the
`schema_version` row of `meta`. A new database is built by running the migrations from 0, so
the path an old file takes is the path every new file takes. A newer or unknown version, or a
file that is not a benchtui database, raises StoreError naming the file.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from ..errors import StoreError
from .records import (CycleRecord, EventRecord, FeatureMatrix, FeatureValue, RunSummary,
                      StepRecord, WaveformRecord, failure_mode)

try:  # POSIX; elsewhere a run can only be seen as live by its own store object.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: 'BTUI': marks a SQLite file as a benchtui results database.
APPLICATION_ID = 0x42545549
SCHEMA_VERSION = 3
#: Seconds a connection waits for another writer's transaction before giving up.
BUSY_TIMEOUT_S = 10.0
FINAL_STATUSES = ("completed", "stopped", "error")

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, started REAL NOT NULL, ended REAL,
    status TEXT NOT NULL, profile TEXT NOT NULL, versions TEXT NOT NULL, instruments TEXT NOT NULL);
CREATE TABLE cycles (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), idx INTEGER NOT NULL,
    started REAL NOT NULL, ended REAL NOT NULL, passed INTEGER NOT NULL, failed_step TEXT,
    error_class TEXT, error_text TEXT, UNIQUE (run_id, idx));
CREATE TABLE steps (
    id INTEGER PRIMARY KEY, cycle_id INTEGER NOT NULL REFERENCES cycles(id), seq INTEGER NOT NULL,
    name TEXT NOT NULL, started REAL NOT NULL, ended REAL NOT NULL, outcome TEXT NOT NULL,
    attempts INTEGER NOT NULL, error_class TEXT, error_text TEXT, details TEXT NOT NULL);
CREATE TABLE features (
    cycle_id INTEGER NOT NULL REFERENCES cycles(id), name TEXT NOT NULL, value REAL,
    unit TEXT NOT NULL);
CREATE TABLE waveforms (
    id INTEGER PRIMARY KEY, cycle_id INTEGER NOT NULL REFERENCES cycles(id),
    capture TEXT NOT NULL, net TEXT NOT NULL, t0 REAL NOT NULL, dt REAL NOT NULL,
    samples INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX steps_cycle ON steps (cycle_id);
CREATE INDEX waveforms_cycle ON waveforms (cycle_id);
"""

# v2: runs remember the sim scenario; features carry their kind; features indexed by cycle.
_V2 = """
ALTER TABLE runs ADD COLUMN scenario TEXT;
ALTER TABLE features ADD COLUMN kind TEXT NOT NULL DEFAULT 'rail';
UPDATE features SET kind = CASE
    WHEN name LIKE 'psu.%' THEN 'psu' WHEN name LIKE 'step.%' THEN 'timing' ELSE 'rail' END;
CREATE INDEX features_cycle ON features (cycle_id);
"""

# v3: runs remember their bench; cycles carry the board (UID, label), the target identity and the
# option bytes read at power-up; captures can be stored marked invalid; an event history.
_V3 = """
ALTER TABLE runs ADD COLUMN bench TEXT;
ALTER TABLE cycles ADD COLUMN board_uid TEXT;
ALTER TABLE cycles ADD COLUMN board_label TEXT;
ALTER TABLE cycles ADD COLUMN target TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cycles ADD COLUMN option_bytes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE waveforms ADD COLUMN valid INTEGER NOT NULL DEFAULT 1;
ALTER TABLE waveforms ADD COLUMN invalid_reason TEXT;
CREATE TABLE events (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), cycle_idx INTEGER,
    at REAL NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX events_run ON events (run_id, cycle_idx);
CREATE INDEX cycles_board ON cycles (board_uid);
"""

#: MIGRATIONS[v] turns a version-v database into version v+1.
MIGRATIONS: dict[int, str] = {0: _V1, 1: _V2, 2: _V3}


class ResultsStore:
    """Open (or create) a results database. Use as a context manager or call `close()`."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._held: dict[int, int] = {}  # run id -> fd of its flocked lock file
        self._conn = self._connect()
        try:
            self._check_schema()
            if not readonly:
                self._settle_interrupted_runs()
        except BaseException:
            self._conn.close()
            raise

    # -- opening -----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                if not self.path.is_file():
                    raise StoreError(f"{self.path}: no such results database")
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            else:
                if self.path.is_dir():
                    raise StoreError(f"{self.path}: is a directory, not a results database")
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.path}: cannot open results database: {exc}") from None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.readonly:
                if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                    raise StoreError(f"{self.path}: the file system does not support WAL mode")
                conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path}: not a benchtui results database ({exc})") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_schema(self) -> None:
        """Refuse foreign or newer files; build or migrate ours (writers only)."""
        try:
            version = self._version()
            if version < SCHEMA_VERSION and not self.readonly:
                with self._transaction():
                    version = self._version()  # another writer may have migrated meanwhile
                    for v in range(version, SCHEMA_VERSION):
                        for statement in _statements(MIGRATIONS[v]):
                            self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                                       (str(SCHEMA_VERSION),))
            elif version < SCHEMA_VERSION:
                what = "is empty" if version == 0 else f"has schema version {version}"
                raise StoreError(f"{self.path}: {what}; open it once for writing "
                                 f"(e.g. a benchtui run) to bring it to version {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a benchtui results database ({exc})") from None

    def _version(self) -> int:
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id == 0 and not tables:
            return 0
        if app_id != APPLICATION_ID or "meta" not in tables:
            raise StoreError(f"{self.path}: not a benchtui results database "
                             f"(an SQLite file with tables {', '.join(sorted(tables)) or 'none'})")
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise StoreError(f"{self.path}: benchtui database without a valid schema version "
                             f"({row[0] if row else 'none'!r})") from None
        if version > SCHEMA_VERSION or version < 1:
            raise StoreError(f"{self.path}: schema version {version} is not one this benchtui knows "
                             f"(1..{SCHEMA_VERSION}); it was written by another benchtui version")
        return version

    # -- writing -----------------------------------------------------------------------------
    def start_run(self, name: str, profile_snapshot: dict, versions: dict, instruments: dict,
                  scenario: str | None = None, bench: str | None = None) -> int:
        """Record a new run as "running" and hold its live lock. Returns the run id."""
        self._writable()
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO runs (name, started, status, profile, versions, instruments, scenario, "
                "bench) VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
                (name, time.time(), _json(profile_snapshot, "profile snapshot"),
                 _json(versions, "versions"), _json(instruments, "instruments"), scenario, bench))
            run_id = int(cur.lastrowid)
            self._hold(run_id)  # before the commit: no reader ever sees it running without a lock
        return run_id

    def add_cycle(self, run_id: int, cycle: CycleRecord) -> int:
        """Store one finished cycle with all its steps, features and waveforms in one
        transaction: all of it, or (on any error) none of it. Returns the cycle's row id."""
        self._writable()
        what = f"cycle {cycle.index} of run {run_id}"
        try:
            with self._transaction():
                status = self._conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
                if status is None:
                    raise StoreError(f"{self.path}: cannot store {what}: no run {run_id}")
                if status[0] != "running":
                    raise StoreError(f"{self.path}: cannot store {what}: the run has ended ({status[0]})")
                cycle_id = self._insert_cycle(run_id, cycle)
                for seq, step in enumerate(cycle.steps):
                    self._insert_step(cycle_id, seq, step)
                self._conn.executemany(
                    "INSERT INTO features (cycle_id, name, value, unit, kind) VALUES (?, ?, ?, ?, ?)",
                    ((cycle_id, f.name, _number(f.value, f"feature {f.name}"), f.unit, f.kind)
                     for f in cycle.features))
                for wf in cycle.waveforms:
                    self._insert_waveform(cycle_id, wf)
                for event in cycle.events:
                    self._insert_event(run_id, event, cycle.index)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.path}: cannot store {what}: {exc}"
                             + (" (index already stored)" if "UNIQUE" in str(exc) else "")) from None
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot store {what}: {exc}") from None
        except StoreError as exc:
            if str(exc).startswith(str(self.path)):
                raise
            raise StoreError(f"{self.path}: cannot store {what}: {exc}") from None
        return cycle_id

    def add_event(self, run_id: int, event: EventRecord) -> None:
        """Record a run-level event (or one of a cycle already stored) in its own transaction."""
        self._writable()
        try:
            with self._transaction():
                self._insert_event(run_id, event, event.cycle)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot store event {event.kind!r} of run {run_id}: {exc}") from None

    def _insert_cycle(self, run_id: int, c: CycleRecord) -> int:
        cur = self._conn.execute(
            "INSERT INTO cycles (run_id, idx, started, ended, passed, failed_step, error_class, "
            "error_text, board_uid, board_label, target, option_bytes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, int(c.index), float(c.started), float(c.ended), int(bool(c.passed)),
             c.failed_step, c.error_class, c.error_text, c.board_uid, c.board_label,
             _json(c.target, "target identity"), _json(c.option_bytes, "option bytes")))
        return int(cur.lastrowid)

    def _insert_event(self, run_id: int, e: EventRecord, cycle: int | None) -> None:
        self._conn.execute(
            "INSERT INTO events (run_id, cycle_idx, at, kind, text, details) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, cycle, _number(e.at, f"event {e.kind} time") or time.time(), e.kind, e.text,
             _json(e.details, f"event {e.kind} details")))

    def _insert_step(self, cycle_id: int, seq: int, s: StepRecord) -> None:
        self._conn.execute(
            "INSERT INTO steps (cycle_id, seq, name, started, ended, outcome, attempts, error_class, "
            "error_text, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cycle_id, seq, s.name, _number(s.started, f"step {s.name} start"),
             _number(s.ended, f"step {s.name} end"), s.outcome, int(s.attempts), s.error_class,
             s.error_text, _json(s.details, f"step {s.name} details")))

    def _insert_waveform(self, cycle_id: int, wf: WaveformRecord) -> None:
        try:
            volts = np.asarray(wf.volts, dtype="<f4").ravel()
        except (TypeError, ValueError) as exc:
            raise StoreError(f"waveform {wf.capture}/{wf.net}: samples are not numbers ({exc})") from None
        t0, dt = _number(wf.t0, f"waveform {wf.net} t0"), _number(wf.dt, f"waveform {wf.net} dt")
        valid, reason = wf.valid, wf.invalid_reason
        if valid and (t0 is None or dt is None):  # a NaN/inf time base: keep it, marked invalid
            valid, reason = False, f"time base not finite (t0={wf.t0!r}, dt={wf.dt!r})"
        self._conn.execute(
            "INSERT INTO waveforms (cycle_id, capture, net, t0, dt, samples, data, valid, "
            "invalid_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cycle_id, wf.capture, wf.net, 0.0 if t0 is None else t0, 0.0 if dt is None else dt,
             len(volts), zlib.compress(volts.tobytes(), 6), int(bool(valid)), reason))

    def end_run(self, run_id: int, status: str = "completed") -> None:
        """Close a run with its final status and release its live lock."""
        self._writable()
        if status not in FINAL_STATUSES:
            raise StoreError(f"{self.path}: run status {status!r} is not one of {', '.join(FINAL_STATUSES)}")
        with self._transaction():
            cur = self._conn.execute("UPDATE runs SET status = ?, ended = ? WHERE id = ?",
                                     (status, time.time(), run_id))
            if cur.rowcount == 0:
                raise StoreError(f"{self.path}: no run {run_id}")
        self._release(run_id, remove=True)

    # -- reading -----------------------------------------------------------------------------
    def runs(self) -> list[RunSummary]:
        """Every run, oldest first, with its cycle and failure counts."""
        rows = self._conn.execute(
            "SELECT r.id, r.name, r.started, r.ended, r.status, count(c.id), "
            "coalesce(sum(1 - c.passed), 0), r.scenario, r.bench FROM runs r "
            "LEFT JOIN cycles c ON c.run_id = r.id GROUP BY r.id ORDER BY r.id").fetchall()
        return [self._summary(row) for row in rows]

    def run(self, run_id: int) -> RunSummary:
        """One run's summary; StoreError when there is no such run."""
        row = self._conn.execute(
            "SELECT r.id, r.name, r.started, r.ended, r.status, count(c.id), "
            "coalesce(sum(1 - c.passed), 0), r.scenario, r.bench FROM runs r "
            "LEFT JOIN cycles c ON c.run_id = r.id WHERE r.id = ? GROUP BY r.id", (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no run {run_id}")
        return self._summary(row)

    def run_metadata(self, run_id: int) -> dict[str, Any]:
        """What a run was started with: profile snapshot, software versions, instrument identities."""
        row = self._conn.execute("SELECT profile, versions, instruments FROM runs WHERE id = ?",
                                 (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no run {run_id}")
        return {"profile": json.loads(row[0]), "versions": json.loads(row[1]),
                "instruments": json.loads(row[2])}

    def _summary(self, row: tuple) -> RunSummary:
        run_id, name, started, ended, status, cycles, failures, scenario, bench = row
        if status == "running" and not self._is_live(run_id):
            status = "interrupted"
        return RunSummary(id=run_id, name=name, started=started, ended=ended, status=status,
                          cycles=cycles, failures=int(failures), scenario=scenario, bench=bench)

    def events(self, run_id: int) -> list[EventRecord]:
        """The run's events in the order they were recorded (run-level ones have cycle None)."""
        self.run(run_id)
        return [EventRecord(kind, text, cycle, at, json.loads(details))
                for cycle, at, kind, text, details in self._conn.execute(
                    "SELECT cycle_idx, at, kind, text, details FROM events WHERE run_id = ? "
                    "ORDER BY id", (run_id,))]

    def cycles(self, run_id: int) -> list[CycleRecord]:
        """Every stored cycle of a run in index order, with steps and features (no waveforms)."""
        self.run(run_id)
        steps: dict[int, list[StepRecord]] = {}
        for row in self._conn.execute(
                "SELECT s.cycle_id, s.name, s.started, s.ended, s.outcome, s.attempts, s.error_class, "
                "s.error_text, s.details FROM steps s JOIN cycles c ON c.id = s.cycle_id "
                "WHERE c.run_id = ? ORDER BY s.cycle_id, s.seq", (run_id,)):
            steps.setdefault(row[0], []).append(StepRecord(*row[1:8], details=json.loads(row[8])))
        features: dict[int, list[FeatureValue]] = {}
        for cid, name, value, unit, kind in self._conn.execute(
                "SELECT f.cycle_id, f.name, f.value, f.unit, f.kind FROM features f "
                "JOIN cycles c ON c.id = f.cycle_id WHERE c.run_id = ? ORDER BY f.rowid", (run_id,)):
            features.setdefault(cid, []).append(FeatureValue(name, value, unit, kind))
        events: dict[int, list[EventRecord]] = {}
        for event in self.events(run_id):
            if event.cycle is not None:
                events.setdefault(event.cycle, []).append(event)
        return [CycleRecord(index=idx, started=started, ended=ended, passed=bool(passed),
                            failed_step=failed_step, error_class=error_class, error_text=error_text,
                            steps=tuple(steps.get(cid, ())), features=tuple(features.get(cid, ())),
                            board_uid=board_uid, board_label=board_label, target=json.loads(target),
                            option_bytes=json.loads(option_bytes),
                            events=tuple(events.get(idx, ())))
                for (cid, idx, started, ended, passed, failed_step, error_class, error_text,
                     board_uid, board_label, target, option_bytes)
                in self._conn.execute(
                    "SELECT id, idx, started, ended, passed, failed_step, error_class, error_text, "
                    "board_uid, board_label, target, option_bytes "
                    "FROM cycles WHERE run_id = ? ORDER BY idx", (run_id,))]

    def waveforms(self, run_id: int, cycle_index: int) -> tuple[WaveformRecord, ...]:
        """The waveforms captured in one cycle, in the order they were stored."""
        rows = self._conn.execute(
            "SELECT w.capture, w.net, w.t0, w.dt, w.samples, w.data, w.valid, w.invalid_reason "
            "FROM waveforms w "
            "JOIN cycles c ON c.id = w.cycle_id WHERE c.run_id = ? AND c.idx = ? ORDER BY w.id",
            (run_id, cycle_index)).fetchall()
        if not rows and self._conn.execute("SELECT 1 FROM cycles WHERE run_id = ? AND idx = ?",
                                           (run_id, cycle_index)).fetchone() is None:
            raise StoreError(f"{self.path}: run {run_id} has no cycle {cycle_index}")
        return tuple(WaveformRecord(capture, net, t0, dt, _unpack(data, samples, self.path),
                                    valid=bool(valid), invalid_reason=reason)
                     for capture, net, t0, dt, samples, data, valid, reason in rows)

    def feature_matrix(self, run_id: int) -> FeatureMatrix:
        """All features of a run as one table: cycles x features, NaN where missing."""
        self.run(run_id)
        cycles = self._conn.execute("SELECT id, idx, passed, failed_step, error_class FROM cycles "
                                    "WHERE run_id = ? ORDER BY idx", (run_id,)).fetchall()
        position = {cid: i for i, (cid, *_) in enumerate(cycles)}
        rows = self._conn.execute(
            "SELECT f.cycle_id, f.name, f.value, f.unit, f.kind FROM features f "
            "JOIN cycles c ON c.id = f.cycle_id WHERE c.run_id = ?", (run_id,))
        return FeatureMatrix.from_rows([(idx, passed, failure_mode(step, error_class))
                                        for _, idx, passed, step, error_class in cycles],
                                       ((position[cid], *rest) for cid, *rest in rows))

    def integrity_check(self) -> str:
        """SQLite's own consistency check: "ok" or the first problems it found."""
        return "; ".join(r[0] for r in self._conn.execute("PRAGMA integrity_check"))

    # -- life cycle --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection. Runs still open here will read back as "interrupted"."""
        for run_id in list(self._held):
            self._release(run_id, remove=False)
        self._conn.close()

    def __enter__(self) -> "ResultsStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------------------
    def _writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._conn)

    def _lock_path(self, run_id: int) -> Path:
        return self.path.with_name(f"{self.path.name}.run{run_id}.lock")

    def _hold(self, run_id: int) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            self._held[run_id] = -1
            return
        try:
            fd = os.open(self._lock_path(run_id), os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise StoreError(f"{self._lock_path(run_id)}: cannot lock the run: {exc}") from None
        self._held[run_id] = fd

    def _release(self, run_id: int, *, remove: bool) -> None:
        fd = self._held.pop(run_id, None)
        if remove:
            try:
                self._lock_path(run_id).unlink()
            except OSError:
                pass
        if fd is not None and fd >= 0:
            os.close(fd)  # closing drops the flock

    def _is_live(self, run_id: int) -> bool:
        """Whether some process still writes this run (holds its lock)."""
        if run_id in self._held:
            return True
        if fcntl is None:  # pragma: no cover - Windows
            return False
        try:
            fd = os.open(self._lock_path(run_id), os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def _settle_interrupted_runs(self) -> None:
        """Write "interrupted" for good on runs whose writer died; drop their lock files."""
        stale = [rid for (rid,) in self._conn.execute("SELECT id FROM runs WHERE status = 'running'")
                 if not self._is_live(rid)]
        for run_id in stale:
            with self._transaction():
                self._conn.execute(
                    "UPDATE runs SET status = 'interrupted', ended = coalesce("
                    "(SELECT max(ended) FROM cycles WHERE run_id = ?), started) "
                    "WHERE id = ? AND status = 'running'", (run_id, run_id))
            self._release(run_id, remove=True)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (the connection is autocommit)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _statements(script: str) -> list[str]:
    """The statements of a migration script, to run one by one inside our transaction
    (sqlite3's executescript() would COMMIT first and break the all-or-nothing migration)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s.rstrip(";").strip()]


def _number(value: Any, what: str) -> float | None:
    """A float for SQLite (None for missing, NaN or infinite), or StoreError naming the field."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StoreError(f"{what}: {value!r} is not a number") from None
    return number if math.isfinite(number) else None


def _json(value: Any, what: str) -> str:
    """JSON text for a snapshot/details dict; numpy values and bytes are converted, other
    objects are stored as their str() rather than losing the cycle."""
    try:
        return json.dumps(value, default=_jsonable, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what}: cannot be stored as JSON ({exc})") from None


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (bytes, bytearray)):
        return obj.hex()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    return str(obj)


def _unpack(data: bytes, samples: int, path: Path) -> np.ndarray:
    try:
        volts = np.frombuffer(zlib.decompress(data), dtype="<f4")
    except zlib.error as exc:
        raise StoreError(f"{path}: a stored waveform is corrupt ({exc})") from None
    if len(volts) != samples:
        raise StoreError(f"{path}: a stored waveform has {len(volts)} samples, expected {samples}")
    return volts.astype(np.float64)


__all__ = ["APPLICATION_ID", "MIGRATIONS", "ResultsStore", "SCHEMA_VERSION"]
