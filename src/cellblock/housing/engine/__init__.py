"""The housing engine: lawful, explained and optimal placements for a whole population.

Pure Python on OR-Tools, with no Django: dataclasses in (``Instance``), a
``Solution`` out.  The hard rules come from ``cellblock.housing.rules``, the
same rule book that judges a manual move.
"""

from cellblock.housing.engine.model import (
    Alternative,
    Explanation,
    Instance,
    Options,
    Progress,
    Solution,
)
from cellblock.housing.engine.solver import solve

__all__ = [
    "Alternative",
    "Explanation",
    "Instance",
    "Options",
    "Progress",
    "Solution",
    "solve",
]
