"""The board's electrical model: one timeline of events from which VDD, VCAP1/2 and NRST follow.

    physics.py   constants of the nominal board, per-board tolerances, BoardSpec (a board's
                 identity, fault and tolerances)
    supply.py    VDD as a timeline of PSU events, with its POR/PDR crossings
    pulses.py    NRST glitches and SWD dropouts as seeded pulse trains per power cycle
    model.py     BoardModel: what the PSU, the scope and the twin see; VCAP dips, NRST

A batch of boards (each with its own UID and tolerances) is `sim/batch.py`.
"""

from .model import BoardModel
from .physics import *  # noqa: F401,F403 - the constants, for tests and the instruments
from .physics import NETS, BoardSpec

__all__ = ["BoardModel", "BoardSpec", "NETS"]
