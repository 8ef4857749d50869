"""Shmoos in the store: a shmoo row (its axes and settings), and the runs that are its cells.

A shmoo's cells are ordinary runs (every reader of runs works on them) that carry the shmoo's id
and their condition values (`runs.shmoo_id`, `runs.conditions`). A cell the adaptive order came
back to has more than one run; `cell_counts` pools them by their conditions. A mixin of
`ResultsStore`: it uses the store's `_q`, `_transaction`, `_reading` and `_guard`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ...errors import StoreError
from .codec import from_json, to_json

#: Statuses a shmoo ends with ("interrupted" is what a shmoo still "running" reads back as once
#: no run of it is live).
SHMOO_STATUSES = ("completed", "stopped", "error")
#: Seconds a shmoo may go without a live run (between one cell's run and the next: applying the
#: next setpoint) before a reader takes it for interrupted.
BETWEEN_CELLS_S = 30.0


@dataclass(frozen=True)
class ShmooSummary:
    """One shmoo as the list shows it; `axes` as stored (name, unit, kind, values per axis)."""

    id: int
    name: str
    started: float
    ended: float | None
    status: str
    axes: tuple[dict, ...]
    settings: dict
    bench: str | None
    runs: int = 0


@dataclass
class CellCounts:
    """A cell's cycles pooled over its runs: how many, how many failed, failures by mode."""

    conditions: dict
    runs: list[int] = field(default_factory=list)
    cycles: int = 0
    failures: int = 0
    modes: dict[str, int] = field(default_factory=dict)


class ShmooRecords:
    """The shmoo half of the store (see the module docstring)."""

    where: str

    def start_shmoo(self, name: str, axes: list[dict], settings: dict, bench: str | None) -> int:
        """Record a new shmoo as "running"; its cells are started with `start_run(shmoo_id=...)`."""
        self._writable()  # type: ignore[attr-defined]
        with self._guard(f"start shmoo {name!r}"), self._transaction():  # type: ignore[attr-defined]
            return int(self._q(  # type: ignore[attr-defined]
                "INSERT INTO shmoos (name, started, status, axes, settings, bench) "
                "VALUES (?, ?, 'running', ?, ?, ?) RETURNING id",
                (name, time.time(), to_json(axes, "shmoo axes"), to_json(settings, "shmoo settings"),
                 bench)).fetchone()[0])

    def end_shmoo(self, shmoo_id: int, status: str, settings: dict | None = None) -> None:
        """Close a shmoo with its final status (and its settings as they ended: the level)."""
        self._writable()  # type: ignore[attr-defined]
        if status not in SHMOO_STATUSES:
            raise StoreError(f"{self.where}: shmoo status {status!r} is not one of {', '.join(SHMOO_STATUSES)}")
        with self._guard(f"end shmoo {shmoo_id}"), self._transaction():  # type: ignore[attr-defined]
            if settings is not None:
                self._q("UPDATE shmoos SET settings = ? WHERE id = ?",  # type: ignore[attr-defined]
                        (to_json(settings, "shmoo settings"), shmoo_id))
            cur = self._q("UPDATE shmoos SET status = ?, ended = ? WHERE id = ?",  # type: ignore[attr-defined]
                          (status, time.time(), shmoo_id))
            if cur.rowcount == 0:
                raise StoreError(f"{self.where}: no shmoo {shmoo_id}")

    def shmoos(self) -> list[ShmooSummary]:
        """Every shmoo, oldest first."""
        with self._reading("the shmoo list"):  # type: ignore[attr-defined]
            rows = self._q(_SHMOO_COLUMNS + " GROUP BY s.id ORDER BY s.id").fetchall()  # type: ignore[attr-defined]
            return [self._shmoo_summary(r) for r in rows]

    def shmoo(self, shmoo_id: int) -> ShmooSummary:
        """One shmoo; StoreError when there is none of that id."""
        with self._reading(f"shmoo {shmoo_id}"):  # type: ignore[attr-defined]
            row = self._q(_SHMOO_COLUMNS + " WHERE s.id = ? GROUP BY s.id",  # type: ignore[attr-defined]
                          (shmoo_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.where}: no shmoo {shmoo_id}")
        return self._shmoo_summary(row)

    def _shmoo_summary(self, row: tuple) -> ShmooSummary:
        sid, name, started, ended, status, axes, settings, bench, runs = row
        if status == "running" and not self._shmoo_live(sid, started):
            status = "interrupted"
        return ShmooSummary(int(sid), name, started, ended, status, tuple(from_json(axes, self.where)),
                            from_json(settings, self.where), bench, int(runs))

    def _shmoo_live(self, shmoo_id: int, started: float) -> bool:
        """A running shmoo is live while one of its runs is, or between runs: while its last run
        ended less than BETWEEN_CELLS_S ago (or it started that recently and has none yet)."""
        ids = [r for (r,) in self._q("SELECT id FROM runs WHERE shmoo_id = ? AND status = 'running'",  # type: ignore[attr-defined]
                                     (shmoo_id,)).fetchall()]
        if ids and self._live(ids):  # type: ignore[attr-defined]
            return True
        last = self._q("SELECT max(ended) FROM runs WHERE shmoo_id = ?", (shmoo_id,)).fetchone()[0]  # type: ignore[attr-defined]
        return time.time() - max(started, last or 0.0) < BETWEEN_CELLS_S

    def cell_counts(self, shmoo_id: int) -> list[CellCounts]:
        """The shmoo's cells in the order they were first run, each pooled over its runs."""
        from ..records import failure_mode

        with self._reading(f"cells of shmoo {shmoo_id}"):  # type: ignore[attr-defined]
            self.shmoo(shmoo_id)
            runs = self._q("SELECT id, conditions FROM runs WHERE shmoo_id = ? ORDER BY id",  # type: ignore[attr-defined]
                           (shmoo_id,)).fetchall()
            rows = self._q(  # type: ignore[attr-defined]
                "SELECT c.run_id, c.failed_step, c.error_class, count(*), sum(1 - c.passed) "
                "FROM cycles c JOIN runs r ON r.id = c.run_id WHERE r.shmoo_id = ? "
                "GROUP BY c.run_id, c.failed_step, c.error_class", (shmoo_id,)).fetchall()
        cells: dict[str, CellCounts] = {}
        of_run: dict[int, CellCounts] = {}
        for run_id, conditions in runs:
            key = str(conditions)
            cell = cells.setdefault(key, CellCounts(from_json(conditions, self.where)))
            cell.runs.append(int(run_id))
            of_run[int(run_id)] = cell
        for run_id, step, error_class, n, failed in rows:
            cell = of_run[int(run_id)]
            cell.cycles += int(n)
            cell.failures += int(failed or 0)
            if failed:
                mode = failure_mode(step, error_class) or "?"
                cell.modes[mode] = cell.modes.get(mode, 0) + int(failed)
        return list(cells.values())

    def run_tags(self, run_id: int) -> tuple[int | None, dict]:
        """(shmoo id, condition values) of a run: (None, {}) for a run that is no shmoo's cell."""
        with self._reading(f"run {run_id}"):  # type: ignore[attr-defined]
            row = self._q("SELECT shmoo_id, conditions FROM runs WHERE id = ?", (run_id,)).fetchone()  # type: ignore[attr-defined]
        if row is None:
            raise StoreError(f"{self.where}: no run {run_id}")
        return (None if row[0] is None else int(row[0])), from_json(row[1], self.where)

    def _copy_shmoo_tags(self, source: "ShmooRecords", run_id: int, new_id: int) -> None:
        """Inside `import_run`'s transaction: give the copy the source run's conditions and its
        shmoo (the shmoo row is copied once per source shmoo and store: the same destination
        shmoo collects every cell copied from it)."""
        sid, conditions = source.run_tags(run_id)
        if sid is None:
            return
        copied: dict[tuple[str, int], int] = self.__dict__.setdefault("_copied_shmoos", {})
        key = (source.where, sid)
        if key not in copied:
            s = source.shmoo(sid)
            copied[key] = int(self._q(  # type: ignore[attr-defined]
                "INSERT INTO shmoos (name, started, ended, status, axes, settings, bench) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (s.name, s.started, s.ended, s.status if s.status in SHMOO_STATUSES else "stopped",
                 to_json(list(s.axes), "shmoo axes"), to_json(s.settings, "shmoo settings"),
                 s.bench)).fetchone()[0])
        self._q("UPDATE runs SET shmoo_id = ?, conditions = ? WHERE id = ?",  # type: ignore[attr-defined]
                (copied[key], to_json(conditions, "conditions"), new_id))


_SHMOO_COLUMNS = ("SELECT s.id, s.name, s.started, s.ended, s.status, s.axes, s.settings, s.bench, "
                  "count(r.id) FROM shmoos s LEFT JOIN runs r ON r.shmoo_id = s.id")

__all__ = ["CellCounts", "SHMOO_STATUSES", "ShmooRecords", "ShmooSummary"]
