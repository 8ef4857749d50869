"""The one place MCU families are registered and looked up.

A family module (any module of this package) defines its `McuFamily` subclass and decorates it
with `@register_family`; the package imports every module in it, so a new family is its module
and nothing else on the device side. `[target] family` in a profile names one of these families
(by name, case-insensitive), `"auto"` (identity from the chip) or `"generic"` (no family module:
pyOCD's own target type and flash algorithm do the work, without option-byte forensics).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .base import McuFamily

AUTO, GENERIC = "auto", "generic"
_FAMILIES: list["McuFamily"] = []
F = TypeVar("F", bound=type)


def register_family(cls: F) -> F:
    """Class decorator: make one instance of the family and register it (idempotent by name)."""
    family = cls()
    if not any(f.name == family.name for f in _FAMILIES):
        _FAMILIES.append(family)
        options = getattr(cls, "option_bytes_class", None)
        if options is not None:
            options.FAMILY = family
    cls.INSTANCE = next(f for f in _FAMILIES if f.name == family.name)   # type: ignore[attr-defined]
    return cls


def families() -> tuple["McuFamily", ...]:
    return tuple(_FAMILIES)


def family_for_dev_id(dev_id: int) -> "McuFamily | None":
    return next((f for f in _FAMILIES if dev_id in f.parts), None)


def family_for_target_type(target_type: str) -> "tuple[McuFamily, int, int] | None":
    """(family, dev_id, flash KB) a profile's target type promises, or None if unknown here."""
    name = (target_type or "").lower()
    for family in _FAMILIES:
        if name in family.target_types:
            dev_id, kb = family.target_types[name]
            return family, dev_id, kb
    return None


def family_by_name(name: str) -> "McuFamily | None":
    return next((f for f in _FAMILIES if f.name.lower() == (name or "").lower()), None)


def family_names() -> tuple[str, ...]:
    """What `[target] family` accepts."""
    return (AUTO, GENERIC, *(f.name for f in _FAMILIES))


def check_family_name(name: str) -> str:
    """`name` as `[target] family` means it (auto, generic or a family's name); ValueError with
    a did-you-mean otherwise."""
    low = (name or "").lower()
    for known in family_names():
        if known.lower() == low:
            return known
    close = difflib.get_close_matches(low, [n.lower() for n in family_names()], n=1, cutoff=0.5)
    hint = ""
    if close:
        hint = f" (did you mean {next(n for n in family_names() if n.lower() == close[0])!r}?)"
    raise ValueError(f"family {name!r} is not known{hint}; known: {', '.join(family_names())}")


__all__ = ["AUTO", "GENERIC", "check_family_name", "families", "family_by_name", "family_for_dev_id",
           "family_for_target_type", "family_names", "register_family"]
