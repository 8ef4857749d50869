"""The example profiles that ship inside the package (`benchtui/profiles/*.toml`, package data read
with importlib.resources), and where the files they make go.

A bundled profile's relative paths (the test firmware the virtual bench writes, the demo's
results database, a twin's state file) resolve against the user's data directory, never against
the folder the profile sits in: in an installed wheel that folder is site-packages. A copy made
with `copy` is the user's own file, and its relative paths resolve next to it like any profile's.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..errors import ProfileError

#: The profile `benchtui demo`, `run --virtual`, `sim` and `web --demo` use when given none.
DEMO = "demo-stm32f767"
#: Overrides the data directory (tests, or a bench PC that keeps its records elsewhere).
DATA_DIR_ENV = "BENCHTUI_DATA_DIR"


def folder() -> Traversable:
    """The package's profiles folder."""
    return resources.files("benchtui").joinpath("profiles")


def data_dir() -> Path:
    """Where the bundled profiles' files go: $BENCHTUI_DATA_DIR, else the platform's user data
    directory (~/.local/share/benchtui on Linux)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    import platformdirs

    return platformdirs.user_data_path("benchtui", appauthor=False)


def names() -> list[str]:
    """The bundled profiles' names (file names without .toml), sorted."""
    return sorted(p.name[:-5] for p in folder().iterdir() if p.name.endswith(".toml"))


@dataclass(frozen=True)
class BundledProfile:
    name: str
    title: str
    virtual: bool       # has a [sim] section: runs on the virtual bench


def describe() -> list[BundledProfile]:
    """Every bundled profile with its `name` line and whether it describes the virtual bench."""
    out = []
    for name in names():
        data = tomllib.loads(text(name))
        out.append(BundledProfile(name, str(data.get("name", "")), "sim" in data))
    return out


def _entry(name: str) -> Traversable:
    stem = name[:-5] if name.endswith(".toml") else name
    if stem not in names():
        close = difflib.get_close_matches(stem, names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProfileError(f"no bundled profile {name!r}{hint}; bundled: {', '.join(names())}")
    return folder().joinpath(f"{stem}.toml")


def text(name: str) -> str:
    """The TOML text of bundled profile `name` (with or without .toml)."""
    return _entry(name).read_text(encoding="utf-8")


def path(name: str) -> Path:
    """The bundled profile's file (the package is installed as files, not zipped)."""
    return Path(str(_entry(name)))


def is_bundled(candidate: Path) -> bool:
    """True if `candidate` is one of the package's own profile files (by any path to it)."""
    try:
        here = Path(str(folder())).resolve()
        return candidate.resolve().parent == here and candidate.suffix == ".toml"
    except OSError:
        return False


def copy(name: str, directory: str | os.PathLike = ".", *, force: bool = False) -> Path:
    """Write bundled profile `name` into `directory` as NAME.toml to edit; an existing file is
    kept unless `force`. Returns the written path."""
    body = text(name)
    stem = name[:-5] if name.endswith(".toml") else name
    target_dir = Path(directory).expanduser()
    target = target_dir / f"{stem}.toml"
    if target.exists() and not force:
        raise ProfileError(f"{target}: exists; not overwritten (add --force, or copy to another folder)")
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return target
