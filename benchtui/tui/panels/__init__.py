"""The console's tabs: overview, power, target, scope, loop, results, log, shmoo."""

from .base import BenchPanel
from .log import LogPanel
from .loop import LoopPanel
from .overview import OverviewPanel
from .power import PowerPanel
from .results import ResultsPanel
from .scope import ScopePanel
from .shmoo import ShmooPanel
from .target import TargetPanel

__all__ = ["BenchPanel", "LogPanel", "LoopPanel", "OverviewPanel", "PowerPanel", "ResultsPanel",
           "ScopePanel", "ShmooPanel", "TargetPanel"]
