"""Loading and checking the knowledge base (`knowledge.toml` beside this file).

The file is data reviewed like code; this module only reads it into frozen records and
refuses a broken one with a one-line error naming the file, the entry and the key.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import KnowledgeError

#: Package data, found through importlib.resources (the package is installed as files).
KNOWLEDGE_FILE = Path(str(resources.files(__package__).joinpath("knowledge.toml")))
DIRECTIONS = ("below", "above")
#: The conditions a [[catch]] line may name (checked in diagnosis/__init__.py).
CONDITIONS = ("always", "fault_catch_not_nrst", "fault_catch_is_nrst", "fault_catch_not_vdd",
              "sim_time_scale_zero")
#: When a [[salvage]] entry applies.
SALVAGE_WHEN = ("write_protected", "pcrop_selected", "rdp_level_1", "rdp_level_2")


@dataclass(frozen=True)
class Part:
    id: str
    name: str
    what: str
    check: tuple[str, ...]
    sources: tuple[str, ...]
    measure: str = ""


@dataclass(frozen=True)
class EvidenceRule:
    id: str
    features: tuple[str, ...]
    direction: str
    part: str
    observation: str
    meaning: str
    measure: str
    sources: tuple[str, ...]

    def matches(self, feature: str, direction: str) -> bool:
        return direction == self.direction and any(fnmatch.fnmatchcase(feature, p) for p in self.features)


@dataclass(frozen=True)
class ModeRule:
    id: str
    words: tuple[str, ...]
    part: str
    observation: str
    meaning: str
    measure: str
    too_few: str = ""
    #: condition -> measurement that replaces `measure` when the condition holds.
    measure_if: tuple[tuple[str, str], ...] = ()

    def matches(self, mode: str) -> bool:
        return any(w in mode for w in self.words)


@dataclass(frozen=True)
class CatchRule:
    words: tuple[str, ...]
    condition: str
    text: str


@dataclass(frozen=True)
class SalvageRule:
    id: str
    when: str
    title: str
    commands: tuple[str, ...]
    console: str
    cost: str
    sources: tuple[str, ...]
    needs: str = ""


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

    def mode_rule(self, mode: str) -> ModeRule | None:
        return next((r for r in self.modes if r.matches(mode)), None)

    def source_texts(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.sources[i] for i in ids)


@lru_cache(maxsize=4)
def load_knowledge(path: str | Path = KNOWLEDGE_FILE) -> KnowledgeBase:
    """Read and check the knowledge base (cached per path)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path}: not valid TOML: {exc}") from None
    r = _Reader(path)
    sources = {str(k): r.text(v, f"sources.{k}") for k, v in r.table(data, "sources").items()}
    parts = {pid: Part(pid, r.text(p.get("name"), f"parts.{pid}.name"),
                       r.text(p.get("what"), f"parts.{pid}.what"),
                       r.texts(p.get("check"), f"parts.{pid}.check"),
                       r.refs(p.get("sources", []), f"parts.{pid}.sources", sources),
                       r.text(p.get("measure", ""), f"parts.{pid}.measure", empty=True))
             for pid, p in r.table(data, "parts").items()}
    evidence = []
    for i, e in enumerate(r.array(data, "evidence")):
        at = f"evidence[{i}] ({e.get('id', '?')})"
        direction = r.text(e.get("direction"), f"{at}.direction")
        if direction not in DIRECTIONS:
            raise KnowledgeError(f"{path}: {at}.direction: {direction!r} is not one of {', '.join(DIRECTIONS)}")
        part = r.part(e.get("part"), f"{at}.part", parts)
        evidence.append(EvidenceRule(
            r.text(e.get("id"), f"{at}.id"), r.texts(e.get("features"), f"{at}.features"), direction, part,
            r.text(e.get("observation"), f"{at}.observation"), r.text(e.get("meaning"), f"{at}.meaning"),
            r.text(e.get("measure", parts[part].measure), f"{at}.measure"),
            r.refs(e.get("sources", []), f"{at}.sources", sources)))
    modes = []
    for i, m in enumerate(r.array(data, "mode")):
        at = f"mode[{i}] ({m.get('id', '?')})"
        modes.append(ModeRule(r.text(m.get("id"), f"{at}.id"), r.texts(m.get("words"), f"{at}.words"),
                              r.part(m.get("part"), f"{at}.part", parts),
                              r.text(m.get("observation"), f"{at}.observation"),
                              r.text(m.get("meaning"), f"{at}.meaning"), r.text(m.get("measure"), f"{at}.measure"),
                              r.text(m.get("too_few", ""), f"{at}.too_few", empty=True),
                              r.conditional(m.get("measure_if", {}), f"{at}.measure_if")))
    catches = []
    for i, c in enumerate(r.array(data, "catch")):
        at = f"catch[{i}]"
        condition = r.text(c.get("condition"), f"{at}.condition")
        if condition not in CONDITIONS:
            raise KnowledgeError(f"{path}: {at}.condition: {condition!r} is not one of {', '.join(CONDITIONS)}")
        catches.append(CatchRule(r.texts(c.get("words"), f"{at}.words"), condition, r.text(c.get("text"), f"{at}.text")))
    salvage = []
    for i, s in enumerate(r.array(data, "salvage")):
        at = f"salvage[{i}] ({s.get('id', '?')})"
        when = r.text(s.get("when"), f"{at}.when")
        if when not in SALVAGE_WHEN:
            raise KnowledgeError(f"{path}: {at}.when: {when!r} is not one of {', '.join(SALVAGE_WHEN)}")
        salvage.append(SalvageRule(r.text(s.get("id"), f"{at}.id"), when, r.text(s.get("title"), f"{at}.title"),
                                   r.texts(s.get("commands", []), f"{at}.commands", empty=True),
                                   r.text(s.get("console", ""), f"{at}.console", empty=True),
                                   r.text(s.get("cost"), f"{at}.cost"),
                                   r.refs(s.get("sources", []), f"{at}.sources", sources),
                                   r.text(s.get("needs", ""), f"{at}.needs", empty=True)))
    return KnowledgeBase(tuple(str(f) for f in data.get("families", [])), parts, tuple(evidence),
                         tuple(modes), tuple(catches), tuple(salvage), sources)


class _Reader:
    """Type checks with errors that name the file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def _fail(self, key: str, why: str) -> KnowledgeError:
        return KnowledgeError(f"{self.path}: {key}: {why}")

    def table(self, data: dict, key: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict) or not value:
            raise self._fail(key, "missing or not a table")
        return value

    def array(self, data: dict, key: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._fail(key, "not an array of tables")
        return value

    def text(self, value: Any, key: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self._fail(key, "missing or not a text")
        return value

    def texts(self, value: Any, key: str, *, empty: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list) or (not empty and not value) or not all(isinstance(v, str) and v for v in value):
            raise self._fail(key, "missing or not a list of texts")
        return tuple(value)

    def refs(self, value: Any, key: str, sources: dict[str, str]) -> tuple[str, ...]:
        ids = self.texts(value, key, empty=True)
        unknown = [i for i in ids if i not in sources]
        if unknown:
            raise self._fail(key, f"unknown source {unknown[0]!r} (not in [sources])")
        return ids

    def conditional(self, value: Any, key: str) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, dict):
            raise self._fail(key, "not a table of condition = text")
        for cond in value:
            if cond not in CONDITIONS:
                raise self._fail(f"{key}.{cond}", f"unknown condition (known: {', '.join(CONDITIONS)})")
        return tuple((str(c), self.text(v, f"{key}.{c}")) for c, v in value.items())

    def part(self, value: Any, key: str, parts: dict[str, Part]) -> str:
        pid = self.text(value, key)
        if pid not in parts:
            raise self._fail(key, f"unknown part {pid!r} (parts: {', '.join(parts)})")
        return pid


__all__ = ["CONDITIONS", "CatchRule", "EvidenceRule", "KNOWLEDGE_FILE", "KnowledgeBase", "KnowledgeError",
           "ModeRule", "Part", "SalvageRule", "load_knowledge"]
