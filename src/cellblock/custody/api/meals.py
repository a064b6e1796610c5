"""API: the meals log.

Record one meal of one person (served, refused, missed, or food brought from
outside, saying who brought what), and read a person's recent meals with their
diet notes and the refused or missed meals in a row.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import MealOutcome, MealRecord
from cellblock.custody.schedule import at_local
from cellblock.custody.selectors.meals import (
    MealLine,
    diet_notes,
    meal_name,
    meal_times,
    meals_in_a_row_without,
    meals_of,
)
from cellblock.custody.services.meals import meal_record

router = Router()

LIMIT_RANGE = "must be from 1 to 200."


class MealIn(Schema):
    booking: str = Field(max_length=32, description="Booking number")
    outcome: MealOutcome
    meal_date: dt.date | None = Field(
        default=None, description="Local date of the meal; with ``meal``"
    )
    meal: int | None = Field(
        default=None, ge=0, description="Index in the facility's meal times (0: the first)"
    )
    brought_by: str = Field(default="", max_length=200, description="Outside food: who")
    item: str = Field(default="", max_length=200, description="Outside food: what")
    note: str = Field(default="", max_length=500)
    at: dt.datetime | None = Field(
        default=None, description="When it happened, for a late entry (picks the meal if none)"
    )


class MealOut(Schema):
    id: uuid.UUID
    booking_number: str
    meal_date: dt.date
    meal: int
    meal_name: str
    served_at: dt.datetime
    outcome: MealOutcome
    brought_by: str
    item: str
    note: str
    recorded_at: dt.datetime
    recorded_by: str


class NoteOut(Schema):
    kind: str
    detail: str
    reason: str


class PersonMealsOut(Schema):
    booking_number: str
    person: str
    without_in_a_row: int = Field(description="Refused or missed meals in a row, up to now")
    without_since: dt.datetime | None
    notes: list[NoteOut] = Field(description="Diet and preference flags in force")
    meals: list[MealOut]


def meal_out(line: MealLine, booking_number: str) -> MealOut:
    record = line.record
    return MealOut(
        id=record.public_id, booking_number=booking_number, meal_date=record.meal_date,
        meal=record.meal, meal_name=line.name, served_at=line.served_at,
        outcome=MealOutcome(record.outcome), brought_by=record.brought_by, item=record.item,
        note=record.note, recorded_at=record.recorded_at,
        recorded_by=record.recorded_by.get_username(),
    )  # fmt: skip


def _line(record: MealRecord) -> MealLine:
    facility = record.booking.facility
    times = meal_times(policy_of(facility))
    served = at_local(record.meal_date, times[record.meal], facility.timezone)
    return MealLine(record=record, name=meal_name(record.meal, times), served_at=served)


@router.post("/meals", response={201: MealOut}, auth=api_requires(Perm.MEALS_RECORD))
def record_meal(request: HttpRequest, payload: MealIn) -> Status[MealOut]:
    """Record one meal of one person; the meal current at ``at`` (or now) unless named."""
    user = acting_user(request)
    booking = booking_get_for_user(user, payload.booking)
    record = meal_record(
        actor=user, booking=booking, outcome=payload.outcome, meal_date=payload.meal_date,
        meal=payload.meal, brought_by=payload.brought_by, item=payload.item,
        note=payload.note, at=payload.at,
    )  # fmt: skip
    return Status(201, meal_out(_line(record), booking.booking_number))


@router.get(
    "/bookings/{booking_number}/meals",
    response=PersonMealsOut,
    auth=api_requires(Perm.BOOKING_VIEW),
)
def person_meals(request: HttpRequest, booking_number: str, limit: int = 20) -> PersonMealsOut:
    """A person's newest meals, their diet notes, and the meals they went without in a row."""
    if not 1 <= limit <= 200:
        raise ValidationFailed.for_fields({"limit": [LIMIT_RANGE]})
    booking = booking_get_for_user(acting_user(request), booking_number)
    count, since = meals_in_a_row_without([booking.pk]).get(booking.pk, (0, None))
    notes = diet_notes([booking.pk], clock.now()).get(booking.pk, [])
    return PersonMealsOut(
        booking_number=booking.booking_number, person=booking.person.full_name,
        without_in_a_row=count, without_since=since,
        notes=[NoteOut(kind=flag.kind, detail=flag.detail, reason=flag.reason) for flag in notes],
        meals=[meal_out(line, booking.booking_number) for line in meals_of(booking, limit)],
    )  # fmt: skip
