"""Bench profiles: one TOML file per bench + board, loaded into a validated, frozen model.

`model` holds the sections and their ranges, `loader` the generic TOML -> dataclass validation,
`checks` the rules across fields. Every error is one line naming the file, line, key and value.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .checks import cross_check
from .loader import build, read_text, read_toml
from .model import (NETS, PSU_DRIVERS, SCOPE_DRIVERS, SIM_PSU_MODELS, SIM_SCENARIOS, SIM_SCOPE_MODELS,
                    STEP_NAMES, AddressAlias, BenchConfig, CycleConfig, Profile, PsuConfig, ScopeChannel,
                    ScopeConfig, SimConfig, StoreConfig, TargetConfig, TriggerConfig, net_of_channel,
                    profile_to_dict)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile. Raises ProfileError with a one-line message."""
    path = Path(path)
    return parse_profile(read_text(path), source=str(path), base=path.parent)


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
