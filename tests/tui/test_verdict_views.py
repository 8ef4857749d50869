"""The console tells the story every report tells, for every scenario: a recorded run (tests/
recorded.py) is written into the console's database and replayed to the app as the engine's own
events (run started, each cycle finished); the loop tab and the overview then show the verdict
that `benchtui report` prints for the same run, word for word."""

from __future__ import annotations

import pytest

from benchtui.bench import events as ev
from benchtui.bench.report import load_report
from benchtui.bench.store import open_store
from benchtui.tui.app import BenchApp
from benchtui.tui.messages import BenchEvent
from tests.recorded import SCENARIOS, load

from .conftest import absent_profile, on_screen, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_the_loop_tab_and_overview_say_what_the_report_says(tmp_path, scenario: str) -> None:
    db = tmp_path / "bench.db"
    run = load(scenario, 1)
    run_id = run.to_store(db, 40)
    with open_store(db, readonly=True) as store:
        report = load_report(store, run_id)
    verdict = report.diagnosis.verdict
    app = BenchApp(absent_profile(str(db)))
    async with app.run_test(size=(120, 36)) as pilot:
        app.post_message(BenchEvent(ev.RunStarted(run_id, 40)))
        passed = failed = 0
        for record in run.cycles[:40]:
            passed, failed = passed + record.passed, failed + (not record.passed)
            app.post_message(BenchEvent(ev.CycleFinished(record, passed, failed)))
        loop = app.state.loop
        await wait_for(pilot, lambda: len(loop.records) == 40 and not app.analysing
                       and loop.analysis is not None and loop.analysis.cycles == 40, "the last cycle's diagnosis")
        d = loop.diagnosis
        assert (d.verdict, d.status, d.rail_signature) == (verdict, report.diagnosis.status,
                                                           report.diagnosis.rail_signature)
        assert [i.part_id for i in d.items] == [i.part_id for i in report.diagnosis.items]
        head = verdict[:verdict.rfind(" ", 0, 36)] if len(verdict) > 36 else verdict
        await pilot.press("4")
        await on_screen(pilot, f"▸ {head}", "the loop tab's verdict")
        await pilot.press("0")
        await on_screen(pilot, f"verdict: {head}", "the overview's verdict")
