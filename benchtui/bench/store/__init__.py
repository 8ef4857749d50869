"""The results store: every run, cycle, step, feature, waveform and event, in SQLite or PostgreSQL.

    ResultsStore("bench.db")                                  # SQLite, the embedded default
    ResultsStore("postgresql://bench@lab-db:5432/results")    # one database for many benches

Every reader (report, export, by-board, the console's Results tab) and the cycle engine use
`ResultsStore`; which backend answers depends only on what it was opened with.

    schema.py    the one schema, versioned: migrations both backends run, table columns
    codec.py     how numbers, JSON and waveforms are written and read back
    base.py      ResultsStore: the SQL every backend shares (writing and reading runs)
    sqlite.py    the SQLite backend: WAL + fsync, flock live-run locks, file checks
    postgres.py  the PostgreSQL backend (psycopg 3): advisory-lock live runs, timeouts
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import ResultsStore, is_url
from .schema import APPLICATION_ID, FINAL_STATUSES, MIGRATIONS, SCHEMA_VERSION, TABLES


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


__all__ = ["APPLICATION_ID", "FINAL_STATUSES", "MIGRATIONS", "ResultsStore", "SCHEMA_VERSION",
           "TABLES", "display_name", "exists", "is_url"]
