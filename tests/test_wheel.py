"""The installed wheel, from an empty folder: built from the sdist, installed into a fresh venv
outside the checkout, then `--version`, `profiles`, `run --virtual --cycles 3`, `report`,
`report --html` and the console up to the overview in tmux (scripts/wheel_smoke.py, offline:
this venv's setuptools builds it and its dependencies serve the fresh venv; .ci/run runs the
same steps online, with an isolated build and the dependencies from the index)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _smoke_module():
    spec = importlib.util.spec_from_file_location("wheel_smoke", ROOT / "scripts" / "wheel_smoke.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["wheel_smoke"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_installed_wheel_works_from_an_empty_folder(tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("tmux is missing (apt-get install tmux; .ci/run installs it)")
        pytest.skip("tmux is not installed (apt-get install tmux)")
    pytest.importorskip("build")
    wheel_smoke = _smoke_module()
    smoke = wheel_smoke.smoke(tmp_path, offline=True)
    data = smoke.contents["package_data"]
    assert "benchtui/profiles/demo-stm32f767.toml" in data
    assert "benchtui/bench/diagnosis/knowledge.toml" in data and "benchtui/tui/app.tcss" in data
    assert not any(n.startswith(("tests/", "scripts/", "docs/")) for n in data)
    assert {"tests", "CHANGELOG.md", "LICENSE", "screenshots"} <= set(smoke.contents["sdist_top"])
