"""The commands a new user runs from any folder: `profiles`, `profiles copy`, `run` without a
profile, `report` without a database, `--version` from the package metadata."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from benchtui.cli import main
from benchtui.profile import bundled, load_profile


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv(bundled.DATA_DIR_ENV, str(tmp_path / "data"))
    return folder


def test_version_is_the_installed_metadata(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"benchtui {metadata.version('benchtui')}"


def test_profiles_lists_every_bundled_profile_and_says_where_their_files_go(empty_folder, capsys):
    assert main(["profiles"]) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()}
    assert rows.keys() == set(bundled.names())
    assert rows["demo-stm32f767"] == "virtual" and rows["rigol-dp832-ds1054z-stlink"] == "real"
    assert str(bundled.data_dir()) in err and bundled.data_dir() == empty_folder.parent / "data"


def test_profiles_copy_writes_one_to_edit_that_loads_with_its_files_beside_it(empty_folder, capsys):
    assert main(["profiles", "copy", "virtual-rigol-dp832-dho924"]) == 0
    written = empty_folder / "virtual-rigol-dp832-dho924.toml"
    assert capsys.readouterr().out.strip() == f"wrote {written.name}"
    assert written.read_text() == bundled.text("virtual-rigol-dp832-dho924")
    assert Path(load_profile(written).store.database).parent == empty_folder
    assert main(["profiles", "copy", "virtual-rigol-dp832-dho924"]) == 2      # kept, one line
    assert "exists; not overwritten" in capsys.readouterr().err
    assert main(["profiles", "copy", "demo-stm32f767", "sub/dir"]) == 0
    assert (empty_folder / "sub" / "dir" / "demo-stm32f767.toml").is_file()


def test_profiles_copy_of_an_unknown_name_is_one_line_with_a_suggestion(empty_folder, capsys):
    assert main(["profiles", "copy", "demo-stm32f77"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'demo-stm32f767'" in err


def test_run_without_a_profile_needs_virtual(empty_folder, capsys):
    assert main(["run", "--cycles", "1"]) == 2
    assert "--profile P (or --virtual" in capsys.readouterr().err


def test_report_without_a_database_before_any_run_says_how_to_record_one(empty_folder, capsys):
    assert main(["report"]) == 2
    err = capsys.readouterr().err
    assert "no results yet" in err and "benchtui run --virtual" in err
    assert not any(empty_folder.iterdir())
