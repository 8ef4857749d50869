"""The diagnosis as data: one finding in hardware terms (`Item`), the statistic behind it
(`Evidence`), and the whole answer (`Diagnosis`) that every view prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis import Finding
from .salvage import Salvage

#: Statuses: settled ones end a loop that runs until diagnosed.
STATUSES = ("no cycles", "no failures", "all failed", "found", "eliminated", "unexplained", "not yet")
SETTLED = ("found", "eliminated", "unexplained")
#: Confidence of a mode finding.
BY_ELIMINATION = "by elimination"
MODE_ONLY = "failure mode only"


@dataclass(frozen=True)
class Evidence:
    """One statistic behind a finding, in words and as numbers (the AUC in the finding's
    direction: 1.00 is a perfect split)."""

    feature: str
    mode: str | None
    text: str
    threshold: float
    threshold_text: str
    direction: str
    failures_near: int
    cycles_near: int
    failures_far: int
    cycles_far: int
    auc: float
    auc_ci: tuple[float, float]
    confidence: str
    p: float = 1.0
    p_family: float = 1.0
    censored: int = 0


@dataclass(frozen=True)
class Item:
    """One finding in hardware terms."""

    rank: int
    #: "evidence": a separating feature the knowledge base explains; "mode": what a failure
    #: mode says on its own (confidence "by elimination" or "failure mode only").
    kind: str
    part_id: str
    part: str
    part_what: str
    happened: str
    modes: tuple[str, ...]
    observation: str
    meaning: str
    evidence: Evidence | None
    evidence_text: str
    confidence: str
    measure: str
    checks: tuple[str, ...]
    supporting: tuple[Evidence, ...] = ()
    points_back: str | None = None
    rule: str = ""
    sources: tuple[str, ...] = ()
    #: A symptom of another part's trouble (ranked after the cause it points back at).
    symptom: bool = False
    #: The part in a few words ("the SWD link, or a supply dip ..."), for a verdict's hint.
    hint: str = ""

    @property
    def confident(self) -> bool:
        """Named from separating evidence (a cause, not a symptom of one), or by elimination: a
        part the run stands behind."""
        return (self.kind == "evidence" and not self.symptom) or self.confidence == BY_ELIMINATION


@dataclass(frozen=True)
class Diagnosis:
    verdict: str
    happened: str
    items: tuple[Item, ...]
    salvage: tuple[Salvage, ...] = ()
    #: How much more to run, which trigger to use.
    more_data: tuple[str, ...] = ()
    #: Separating findings that are consequences, and ones the knowledge base does not explain.
    consequences: tuple[Finding, ...] = ()
    unexplained: tuple[Finding, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    #: One of STATUSES; `settled` when it is one a loop may stop at.
    status: str = "not yet"
    settled: bool = False
    #: Some rail or PSU feature separates (explained or not): the same set every view shows.
    rail_signature: bool = False
    #: The conclusion first (a status bar shows line 0), then the failure count, then detail.
    summary: tuple[str, ...] = ()
    #: Cycles more that would settle it (None: settled, or no estimate).
    more_cycles: int | None = None
    #: How the findings were decided (fixed sample or a look of a sequential run).
    rule: str = ""

    @property
    def first(self) -> Item | None:
        return self.items[0] if self.items else None


__all__ = ["BY_ELIMINATION", "Diagnosis", "Evidence", "Item", "MODE_ONLY", "SETTLED", "STATUSES"]
