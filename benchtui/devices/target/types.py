"""Is the profile's `target.target_type` one pyOCD can connect with? Asked before a session is
made, so that a typo is one line naming the profile line, with a did-you-mean from pyOCD's own
list, instead of pyOCD's TargetSupportError traceback from inside `Session()`."""

from __future__ import annotations

import difflib

from ...errors import ProfileError
from ...profile.loader import located_error
from ..mcu import family_for_target_type


def pyocd_target_types() -> set[str]:
    """Every target type pyOCD knows now: its built-ins, benchtui's chip-mapped ones, and the
    targets of installed CMSIS packs."""
    from pyocd.target import TARGET

    from .. import pyocd_targets  # noqa: F401  (registers the chip-mapped target types)

    names = set(TARGET)
    try:
        from pyocd.target.pack.pack_target import ManagedPacks
        names |= {dev.part_number.lower() for dev in ManagedPacks.get_installed_targets()}
    except Exception:  # noqa: BLE001 - no pack cache: the built-in list is what there is
        pass
    return names


def check_target_type(target_type: str, source: str | None = None) -> None:
    """ProfileError ('profile.toml:8: target.target_type: 'stm32f999xx' is not a target type
    pyOCD knows (did you mean ...)') unless benchtui or pyOCD knows `target_type`."""
    if family_for_target_type(target_type) is not None:
        return
    from pyocd.target import normalise_target_type_name

    name = normalise_target_type_name(target_type)
    known = pyocd_target_types()
    if name in known:
        return
    from pyocd.target.pack.pack_target import ManagedPacks
    try:   # what pyOCD's Board does next: a part of an installed pack, by its part number
        ManagedPacks.populate_target(name)
    except Exception:  # noqa: BLE001 - no pack cache, no such part: refused below
        pass
    from pyocd.target import TARGET
    if name in TARGET:
        return
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    hint = (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else
            " (`pyocd list --targets` lists them)")
    raise located_error(source, ("target", "target_type"),
                        f"{target_type!r} is not a target type pyOCD knows{hint}")


__all__ = ["ProfileError", "check_target_type", "pyocd_target_types"]
