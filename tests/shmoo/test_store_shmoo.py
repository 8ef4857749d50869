"""A shmoo in the store, on both backends: its cells are runs tagged with the shmoo and their
condition values, pooled per cell for the report, and copied whole by `store migrate`."""

from __future__ import annotations

from benchtui.bench.report.shmoo import shmoo_text
from benchtui.bench.shmoo import Grid, parse_vary
from benchtui.bench.shmoo.result import load_shmoo
from benchtui.bench.store import SCHEMA_VERSION, TABLES, open_store
from benchtui.cli import main
from tests.bench.test_store import cycle, make_v1, sql


def write_shmoo(db: str) -> tuple[int, list[int]]:
    grid = Grid((parse_vary("psu.voltage=3.0,3.3"), parse_vary("cycle.off_s=0.01,0.05")))
    runs = []
    with open_store(db) as store:
        sid = store.start_shmoo("shmoo: psu.voltage x cycle.off_s", grid.as_dicts(),
                                {"cycles": 4, "adaptive": True}, "bench-1")
        # (3.0 V, 10 ms) visited twice (coarse, then refined), (3.3 V, 50 ms) once
        for conditions, outcomes in (({"psu.voltage": 3.0, "cycle.off_s": 0.01}, [False, False]),
                                     ({"psu.voltage": 3.3, "cycle.off_s": 0.05}, [True, True, True]),
                                     ({"psu.voltage": 3.0, "cycle.off_s": 0.01}, [False, True])):
            run = store.start_run("shmoo cell", {"name": "p"}, {}, {}, scenario="brownout", bench="bench-1",
                                  shmoo_id=sid, conditions=conditions)
            for i, ok in enumerate(outcomes, 1):
                store.add_cycle(run, cycle(i, passed=ok))
            store.end_run(run)
            runs.append(run)
        store.end_shmoo(sid, "completed", {"cycles": 4, "adaptive": True, "level": 0.5})
    return sid, runs


def test_cells_are_tagged_runs_pooled_per_cell(store_target) -> None:
    db = store_target()
    sid, runs = write_shmoo(db)
    with open_store(db, readonly=True) as store:
        [s] = store.shmoos()
        assert (s.id, s.status, s.runs, s.bench) == (sid, "completed", 3, "bench-1")
        assert [r.shmoo for r in store.runs()] == [sid] * 3
        assert store.run_tags(runs[1]) == (sid, {"psu.voltage": 3.3, "cycle.off_s": 0.05})
        cells = store.cell_counts(sid)
        assert [(c.conditions["psu.voltage"], c.runs, c.cycles, c.failures) for c in cells] == [
            (3.0, [runs[0], runs[2]], 4, 3), (3.3, [runs[1]], 3, 0)]
        assert cells[0].modes == {"erase (write-protected)": 3}
        result = load_shmoo(store)
    assert result.level == 0.5 and result.cells[(0, 0)].rate == 0.75 and result.cells[(0, 0)].runs == (runs[0], runs[2])
    text = shmoo_text(result)
    assert "erase (write-protected) (3 of 3)" in text and "2 of 4 cells run, 7 cycles" in text


def test_report_export_and_by_board_read_a_cell_like_any_run(tmp_path, capsys) -> None:
    db = str(tmp_path / "r.db")
    sid, runs = write_shmoo(db)
    assert main(["report", db, "--shmoo"]) == 0 and "shmoo 1" in capsys.readouterr().out
    assert main(["report", db, "--shmoo", str(sid), "--json"]) == 0 and '"level": 0.5' in capsys.readouterr().out
    assert main(["export", db, "--run", str(runs[1])]) == 0 and capsys.readouterr().out.count("\n") == 4
    assert main(["report", db, "--by-board"]) == 0


def test_store_migrate_copies_the_shmoo_and_the_tags(store_target, tmp_path, capsys) -> None:
    src = str(tmp_path / "src.db")
    write_shmoo(src)
    dst = store_target("dst.db")
    assert main(["store", "migrate", src, dst, "-q"]) == 0
    with open_store(dst, readonly=True) as store:
        [s] = store.shmoos()
        assert s.status == "completed" and s.settings["level"] == 0.5
        assert [c.cycles for c in store.cell_counts(s.id)] == [4, 3]


def test_a_v1_database_migrates_to_the_shmoo_schema(store_target) -> None:
    db = store_target("v1.db")
    make_v1(db)
    with open_store(db) as store:
        [run] = store.runs()
        assert run.shmoo is None and store.run_tags(run.id) == (None, {}) and store.shmoos() == []
    assert sql(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert "shmoos" in TABLES and TABLES["runs"][-2:] == ("shmoo_id", "conditions")
