"""The console's actions, one module per part of the bench; BenchApp mixes them in.

`base.py` is how every action runs (worker, confirmation) and where every failure becomes
words for the user (`report`).
"""

from .base import ActionsBase
from .boards import BoardActions
from .loop import LoopActions
from .power import PowerActions
from .results import ResultsActions
from .scope import ScopeActions
from .target import TargetActions

__all__ = ["ActionsBase", "BoardActions", "LoopActions", "PowerActions", "ResultsActions", "ScopeActions", "TargetActions"]
