"""SCPI's "no reading" values (SCPI-99 §7.2.1: +INF 9.9E37, -INF -9.9E37, NAN 9.91E37) are no
reading, never a measurement of 9.9e37 V; a reading far outside what the PSU can measure is an
error naming the PSU and the command. Through pyvisa-py over TCP to a hostile man in the middle
of the simulated instruments."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from benchtui.bench.engine import CycleEngine
from benchtui.bench.session import BenchSession
from benchtui.bench.store import open_store
from benchtui.devices.psu import open_psu
from benchtui.devices.scope import open_scope
from benchtui.errors import InstrumentGarbage
from benchtui.profile import load_profile

from .conftest import bench_profile, finish, run_cli, start_cli, upstream
from .hostile import Rule, reply

SENTINELS = {"9.9E37": "9.9E37, SCPI's +INF: no reading", "+9.90000E+37": "9.9E37, SCPI's +INF: no reading",
             "-9.9E37": "-9.9E37, SCPI's -INF: no reading", "9.91E37": "9.91E37, SCPI's NAN: no reading",
             "-9.91E+37": "-9.91E37, SCPI's NAN: no reading"}


@pytest.mark.parametrize("sent", list(SENTINELS))
def test_a_psu_measurement_answered_with_a_sentinel_is_no_reading(sent, tmp_path, sim, hostile):
    psu = hostile(Rule(r":MEAS:VOLT\? CH1", reply(sent)), upstream=upstream(sim.psu_resource))
    profile = load_profile(bench_profile(tmp_path, psu.resource, sim.scope_resource))
    driver = open_psu(profile.psu)
    try:
        reading = driver.read()
    finally:
        driver.close()
    assert reading.voltage is None and reading.current is not None
    assert reading.invalid == f"voltage: {SENTINELS[sent]}"


def test_a_scope_measurement_answered_with_nan_is_no_reading(tmp_path, sim, hostile):
    scope = hostile(Rule(r":MEAS:ITEM\? VMAX,CHAN1", reply("9.91E37")), upstream=upstream(sim.scope_resource))
    profile = load_profile(bench_profile(tmp_path, sim.psu_resource, scope.resource))
    driver = open_scope(profile.scope)
    try:
        measured = driver.measure("VDD", "vmax")
    finally:
        driver.close()
    assert measured.value is None and measured.reason == "9.91E37, SCPI's NAN: no reading"


@pytest.mark.slow
def test_check_says_no_reading_instead_of_printing_9_9e37(tmp_path, sim, hostile):
    psu = hostile(Rule(r":MEAS:VOLT\? CH1", reply("9.9E37")), upstream=upstream(sim.psu_resource))
    done = run_cli("check", "--profile", str(bench_profile(tmp_path, psu.resource, sim.scope_resource)),
                   timeout=60)
    psu_line = done.stdout.splitlines()[1]
    assert "e+37" not in done.stdout.lower() and "99000000000" not in done.stdout, done.stdout
    assert "reads — V" in psu_line and "voltage: 9.9E37, SCPI's +INF: no reading" in psu_line, psu_line


async def test_a_run_stores_a_sentinel_reading_as_missing_with_the_reason(tmp_path, sim, hostile):
    psu = hostile(Rule(r":MEAS:VOLT\? CH1", reply("9.9E37"), after=1), upstream=upstream(sim.psu_resource))
    profile = load_profile(bench_profile(tmp_path, psu.resource, sim.scope_resource))
    session = BenchSession(profile)
    await session.open()
    try:
        summary = await asyncio.wait_for(CycleEngine(session).run(2), 60)
    finally:
        await session.close()
    assert summary.status == "completed" and summary.cycles == 2, summary
    with open_store(profile.store.database, readonly=True) as store:
        cycles = store.cycles(summary.id)
        events = store.events(summary.id)
    assert all(c.feature("psu.on.voltage") is None for c in cycles[1:])
    assert all(c.feature("psu.on.current") is not None for c in cycles)
    invalid = [e for e in events if e.kind == "reading_invalid"]
    assert invalid and invalid[0].details == {"window": "on", "reason": "voltage: 9.9E37, SCPI's +INF: no reading"}
    assert "has no value" in invalid[0].text


@pytest.mark.slow
def test_a_reading_far_outside_the_psu_range_stops_the_run_naming_psu_and_command(tmp_path, sim, hostile):
    psu = hostile(Rule(r":MEAS:CURR\? CH1", reply("1.5E+06")), upstream=upstream(sim.psu_resource))
    profile = bench_profile(tmp_path, psu.resource, sim.scope_resource)
    done = finish(start_cli("run", "--profile", str(profile), "--cycles", "2", "-q"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert (f"PSU {psu.resource}: ':MEAS:CURR? CH1' read 1.5e+06 A, far outside what the DP832 CH1 "
            "can measure (more than 6 A): not a reading") in done.stderr, done.stderr
    assert not sim.instruments.psu.channels[1].output


def test_a_setpoint_read_back_as_a_sentinel_is_an_error(tmp_path, sim, hostile):
    psu = hostile(Rule(r":SOUR1:VOLT\?", reply("9.9E37")), upstream=upstream(sim.psu_resource))
    profile = load_profile(bench_profile(tmp_path, psu.resource, sim.scope_resource))
    driver = open_psu(dataclasses.replace(profile.psu))
    try:
        with pytest.raises(InstrumentGarbage, match=r"':SOUR1:VOLT\?' .*a setpoint, not 9.9E37"):
            driver.setpoints()
    finally:
        driver.close()
