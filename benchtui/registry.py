"""Where families are registered: entry points, one line per family in pyproject.toml.

    [project.entry-points."benchtui.psu"]
    rigol-dp800 = "benchtui.devices.psu.rigol_dp800:RigolDP800"

Groups: `benchtui.psu` and `benchtui.scope` (drivers, the profile's `psu.driver` /
`scope.driver`), `benchtui.sim.psu` and `benchtui.sim.scope` (the virtual bench's `[sim]
psu_model` / `scope_model`). `names(group)` reads only the metadata, so the profile (the lowest
layer) lists what it accepts without importing the layers that hold the classes; `load(group)`
imports them, for the layer that uses them. A plugin package registers its own families the same
way.

In a source checkout the checkout's own pyproject.toml is read, so a line added there counts at
once, even while the installed metadata of an editable install still predates it. This module
imports nothing of benchtui.
"""

from __future__ import annotations

import importlib
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

PSU = "benchtui.psu"
SCOPE = "benchtui.scope"
SIM_PSU = "benchtui.sim.psu"
SIM_SCOPE = "benchtui.sim.scope"
_CHECKOUT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@cache
def _source() -> dict[str, dict[str, str]]:
    """group -> {name: "module:attr"} from the checkout's pyproject.toml, or {} when installed."""
    try:
        data = tomllib.loads(_CHECKOUT.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    if data.get("project", {}).get("name") != "benchtui":
        return {}
    return {g: dict(eps) for g, eps in data["project"].get("entry-points", {}).items()}


def installed(group: str) -> dict[str, str]:
    """{name: "module:attr"} as the installed metadata registers them."""
    return {ep.name: ep.value for ep in metadata.entry_points(group=group)}


def registered(group: str) -> dict[str, str]:
    """{name: "module:attr"}: the checkout's pyproject.toml when running from one (and plugins'
    metadata besides), else the installed metadata."""
    found = installed(group)
    source = _source()
    if source:
        own = {n for n, v in found.items() if v.startswith("benchtui.")}
        found = {**source.get(group, {}), **{n: v for n, v in found.items() if n not in own}}
    return found


def names(group: str) -> tuple[str, ...]:
    return tuple(registered(group))


def load(group: str) -> dict[str, type]:
    """{name: class} for a group, in registration order."""
    out = {}
    for name, value in registered(group).items():
        module, _, attr = value.partition(":")
        out[name] = getattr(importlib.import_module(module), attr)
    return out
