"""An unknown `target.target_type` (a typo, a part pyOCD lacks) is one line naming the profile
line, with a did-you-mean from pyOCD's own target list: from `check` (it was pyOCD's
TargetSupportError traceback) and before the first cycle of a `run`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchtui.cli import DEMO_PROFILE
from benchtui.devices.target.types import check_target_type
from benchtui.errors import ProfileError

from .conftest import finish, run_cli, start_cli


def typo_profile(tmp_path: Path, target_type: str) -> tuple[Path, int]:
    text = DEMO_PROFILE.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^target_type = "[^"]*"', f'target_type = "{target_type}"', text, count=1)
    text = text.replace('database = "benchtui-demo.db"', f'database = "{tmp_path / "runs.db"}"')
    text = re.sub(r'(?m)^firmware = "[^"]*"', f'firmware = "{tmp_path / "fw.hex"}"', text, count=1)
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    line = next(n for n, l in enumerate(text.splitlines(), 1) if l.startswith("target_type ="))
    return path, line


@pytest.mark.slow
def test_check_names_the_profile_line_and_suggests_pyocd_targets(tmp_path):
    path, line = typo_profile(tmp_path, "stm32f76zi")
    done = run_cli("check", "--profile", str(path), "--virtual", timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    lines = done.stdout.splitlines()
    probe = lines[lines.index(next(l for l in lines if l.startswith("FAIL probe"))) + 1].strip()
    # the closest names first; the third depends on which target types are registered
    assert re.fullmatch(re.escape(f"profile: {path}:{line}: target.target_type: 'stm32f76zi' is not a "
                                  "target type pyOCD knows (did you mean 'stm32f767zi' or 'stm32f767zg' or ")
                        + r"'stm32\w+'\?\)", probe), probe
    assert "probes connected" not in done.stdout, "a profile error is not a probe problem"


@pytest.mark.slow
def test_run_stops_before_the_first_cycle(tmp_path):
    path, line = typo_profile(tmp_path, "stm32f999xx")
    done = finish(start_cli("run", "--profile", str(path), "--virtual", "--cycles", "2", "-q"), timeout=120)
    assert done.returncode == 2
    assert len(done.error_lines) == 1 and re.fullmatch(
        re.escape(f"benchtui: profile: {path}:{line}: target.target_type: 'stm32f999xx' is not a target "
                  "type pyOCD knows (did you mean ") + r"'stm32\w+' or 'stm32\w+' or 'stm32\w+'\?\)",
        done.error_lines[0]), done.stderr
    assert "cycle 1" not in done.stdout + done.stderr


@pytest.mark.parametrize("name", ["stm32f767zi", "stm32f767zg", "STM32F407VG", "stm32f429xi", "nrf52840",
                                  "cortex_m"])
def test_every_target_type_pyocd_or_benchtui_knows_passes(name):
    check_target_type(name, None)


def test_a_name_like_nothing_known_points_to_pyocds_list():
    with pytest.raises(ProfileError, match=r"'zzzz' is not a target type pyOCD knows "
                                           r"\(`pyocd list --targets` lists them\)"):
        check_target_type("zzzz", None)
