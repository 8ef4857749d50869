"""Small holes: an option byte given twice, a database path through a file, the run refusal's words."""

from __future__ import annotations

import re

import pytest

from benchtui.bench.store import open_store
from benchtui.cli import DEMO_PROFILE, main
from benchtui.errors import StoreError

from .conftest import finish, start_cli


@pytest.mark.slow
@pytest.mark.parametrize("sets, named", [
    (["nWRP=0xFFF", "nWRP=0x000"], "--set 'nWRP=0x000': nWRP is already set by --set 'nWRP=0xFFF'"),
    (["nwrp=0xFFF", "NWRP=0xFFF"], "--set 'NWRP=0xFFF': NWRP is already set by --set 'nwrp=0xFFF'"),
    (["BOR=2", "BOR_LEV=0"], "--set 'BOR_LEV=0': BOR_LEV is already set by --set 'BOR=2'"),
])
def test_an_option_byte_given_twice_is_refused_and_nothing_is_written(sets, named, tmp_path):
    args = [a for s in sets for a in ("--set", s)]
    done = finish(start_cli("ob", "--profile", str(DEMO_PROFILE), "--virtual", *args, "--yes", cwd=tmp_path),
                  timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.error_lines[-1] == f"benchtui: ob: {named}; give each option byte once", done.stderr
    assert "written" not in done.stdout


@pytest.mark.parametrize("under", ["afile/runs.db", "afile/deeper/runs.db"])
def test_a_database_path_through_a_file_names_the_file(under, tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    path = tmp_path / under
    with pytest.raises(StoreError) as caught:
        open_store(path).close()
    assert str(caught.value) == (f"{path}: cannot create the results database: {tmp_path / 'afile'} is a "
                                 "file, not a folder (store.database names a path through it)")
    assert "Errno" not in str(caught.value)


def test_the_run_refusal_says_to_confirm_once(tmp_path, capsys):
    text = re.sub(r'(?m)^erase = "[^"]*"', 'erase = "chip"', DEMO_PROFILE.read_text(encoding="utf-8"))
    if 'erase = "chip"' not in text:
        text = text.replace("[target]\n", '[target]\nerase = "chip"\n', 1)
    profile = tmp_path / "chip.toml"
    profile.write_text(text, encoding="utf-8")
    assert main(["run", "--profile", str(profile), "--virtual", "--cycles", "1"]) == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith("; add --yes to confirm"), err
    assert "to confirm to confirm" not in err
