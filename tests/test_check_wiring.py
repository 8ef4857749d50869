"""`benchtui check --wiring`: each planted wiring fault of the virtual bench (swapped probes, a
probe ratio the scope is not set to) is named in one line with the likely mix-up, through the
simulated PSU and scope over pyvisa-py; a correct bench passes; the fix the line suggests works."""

from __future__ import annotations

import pytest

from benchtui.cli import DEMO_PROFILE, main
from benchtui.devices.wiring import findings
from benchtui.errors import ProfileError
from benchtui.profile import load_profile, parse_profile


def profile_with(tmp_path, sim_lines: str = "", replace: tuple[tuple[str, str], ...] = ()):
    text = DEMO_PROFILE.read_text().replace('scenario = "vcap-marginal"', 'scenario = "healthy"')
    text = text.replace('variant = "zg"', f'variant = "zg"\n{sim_lines}')
    text = text.replace('firmware = "firmware/board-test-v1.hex"', "")
    for old, new in replace:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "w.toml"
    path.write_text(text)
    return path


def wiring_lines(out: str) -> list[str]:
    return out.split("wiring (PSU CH1 at 3.3 V):\n", 1)[1].strip().splitlines()


def test_a_correct_bench_passes(tmp_path, capsys):
    assert main(["check", "--profile", str(profile_with(tmp_path)), "--virtual", "--wiring"]) == 0
    lines = wiring_lines(capsys.readouterr().out)
    assert [x.split()[0] for x in lines] == ["ok"] * 4
    assert lines[0].startswith("ok   CH1 VDD reads 3.2") and "near the 3.30 V setpoint" in lines[0]
    assert "CH4 NRST reads 3.2" in lines[3] and "high after reset" in lines[3]


def test_swapped_vdd_and_vcap1_probes_are_named(tmp_path, capsys):
    p = profile_with(tmp_path, 'swap_nets = ["VDD", "VCAP1"]')
    assert main(["check", "--profile", str(p), "--virtual", "--wiring"]) == 2
    out = capsys.readouterr().out
    lines = wiring_lines(out)
    assert lines[1].startswith("FAIL CH2 reads 3.2") and \
        "VCAP1 should be near 1.2 V: is the VCAP1 probe on VDD? (CH1, wired as VDD, reads 1.20 V: " \
        "the two probes look swapped)" in lines[1]
    assert lines[0].startswith("FAIL CH1 reads 1.20 V, VDD should be near the 3.30 V setpoint: is the VDD probe on VCAP1?")
    assert lines[2].startswith("ok") and lines[3].startswith("ok")
    assert "ok   probe" in out        # the probe is checked while the wiring check powers the board


def test_a_10x_probe_on_a_1x_channel_and_the_fix(tmp_path, capsys):
    p = profile_with(tmp_path, "probe_ratios = { NRST = 10.0 }")
    assert main(["check", "--profile", str(p), "--virtual", "--wiring"]) == 2
    line = wiring_lines(capsys.readouterr().out)[3]
    assert line.startswith("FAIL CH4 reads 0.3") and "V with 1x set: a 10x probe?" in line
    assert "set scope.channels.NRST.probe = 10" in line
    fixed = profile_with(tmp_path, "probe_ratios = { NRST = 10.0 }",
                         (("[scope.channels.NRST]\nchannel = 4", "[scope.channels.NRST]\nchannel = 4\nprobe = 10.0"),))
    assert main(["check", "--profile", str(fixed), "--virtual", "--wiring"]) == 0
    assert wiring_lines(capsys.readouterr().out)[3].startswith("ok   CH4 NRST reads 3.2")


def test_a_1x_probe_on_a_10x_channel_reads_off_the_survey_range(tmp_path, capsys):
    p = profile_with(tmp_path, "probe_ratios = { VDD = 1.0 }",
                     (("[scope.channels.VDD]\nchannel = 1", "[scope.channels.VDD]\nchannel = 1\nprobe = 10.0"),))
    assert main(["check", "--profile", str(p), "--virtual", "--wiring"]) == 2
    line = wiring_lines(capsys.readouterr().out)[0]
    assert line.startswith("FAIL CH1 reads 3") and "V with 10x set: a 1x probe?" in line


def output_on(vb) -> bool:
    from benchtui.devices.psu import open_psu
    from benchtui.profile import PsuConfig

    psu = open_psu(PsuConfig(resource=vb.psu_resource, voltage=3.3, current_limit=0.5,
                             max_voltage=3.6, max_current=1.0))
    try:
        return psu.output()
    finally:
        psu.close()


def test_the_psu_output_is_left_as_it_was(tmp_path):
    from benchtui.cli import start_virtual_bench
    from benchtui.devices.wiring import check_wiring

    vb, live = start_virtual_bench(load_profile(profile_with(tmp_path)))
    try:
        assert not output_on(vb)                 # the demo bench starts with the output off
        assert all(f.ok for f in check_wiring(live))
        assert not output_on(vb)                 # ... and the check switched it off again
        vb.front_panel_on(3.3, 0.5)
        assert all(f.ok for f in check_wiring(live))
        assert output_on(vb)                     # an output that was on stays on
    finally:
        vb.stop()


def test_findings_without_instruments():
    """The judgement alone: an open probe, a net without expectation, NRST low."""
    profile = load_profile(DEMO_PROFILE)
    found = findings(profile, 3.3, {"VDD": 3.3, "VCAP1": 0.0, "VCAP2": 1.21, "NRST": 0.01})
    assert [f.ok for f in found] == [True, False, True, False]
    assert found[1].text == "CH2 reads 0.00 V, VCAP1 should be near 1.2 V: is the probe on the board (tip and ground)?"
    assert found[3].text.endswith("or the board held in reset?")
    found = findings(profile, 3.3, {"VDD": 3.3, "VCAP1": 3.3, "VCAP2": 1.2, "NRST": 3.3})
    assert found[1].text.endswith("is the VCAP1 probe on VDD or NRST?")


def test_wiring_faults_are_validated_in_the_profile():
    base = DEMO_PROFILE.read_text()
    for line, message in (('swap_nets = ["VDD"]', "name two different nets"),
                          ('swap_nets = ["VDD", "VDD"]', "name two different nets"),
                          ('swap_nets = ["VDD", "VCAP3"]', "is not one of"),
                          ("probe_ratios = { NRTS = 10 }", "not a net of the board"),
                          ("probe_ratios = { NRST = 0 }", "out of range")):
        with pytest.raises(ProfileError, match=message):
            parse_profile(base.replace('variant = "zg"', f'variant = "zg"\n{line}'), source="p.toml")
