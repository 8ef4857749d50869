"""A capture that cannot be used (a NaN time base) never drops its cycle: the cycle is stored,
the capture marked invalid with the reason, and a `capture_invalid` event says so."""

from __future__ import annotations

import asyncio

from benchtui.bench.engine import CycleEngine
from benchtui.bench.session import BenchSession
from benchtui.bench.store import open_store
from benchtui.profile import load_profile

from .conftest import bench_profile, upstream
from .hostile import Rule, reply

#: A Rigol preamble for 1200 BYTE points whose time step is NaN (the scope's data is real).
NAN_TIME_BASE = "0,2,1200,1,nan,-0.0024,0,0.04,0,128"


async def test_a_nan_time_base_is_stored_marked_invalid_and_the_cycle_kept(tmp_path, sim, hostile):
    scope = hostile(Rule(r":WAV:PRE\?", reply(NAN_TIME_BASE), after=2), upstream=upstream(sim.scope_resource))
    profile = load_profile(bench_profile(tmp_path, sim.psu_resource, scope.resource))
    session = BenchSession(profile)
    await session.open()
    try:
        engine = CycleEngine(session)
        summary = await asyncio.wait_for(engine.run(2), 60)
    finally:
        await session.close()
    assert summary.status == "completed" and summary.cycles == 2, summary
    with open_store(profile.store.database, readonly=True) as store:
        first, second = store.cycles(summary.id)
        events = store.events(summary.id)
        kept = {n: store.waveforms(summary.id, n) for n in (1, 2)}
    assert len(kept[1]) == 2 and all(w.valid for w in kept[1])
    assert {w.net: w.valid for w in kept[2]} == {"VDD": False, "VCAP1": False}
    assert all("time base not finite" in w.invalid_reason for w in kept[2])
    assert len(kept[2][0].volts) == 1200, "the samples are kept"
    invalid = [e for e in events if e.kind == "capture_invalid"]
    assert [(e.cycle, e.details["net"]) for e in invalid] == [(2, "VDD"), (2, "VCAP1")]
    assert "power_up capture of VDD is unusable" in invalid[0].text
    # No feature is computed from samples without a time base; the first cycle's are there.
    assert first.feature("power_up.VDD.rise_time") is not None
    assert second.feature("power_up.VDD.rise_time") is None
