"""`benchtui init`: a profile written from the virtual bench's parts (found through pyvisa-py and
pyOCD as real ones are), validated, checked; every example profile in profiles/ is one that
init writes for the parts it names; the written profile runs the loop."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchtui.cli import main
from benchtui.profile import load_profile

PROFILES = Path(__file__).resolve().parent.parent / "profiles"
#: Real-bench examples: the simulated models standing in for their instruments.
REAL_BENCH_MODELS = {
    "keysight-e36312a-dsox3034t-stlink.toml": ("keysight-e36312a", "keysight-dsox3034t"),
    "rigol-dp831a-tektronix-mso54-stlink.toml": ("rigol-dp831a", "tektronix-mso54"),
    "rigol-dp832-dho924-stlink.toml": ("rigol-dp832", "rigol-dho924"),
    "rigol-dp832-ds1054z-stlink.toml": ("rigol-dp832", "rigol-ds1054z"),
    "rohde-hmc8043-sds2104x-plus-stlink.toml": ("rohde-hmc8043", "siglent-sds2104x-plus"),
    "siglent-spd3303x-sds1104x-e-stlink.toml": ("siglent-spd3303x", "siglent-sds1104x-e"),
    "korad-ka3005p-ds1054z-stlink.toml": ("korad-ka3005p", "rigol-ds1054z"),
    "riden-rd6006-ds1054z-stlink.toml": ("riden-rd6006", "rigol-ds1054z"),
}


def _variant(target_type: str) -> str:
    return {"stm32f767zg": "zg", "stm32f767zi": "zi"}.get(target_type, target_type.replace("stm32", ""))


def init_args(vb, example, out: Path, firmware: Path | None) -> list[str]:
    nets = ",".join(f"{n}={c.channel}" for n, c in example.scope.channels.items())
    args = ["init", "--probe", vb.probe_uid, "--psu", f"{vb.psu_resource},{example.psu.channel}",
            "--scope", vb.scope_resource, "--nets", nets, "--target", example.target.target_type,
            "--out", str(out), "--no-check"]
    return args + (["--firmware", str(firmware)] if firmware else [])


@pytest.mark.parametrize("name", sorted(p.name for p in PROFILES.glob("*.toml")))
def test_every_example_profile_is_what_init_writes_for_its_parts(name, tmp_path, capsys):
    from benchtui.sim.bench import VirtualBench
    from benchtui.sim.firmware import write_test_hex

    example = load_profile(PROFILES / name)
    if example.sim is not None:
        psu_model, scope_model = example.sim.psu_model, example.sim.scope_model
    else:
        psu_model, scope_model = REAL_BENCH_MODELS[name]
    # The demo images are linked at 0x00200000 (the seed's ITCM link): init maps such an image.
    firmware = write_test_hex(tmp_path / "fw.hex", size=4096) if example.sim is not None else None
    vb = VirtualBench(variant=_variant(example.target.target_type), psu_model=psu_model,
                      scope_model=scope_model, psu_line="pty").start()
    try:
        vb.front_panel_on(3.3, 0.5)      # the target answers only when powered
        out = tmp_path / "bench.toml"
        assert main(init_args(vb, example, out, firmware)) == 0, capsys.readouterr().err
        written = load_profile(out)
    finally:
        vb.stop()
    # What init cannot know (addresses, names, files) is set as the example has it; the rest must
    # be the same: target type, SWD, erase, aliases, PSU limits and channel, driver, format,
    # timeouts, every channel's scale/offset/limits, both triggers, and for a real bench the cycle.
    found_psu, found_scope = written.psu.driver, written.scope.driver
    assert example.psu.driver in ("auto", found_psu) and example.scope.driver in ("auto", found_scope)
    same = written.replace(
        name=example.name, store=example.store, sim=example.sim, bench=example.bench,
        cycle=written.cycle if example.sim is None else example.cycle, source=example.source,
        target=dataclasses.replace(written.target, probe_uid=example.target.probe_uid,
                                   firmware=example.target.firmware),
        psu=dataclasses.replace(written.psu, resource=example.psu.resource, driver=example.psu.driver),
        scope=dataclasses.replace(written.scope, resource=example.scope.resource,
                                  driver=example.scope.driver))
    assert same == example
    text = out.read_text()
    assert "# *IDN?: " in text and "hard limits" in text        # commented


@pytest.mark.slow
def test_init_then_check_and_a_ten_cycle_run(tmp_path, small_firmware, capsys):
    """Done when: init --nets writes a profile that check and a 10-cycle run accept."""
    from benchtui.sim.bench import VirtualBench

    vb = VirtualBench(scenario="healthy", serve_probe=True).start()
    try:
        vb.front_panel_on(3.3, 0.5)
        out = tmp_path / "bench.toml"
        code = main(["init", "--probe", vb.remote_uid, "--psu", f"{vb.psu_resource},1", "--scope",
                     vb.scope_resource, "--nets", "VDD=1,VCAP1=2,VCAP2=3,NRST=4", "--firmware",
                     str(small_firmware), "--out", str(out)])
        printed = capsys.readouterr().out
        assert code == 0, printed
        assert "wrote " in printed and "ok   probe" in printed and "ok   PSU" in printed
        # a real bench's 2 s off time, shortened for the test only
        text = out.read_text().replace("off_s = 2.0", "off_s = 0.05").replace("on_settle_s = 0.2",
                                                                              "on_settle_s = 0.01")
        out.write_text(text)
        assert main(["run", "--profile", str(out), "--cycles", "10", "--db", str(tmp_path / "r.db"), "-q"]) == 0
    finally:
        vb.stop()
    assert "10 cycles, 0 failed, status completed" in capsys.readouterr().out


def test_init_refuses_what_it_cannot_build_in_one_line(tmp_path, capsys):
    from benchtui.sim.bench import VirtualBench

    vb = VirtualBench().start()
    try:
        vb.front_panel_on(3.3, 0.5)
        out = tmp_path / "b.toml"
        base = ["init", "--probe", vb.probe_uid, "--out", str(out), "--no-check"]
        cases = [
            (["--psu", vb.scope_resource, "--scope", vb.scope_resource], "is a scope, not a PSU"),
            (["--psu", f"{vb.psu_resource},5", "--scope", vb.scope_resource], "has channels 1-3"),
            (["--psu", vb.psu_resource, "--scope", vb.scope_resource, "--nets", "VDD=1,VCAP1=1"],
             "channel 1 already carries VDD"),
            (["--psu", vb.psu_resource, "--scope", "TCPIP0::127.0.0.1::1::SOCKET"], "connection refused"),
        ]
        for extra, message in cases:
            assert main(base + extra) == 2
            err = capsys.readouterr().err
            assert message in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()
        out.write_text("x")
        assert main(base + ["--psu", vb.psu_resource, "--scope", vb.scope_resource]) == 2
        assert "--force" in capsys.readouterr().err
    finally:
        vb.stop()
