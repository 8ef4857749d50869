"""The console's actions, one module per part of the bench; BenchApp mixes them in.

`base.py` is the console's core (its state and panels, how every action runs, and where every
failure becomes words for the user: `report`).
"""

from .base import ConsoleBase
from .boards import BoardActions
from .loop import LoopActions
from .power import PowerActions
from .results import ResultsActions
from .scope import ScopeActions
from .shmoo import ShmooActions
from .target import TargetActions

__all__ = ["BoardActions", "ConsoleBase", "LoopActions", "PowerActions", "ResultsActions", "ScopeActions",
           "ShmooActions", "TargetActions"]
