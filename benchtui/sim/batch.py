"""A virtual batch of boards: the same design built N times, each board with its own MCU (its own
96-bit UID) and its own component tolerances, and some of them faulty.

`[sim] batch = 25` makes one; `[sim] faulty = [7]` says which boards carry the scenario's fault
(default: one board, chosen from the seed; `[]`: none), the others are healthy within
tolerance; `[sim] board = K` is the board on the bench. Everything follows from the seed: the
same seed gives the same batch, board for board.

UIDs follow the STM32 layout (RM0410 "Unique device ID register"): word 0 holds the die's X and
Y coordinates on the wafer (BCD, 16 bits each), word 1 the wafer number (bits 7:0) and the first
three lot characters (ASCII), word 2 the other four lot characters. One batch's MCUs come from
one lot, a wafer or two, so their UIDs share most digits and differ in the die coordinates —
as the UIDs of a real batch do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .board.physics import TOLERANCE_BAND, BoardSpec
from .scenarios import get_scenario, rng_for

#: Stream id of the batch's draws (apart from the rail, glitch, SWD and noise streams).
STREAM_BATCH = 5
MAX_BATCH = 1000
_LOT_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _bcd(n: int) -> int:
    return int(str(n), 16)


def _lot(seed: int) -> str:
    rng = rng_for(seed, STREAM_BATCH, 0)
    return "".join(_LOT_CHARS[int(i)] for i in rng.integers(0, len(_LOT_CHARS), 7))


def _uid_words(lot: str, wafer: int, x: int, y: int) -> tuple[int, int, int]:
    raw = lot.encode("ascii")
    word0 = _bcd(x) | (_bcd(y) << 16)
    word1 = (wafer & 0xFF) | (raw[0] << 8) | (raw[1] << 16) | (raw[2] << 24)
    word2 = raw[3] | (raw[4] << 8) | (raw[5] << 16) | (raw[6] << 24)
    return word0, word1, word2


def lone_board(scenario: str, seed: int) -> BoardSpec:
    """The single board of a bench without a batch: nominal components, a UID from its seed."""
    get_scenario(scenario)
    rng = rng_for(seed, STREAM_BATCH, 1)
    wafer, x, y = (int(v) for v in (rng.integers(1, 26), rng.integers(1, 100), rng.integers(1, 100)))
    return BoardSpec(number=0, seed=int(seed), scenario=scenario,
                     uid_words=_uid_words(_lot(seed), wafer, x, y))


@dataclass(frozen=True)
class Batch:
    """`size` boards of one design; `faulty` (1-based numbers) carry `scenario`'s fault."""

    scenario: str
    seed: int
    size: int
    faulty: tuple[int, ...]

    @classmethod
    def make(cls, scenario: str, seed: int, size: int,
             faulty: tuple[int, ...] | list[int] | None = None) -> "Batch":
        """A batch; `faulty=None` picks one faulty board from the seed (if the scenario has a
        fault), `()` makes every board healthy. Bad numbers are a one-line ValueError."""
        get_scenario(scenario)
        if not 1 <= size <= MAX_BATCH:
            raise ValueError(f"batch size {size} is out of range 1..{MAX_BATCH}")
        if faulty is None:
            pick = int(rng_for(seed, STREAM_BATCH, 2).integers(1, size + 1))
            faulty = () if scenario == "healthy" else (pick,)
        bad = [k for k in faulty if not 1 <= k <= size]
        if bad:
            raise ValueError(f"faulty board {bad[0]} is not in the batch (boards 1..{size})")
        return cls(scenario, int(seed), int(size), tuple(sorted(set(faulty))))

    def __len__(self) -> int:
        return self.size

    def spec(self, number: int) -> BoardSpec:
        """Board `number` (1-based) of the batch."""
        if not 1 <= number <= self.size:
            raise ValueError(f"board {number} is not in the batch (boards 1..{self.size})")
        rng = rng_for(self.seed, STREAM_BATCH, 100 + number)
        board_seed = int(rng.integers(0, 2 ** 31))
        factors = {name: 1.0 + float(np.clip(rng.normal(0.0, band / 2), -band, band))
                   for name, band in sorted(TOLERANCE_BAND.items())}
        return BoardSpec(number=number, seed=board_seed,
                         scenario=self.scenario if number in self.faulty else "healthy",
                         uid_words=self._uid(number), **factors)

    def _uid(self, number: int) -> tuple[int, int, int]:
        """Distinct die coordinates for every board of the batch (a 2-wafer lot)."""
        rng = rng_for(self.seed, STREAM_BATCH, 3)
        dies = rng.permutation(2 * 60 * 60)[:self.size]  # wafer x row x column, no repeats
        die = int(dies[number - 1])
        wafer, rest = divmod(die, 3600)
        first_wafer = int(rng_for(self.seed, STREAM_BATCH, 4).integers(1, 24))
        return _uid_words(_lot(self.seed), first_wafer + wafer, 10 + rest // 60, 10 + rest % 60)

    def specs(self) -> list[BoardSpec]:
        return [self.spec(k) for k in range(1, self.size + 1)]


__all__ = ["Batch", "MAX_BATCH", "lone_board"]
