"""Shmoo: the failure rate over a grid of one or two conditions, each cell an ordinary run.

    axes.py     which fields a shmoo varies, `--vary FIELD=SPEC` parsed
    grid.py     the grid, each cell's profile, the hard limits checked before anything runs
    plan.py     the order cells are visited in (adaptive: coarse, then along the edge)
    result.py   rates, intervals, dominant modes and the boundary, from the store
    runner.py   runs a plan on a bench session, one run per cell visit
"""

from .axes import AXES, Axis, parse_vary
from .grid import Cell, Grid, cell_profile, check_limits
from .plan import Plan

__all__ = ["AXES", "Axis", "Cell", "Grid", "Plan", "cell_profile", "check_limits", "parse_vary"]
