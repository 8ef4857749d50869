"""The by-board comparison's data: the cycles with who recorded them, one row per board, and
how a board that stands out differs from its siblings."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import FeatureMatrix


@dataclass(frozen=True)
class FleetMatrix:
    """Cycles of one or more runs with who recorded them: `matrix` plus, per cycle, its run,
    bench, board UID (None: not read) and board label."""

    matrix: FeatureMatrix
    runs: tuple[int, ...]
    benches: tuple[str | None, ...]
    uids: tuple[str | None, ...]
    labels: tuple[str | None, ...]


@dataclass(frozen=True)
class FeatureSummary:
    name: str
    unit: str
    kind: str
    n: int
    median: float
    spread: float  # 1.4826 x MAD of the board's cycles (a robust standard deviation)
    #: Cycles whose value is only a bound (a fault catch that did not fire), and which bound.
    censored: int = 0
    bound: str | None = None

    @property
    def median_bound(self) -> str | None:
        """"lower"/"upper" when more than half the values are bounds: the median is one too
        ("≥ 1.100 V": at least half the cycles never went below the trigger level)."""
        return self.bound if self.censored * 2 > self.n else None


@dataclass(frozen=True)
class BoardRow:
    """One board (or bench): what it did, in numbers."""

    key: str                     # the UID (or bench name); "unknown" when never read
    label: str | None
    benches: tuple[str, ...]
    runs: tuple[int, ...]
    cycles: int
    failures: int
    failures_by_mode: dict[str, int]
    features: dict[str, FeatureSummary] = field(default_factory=dict)
    compared: bool = True        # enough cycles to be judged against the others

    @property
    def name(self) -> str:
        return f"{self.key} ({self.label})" if self.label else self.key


@dataclass(frozen=True)
class Difference:
    """One way a board differs from its siblings."""

    what: str                    # "feature", "flag" or "failure"
    name: str                    # feature name, or failure mode ("any failure" for all)
    unit: str
    kind: str
    value: float                 # the board's median (feature) or rate (flag, failure)
    siblings: float              # the siblings' median of medians, or pooled rate
    siblings_range: tuple[float, float]
    n_siblings: int
    z: float | None              # robust z (features)
    auc: float | None            # rank separation of the board's cycles from the siblings'
    p: float | None              # Fisher's exact test (rates)
    counts: tuple[int, int, int, int] | None  # (board k, board n, siblings k, siblings n)
    strength: float              # ranking key: -log10 of the tail probability
    text: str


@dataclass(frozen=True)
class Standout:
    row: BoardRow
    differences: tuple[Difference, ...]
    text: str

    @property
    def strength(self) -> float:
        return max(d.strength for d in self.differences)


@dataclass(frozen=True)
class Comparison:
    by: str                      # "board" or "bench"
    rows: tuple[BoardRow, ...]   # standing-out ones first, then by failures, then by name
    standouts: tuple[Standout, ...]
    key_features: tuple[str, ...]
    summary: tuple[str, ...]
    compared: int                # groups with enough cycles
    enough: bool                 # a comparison was possible
