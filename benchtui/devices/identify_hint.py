"""Which benchtui driver an `*IDN?` answer gets, or "not supported" and the closest family.

`identify(identity)` tries the PSU and scope dialects' own `matches()` (the choice `driver =
"auto"` makes at connect), and for an instrument no dialect drives, names the family of the same
maker whose models are most alike (`DP711` -> rigol-dp800, `DS2072A` -> rigol-ds1000z).
Nothing here opens a connection.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

#: Per driver: the maker names an *IDN? gives, and the model prefixes of its family (for the
#: "closest family" of an instrument no driver matches).
FAMILIES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "rigol-dp800": (r"RIGOL", ("DP8", "DP7", "DP9", "DP"), "psu"),
    "keysight-e36300": (r"KEYSIGHT|AGILENT", ("E363", "EDU363", "E36", "EDU36", "E3"), "psu"),
    "siglent-spd3303x": (r"SIGLENT", ("SPD33", "SPD"), "psu"),
    "rohde-hmc804x": (r"ROHDE|HAMEG", ("HMC804", "HMP", "NGE", "NGP", "HMC"), "psu"),
    "owon-spe": (r"OWON", ("SPE", "SP", "ODP"), "psu"),
    "rigol-ds1000z": (r"RIGOL", ("DS1", "MSO1", "DS2", "MSO2", "DS"), "scope"),
    "rigol-dho": (r"RIGOL", ("DHO", "MSO5", "MSO8"), "scope"),
    "keysight-infiniivision": (r"KEYSIGHT|AGILENT", ("DSO-X", "MSO-X", "DSOX", "MSOX", "EDUX", "DSO", "MSO"), "scope"),
    "siglent-sds1000x-e": (r"SIGLENT", ("SDS1", "SDS2000X-E"), "scope"),
    "siglent-sds2000x-plus": (r"SIGLENT", ("SDS2", "SDS5", "SDS6", "SDS3", "SDS"), "scope"),
    "tektronix-mso": (r"TEKTRONIX", ("MSO4", "MSO5", "MSO6", "MSO", "DPO", "TBS", "MDO"), "scope"),
}


@dataclass(frozen=True)
class Identification:
    """What an *IDN? answer means to benchtui."""

    identity: str
    maker: str
    model: str
    #: "psu" or "scope" (for an unsupported instrument: the closest family's kind), or None.
    kind: str | None
    #: The driver `auto` picks at connect; None: not supported.
    driver: str | None
    #: For an unsupported instrument: the family most like it (same maker), or None.
    closest: str | None = None

    @property
    def supported(self) -> bool:
        return self.driver is not None

    def describe(self) -> str:
        if self.driver:
            return f"{self.kind.upper() if self.kind == 'psu' else self.kind} driver {self.driver}"
        closest = f" (closest family: {self.closest})" if self.closest else ""
        return f"not supported{closest}"


def _dialects() -> list[tuple[str, type]]:
    from .psu import DIALECTS as PSU_DIALECTS
    from .scope import DIALECTS as SCOPE_DIALECTS
    return [("psu", d) for d in PSU_DIALECTS] + [("scope", d) for d in SCOPE_DIALECTS]


def identify(identity: str) -> Identification:
    """The driver an instrument answering `identity` gets (never a generic `scpi` one)."""
    fields = [f.strip() for f in identity.split(",")]
    maker = fields[0] if fields else ""
    model = fields[1] if len(fields) > 1 else ""
    for kind, dialect in _dialects():
        if dialect.matches(identity):
            return Identification(identity, maker, model, kind, dialect.DRIVER)
    closest, best = None, 0
    for driver, (makers, prefixes, kind) in FAMILIES.items():
        if not re.match(makers, maker, re.I):
            continue
        score = max((len(os.path.commonprefix([p.upper(), model.upper()])) for p in prefixes), default=0)
        if score > best:
            closest, best = (driver, kind), score
    if closest is None:
        return Identification(identity, maker, model, None, None)
    return Identification(identity, maker, model, closest[1], None, closest[0])
