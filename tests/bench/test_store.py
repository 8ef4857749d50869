"""The results store on each backend (SQLite file, PostgreSQL server): round trip, atomic
cycles, live/interrupted runs, schema checks. Tests taking `store_target` run on both."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from benchtui.bench.records import (CycleRecord, EventRecord, FeatureValue, StepRecord,
                                    WaveformRecord)
from benchtui.bench.store import APPLICATION_ID, SCHEMA_VERSION, TABLES, ResultsStore, is_url, open_store
from benchtui.bench.store.schema import migration, render, MIGRATIONS
from benchtui.errors import StoreError


def raw(target: str):
    """A plain DB-API connection to the same database (to look behind the store's back)."""
    if is_url(target):
        import psycopg
        return psycopg.connect(target, autocommit=True)
    conn = sqlite3.connect(target, isolation_level=None)
    return conn


def sql(target: str, statement: str) -> list[tuple]:
    conn = raw(target)
    try:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def cycle(index: int, *, passed: bool = True, vcap_min: float | None = 1.18,
          extra_features: tuple[FeatureValue, ...] = (), waveforms: tuple | None = None) -> CycleRecord:
    t = 1000.0 + 10 * index
    steps = (StepRecord("power_on", t, t + 0.1, "pass", 1, None, None, {}),
             StepRecord("connect", t + 0.1, t + 0.3, "pass", 2, None, None, {"idcode": "0x10016451"}),
             StepRecord("erase", t + 0.3, t + 2.0, "pass" if passed else "fail", 1,
                        None if passed else "WriteProtected", None if passed else "WRPERR sector 0",
                        {"sr": 0 if passed else 0x10, "flags": [] if passed else ["WRPERR"]}))
    features = (FeatureValue("flash.VCAP1.min", vcap_min, "V", "rail"),
                FeatureValue("psu.flash.current", 0.12 + index / 1000, "A", "psu"),
                FeatureValue("step.erase.duration", 1.7, "s", "timing")) + extra_features
    if waveforms is None:
        ramp = np.linspace(0, 3.3, 500) + index / 100
        waveforms = (WaveformRecord("power_up", "VDD", -1e-4, 2e-6, ramp),
                     WaveformRecord("power_up", "VCAP1", -1e-4, 2e-6, np.full(500, 1.2)))
    return CycleRecord(index=index, started=t, ended=t + 2.5, passed=passed,
                       failed_step=None if passed else "erase",
                       error_class=None if passed else "WriteProtected",
                       error_text=None if passed else "WRPERR sector 0",
                       steps=steps, features=features, waveforms=waveforms)


def start(store: ResultsStore, name: str = "bench-1") -> int:
    return store.start_run(name, {"name": name, "psu": {"voltage": 3.3}}, {"benchtui": "0.1.0"},
                           {"psu": "RIGOL TECHNOLOGIES,DP832", "scope": "RIGOL,DS1054Z"},
                           scenario="vcap-marginal")


def counts(target: str) -> tuple[int, ...]:
    return tuple(sql(target, f"SELECT count(*) FROM {t}")[0][0]
                 for t in ("cycles", "steps", "features", "waveforms"))


def test_round_trip_through_a_reopened_database(store_target, tmp_path: Path) -> None:
    db = store_target()
    if not is_url(db):
        db = str(tmp_path / "results" / "bench.db")  # parent folder is created
    records = [cycle(1), cycle(2, passed=False, vcap_min=1.02), cycle(3, vcap_min=None)]
    with open_store(db) as store:
        run_id = start(store)
        for r in records:
            store.add_cycle(run_id, r)
        store.end_run(run_id, "completed")
    with open_store(db, readonly=True) as store:
        [summary] = store.runs()
        assert (summary.id, summary.name, summary.status, summary.cycles, summary.failures,
                summary.scenario) == (run_id, "bench-1", "completed", 3, 1, "vcap-marginal")
        assert summary.ended is not None and summary.ended >= summary.started
        assert store.run(run_id) == summary
        back = store.cycles(run_id)
        assert back == [CycleRecord(**{**r.__dict__, "waveforms": ()}) for r in records]
        assert store.run_metadata(run_id) == {
            "profile": {"name": "bench-1", "psu": {"voltage": 3.3}}, "versions": {"benchtui": "0.1.0"},
            "instruments": {"psu": "RIGOL TECHNOLOGIES,DP832", "scope": "RIGOL,DS1054Z"}}
        waves = store.waveforms(run_id, 2)
        assert [(w.capture, w.net, w.t0, w.dt) for w in waves] == [
            ("power_up", "VDD", -1e-4, 2e-6), ("power_up", "VCAP1", -1e-4, 2e-6)]
        assert np.array_equal(waves[0].volts, records[1].waveforms[0].volts.astype(np.float32))
        m = store.feature_matrix(run_id)
        assert m.names == ("flash.VCAP1.min", "psu.flash.current", "step.erase.duration")
        assert m.kinds == ("rail", "psu", "timing") and m.units == ("V", "A", "s")
        assert m.cycles == (1, 2, 3) and list(m.passed) == [True, False, True]
        assert m.failed_steps == (None, "erase (write-protected)", None)
        assert m.row(2)["flash.VCAP1.min"] is None and m.row(1)["flash.VCAP1.min"] == 1.02


def test_both_backends_hold_the_one_schema(store_target) -> None:
    db = store_target()
    open_store(db).close()
    for table, columns in TABLES.items():
        if is_url(db):
            got = [r[0] for r in sql(db, "SELECT column_name FROM information_schema.columns WHERE "
                                         f"table_name = '{table}' ORDER BY ordinal_position")]
            got = [c for c in got if c != "rowid"]  # PostgreSQL's stand-in for SQLite's rowid
        else:
            got = [r[1] for r in sql(db, f"PRAGMA table_info({table})")]
        assert got == list(columns), table
    assert sql(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def test_waveforms_are_compressed(store_target) -> None:
    flat = np.full(100_000, 1.2)
    db = store_target()
    with open_store(db) as store:
        run_id = start(store)
        store.add_cycle(run_id, cycle(1, waveforms=(WaveformRecord("flash", "VCAP1", 0.0, 1e-7, flat),)))
    [(size,)] = sql(db, "SELECT length(data) FROM waveforms")
    assert size < flat.size * 4 / 50


@pytest.mark.parametrize("bad, named", [
    ({"extra_features": (FeatureValue("flash.VCAP2.min", "n/a", "V", "rail"),)}, "feature flash.VCAP2.min"),
    ({"waveforms": (WaveformRecord("power_up", "VDD", 0.0, 1e-6, np.linspace(0, 3.3, 10)),
                    WaveformRecord("power_up", "NRST", 0.0, 1e-6, np.array(["high", "low"])))},
     "waveform power_up/NRST"),
])
def test_a_failure_inside_add_cycle_leaves_nothing_of_that_cycle(store_target, bad: dict, named: str) -> None:
    db = store_target()
    with open_store(db) as store:
        run_id = start(store)
        store.add_cycle(run_id, cycle(1))
        before = counts(db)
        with pytest.raises(StoreError) as err:
            store.add_cycle(run_id, cycle(2, **bad))
        assert named in str(err.value) and "cycle 2 of run" in str(err.value) and store.where in str(err.value)
        assert counts(db) == before
        assert [c.index for c in store.cycles(run_id)] == [1]
        store.add_cycle(run_id, cycle(2))  # the same index is free: nothing was left behind
        assert [c.index for c in store.cycles(run_id)] == [1, 2]


def test_write_errors_name_the_run_and_cycle(store_target) -> None:
    db = store_target()
    with open_store(db) as store:
        run_id = start(store)
        store.add_cycle(run_id, cycle(1))
        with pytest.raises(StoreError, match="cycle 1 of run 1: .*already stored"):
            store.add_cycle(run_id, cycle(1))
        with pytest.raises(StoreError, match="no run 99"):
            store.add_cycle(99, cycle(5))
        with pytest.raises(StoreError, match="run status 'done' is not one of"):
            store.end_run(run_id, "done")
        store.end_run(run_id, "stopped")
        with pytest.raises(StoreError, match=r"the run has ended \(stopped\)"):
            store.add_cycle(run_id, cycle(2))
        with pytest.raises(StoreError, match="run 1 has no cycle 7"):
            store.waveforms(run_id, 7)
    with open_store(db, readonly=True) as reader:
        with pytest.raises(StoreError, match="opened read-only"):
            start(reader)


def test_a_reader_sees_a_live_run_then_an_interrupted_one(store_target, tmp_path: Path) -> None:
    db = store_target("live.db")
    writer = open_store(db)
    run_id = start(writer)
    writer.add_cycle(run_id, cycle(1))
    with open_store(db, readonly=True) as reader:
        assert reader.run(run_id).status == "running"
        assert reader.run(run_id).cycles == 1
        writer.add_cycle(run_id, cycle(2, passed=False))
        assert (reader.run(run_id).cycles, reader.run(run_id).failures) == (2, 1)
        writer.close()  # the writer goes away without ending the run
        assert reader.run(run_id).status == "interrupted"
    if not is_url(db):
        assert list(tmp_path.glob("live.db.run*.lock"))  # left behind by the vanished writer...
    with open_store(db) as next_writer:  # ...and settled by the next one
        assert next_writer.run(run_id).status == "interrupted"
        assert next_writer.run(run_id).ended == cycle(2).ended
    assert not list(tmp_path.glob("live.db.run*.lock"))
    assert sql(db, "SELECT status FROM runs") == [("interrupted",)]


def test_a_reader_never_blocks_a_writer(store_target) -> None:
    """A reader in the middle of a read snapshot: the writer commits at once, and the reader
    sees the new cycle only in its next snapshot."""
    db = store_target()
    with open_store(db) as writer, open_store(db, readonly=True) as reader:
        run_id = start(writer)
        writer.add_cycle(run_id, cycle(1))
        with reader._reading("a long report"):
            assert reader.run(run_id).cycles == 1
            writer.add_cycle(run_id, cycle(2))  # would raise (timeout) if the reader blocked it
            writer.add_event(run_id, EventRecord("note", "written while a reader reads"))
            assert reader.run(run_id).cycles == 1  # the reader's snapshot
        assert reader.run(run_id).cycles == 2
        writer.end_run(run_id)


def test_ended_runs_release_their_lock(store_target, tmp_path: Path) -> None:
    db = store_target("end.db")
    with open_store(db) as store:
        first = start(store)
        store.end_run(first, "error")
        second = start(store, "bench-2")
        assert [(r.id, r.status) for r in store.runs()] == [(first, "error"), (second, "running")]
        store.end_run(second)
    assert not list(tmp_path.glob("*.lock"))
    if is_url(db):  # no advisory lock of ours is left in the server
        assert sql(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]


def test_a_newer_schema_is_refused_in_one_line_naming_the_database(store_target) -> None:
    db = store_target("new.db")
    open_store(db).close()
    sql(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    for readonly in (False, True):
        with pytest.raises(StoreError) as err:
            open_store(db, readonly=readonly)
        message = err.value.one_line()
        assert db.split("@")[-1] in message and "schema version 99" in message and "\n" not in message


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"this is a lab notebook, not SQLite\n" * 200)
    for readonly in (False, True):
        with pytest.raises(StoreError, match=f"{junk}: not a benchtui results database"):
            open_store(junk, readonly=readonly)
    assert junk.read_bytes().startswith(b"this is a lab notebook")  # untouched


def test_a_foreign_database_is_refused(store_target) -> None:
    other = store_target("other.db")
    sql(other, "CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreError, match=r"not a benchtui results database .*tables invoices"):
        open_store(other)
    assert sql(other, "SELECT count(*) FROM invoices") == [(0,)]  # untouched


def test_missing_database_for_reading(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such results database"):
        open_store(tmp_path / "nope.db", readonly=True)
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)


def test_an_unreachable_or_missing_postgresql_database_is_one_line(pg_cluster) -> None:
    with pytest.raises(StoreError) as err:
        open_store(pg_cluster.url("no_such_db"), readonly=True)
    assert "no_such_db" in err.value.one_line() and "cannot connect" in err.value.one_line()
    with socket_closed_port() as port:
        with pytest.raises(StoreError, match=f"127.0.0.1:{port}/results: cannot connect"):
            open_store(f"postgresql://bench:secret@127.0.0.1:{port}/results")
    with pytest.raises(StoreError) as err:
        open_store(f"postgresql://bench:secret@127.0.0.1:{port}/results")
    assert "secret" not in err.value.one_line()
    with pytest.raises(StoreError, match="mysql:// is not a results database"):
        open_store("mysql://root@127.0.0.1/results")


class socket_closed_port:
    """A 127.0.0.1 port nobody listens on (bound, never listened, so connections are refused)."""

    def __enter__(self) -> int:
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def make_v1(db: str) -> None:
    """A database as the first schema version wrote it (no scenario, no feature kinds)."""
    conn = raw(db)
    dialect = "postgresql" if is_url(db) else "sqlite"
    for statement in migration(0, dialect):
        conn.execute(statement)
    if not is_url(db):
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO runs (id, name, started, ended, status, profile, versions, instruments) "
                 "VALUES (1, 'old', 10.0, 20.0, 'completed', '{}', '{}', '{}')")
    conn.execute("INSERT INTO cycles VALUES (1, 1, 1, 10.0, 11.0, 0, 'erase', 'WriteProtected', 'x')")
    for row in [("flash.VCAP1.min", 1.05, "V"), ("psu.flash.current", 0.2, "A"),
                ("step.erase.duration", 1.5, "s")]:
        conn.execute("INSERT INTO features (cycle_id, name, value, unit) VALUES (1, '%s', %s, '%s')" % row)
    if is_url(db):  # ids given explicitly: move the identity sequences past them
        for table in ("runs", "cycles"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")
    conn.close()


def test_an_older_schema_is_migrated_with_its_data(store_target) -> None:
    db = store_target("v1.db")
    make_v1(db)
    with pytest.raises(StoreError, match="schema version 1; open it once for writing"):
        open_store(db, readonly=True)
    with open_store(db) as store:
        [run] = store.runs()
        assert (run.name, run.status, run.cycles, run.failures, run.scenario) == ("old", "completed", 1, 1, None)
        [c] = store.cycles(1)
        assert (c.board_uid, c.target, c.option_bytes, c.events) == (None, {}, {}, ())
        assert [(f.name, f.value, f.kind) for f in c.features] == [
            ("flash.VCAP1.min", 1.05, "rail"), ("psu.flash.current", 0.2, "psu"),
            ("step.erase.duration", 1.5, "timing")]
        new_run = start(store)  # and the migrated database takes new runs with a scenario
        store.end_run(new_run)
        assert store.run(new_run).scenario == "vcap-marginal"
    assert sql(db, "SELECT value FROM meta") == [(str(SCHEMA_VERSION),)]
    with open_store(db, readonly=True) as reader:
        assert reader.integrity_check() == "ok"


def test_the_migration_scripts_render_for_each_backend() -> None:
    assert all("$" not in s for v in MIGRATIONS for d in ("sqlite", "postgresql") for s in migration(v, d))
    [features] = [s for s in render(MIGRATIONS[0], "postgresql") if "TABLE features" in s]
    assert "rowid BIGINT GENERATED ALWAYS AS IDENTITY" in features
    [features] = [s for s in render(MIGRATIONS[0], "sqlite") if "TABLE features" in s]
    assert "rowid" not in features  # SQLite's own


def test_wal_mode_and_full_sync(tmp_path: Path) -> None:
    db = tmp_path / "wal.db"
    with open_store(db) as store:
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_board_target_option_bytes_and_events_round_trip(store_target) -> None:
    db = store_target("v3.db")
    changed = EventRecord("option_bytes_changed", "option bytes changed since cycle 1: nWRP 0xFFF -> 0x000",
                          cycle=2, at=1020.5, details={"nWRP": ["0xFFF", "0x000"]})
    c2 = CycleRecord(**{**cycle(2, passed=False).__dict__, "waveforms": (),
                        "board_uid": "0046001F3138510D32383538", "board_label": "SN-0007",
                        "target": {"part": "STM32F76x/F77x", "flash_kb": 1024, "layout": "single"},
                        "option_bytes": {"optcr": "0xF000AAFD", "complements_ok": True},
                        "events": (changed,)})
    with open_store(db) as store:
        run_id = store.start_run("r", {}, {}, {}, bench="bench-3")
        store.add_event(run_id, EventRecord("destructive_confirmed", "mass erase every cycle: confirmed (--yes)",
                                            at=1000.0))
        store.add_cycle(run_id, cycle(1))
        store.add_cycle(run_id, c2)
        store.end_run(run_id)
    with open_store(db, readonly=True) as store:
        assert store.run(run_id).bench == "bench-3"
        assert store.cycles(run_id) == [CycleRecord(**{**cycle(1).__dict__, "waveforms": ()}), c2]
        assert [(e.kind, e.cycle) for e in store.events(run_id)] == [
            ("destructive_confirmed", None), ("option_bytes_changed", 2)]


def test_a_capture_with_a_nan_time_base_is_stored_marked_invalid(store_target) -> None:
    db = store_target("nan.db")
    bad = WaveformRecord("power_up", "VDD", float("nan"), 1e-6, np.linspace(0, 3.3, 10))
    with open_store(db) as store:
        run_id = start(store)
        store.add_cycle(run_id, cycle(1, waveforms=(bad,)))
        [back] = store.waveforms(run_id, 1)
    assert not back.valid and "time base not finite" in back.invalid_reason
    assert len(back.volts) == 10


def test_a_profile_takes_a_postgresql_url_as_its_database(tmp_path: Path) -> None:
    from benchtui.cli import DEMO_PROFILE
    from benchtui.profile import parse_profile

    text = DEMO_PROFILE.read_text().replace('database = "benchtui-demo.db"',
                                            'database = "postgresql://bench@192.0.2.10:5432/results"')
    profile = parse_profile(text, base=tmp_path)
    assert profile.store.database == "postgresql://bench@192.0.2.10:5432/results"  # not made a path
    assert parse_profile(DEMO_PROFILE.read_text(), base=tmp_path).store.database == str(
        tmp_path.resolve() / "benchtui-demo.db")


def test_a_postgresql_writer_whose_connection_is_cut_reconnects_and_loses_nothing(pg_url: str) -> None:
    import psycopg

    writer = open_store(pg_url)
    run_id = start(writer)
    writer.add_cycle(run_id, cycle(1))
    with psycopg.connect(pg_url, autocommit=True) as admin:  # the server drops the bench's session
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                      "application_name = 'benchtui' AND pid <> pg_backend_pid()")
    with open_store(pg_url) as other:  # meanwhile another bench opens: it settles the run
        assert other.run(run_id).status == "interrupted"
    writer.add_cycle(run_id, cycle(2))  # reconnects, takes the run back, stores the cycle
    with open_store(pg_url, readonly=True) as reader:
        assert (reader.run(run_id).status, reader.run(run_id).cycles) == ("running", 2)
        assert reader.run(run_id).ended is None
    writer.end_run(run_id)
    writer.close()
    with open_store(pg_url, readonly=True) as reader:
        assert [c.index for c in reader.cycles(run_id)] == [1, 2]
        assert reader.run(run_id).status == "completed"
