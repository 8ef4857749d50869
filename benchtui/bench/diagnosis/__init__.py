"""The diagnosis: the correlation's findings turned into the parts of the board and what to do.

`diagnose(analysis, context)` (diagnose.py) reads the knowledge base (`knowledge.toml`, loaded by
knowledge.py) and answers the seed's two questions: what could be the hardware issue, and can
the board be salvaged (salvage.py). Findings from separating evidence are evidence.py, what a
failure mode says alone (and "by elimination") modes.py, the answer as data model.py. The run's
profile and final state it needs are context.py; the filling of the knowledge base's sentences
is words.py.
"""

from __future__ import annotations

from .context import RunContext
from .diagnose import Diagnosis, Evidence, Item, diagnose
from .knowledge import load_knowledge
from .salvage import Salvage

__all__ = ["Diagnosis", "Evidence", "Item", "RunContext", "Salvage", "diagnose", "load_knowledge"]
