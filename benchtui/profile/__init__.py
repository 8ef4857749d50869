"""Bench profiles: one TOML file per bench + board, loaded into a validated, frozen model.

`model` holds the sections and their ranges, `loader` the generic TOML -> dataclass validation,
`checks` the rules across fields. Every error is one line naming the file, line, key and value.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import ProfileError
from . import bundled
from .checks import cross_check
from .loader import build, read_text, read_toml
from .model import (NETS, PSU_DRIVERS, SCOPE_DRIVERS, SIM_PSU_MODELS, SIM_SCENARIOS, SIM_SCOPE_MODELS,
                    STEP_NAMES, AddressAlias, BenchConfig, CycleConfig, Profile, PsuConfig, ScopeChannel,
                    ScopeConfig, SimConfig, StoreConfig, TargetConfig, TriggerConfig, net_of_channel,
                    profile_to_dict)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile: a file, or (when no such file exists) the name of a bundled
    one (`benchtui profiles`). A bundled profile's relative paths resolve in the user's data
    directory (bundled.data_dir), any other's next to the file. Raises ProfileError with a
    one-line message."""
    path = Path(path)
    if not path.exists() and path.parent == Path(".") and path.name.removesuffix(".toml") in bundled.names():
        path = bundled.path(path.name)
    elif not path.exists() and path.parent == Path("."):
        raise ProfileError(f"{path}: no such profile file, nor a bundled profile of that name "
                           "(`benchtui profiles` lists them)")
    base = bundled.data_dir() if bundled.is_bundled(path) else path.parent
    return parse_profile(read_text(path), source=str(path), base=base)


def parse_profile(text: str, *, source: str = "<memory>", base: Path | None = None) -> Profile:
    """Validate profile text; `base` resolves relative paths (firmware, database)."""
    data, ctx = read_toml(text, source)
    profile = build(Profile, data, ctx, (), (base or Path.cwd()).resolve())
    profile = dataclasses.replace(profile, source=source)
    cross_check(profile, ctx)
    return profile


__all__ = [
    "AddressAlias", "BenchConfig", "CycleConfig", "NETS", "PSU_DRIVERS", "Profile", "PsuConfig", "SCOPE_DRIVERS",
    "SIM_PSU_MODELS", "SIM_SCENARIOS", "SIM_SCOPE_MODELS", "STEP_NAMES", "ScopeChannel", "ScopeConfig",
    "SimConfig", "StoreConfig", "TargetConfig", "TriggerConfig", "load_profile", "net_of_channel",
    "parse_profile", "profile_to_dict",
]
