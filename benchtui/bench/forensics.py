"""Board identity and option-byte forensics, cycle after cycle.

The engine's identity step hands every power-up read (the target identity from connect, the
option bytes with their complement checks) to one `IdentityTracker` per run. It says what the
cycle record stores (`board_uid`, `target`, `option_bytes`), which `ob.*` features the
correlation gets, and which events happened: the option bytes changed since the previous
cycle's power-up read ("cycle 12: option bytes changed since cycle 11: nWRP 0xFFF -> 0x000,
RDP 0xAA -> 0xFF"), another board is on the bench, stored complements disagree.

Feature names (kind "ob"): `ob.protected_sectors`, `ob.changed`, `ob.rdp_level`,
`ob.complement_errors`. Event kinds: `option_bytes_changed`, `board_changed`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .records import EventRecord, FeatureValue


@dataclass
class Observation:
    """What one cycle's identity step found."""

    board_uid: str | None = None
    target: dict[str, Any] = field(default_factory=dict)
    option_bytes: dict[str, Any] = field(default_factory=dict)
    features: list[FeatureValue] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    #: Lines for the run's log (each said once where it repeats every cycle).
    log: list[str] = field(default_factory=list)


def _hex(value: int, width: int) -> str:
    return f"0x{value:0{max(1, (width + 3) // 4)}X}"


def option_changes(old: Any, new: Any) -> list[str]:
    """['nWRP 0xFFF -> 0x000', 'RDP 0xAA -> 0xFF'] for the fields that differ."""
    widths = {f.st_name: f.width for f in new.FIELDS.values()}
    return [f"{st} {_hex(a, widths.get(st, 32))} -> {_hex(b, widths.get(st, 32))}"
            for st, a, b in old.differences(new)]


class IdentityTracker:
    """Remembers the previous cycle's board and power-up option bytes within one run."""

    def __init__(self) -> None:
        self._last_ob: tuple[int, Any] | None = None
        self._last_uid: tuple[int, str] | None = None
        self._said: set[str] = set()

    def _once(self, obs: Observation, line: str | None) -> None:
        if line and line not in self._said:
            self._said.add(line)
            obs.log.append(line)

    def identity(self, cycle: int, identity: Any) -> Observation:
        """The board and chip found at connect (identity None: the cycle never connected)."""
        obs = Observation()
        if identity is None:
            return obs
        obs.board_uid = getattr(identity, "uid", None)
        obs.target = identity.to_record() if hasattr(identity, "to_record") else {}
        self._once(obs, getattr(identity, "profile_mismatch", None))
        for note in getattr(identity, "notes", ()):
            self._once(obs, note)
        unreadable = getattr(identity, "unreadable", {})
        if "uid" in unreadable:
            self._once(obs, f"UID {unreadable['uid']}: boards are not told apart by UID in this run")
        if "package" in unreadable:
            self._once(obs, f"package word {unreadable['package']}")
        uid = obs.board_uid
        if uid is not None:
            if self._last_uid is not None and self._last_uid[1] != uid:
                prev_cycle, prev_uid = self._last_uid
                text = (f"cycle {cycle}: another board on the bench since cycle {prev_cycle}: "
                        f"UID {prev_uid} -> {uid}")
                obs.events.append(EventRecord("board_changed", text, cycle, time.time(),
                                              {"from": prev_uid, "to": uid, "since": prev_cycle}))
                obs.log.append(text)
                self._last_ob = None   # another board's option bytes are no "change"
            self._last_uid = (cycle, uid)
        return obs

    def option_bytes(self, cycle: int, forensics: Any, obs: Observation | None = None) -> Observation:
        """The option bytes read after power-up (devices.target.OptionForensics)."""
        obs = obs or Observation()
        ob = forensics.options
        obs.option_bytes = forensics.to_record()
        if ob is None:      # a target with no family module: said once, no ob.* features
            for note in forensics.notes:
                self._once(obs, note)
            return obs
        changed = 0
        if self._last_ob is not None:
            prev_cycle, prev = self._last_ob
            changes = option_changes(prev, ob)
            if changes:
                changed = 1
                text = f"cycle {cycle}: option bytes changed since cycle {prev_cycle}: {', '.join(changes)}"
                obs.events.append(EventRecord(
                    "option_bytes_changed", text, cycle, time.time(),
                    {"since": prev_cycle, "changes": changes,
                     "from": {name.lower(): f"0x{v:08X}" for name, v in prev.registers()},
                     "to": {name.lower(): f"0x{v:08X}" for name, v in ob.registers()}}))
                obs.log.append(text)
        self._last_ob = (cycle, ob)
        errors = forensics.complement_errors
        for note in forensics.notes:
            obs.log.append(f"cycle {cycle}: {note}")
        for address, why in getattr(forensics, "unreadable", {}).items():
            self._once(obs, f"stored option word {address} {why}: its complement is not checked")
        obs.features.extend([
            FeatureValue("ob.protected_sectors", float(len(ob.protected_sectors())), "", "ob"),
            FeatureValue("ob.changed", float(changed), "", "ob"),
            FeatureValue("ob.rdp_level", float(ob.rdp_level), "", "ob"),
            FeatureValue("ob.complement_errors", float(errors) if any(c.readable for c in forensics.complements)
                         else None, "", "ob"),
        ])
        return obs
