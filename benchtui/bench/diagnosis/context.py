"""What the diagnosis needs to know about a run besides its statistics: the profile it ran
with (limits, PSU setpoint and current limit, the fault-catch trigger, the virtual bench's time
scale, the step order) and the state the board was left in (protection after the last cycle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...profile import STEP_NAMES
from ..records import CycleRecord, failure_mode


@dataclass(frozen=True)
class FinalState:
    """The protection the board ended the run with, as read at the last cycle's power-up."""

    cycle: int
    protected_sectors: int | None = None
    rdp_level: int | None = None
    sectors: tuple[int, ...] = ()
    #: The option bytes as read then, by ST name (nWRP, nWRP2, IWDG_SW, ...): which fields this
    #: chip has and their values (empty when the record holds no decoded fields).
    fields: dict[str, int] = field(default_factory=dict)
    #: The chip's DBGMCU DEV_ID as recorded with the cycle (None if not recorded).
    dev_id: int | None = None
    #: The `--set NAME=VALUE` arguments that remove every write protection on this chip, as the
    #: family module gave them in the record ('nWRP=0xFFF', 'WPSN1=0xFF', 'WRP1A_STRT=0xFF', ...).
    unprotect: tuple[str, ...] = ()


#: The in-process virtual bench's probe uids (sim/twin/registry.py UID_PREFIX; bench/ does not
#: import sim/): a run recorded before the snapshot said `virtual` is known by its probe.
TWIN_PROBE_PREFIX = "benchtui-twin-"


@dataclass(frozen=True)
class RunContext:
    """The run's profile, in the terms the diagnosis uses. Every field may be missing (None)."""

    profile_path: str | None = None
    #: The run used the virtual bench started in its own process (`run --virtual`, `demo`):
    #: commands given back to the user need `--virtual` too.
    virtual: bool = False
    limits: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    setpoint: float | None = None
    current_limit: float | None = None
    fault_source: str | None = None
    fault_level: float | None = None
    fault_slope: str | None = None
    #: None on a real bench; the [sim] time_scale on the virtual one.
    sim_time_scale: float | None = None
    steps: tuple[str, ...] = STEP_NAMES
    final: FinalState | None = None
    target: str | None = None
    #: Failing cycles whose fault-catch capture recorded VDD, and how many of those show VDD
    #: below its limit (with VDD the regulator's output falls too: VCAP follows VDD down).
    fault_vdd: tuple[int, int] = (0, 0)
    #: The lowest VDD those captures show (None if none recorded VDD).
    fault_vdd_min: float | None = None
    #: Per failure mode, the FLASH_SR error flags its failures reported (by name, as the
    #: family's decoder wrote them into the error text); a mode absent here: unknown.
    flash_sr: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any], cycles: list[CycleRecord] = ()) -> "RunContext":
        """From `store.run_metadata(run_id)` (the profile snapshot) and the run's cycles."""
        profile = metadata.get("profile") or {}
        psu = profile.get("psu") or {}
        scope = profile.get("scope") or {}
        fault = scope.get("fault_catch") or {}
        sim = profile.get("sim")
        limits = {str(net): (_num(ch.get("min")), _num(ch.get("max")))
                  for net, ch in (scope.get("channels") or {}).items() if isinstance(ch, dict)}
        steps = tuple((profile.get("cycle") or {}).get("steps") or STEP_NAMES)
        target = profile.get("target") or {}
        virtual = profile.get("virtual") is True or \
            str(target.get("probe_uid") or "").startswith(TWIN_PROBE_PREFIX)
        source = profile.get("source")
        return cls(profile_path=None if source in (None, "<memory>") else str(source), virtual=virtual,
                   limits=limits, setpoint=_num(psu.get("voltage")),
                   current_limit=_num(psu.get("current_limit")), fault_source=fault.get("source"),
                   fault_level=_num(fault.get("level")), fault_slope=fault.get("slope"),
                   sim_time_scale=_num(sim.get("time_scale")) if isinstance(sim, dict) else None,
                   steps=steps, final=final_state(cycles),
                   target=target.get("target_type"), flash_sr=flash_sr_by_mode(cycles),
                   **_fault_vdd(cycles, limits.get("VDD", (None, None))[0]))


#: "FLASH_SR=0x00000082: OPERR (operation error ...); ERSERR (erase sequence error)" in a
#: flash step's error text (devices/mcu: each family decodes its own flags).
_SR = re.compile(r"FLASH_SR=0x[0-9A-Fa-f]+:?(?P<flags>.*)$")
_FLAG = re.compile(r"(?:^|;)\s*([A-Z][A-Z0-9]*ERR|EOP|BSY)\b")


def flash_sr_by_mode(cycles: list[CycleRecord]) -> dict[str, tuple[str, ...]]:
    """The FLASH_SR flags each failure mode's cycles reported, in the order first seen."""
    out: dict[str, list[str]] = {}
    for c in cycles:
        match = _SR.search(c.error_text or "") if not c.passed else None
        if match is None:
            continue
        flags = out.setdefault(failure_mode(c.failed_step, c.error_class) or "unknown", [])
        for flag in _FLAG.findall(match.group("flags")):
            if flag not in flags and flag != "BSY":
                flags.append(flag)
    return {mode: tuple(flags) for mode, flags in out.items()}


def _fault_vdd(cycles: list[CycleRecord], vdd_min: float | None) -> dict[str, Any]:
    """How many failing cycles' fault-catch captures recorded VDD, how many show it below its
    limit, and the lowest VDD they show."""
    seen = [v for c in cycles if not c.passed for v in [c.feature("flash.VDD.min")] if v is not None]
    low = sum(1 for v in seen if vdd_min is not None and v < vdd_min)
    return {"fault_vdd": (len(seen), low), "fault_vdd_min": min(seen) if seen else None}


def final_state(cycles: list[CycleRecord]) -> FinalState | None:
    """The protection read at the last cycle that read the option bytes: from its `ob.*`
    features (the identity step's forensics), else its decoded option bytes, else the
    identity step's details."""
    for c in reversed(list(cycles)):
        protected, rdp = c.feature("ob.protected_sectors"), c.feature("ob.rdp_level")
        sectors: tuple[int, ...] = ()
        ob = c.option_bytes or {}
        details = next((s.details for s in c.steps if s.name == "read_identity" and s.details), {})
        listed = _first(ob.get("protected_sectors"), (ob.get("decoded") or {}).get("protected_sectors"),
                        details.get("protected_sectors"))
        if isinstance(listed, (list, tuple)):
            sectors = tuple(int(s) for s in listed if isinstance(s, (int, float)))
            protected = len(sectors) if protected is None else protected
        if rdp is None:
            rdp = _num(_first(ob.get("rdp_level"), (ob.get("decoded") or {}).get("rdp_level"),
                              details.get("rdp_level")))
        if protected is not None or rdp is not None:
            fields = ob.get("fields") or {}
            return FinalState(c.index, None if protected is None else int(protected),
                              None if rdp is None else int(rdp), sectors,
                              {str(k): int(v) for k, v in fields.items()
                               if isinstance(v, int) and not isinstance(v, bool)},
                              _dev_id((c.target or {}).get("dev_id")),
                              tuple(str(x) for x in ob.get("unprotect") or () if isinstance(x, str)))
    return None


def _dev_id(value: Any) -> int | None:
    """'0x419' (as `TargetIdentity.to_record` writes it) or a number -> int."""
    try:
        return int(value, 0) if isinstance(value, str) else None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _num(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


__all__ = ["FinalState", "RunContext", "TWIN_PROBE_PREFIX", "final_state", "flash_sr_by_mode"]
