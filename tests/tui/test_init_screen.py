"""The init screen (`benchtui init` without the part flags, and the console's palette) through
the Pilot, on the virtual bench: discovery through pyvisa-py and pyOCD in a thread, the parts
chosen by keyboard among several, the profile written and checked, the check's lines on screen."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from benchtui.profile import load_profile
from benchtui.sim.bench import VirtualBench
from benchtui.sim.board import BoardModel
from benchtui.sim.instruments import start_instruments
from benchtui.tui.app import BenchApp
from benchtui.tui.init_view import InitApp, InitOutcome, InitScreen, split_names

from .conftest import log_has, log_lines, on_screen, power_on, wait_for


@pytest.fixture
def two_of_each():
    """The virtual bench (DP832 + DS1054Z + STM32F767ZG, powered) and a second PSU and scope
    (a Korad on a pseudo-terminal, a Siglent SDS1104X-E)."""
    vb = VirtualBench().start()
    vb.front_panel_on(3.3, 0.5)
    extra = start_instruments(BoardModel("healthy", seed=2), psu_model="korad-ka3005p", psu_line="pty",
                              scope_model="siglent-sds1104x-e")
    yield vb, extra
    extra.stop()
    vb.stop()


async def tab_to(pilot, widget_id: str) -> None:
    """Tab through the screen's fields until `widget_id` has the focus (as a user would)."""
    for _ in range(30):
        if pilot.app.focused is not None and pilot.app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}")


async def choose(pilot, widget_id: str, downs: int) -> None:
    """Open the Select by keyboard, move `downs` options down (up if negative), take it."""
    await tab_to(pilot, widget_id)
    await pilot.press("enter")
    await pilot.press(*["down" if downs > 0 else "up"] * abs(downs), "enter")


@pytest.mark.slow
async def test_the_parts_chosen_by_keyboard_written_and_checked(two_of_each, tmp_path, small_firmware):
    vb, extra = two_of_each
    out = tmp_path / "bench.toml"
    app = InitApp(out=str(out), resources=[vb.psu_resource, vb.scope_resource, extra.psu_resource,
                                           extra.scope_resource], probes=[vb.probe_uid], local=False)
    async with app.run_test(size=(130, 45)) as pilot:
        await on_screen(pilot, "found 1 probe, 2 PSUs, 2 scopes", "the discovery")
        screen = app.screen
        assert isinstance(screen, InitScreen)
        assert screen.query_one("#target-type").value == "stm32f767zg"      # read from the chip
        await choose(pilot, "psu", 1)                  # the Korad, on its serial line
        assert screen.query_one("#psu", Select).value == extra.psu_resource
        await choose(pilot, "scope", 1)                # the Siglent
        assert screen.query_one("#scope", Select).value == extra.scope_resource
        await choose(pilot, "net-NRST", -3)            # CH4 -> CH1, which VDD has
        await pilot.press("ctrl+s")
        await on_screen(pilot, "nets: CH1 carries VDD and NRST", "the refusal")
        await choose(pilot, "net-NRST", 4)             # CH1 -> not wired
        assert screen.query_one("#net-NRST", Select).value == 0
        await tab_to(pilot, "firmware")
        await pilot.press(*str(small_firmware))
        await pilot.press("ctrl+s")
        rows = await on_screen(pilot, "check: every part answers", "the check's verdict")
        text = "\n".join(rows)
        for line in ("ok   PSU", "ok   scope", "ok   probe", "ok   firmware"):
            assert line in text, line
        assert "KORAD KA3005P" in text and "Siglent Technologies,SDS1104X-E" in text
        await pilot.press("escape", "escape")          # leave the field, then close
        await wait_for(pilot, lambda: not app.is_running, "the screen to close")
    assert app.return_value == InitOutcome(str(out), True)
    written = load_profile(out)
    assert (written.psu.driver, written.psu.resource, written.psu.channel) == ("korad-ka3005p", extra.psu_resource, 1)
    assert (written.scope.driver, written.scope.resource) == ("siglent-sds1000x-e", extra.scope_resource)
    assert list(written.scope.channels) == ["VDD", "VCAP1", "VCAP2"]
    assert (written.target.probe_uid, written.target.target_type) == (vb.probe_uid, "stm32f767zg")
    assert written.target.firmware == str(small_firmware)
    assert "# *IDN?: KORAD KA3005P" in out.read_text()


@pytest.mark.slow
async def test_from_the_console_palette_the_consoles_own_parts(bench_factory, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                        # the screen writes bench.toml here
    vb, profile = bench_factory()
    app = BenchApp(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await power_on(pilot, app)                     # the target answers only when powered
        await pilot.press("ctrl+p")
        await pilot.press(*"build a prof")
        await on_screen(pilot, "Build a profile… (init)", "the palette to offer init")
        await pilot.press("enter")
        await on_screen(pilot, "found 1 probe, 1 PSU, 1 scope", "the discovery of the console's parts")
        await pilot.press("escape", "p")               # out of the field: the console's p is not live here
        assert isinstance(app.screen, InitScreen) and app.focused is None
        await pilot.press("ctrl+s")                    # ... and ^s is the screen's, not the console's save
        await on_screen(pilot, "check: every part answers", "the check's verdict")
        assert not log_has(app, "power-cycle") and not log_has(app, "saved")
        await wait_for(pilot, lambda: log_has(app, "wrote bench.toml; check passed"), "the console's log line")
        (tmp_path / "bench.toml").write_text("# mine")
        await pilot.press("ctrl+s")                    # the file exists now: asked first
        await on_screen(pilot, "Replace bench.toml?", "the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: sum("wrote bench.toml" in x for x in log_lines(app)) == 2, "written again")
        await pilot.press("escape", "escape")          # the first field has the focus again: leave it, close
        assert not isinstance(app.screen, InitScreen)
    written = load_profile(tmp_path / "bench.toml")
    assert written.target.probe_uid == profile.target.probe_uid
    assert (written.psu.resource, written.scope.resource) == (profile.psu.resource, profile.scope.resource)


async def test_what_the_screen_refuses_before_it_writes(tmp_path):
    """Nothing named and the machine's ports off: nothing is looked for; writing without parts
    is refused in one line; nothing is written. The CLI's --psu RES,CH and --nets fill it."""
    out = tmp_path / "b.toml"
    app = InitApp(out=str(out), local=False, psu_channel=2, nets={"VDD": 2, "VCAP1": 1})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert [screen.query_one(f"#net-{n}", Select).value for n in ("VDD", "VCAP1", "VCAP2", "NRST")] == [2, 1, 0, 0]
        assert screen.query_one("#psu-channel", Select).value == 2
        await on_screen(pilot, "name an instrument or a probe, or switch on this machine's ports", "the hint")
        await pilot.press("ctrl+s")
        await on_screen(pilot, "choose a probe and a PSU and a scope first (F5 discovers)", "the refusal")
        await pilot.press("f5")
        await on_screen(pilot, "name an instrument or a probe", "the hint again")
    assert not out.exists()
    assert split_names("TCPIP0::192.0.2.5::5555::SOCKET, 192.0.2.6:5025 ASRL/dev/ttyUSB0::INSTR lab-psu") == (
        ["TCPIP0::192.0.2.5::5555::SOCKET", "ASRL/dev/ttyUSB0::INSTR"], ["192.0.2.6:5025", "lab-psu"])
