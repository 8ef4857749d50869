"""The SQLite backend: the embedded default, one file next to the bench.

Everything that is SQLite's own lives here — opening the file, WAL and fsync, what marks a file
as ours, how a live run is seen (flock), SQLite's integrity check — and nowhere else; the SQL of
runs, cycles and features is shared with PostgreSQL in `base.py`. (Reading damaged rows, and a
database whose committed data is still only in its `-wal` file, belong here too.)

Durability. The database runs in WAL mode with `synchronous=FULL`. Each finished cycle is one
transaction. A SIGKILL of the process alone loses nothing committed with either NORMAL or FULL
(the WAL pages are in the OS already); FULL also fsyncs the WAL at every commit, so a committed
cycle survives the bench PC losing power or the kernel crashing. That costs one fsync per cycle,
and a cycle takes seconds (power-cycle, erase, program), so the price is nothing.

Threads. One store = one sqlite3 connection = one thread (sqlite3's own `check_same_thread`
enforces it). Several writers (processes on this machine) take turns: each transaction is
`BEGIN IMMEDIATE`, waiting up to BUSY_TIMEOUT_S for another's commit; readers never wait.

Live runs. While a run is being written, its writer holds an exclusive `flock` on a small file
next to the database (`<db>.run<id>.lock`). The kernel drops the lock when the writer dies, so a
run still marked "running" whose lock is free reads back as "interrupted"; the next writer that
opens the database records that status for good and removes the stale lock file. (flock works
between processes of one machine: a database shared by several machines belongs in PostgreSQL.)

The -wal file. In WAL mode committed data lives in `<db>-wal` until a checkpoint copies it into
`<db>`; SQLite checkpoints when the last connection closes cleanly, so after a kill (or while a
run is live) most of a run may be only in the -wal file. The -wal file (and `-shm`) belong to the
database: copy or move them with it. A reader (`benchtui report`, `export`, the console's
results) that may write the file checkpoints first (PASSIVE: it never waits for a live writer),
so that the database file itself is whole again; one that may not reads the -wal file as SQLite
does. A database that looks empty next to no -wal file says that it may have been copied without it.

Schema marker. `PRAGMA application_id` says "this is a benchtui file"; the version is the
`schema_version` row of `meta`. A newer or unknown version, or a file that is not a benchtui
database, raises StoreError naming the file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable
from urllib.parse import quote

from ...errors import StoreError
from .base import ResultsStore
from .schema import APPLICATION_ID

try:  # POSIX; elsewhere a run can only be seen as live by its own store object.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Seconds a connection waits for another writer's transaction before giving up.
BUSY_TIMEOUT_S = 10.0


class SqliteStore(ResultsStore):
    """A results database in one SQLite file (`open_store(path)` opens one)."""

    dialect = "sqlite"
    _db_errors = (sqlite3.Error,)
    _integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False):
        self.path = Path(path)
        super().__init__(self.path, readonly=readonly)

    # -- opening -----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                if not self.path.is_file():
                    raise StoreError(f"{self.path}: no such results database")
                wal = self._wal()
                self._wal_found = wal.is_file() and wal.stat().st_size > 0  # before SQLite makes one
                self._checkpoint_left_wal()
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            else:
                if self.path.is_dir():
                    raise StoreError(f"{self.path}: is a directory, not a results database")
                _make_folder(self.path)
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

    def _wal(self) -> Path:
        return self.path.with_name(self.path.name + "-wal")

    def _checkpoint_left_wal(self) -> None:
        """Copy committed pages a killed writer left in the -wal file into the database file
        (readers only, when the files may be written; never waits for a live writer)."""
        wal = self._wal()
        try:
            if not wal.is_file() or wal.stat().st_size == 0:
                return
            if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
                return  # read-only: SQLite reads the -wal file itself
        except OSError:
            return
        try:
            conn = sqlite3.connect(self.path, timeout=0.5, isolation_level=None)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # a busy or damaged file: the read-only open below says what is wrong

    def _close_connection(self) -> None:
        self._conn.close()

    def _version(self) -> int:
        try:
            app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a benchtui results database ({exc})") from None
        if app_id == 0 and not tables:
            if self.readonly and not getattr(self, "_wal_found", True):
                raise StoreError(f"{self.path}: is empty (no runs); if it was copied from a bench, "
                                 f"copy its -wal file ({self._wal().name}) with it: the -wal file is "
                                 "part of the database")
            return 0
        if app_id != APPLICATION_ID or "meta" not in tables:
            raise StoreError(f"{self.path}: not a benchtui results database "
                             f"(an SQLite file with tables {', '.join(sorted(tables)) or 'none'})")
        return self._stored_version()

    def _mark_database(self) -> None:
        self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    # -- statements and transactions ---------------------------------------------------------
    def _q(self, sql: str, params: tuple | list = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def _qmany(self, sql: str, rows: Iterable[tuple]) -> None:
        self._conn.executemany(sql, rows)

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._conn)

    def _begin_read(self) -> None:
        self._conn.execute("BEGIN")  # deferred: a WAL read snapshot, never blocks a writer

    def _end_read(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def _aggregate_pairs(self, key: str, value: str) -> str:
        # SQLite prints a REAL with up to 16 significant digits (within 1e-15 of the stored value).
        return (f"group_concat({key} || ':' || CASE WHEN {value} IS NULL THEN 'nan' "
                f"ELSE printf('%.17g', {value}) END, ',')")

    def integrity_check(self) -> str:
        """SQLite's own consistency check: "ok" or the first problems it found."""
        return "; ".join(r[0] for r in self._conn.execute("PRAGMA integrity_check"))

    # -- live-run locks ----------------------------------------------------------------------
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

    def _live(self, run_ids: list[int]) -> set[int]:
        return {run_id for run_id in run_ids if self._is_live(run_id)}

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


__all__ = ["BUSY_TIMEOUT_S", "SqliteStore"]


def _make_folder(path: Path) -> None:
    """Create the database's folder; StoreError naming the real cause when a part of the path
    is a file (mkdir says only "[Errno 17] File exists" or "[Errno 20] Not a directory")."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path.parent, *path.parent.parents) if p.exists() and not p.is_dir()),
                       path.parent)
        raise StoreError(f"{path}: cannot create the results database: {blocker} is a file, not a "
                         "folder (store.database names a path through it)") from None
