"""The results store: every run, cycle, step, feature, waveform and event, in SQLite or PostgreSQL.

    open_store("bench.db")                                    # SQLite, the embedded default
    open_store("postgresql://bench@lab-db:5432/results")      # one database for many benches

Every reader (report, export, by-board, the console's Results tab) and the cycle engine use the
`ResultsStore` API; which backend answers depends only on what it was opened with: `BACKENDS`
maps URL schemes to backends, anything without a scheme is an SQLite file.

    schema.py    the one schema, versioned: migrations both backends run, table columns
    codec.py     how numbers, JSON and waveforms are written and read back
    base.py      ResultsStore: the SQL every backend shares (writing and reading runs)
    sqlite.py    the SQLite backend: WAL + fsync, flock live-run locks, file checks
    postgres.py  the PostgreSQL backend (psycopg 3): advisory-lock live runs, timeouts
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from ...errors import StoreError
from .base import ResultsStore, is_url
from .schema import APPLICATION_ID, FINAL_STATUSES, MIGRATIONS, SCHEMA_VERSION, TABLES

#: The backend for each URL scheme ("module:class" in this package, imported when first opened:
#: psycopg is loaded only for a PostgreSQL URL); "" is a file path (SQLite).
BACKENDS = {"": "sqlite:SqliteStore", "postgresql": "postgres:PostgresStore", "postgres": "postgres:PostgresStore"}


def open_store(target: str | os.PathLike[str], *, readonly: bool = False) -> ResultsStore:
    """Open (or create, unless `readonly`) the results database at `target`: a file path or a
    `postgresql://USER@HOST:PORT/DB` URL."""
    return _backend(target)(target, readonly=readonly)


def _backend(target: Any) -> type[ResultsStore]:
    scheme = str(target).split("://", 1)[0] if isinstance(target, str) and "://" in target else ""
    if scheme not in BACKENDS:
        raise StoreError(f"{str(target).split('@')[-1]}: {scheme}:// is not a results database "
                         "(use a file path for SQLite or postgresql://USER@HOST:PORT/DB)")
    module, cls = BACKENDS[scheme].split(":")
    return getattr(importlib.import_module(f".{module}", __name__), cls)


def exists(target: str | os.PathLike[str]) -> bool:
    """Whether there is something to read at `target`: an existing file, or any URL (a
    server is asked only when the store is opened)."""
    return is_url(str(target)) or Path(target).is_file()


def display_name(target: str | os.PathLike[str]) -> str:
    """`target` as messages show it (a URL without its password)."""
    if is_url(str(target)):
        from .postgres import public_url
        return public_url(str(target))
    return str(target)


__all__ = ["APPLICATION_ID", "BACKENDS", "FINAL_STATUSES", "MIGRATIONS", "ResultsStore", "SCHEMA_VERSION",
           "TABLES", "display_name", "exists", "is_url", "open_store"]
