"""Writes of releases: start, the checklist steps, complete, return, cancel, transfer.

- ``checklist.py``: which steps each kind of release needs and where they stand;
- ``steps.py``: property, money, the medical discharge note, visits;
- ``releases.py``: start, complete, return from a temporary absence, cancel;
- ``transfer.py``: a transfer's continuity at the receiving facility.

The services are importable from here as well as from their modules.
"""

from cellblock.release.services.checklist import REQUIRED_STEPS, StepState, release_steps
from cellblock.release.services.releases import (
    release_cancel,
    release_complete,
    release_return,
    release_start,
)
from cellblock.release.services.steps import (
    release_medical_discharge,
    release_money_return,
    release_property_return,
    release_visits_cancel,
)

__all__ = [
    "REQUIRED_STEPS",
    "StepState",
    "release_cancel",
    "release_complete",
    "release_medical_discharge",
    "release_money_return",
    "release_property_return",
    "release_return",
    "release_start",
    "release_steps",
    "release_visits_cancel",
]
