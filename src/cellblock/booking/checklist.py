"""The intake checklist: which steps every booking carries, and when each is due.

Each step belongs to the app whose service completes it.  An app declares the
steps it records in its ``AppConfig.intake_steps``; a step whose app does not
declare it yet is shown as *pending* and never counted as overdue, because no
one could complete it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.apps import apps

from cellblock.booking.models import IntakeStep, IntakeStepCode

if TYPE_CHECKING:
    from cellblock.facilities.models import FacilityPolicy


@dataclass(frozen=True)
class StepSpec:
    code: IntakeStepCode
    # The app whose service completes the step.
    owner: str
    # How long after booking the step is due, from the facility's policy.
    allowed: Callable[[FacilityPolicy], dt.timedelta]
    # Must be done before the person is given a bed.
    before_housing: bool = False


def _intake(policy: FacilityPolicy) -> dt.timedelta:
    return dt.timedelta(hours=policy.intake_completion_hours)


STEPS: tuple[StepSpec, ...] = (
    StepSpec(IntakeStepCode.IDENTITY, "booking", _intake),
    StepSpec(IntakeStepCode.CHARGES, "booking", _intake),
    StepSpec(IntakeStepCode.PROPERTY, "booking", _intake),
    StepSpec(IntakeStepCode.MEDICAL_SCREENING, "medical", _intake, before_housing=True),
    StepSpec(
        IntakeStepCode.CLASSIFICATION,
        "classification",
        lambda policy: dt.timedelta(hours=policy.classification_initial_hours),
    ),
    StepSpec(
        IntakeStepCode.PREA_SCREENING,
        "classification",
        lambda policy: dt.timedelta(hours=policy.prea_screening_hours),
    ),
    StepSpec(IntakeStepCode.HOUSING, "housing", _intake),
)
SPEC_BY_CODE: dict[str, StepSpec] = {spec.code: spec for spec in STEPS}


@cache
def recorded_steps() -> frozenset[str]:
    """Steps that some installed app completes (its ``AppConfig.intake_steps``)."""
    recorded: set[str] = set()
    for config in apps.get_app_configs():
        recorded.update(getattr(config, "intake_steps", ()))
    return frozenset(recorded)


class StepState:
    DONE = "done"
    OVERDUE = "overdue"
    OPEN = "open"
    # No installed app records it yet: shown, never overdue.
    PENDING = "pending"


def step_state(step: IntakeStep, now: dt.datetime) -> str:
    if step.completed_at is not None:
        return StepState.DONE
    if step.step not in recorded_steps():
        return StepState.PENDING
    return StepState.OVERDUE if step.due_at < now else StepState.OPEN


def owner_label(code: str) -> str:
    """The module that records a step, as staff know it ("Medical", "Housing")."""
    owner = SPEC_BY_CODE[code].owner
    try:
        return str(apps.get_app_config(owner).verbose_name)
    except LookupError:
        return owner.title()
