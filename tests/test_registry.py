"""One registration point per family (pyproject.toml entry points, benchtui/registry.py): every
concrete driver and simulator class is registered, under its own name, and the profile accepts
exactly the registered names."""

from __future__ import annotations

import ast
import inspect
import pkgutil
from importlib import import_module

import pytest

from benchtui import profile, registry
from benchtui.devices.psu.base import Psu
from benchtui.devices.scope.base import Scope
from benchtui.errors import ProfileError
from benchtui.sim.scpi.psu import SimPsu
from benchtui.sim.scpi.scope_instrument import SimScope


def _concrete(packages: str, base: type) -> set[type]:
    found = set()
    for package in packages.split():
        for info in pkgutil.iter_modules(import_module(package).__path__):
            module = import_module(f"{package}.{info.name}")
            found |= {c for _, c in inspect.getmembers(module, inspect.isclass)
                      if issubclass(c, base) and c is not base and not inspect.isabstract(c)
                      and c.__module__ == module.__name__}
    return found


@pytest.mark.parametrize("group, package, base", [
    (registry.PSU, "benchtui.devices.psu", Psu), (registry.SCOPE, "benchtui.devices.scope", Scope),
    (registry.SIM_PSU, "benchtui.sim.scpi benchtui.sim.serialbus", SimPsu), (registry.SIM_SCOPE, "benchtui.sim.scpi", SimScope)])
def test_every_family_class_is_registered_once(group, package, base):
    loaded = registry.load(group)
    assert len(set(loaded.values())) == len(loaded)
    if group in (registry.PSU, registry.SCOPE):
        assert all(cls.DRIVER == name for name, cls in loaded.items())
    assert set(loaded.values()) == {c for c in _concrete(package, base)
                                    if not getattr(c, "ABSTRACT_FAMILY", False)}


def test_the_profile_accepts_the_registered_names_and_says_which_for_a_typo():
    assert profile.PSU_DRIVERS == ("auto", *registry.names(registry.PSU))
    assert profile.SIM_SCOPE_MODELS == registry.names(registry.SIM_SCOPE)
    text = ('name = "x"\n[target]\nprobe_uid = "u"\n[psu]\nresource = "r"\ndriver = "rigol-dp80"\n'
            'voltage = 3.3\ncurrent_limit = 0.1\nmax_voltage = 3.6\nmax_current = 0.5\n'
            '[scope]\nresource = "s"\n')
    with pytest.raises(ProfileError, match="rigol-dp800"):
        profile.parse_profile(text, source="bench.toml")


def test_the_installed_metadata_matches_the_checkout():
    """An editable install whose metadata predates a registration line still works (the
    checkout's pyproject.toml is read), but `pip install -e .` brings the metadata up to date."""
    for group in (registry.PSU, registry.SCOPE, registry.SIM_PSU, registry.SIM_SCOPE):
        assert registry.installed(group) == registry.registered(group), \
            f"stale metadata for {group}: run `pip install -e . --no-deps`"


def test_the_registry_imports_nothing_of_benchtui():
    tree = ast.parse(inspect.getsource(registry))
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + \
        [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if n.startswith("benchtui") or n.startswith(".")]


def test_identify_names_the_driver_or_the_closest_family_without_opening_anything():
    from benchtui.devices.identify import identify

    assert identify("RIGOL TECHNOLOGIES,DP832,DP8C1,00.01.14", "psu") == ("rigol-dp800", "rigol-dp800")
    assert identify("Siglent Technologies,SDS1104X-E,SDSM,8.1.6.1.33", "scope")[0] == "siglent-sds1000x-e"
    assert identify("RIGOL TECHNOLOGIES,DL3021,DL3A,00.01", "psu") == (None, "rigol-dp800")
    assert identify("ACME,THING,1,1", "scope") == (None, None)
