"""Loading and checking the knowledge base (`knowledge.toml` beside this file).

The file is data reviewed like code. It is read by the profile's validated TOML loader (the
dataclasses below declare each table, its keys and their choices), so that a broken entry is
refused with the same one-line error a profile gets, naming the file, the line and the key; the
rules across entries (a part or source that must exist, texts that must not be empty) follow.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import KnowledgeError, ProfileError
from ...profile.loader import Ctx, build, option, read_text, read_toml

#: Package data, found through importlib.resources (the package is installed as files).
KNOWLEDGE_FILE = Path(str(resources.files(__package__).joinpath("knowledge.toml")))
DIRECTIONS = ("below", "above")
#: The conditions a [[catch]] line or a [mode.measure_if] may name (checked in diagnose.py).
CONDITIONS = ("always", "fault_catch_not_nrst", "fault_catch_is_nrst", "fault_catch_not_vdd",
              "sim_time_scale_zero")
#: When a [[salvage]] entry applies.
SALVAGE_WHEN = ("write_protected", "pcrop_selected", "rdp_level_1", "rdp_level_2")


def _internal(default: Any) -> Any:
    """A field the loader leaves alone (filled from the table's key, or after loading)."""
    return field(default=default, metadata={"internal": True})


@dataclass(frozen=True, kw_only=True)
class Part:
    name: str = option()
    what: str = option()
    check: tuple[str, ...] = option()
    sources: tuple[str, ...] = option(())
    measure: str = option("")
    id: str = _internal("")


@dataclass(frozen=True, kw_only=True)
class EvidenceRule:
    id: str = option()
    features: tuple[str, ...] = option()
    direction: str = option(choices=DIRECTIONS)
    part: str = option()
    observation: str = option()
    meaning: str = option()
    #: The part's measurement when not given.
    measure: str = option("")
    sources: tuple[str, ...] = option(())

    def matches(self, feature: str, direction: str) -> bool:
        return direction == self.direction and any(fnmatch.fnmatchcase(feature, p) for p in self.features)


@dataclass(frozen=True, kw_only=True)
class ModeRule:
    """What a failure mode alone suggests: its words ("core reset", "flash error"), optionally
    the steps it applies to and the FLASH_SR bits that must be among those the failures set."""

    id: str = option()
    words: tuple[str, ...] = option()
    part: str = option()
    observation: str = option()
    meaning: str = option()
    measure: str = option()
    #: The part in a few words for "the failure mode alone suggests ..." (default: the part's name).
    hint: str = option("")
    steps: tuple[str, ...] = option(())
    flash_sr: tuple[str, ...] = option(())
    too_few: str = option("")
    #: condition -> measurement that replaces `measure` when the condition holds.
    measure_if: dict[str, str] = option({})

    def matches(self, mode: str, sr_bits: tuple[str, ...] | None = None) -> bool:
        """The mode's words, its step among `steps`, and (when the failures' FLASH_SR bits are
        known) one of `flash_sr` among them."""
        step = mode.split(" (", 1)[0]
        if not any(w in mode for w in self.words) or (self.steps and step not in self.steps):
            return False
        return not self.flash_sr or sr_bits is None or any(b in self.flash_sr for b in sr_bits)


@dataclass(frozen=True, kw_only=True)
class CatchRule:
    words: tuple[str, ...] = option()
    condition: str = option(choices=CONDITIONS)
    text: str = option()


@dataclass(frozen=True, kw_only=True)
class SalvageRule:
    id: str = option()
    when: str = option(choices=SALVAGE_WHEN)
    title: str = option()
    commands: tuple[str, ...] = option(())
    console: str = option("")
    cost: str = option()
    sources: tuple[str, ...] = option(())
    needs: str = option("")


@dataclass(frozen=True, kw_only=True)
class KnowledgeFile:
    """The file's top level, as the loader reads it."""

    families: tuple[str, ...] = option(())
    parts: dict[str, Part] = option()
    evidence: tuple[EvidenceRule, ...] = option(())
    mode: tuple[ModeRule, ...] = option(())
    catch: tuple[CatchRule, ...] = option(())
    salvage: tuple[SalvageRule, ...] = option(())
    sources: dict[str, str] = option()


@dataclass(frozen=True)
class KnowledgeBase:
    families: tuple[str, ...]
    parts: dict[str, Part]
    evidence: tuple[EvidenceRule, ...]
    modes: tuple[ModeRule, ...]
    catches: tuple[CatchRule, ...]
    salvage: tuple[SalvageRule, ...]
    sources: dict[str, str]

    def rule_for(self, feature: str, direction: str) -> EvidenceRule | None:
        """The first evidence rule that matches a feature and direction."""
        return next((r for r in self.evidence if r.matches(feature, direction)), None)

    def evidence_rule(self, rule_id: str) -> EvidenceRule:
        return next(r for r in self.evidence if r.id == rule_id)

    def mode_rule(self, mode: str, sr_bits: tuple[str, ...] | None = None) -> ModeRule | None:
        """The first mode rule that matches a failure mode (and its FLASH_SR bits, if known)."""
        return next((r for r in self.modes if r.matches(mode, sr_bits)), None)

    def source_texts(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.sources[i] for i in ids)


@lru_cache(maxsize=4)
def load_knowledge(path: str | Path = KNOWLEDGE_FILE) -> KnowledgeBase:
    """Read and check the knowledge base (cached per path)."""
    path = Path(path)
    try:
        data, ctx = read_toml(read_text(path, "knowledge base"), str(path))
        raw = build(KnowledgeFile, data, ctx, (), path.parent)
    except ProfileError as exc:
        raise KnowledgeError(str(exc)) from None
    return _checked(raw, ctx)


def _checked(raw: KnowledgeFile, ctx: Ctx) -> KnowledgeBase:
    """The rules across entries: parts and sources that exist, texts that say something."""
    def fail(keypath: tuple[str, ...], why: str) -> KnowledgeError:
        return KnowledgeError(str(ctx.error(keypath, why)))

    def texts(entry: Any, at: tuple[str, ...], *required: str) -> None:
        for name in required:
            value = getattr(entry, name)
            values = value if isinstance(value, tuple) else (value,)
            if not values or not all(v.strip() for v in values):
                raise fail(at + (name,), "must not be empty")

    def refs(ids: tuple[str, ...], at: tuple[str, ...]) -> None:
        unknown = [i for i in ids if i not in raw.sources]
        if unknown:
            raise fail(at, f"unknown source {unknown[0]!r} (not in [sources])")

    def part(pid: str, at: tuple[str, ...]) -> None:
        if pid not in raw.parts:
            raise fail(at, f"unknown part {pid!r} (parts: {', '.join(raw.parts)})")

    if not raw.parts:
        raise fail(("parts",), "must list at least one part")
    for key, text in raw.sources.items():
        if not text.strip():
            raise fail(("sources", key), "must not be empty")
    parts = {}
    for pid, p in raw.parts.items():
        texts(p, ("parts", pid), "name", "what", "check")
        refs(p.sources, ("parts", pid, "sources"))
        parts[pid] = dataclasses.replace(p, id=pid)
    evidence = []
    for i, e in enumerate(raw.evidence):
        at = (f"evidence[{i}]",)
        texts(e, at, "id", "features", "observation", "meaning")
        part(e.part, at + ("part",))
        refs(e.sources, at + ("sources",))
        evidence.append(e if e.measure.strip() else dataclasses.replace(e, measure=parts[e.part].measure))
        if not evidence[-1].measure.strip():
            raise fail(at + ("measure",), f"missing, and part {e.part!r} has no measure")
    modes = []
    for i, m in enumerate(raw.mode):
        at = (f"mode[{i}]",)
        texts(m, at, "id", "words", "observation", "meaning", "measure")
        part(m.part, at + ("part",))
        for cond in m.measure_if:
            if cond not in CONDITIONS:
                raise fail(at + ("measure_if", cond), f"unknown condition (known: {', '.join(CONDITIONS)})")
        modes.append(m if m.hint else dataclasses.replace(m, hint=f"the {parts[m.part].name}"))
    for i, c in enumerate(raw.catch):
        texts(c, (f"catch[{i}]",), "words", "text")
    for i, s in enumerate(raw.salvage):
        texts(s, (f"salvage[{i}]",), "id", "title", "cost")
        refs(s.sources, (f"salvage[{i}]", "sources"))
    return KnowledgeBase(raw.families, parts, tuple(evidence), tuple(modes), raw.catch, raw.salvage,
                         dict(raw.sources))


__all__ = ["CONDITIONS", "CatchRule", "EvidenceRule", "KNOWLEDGE_FILE", "KnowledgeBase", "KnowledgeError",
           "ModeRule", "Part", "SalvageRule", "load_knowledge"]
