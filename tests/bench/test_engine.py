"""The cycle engine on the virtual bench: what it records, and what the report concludes.

These are the acceptance runs of the loop: each scenario's physics shows up in the database
and the correlation points at the right rail (or at no rail).
"""

from __future__ import annotations

import asyncio

import pytest

from benchtui.bench import events as ev
from benchtui.bench.analysis import analyse
from benchtui.bench.engine import CycleEngine
from benchtui.bench.session import BenchSession
from benchtui.bench.store import open_store

pytestmark = pytest.mark.slow  # see pyproject: the fast tier is -m "not slow"


async def run_loop(profile, cycles: int, hook=None, **engine_attrs):
    """Run the engine on a fresh session; `hook(engine, event)` sees every engine event."""
    seen: list = []
    session = BenchSession(profile, on_event=seen.append)
    await session.open()
    assert session.state.psu_connected and session.state.scope_connected, seen
    engine = CycleEngine(session)
    if hook is not None:
        engine.on_event = lambda event: hook(engine, event)
    for name, value in engine_attrs.items():
        setattr(engine, name, value)
    try:
        summary = await asyncio.wait_for(engine.run(cycles), 120)
    finally:
        await session.close()
    return summary, seen


def analysis_of(profile, run_id):
    with open_store(profile.store.database, readonly=True) as store:
        return analyse(store.feature_matrix(run_id)), store.cycles(run_id)


# The scenario runs are shared with the diagnosis tests (tests/scenario_runs.py: one run per
# scenario and test session, sized to the smallest that gives a stable verdict).

def test_healthy_board_passes_every_cycle_and_the_report_says_so(scenario_runs):
    run = scenario_runs("healthy")
    summary, seen, profile = run.summary, run.events, run.profile
    assert (summary.cycles, summary.failures, summary.status) == (5, 0, "completed")
    analysis, cycles = analysis_of(profile, summary.id)
    assert all(c.passed for c in cycles)
    assert analysis.failures == 0 and analysis.findings == ()
    steps = [e.record.name for e in seen if isinstance(e, ev.StepFinished) and e.index == 1]
    assert steps == list(profile.cycle.steps)
    first = cycles[0]
    assert first.feature("power_up.VDD.rise_time") is not None
    # A healthy board's VCAP1 comes up to 1.2 V without overshoot (at most 1.2 V + 5 %) and
    # without the load dip of a marginal capacitor (56-100 mV on vcap-marginal boards). Its
    # minimum is the ramp's start inside the record, so it says nothing here.
    assert 1.15 < first.feature("power_up.VCAP1.max") <= 1.26, first.feature("power_up.VCAP1.max")
    assert first.feature("power_up.VCAP1.dip_depth") < 0.03, first.feature("power_up.VCAP1.dip_depth")


def test_vcap_marginal_failures_rank_a_vcap_feature_first(scenario_runs):
    run = scenario_runs("vcap-marginal")
    summary, profile = run.summary, run.profile
    assert summary.cycles == run.spec["cycles"]
    assert 0 < summary.failures < summary.cycles
    analysis, cycles = analysis_of(profile, summary.id)
    top = analysis.findings[0]
    assert "VCAP" in top.feature, [f.feature for f in analysis.findings[:5]]
    assert top.auc > 0.8  # the separation in the finding's direction
    assert analysis.separating and "VCAP" in analysis.separating[0].feature
    failing = [c for c in cycles if not c.passed]
    assert {c.failed_step for c in failing} <= {"erase", "program", "verify"}


def test_swd_intermittent_fails_without_a_rail_signature(scenario_runs):
    run = scenario_runs("swd-intermittent")
    assert run.summary.failures >= 6, "the intermittent contact makes cycles fail"
    analysis, _ = analysis_of(run.profile, run.summary.id)
    assert not analysis.rail_signature, [f.feature for f in analysis.separating]


def test_brownout_points_at_vdd_or_psu_readback(scenario_runs):
    run = scenario_runs("brownout")
    assert run.summary.failures > 0
    analysis, _ = analysis_of(run.profile, run.summary.id)
    assert analysis.rail_signature
    # The supply is to blame: PSU readback (current near the limit, CC) or VDD is among the
    # first findings (the slower power-up ramp of a heavier load also shows on the rails).
    top = [f.feature for f in analysis.findings[:3]]
    assert any("VDD" in f or f.startswith("psu.") for f in top), top


async def test_stop_on_first_failure_and_psu_left_off(virtual_bench):
    vb, profile = virtual_bench("vcap-marginal", seed=7)
    summary, _ = await run_loop(profile, 40, stop_on_failure=True)
    assert summary.failures == 1
    assert summary.status == "completed"
    _, _, mode = vb.board.psu_readback()
    assert mode == "OFF"


async def test_stop_request_finishes_the_cycle_and_records_it(virtual_bench):
    _, profile = virtual_bench("healthy")

    def on_event(engine, event):
        if isinstance(event, ev.CycleFinished) and event.record.index == 2:
            engine.stop()
    summary, _ = await run_loop(profile, 0, on_event)
    assert summary.status == "stopped"
    assert summary.cycles == 2, "the cycle the stop cut short is not a measurement"
    _, cycles = analysis_of(profile, summary.id)
    assert all(len(c.steps) == len(profile.cycle.steps) for c in cycles)


async def test_stop_mid_cycle_records_only_whole_cycles(virtual_bench):
    _, profile = virtual_bench("healthy")

    def on_event(engine, event):
        if isinstance(event, ev.StepFinished) and event.index == 2 and event.record.name == "connect":
            engine.stop()
    summary, _ = await run_loop(profile, 0, on_event)
    assert (summary.cycles, summary.failures, summary.status) == (1, 0, "stopped")


async def test_lost_psu_stops_the_run_with_every_finished_cycle_kept(virtual_bench):
    vb, profile = virtual_bench("healthy")

    def on_event(engine, event):
        if isinstance(event, ev.CycleFinished) and event.record.index == 2:
            vb.instruments.unplug("psu")
    summary, _ = await run_loop(profile, 10, on_event)
    assert summary.status == "error"
    _, cycles = analysis_of(profile, summary.id)
    assert [c.passed for c in cycles[:2]] == [True, True]
    assert cycles[-1].error_class in ("InstrumentUnreachable", "InstrumentSilent", "InstrumentError")
