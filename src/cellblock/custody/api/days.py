"""API: days in custody (time out of cell, exercise, contact, solitary).

Out-of-cell minutes per person per day are derived from movements; a day of
solitary is 22 hours or more in cell without meaningful contact (policy).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.schedule import local_date
from cellblock.custody.selectors.solitary import (
    Day,
    booking_streaks,
    days_out_of_cell,
    limits_of,
)

router = Router()

MAX_DAYS = 366
DEFAULT_DAYS = 7
TO_BEFORE_FROM = "must be on or after from."
TOO_MANY_DAYS = f"covers more than {MAX_DAYS} days; ask for a shorter range."


class DayOut(Schema):
    day: dt.date = Field(description="Facility-local date")
    in_custody_minutes: int
    out_of_cell_minutes: int
    in_cell_minutes: int
    exercise_minutes: int = Field(description="Minutes at the exercise yard")
    contact: bool = Field(
        description="Meaningful contact: a visit, clinic, programme, welfare check"
    )
    solitary: bool = Field(description="22 h or more in cell without meaningful contact")
    complete: bool = Field(description="Over, and in custody all day")


class StreakOut(Schema):
    days: int
    since: dt.datetime | None


class DaysOut(Schema):
    booking_number: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    solitary_hours_per_day: int
    outdoor_exercise_minutes_per_day: int
    solitary_streak: StreakOut = Field(description="Days of solitary in a row, ending today")
    exercise_missed: StreakOut = Field(description="Days without enough exercise, to yesterday")
    days: list[DayOut]


def day_out(day: Day) -> DayOut:
    return DayOut(
        day=day.day, in_custody_minutes=day.in_custody_minutes,
        out_of_cell_minutes=day.out_of_cell_minutes, in_cell_minutes=day.in_cell_minutes,
        exercise_minutes=day.exercise_minutes, contact=day.contact, solitary=day.solitary,
        complete=day.complete,
    )  # fmt: skip


@router.get(
    "/bookings/{booking_number}/days", response=DaysOut, by_alias=True,
    auth=api_requires(Perm.BOOKING_VIEW),
)  # fmt: skip
def booking_days(
    request: HttpRequest,
    booking_number: str,
    from_: dt.date | None = Query(None, alias="from"),  # noqa: B008
    to: dt.date | None = None,
) -> DaysOut:
    """Each facility-local day: in custody, out of cell, exercise, contact, solitary."""
    booking = booking_get_for_user(acting_user(request), booking_number)
    now = clock.now()
    zone = booking.facility.timezone
    last = to or local_date(booking.released_at or now, zone)
    first = from_ or max(
        last - dt.timedelta(days=DEFAULT_DAYS - 1), local_date(booking.booked_at, zone)
    )
    if last < first:
        raise ValidationFailed.for_fields({"to": [TO_BEFORE_FROM]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed.for_fields({"from": [TOO_MANY_DAYS]})
    policy = policy_of(booking.facility)
    limits = limits_of(policy)
    days = days_out_of_cell(booking, first, last, now=now, limits=limits)
    streaks = booking_streaks(booking, now, limits)
    return DaysOut(
        booking_number=booking.booking_number, **{"from": first}, to=last,
        solitary_hours_per_day=policy.solitary_hours_per_day,
        outdoor_exercise_minutes_per_day=policy.outdoor_exercise_minutes_per_day,
        solitary_streak=StreakOut(days=streaks.solitary.count, since=streaks.solitary.since),
        exercise_missed=StreakOut(
            days=streaks.exercise_missed.count, since=streaks.exercise_missed.since
        ),
        days=[day_out(day) for day in days],
    )  # fmt: skip
