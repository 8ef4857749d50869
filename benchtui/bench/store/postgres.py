"""The PostgreSQL backend: one results database for many benches (psycopg 3).

`open_store("postgresql://USER@HOST:PORT/DB")` opens it; the tables, columns and versions are
those of the SQLite backend (`schema.py`), and the SQL of runs, cycles and features is shared
(`base.py`). What is PostgreSQL's own lives here:

- Many writers. Benches on several machines write their runs at the same time; each cycle is
  one transaction (`add_cycle`), so a bench that dies loses nothing it finished. Readers use
  read-only REPEATABLE READ snapshots: MVCC, so a reader never blocks a writer (nor waits for one).
- Live runs: a *session advisory lock* per run, `pg_advisory_lock(APPLICATION_ID, run_id)`,
  taken in the transaction that creates the run (before its commit). PostgreSQL drops it when
  the writer's session ends for any reason — the process exits or is killed, the bench PC
  loses power or the network — so a run still marked "running" whose lock no session holds
  (`pg_locks`) reads back as "interrupted", from any machine, with no flock and no heartbeat.
  The next writer that opens the database records that status for good. A bench that vanishes
  without closing its TCP connection is noticed by the server's TCP keepalives, which this
  backend sets for its own sessions (KEEPALIVE_*: about 30 s).
- Bounded waits: connecting (CONNECT_TIMEOUT_S), statements (STATEMENT_TIMEOUT_S), row locks
  (LOCK_TIMEOUT_S) and a transaction left idle by a hung writer (IDLE_IN_TRANSACTION_S).
- A lost connection (network blip, server restart) does not end a run: the next write
  reconnects once, takes its runs back (locks, and "running" again if another bench had
  settled them as interrupted meanwhile) and stores the cycle, unless its commit had already
  reached the server.
- Schema: a database with no tables is built by running the migrations from 0 (transactional
  DDL, under an advisory transaction lock so two benches starting together do not both build
  it); a database with tables but no `meta` is not ours and is refused, as is a newer version.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

from ...errors import StoreError
from .base import ResultsStore
from .codec import first_line
from .schema import APPLICATION_ID

try:
    import psycopg
    from psycopg.pq import TransactionStatus
except ImportError:  # pragma: no cover - psycopg is a dependency; a broken install says so
    psycopg = None  # type: ignore[assignment]

CONNECT_TIMEOUT_S = 10
STATEMENT_TIMEOUT_S = 60
LOCK_TIMEOUT_S = 10
IDLE_IN_TRANSACTION_S = 120
#: Server-side TCP keepalives of our sessions: a bench gone from the network without a goodbye
#: loses its session (and so its live-run locks) after about idle + interval x count seconds.
KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT = 15, 5, 3
#: The second key of the advisory lock that serialises schema migrations (run ids start at 1).
_SCHEMA_LOCK = 0


def public_url(url: str) -> str:
    """The URL as messages show it: without a password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@functools.lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    """Our `?` placeholders as psycopg's `%s` (none of our statements has a literal ? or %)."""
    return sql.replace("?", "%s")


class PostgresStore(ResultsStore):
    """A results database on a PostgreSQL server (`open_store(url)` opens one)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, readonly: bool = False):
        if psycopg is None:  # pragma: no cover
            raise StoreError(f"{public_url(url)}: PostgreSQL needs the psycopg package "
                             "(pip install 'psycopg[binary]')")
        self.url = url
        self._db_errors = (psycopg.Error,)
        self._integrity_errors = (psycopg.IntegrityError,)
        super().__init__(public_url(url), readonly=readonly)

    # -- opening -----------------------------------------------------------------------------
    def _connect(self) -> Any:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name="benchtui")
        except psycopg.Error as exc:
            raise StoreError(f"{self.where}: cannot connect to the results database: "
                             f"{first_line(exc)}") from None
        except ValueError as exc:  # a URL libpq cannot parse
            raise StoreError(f"{self.where}: not a usable PostgreSQL URL ({exc})") from None
        try:
            for setting, value in (("statement_timeout", f"{STATEMENT_TIMEOUT_S}s"),
                                   ("lock_timeout", f"{LOCK_TIMEOUT_S}s"),
                                   ("idle_in_transaction_session_timeout", f"{IDLE_IN_TRANSACTION_S}s"),
                                   ("tcp_keepalives_idle", str(KEEPALIVE_IDLE_S)),
                                   ("tcp_keepalives_interval", str(KEEPALIVE_INTERVAL_S)),
                                   ("tcp_keepalives_count", str(KEEPALIVE_COUNT)),
                                   ("default_transaction_read_only", "on" if self.readonly else "off")):
                conn.execute("SELECT set_config(%s, %s, false)", (setting, value))
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"{self.where}: cannot set up the session: {first_line(exc)}") from None
        return conn

    def _close_connection(self) -> None:
        self._conn.close()  # ends the session: the server drops every advisory lock we held

    def _version(self) -> int:
        tables = {r[0] for r in self._conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
        if not tables:
            return 0
        if "meta" not in tables:
            raise StoreError(f"{self.where}: not a benchtui results database "
                             f"(a PostgreSQL database with tables {', '.join(sorted(tables))})")
        return self._stored_version()

    def _lock_schema(self) -> None:
        self._conn.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
                           (APPLICATION_ID, _SCHEMA_LOCK))

    # -- statements and transactions ---------------------------------------------------------
    def _q(self, sql: str, params: tuple | list = ()) -> Any:
        return self._conn.execute(_pg(sql), params or None)

    def _qmany(self, sql: str, rows: Iterable[tuple]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(_pg(sql), list(rows))

    def _transaction(self) -> Any:
        return self._conn.transaction()

    def _begin_read(self) -> None:
        self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _end_read(self) -> None:
        status = self._conn.info.transaction_status
        if status == TransactionStatus.INTRANS:
            self._conn.execute("COMMIT")
        elif status == TransactionStatus.INERROR:
            self._conn.execute("ROLLBACK")

    def _aggregate_pairs(self, key: str, value: str) -> str:
        # float8 as text is exact (shortest round-trip form since PostgreSQL 12).
        return f"string_agg({key}::text || ':' || coalesce({value}::text, 'nan'), ',')"

    def integrity_check(self) -> str:
        """PostgreSQL enforces keys and constraints itself; this counts rows whose parent is
        missing (there should be none) and says "ok" or what it found."""
        problems = []
        with self._reading("integrity"):
            for child, key, parent in (("cycles", "run_id", "runs"), ("steps", "cycle_id", "cycles"),
                                       ("features", "cycle_id", "cycles"),
                                       ("waveforms", "cycle_id", "cycles"), ("events", "run_id", "runs")):
                n = self._q(f"SELECT count(*) FROM {child} x LEFT JOIN {parent} p ON p.id = x.{key} "
                            "WHERE p.id IS NULL").fetchone()[0]
                if n:
                    problems.append(f"{n} {child} rows without their {parent} row")
        return "; ".join(problems) or "ok"

    # -- writes survive a lost connection -----------------------------------------------------
    def add_cycle(self, run_id: int, cycle: Any) -> int:
        """As ResultsStore.add_cycle; when the connection to the server was lost (a network
        blip, a server restart), reconnect once, take the run back and store the cycle — unless
        its commit had reached the server before the connection went."""
        def again() -> int:
            row = self._q("SELECT id FROM cycles WHERE run_id = ? AND idx = ?",
                          (run_id, int(cycle.index))).fetchone()
            return int(row[0]) if row else ResultsStore.add_cycle(self, run_id, cycle)
        return self._reconnecting(lambda: ResultsStore.add_cycle(self, run_id, cycle), again)

    def add_event(self, run_id: int, event: Any) -> None:
        self._reconnecting(lambda: ResultsStore.add_event(self, run_id, event))

    def end_run(self, run_id: int, status: str = "completed") -> None:
        self._reconnecting(lambda: ResultsStore.end_run(self, run_id, status))

    def _reconnecting(self, write: Any, retry: Any = None) -> Any:
        try:
            return write()
        except StoreError:
            if not (self._conn.closed or self._conn.broken) or self.readonly:
                raise
        self._reconnect()
        return (retry or write)()

    def _reconnect(self) -> None:
        """A new session; the runs this store was writing are taken back (their advisory locks
        again, and "running" again if another bench's store had meanwhile settled them as
        interrupted)."""
        held, self._held = list(self._held), {}
        try:
            self._conn.close()
        except psycopg.Error:
            pass
        self._conn = self._connect()  # StoreError (one line) if the server stays unreachable
        for run_id in held:
            with self._guard(f"take run {run_id} back"), self._transaction():
                self._q("UPDATE runs SET status = 'running', ended = NULL "
                        "WHERE id = ? AND status = 'interrupted'", (run_id,))
                self._hold(run_id)

    # -- live-run locks (session advisory locks) ---------------------------------------------
    def _hold(self, run_id: int) -> None:
        got = self._conn.execute("SELECT pg_try_advisory_lock(%s::integer, %s::integer)",
                                 (APPLICATION_ID, _lock_key(run_id))).fetchone()[0]
        if not got:
            raise StoreError(f"{self.where}: run {run_id} is already locked by another session")
        self._held[run_id] = True

    def _release(self, run_id: int, *, remove: bool) -> None:
        if self._held.pop(run_id, None) and not self._conn.closed:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s::integer, %s::integer)",
                                   (APPLICATION_ID, _lock_key(run_id)))
            except psycopg.Error:
                pass  # the session is gone, and the lock with it

    def _live(self, run_ids: list[int]) -> set[int]:
        rows = self._conn.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s::oid AND objsubid = 2 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (APPLICATION_ID,)).fetchall()
        held = {r[0] for r in rows}
        return {run_id for run_id in run_ids if _lock_key(run_id) in held}


def _lock_key(run_id: int) -> int:
    if not 0 < run_id < 2 ** 31:  # pragma: no cover - two thousand million runs
        raise StoreError(f"run id {run_id} does not fit an advisory lock key")
    return int(run_id)


__all__ = ["PostgresStore", "public_url"]
