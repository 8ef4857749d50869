"""The console's wiring check (the scope tab's button, key t) through the Pilot, on the virtual
bench: the instruments the session holds open are used (through pyvisa-py to the simulated PSU
and scope), one line per net that is off naming the mix-up, "wiring looks right" on a correct
bench, the PSU output left as it was."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Button

from benchtui.cli import DEMO_PROFILE, start_virtual_bench
from benchtui.profile import load_profile
from benchtui.tui.app import BenchApp

from .conftest import connected, log_has, on_screen, wait_for


@pytest.fixture
def wired_bench(tmp_path, small_firmware):
    """A healthy virtual bench whose probes are wired as `swap_nets` / `probe_ratios` say."""
    started = []

    def start(swap_nets: tuple[str, ...] = (), probe_ratios: dict[str, float] | None = None):
        profile = load_profile(DEMO_PROFILE)
        profile = profile.replace(sim=dataclasses.replace(
            profile.sim, scenario="healthy", swap_nets=swap_nets, probe_ratios=probe_ratios or {}))
        vb, live = start_virtual_bench(profile)
        started.append(vb)
        return vb, live.replace(
            store=dataclasses.replace(live.store, database=str(tmp_path / "bench.db")),
            target=dataclasses.replace(live.target, firmware=str(small_firmware)))

    yield start
    for vb in started:
        vb.stop()


def done(app) -> bool:
    return app.state.wiring.at is not None and not app.state.wiring.running


@pytest.mark.slow
async def test_swapped_probes_and_a_10x_probe_are_named_one_line_each(wired_bench):
    vb, profile = wired_bench(swap_nets=("VDD", "VCAP1"), probe_ratios={"NRST": 10.0})
    app = BenchApp(profile)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("3")
        await pilot.click("#check-wiring")
        rows = await on_screen(pilot, "3 of 4 nets off", "the wiring findings on the scope tab")
        text = " ".join(" ".join(r.split()) for r in rows)
        assert "FAIL CH1 reads 1.20 V, VDD should be near the 3.30 V setpoint: is the VDD probe on VCAP1?" in text
        assert "FAIL CH2 reads 3.2" in text and "is the VCAP1 probe on VDD?" in text
        assert "FAIL CH4 reads 0.3" in text and "with 1x set: a 10x probe?" in text
        assert "VCAP2 should" not in text and "wiring looks right" not in text
        assert log_has(app, "wiring: 3 of 4 nets off")
        # the output was off before the check: off again after it
        await wait_for(pilot, lambda: app.session.state.psu_output is False, "the output back off")
        assert not vb.instruments.psu.channel(1).output


@pytest.mark.slow
async def test_a_correct_bench_looks_right_and_the_output_stays_on(wired_bench):
    vb, profile = wired_bench()
    vb.front_panel_on(3.3, 0.5)
    app = BenchApp(profile)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: connected(app), "instruments")
        await pilot.press("3", "t")            # the key works as the button does
        rows = await on_screen(pilot, "wiring looks right", "the wiring check's verdict")
        text = "".join("".join(rows).split())      # as wrapped at 120 columns: compare without spaces
        assert "(PSUat3.30V):wiringlooksright(CH1VDD3.2" in text and "CH4NRST3.2" in text
        assert not any("FAIL" in r for r in rows)
        assert log_has(app, "wiring looks right") and done(app)
        assert vb.instruments.psu.channel(1).output          # it was on: it stays on
        # the scope is left as the profile sets it: a capture afterwards still works
        await pilot.press("g")
        await on_screen(pilot, "power-up (manual)", "a power-up capture after the check")
        assert isinstance(app.query_one("#check-wiring"), Button)


def test_the_scope_tab_text_of_a_check_running_failed_judged():
    """What the scope tab shows at each stage (the fast tier's share of the above)."""
    from benchtui.devices.wiring import Finding
    from benchtui.tui.panels.scope import wiring_text
    from benchtui.tui.state import WiringState

    w = WiringState()
    w.started(3.3)
    assert str(wiring_text(w)).startswith("wiring: checking (PSU on at 3.30 V")
    w.finished(None, "wiring check failed: scope TCPIP0::127.0.0.1::1::SOCKET: connection refused")
    assert "could not judge: wiring check failed: scope" in str(wiring_text(w))
    w.started(3.3)
    w.finished([Finding("VDD", 1, 3.29, True, "CH1 VDD reads 3.29 V, near the 3.30 V setpoint"),
                Finding("NRST\x1b[2J", 4, 0.01, False, "CH4 reads 0.01 V, NRST\x1b[2J should be high")])
    text = str(wiring_text(w))
    assert "1 of 2 nets off\nFAIL CH4 reads 0.01 V" in text and "\x1b" not in text   # printable
    w.finished([Finding("VDD", 1, 3.29, True, "")])
    assert str(wiring_text(w)).endswith("wiring looks right (CH1 VDD 3.29 V)")
